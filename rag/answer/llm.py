"""The LLM composer: a chat model explains the catalogue's assessment from the retrieved passages.

Passages go to the model as delimited data under short opaque labels (never ``[1]``, which
documents use for footnotes), each saying who wrote it (an external source, or the
project's own note or assessment and the sources it is based on), with the list of valid
labels. The model returns claims, each with labels and a verbatim quote. Afterwards labels
naming no retrieved passage are removed and counted, quotes not found in their passage are
dropped, uncited conditions are explained by the catalogue instead, and labels become the
``[cN]`` markers. Verdicts and ratings always come from the catalogue.

Structured output is negotiated: a strict JSON schema, then JSON mode, then JSON asked for
in the prompt and validated, so endpoints without strict schemas work too. A reply from
which nothing survives raises ``CompositionError``, and the navigator falls back to the
offline analyst with the same evidence.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rag import prompts
from rag.answer.citations import CitationBook
from rag.answer.compose import Composed, CompositionError, Preview
from rag.answer.evidence import Evidence
from rag.answer.excerpts import Labels, plain
from rag.answer.offline import OfflineAnalyst
from rag.answer.schema import ConditionOut
from rag.chat import ChatModel, Message, OutputMode
from rag.errors import BackendError, MalformedReplyError, OutputModeError
from rag.framework import CONDITIONS, Catalogue, ConditionId, Rating
from rag.retrieve import Hit
from rag.understand import Understanding

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese", "ar": "Arabic", "ru": "Russian", "fr": "French", "es": "Spanish",
    "de": "German", "ja": "Japanese", "ko": "Korean", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
    "pl": "Polish", "tr": "Turkish", "th": "Thai",
}  # fmt: skip
WIDE_TYPES = ("overview", "apply_framework")  # the analyst's structure, with the model's summary on top


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    labels: list[str]
    quote: str


class ConditionClaims(BaseModel):
    model_config = ConfigDict(extra="forbid")
    condition: ConditionId
    rating: Rating
    claims: list[Claim]


class ModelAnswer(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="forbid")
    supported: bool
    summary: list[Claim]
    conditions: list[ConditionClaims]
    left_out: list[Claim]


def answer_schema() -> dict[str, Any]:
    return ModelAnswer.model_json_schema()


def label_for(chunk_id: str, taken: set[str]) -> str:
    """A 4-character opaque label, stable for a chunk, unique within one prompt."""
    digest = hashlib.sha256(chunk_id.encode()).digest()
    for offset in range(0, len(digest) - 4):
        label = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[offset : offset + 4])
        if label not in taken:
            return label
    raise BackendError("could not allocate a passage label")  # pragma: no cover


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[\"'“”‘’]", "", text).lower().split())


def reason_for(error: BaseException) -> str:
    """A short, key-free description of what went wrong with the endpoint."""
    return error.reason if isinstance(error, BackendError) else f"the model call failed ({type(error).__name__})"


def json_text(reply: str) -> str:
    """The JSON object in a reply (models without JSON modes wrap it in prose or a code fence)."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        raise MalformedReplyError("the reply holds no JSON object")
    return reply[start : end + 1]


class LLMComposer:
    """Composes answers with a chat model; the navigator falls back to the analyst on failure."""

    def __init__(self, model: ChatModel, catalogue: Catalogue, *, stream: bool = True) -> None:
        self.model = model
        self.catalogue = catalogue
        self.stream = stream and model.can_stream
        self.system = prompts.load("system")
        self.user = prompts.load("answer")
        self._analyst = OfflineAnalyst(catalogue)
        self._mode: OutputMode | None = None  # the strongest mode the endpoint accepted
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model.name

    # -- prompt ------------------------------------------------------------------
    def passage_header(self, hit: Hit) -> str:
        c = hit.chunk
        if c.source_kind in ("note", "assessment"):
            who = self.catalogue.source_title(c.source_id)
            based = "; ".join(self.catalogue.source_title(s) for s in c.based_on)
            return f'source="{who}" kind="{c.source_kind}" based_on="{based}"'
        if c.source_kind == "user":
            return f'source="{c.doc_title} (the user\'s own document)" kind="user"'
        return f'source="{c.title}" locator="{c.locator}" kind="{c.source_kind or c.kind}"'

    def messages(self, u: Understanding, ev: Evidence) -> tuple[list[Message], dict[str, Hit]]:
        labels: dict[str, Hit] = {}
        blocks = []
        for hit in ev.hits:
            label = label_for(hit.id, set(labels))
            labels[label] = hit
            text = plain(hit.chunk.text).replace("<", "‹").replace(">", "›")
            blocks.append(f'<passage label="{label}" {self.passage_header(hit)}>\n{text}\n</passage>')
        assessment = []
        for did in u.domains:
            d = self.catalogue.domains[did]
            ratings = "; ".join(f"{cid}: {d.conditions[cid].rating}" for cid in CONDITIONS)
            assessment.append(f"{d.name} ({did}): verdict {d.verdict}; {ratings}")
        user = self.user.render(
            question=u.standalone,
            question_type=u.qtype,
            domains=", ".join(u.domains) or "none",
            assessment="\n".join(assessment) or "No catalogued domain is asked about: give no verdict.",
            passages="\n".join(blocks),
            labels=", ".join(labels),
            language=LANGUAGE_NAMES.get(u.language, "English"),
        )
        return [Message("system", self.system.render()), Message("user", user)], labels

    # -- calling -------------------------------------------------------------------
    def _modes(self) -> list[OutputMode]:
        with self._lock:
            known = self._mode
        return [known] if known else list(self.model.output_modes)

    def _call(self, messages: list[Message], preview: Preview | None) -> str:
        """The reply text, trying the structured-output modes strongest first."""
        last: BackendError | None = None
        for mode in self._modes():
            try:
                text = ""
                shown = ""
                for piece in self.model.generate(messages, schema=answer_schema(), mode=mode, stream=self.stream):
                    text += piece
                    shown = self._preview(text, shown, preview)
            except OutputModeError as e:
                last = e
                continue
            with self._lock:
                self._mode = mode
            return text
        raise last or OutputModeError("no structured-output mode was accepted")

    @staticmethod
    def _preview(text: str, shown: str, preview: Preview | None) -> str:
        """Pass the summary written so far to ``preview`` (partial JSON is parsed leniently)."""
        if preview is None:
            return shown
        from langchain_core.utils.json import parse_partial_json

        try:
            partial = parse_partial_json(text[text.find("{") :]) if "{" in text else None
        except (ValueError, json.JSONDecodeError):
            return shown
        if not isinstance(partial, dict):
            return shown
        now = " ".join(c.get("text", "") for c in partial.get("summary") or [] if isinstance(c, dict) and c.get("text"))
        if now.startswith(shown) and len(now) > len(shown):
            preview(now[len(shown) :])
            return now
        return shown

    def compose(
        self, u: Understanding, ev: Evidence, book: CitationBook, *, preview: Preview | None = None
    ) -> Composed:
        messages, labels = self.messages(u, ev)
        reply = self._call(messages, preview)
        try:
            raw = ModelAnswer.model_validate_json(json_text(reply))
        except ValidationError as e:
            raise MalformedReplyError("the model's reply did not match the answer schema") from e
        return self.validate(raw, u, ev, book, labels)

    # -- validation ----------------------------------------------------------------
    def validate(
        self, raw: ModelAnswer, u: Understanding, ev: Evidence, book: CitationBook, labels: dict[str, Hit]
    ) -> Composed:
        """The model's claims checked against the retrieved passages; raises when none survive."""
        stats: dict[str, Any] = {"unknown_labels_removed": 0, "quotes_dropped": 0, "claims_dropped": 0,
                                 "conditions_uncited": []}  # fmt: skip

        def cited(claim: Claim) -> str | None:
            valid = [lab for lab in claim.labels if lab in labels]
            stats["unknown_labels_removed"] += len(claim.labels) - len(valid)
            if not valid:
                stats["claims_dropped"] += 1
                return None
            if claim.quote and not any(_norm(claim.quote) in _norm(plain(labels[lab].chunk.text)) for lab in valid):
                stats["quotes_dropped"] += 1
                stats["claims_dropped"] += 1
                return None  # a quote the passage does not hold: the claim is not shown as supported
            marks = "".join(dict.fromkeys(book.cite(labels[lab].id) for lab in valid))
            return f"{' '.join(claim.text.split())} {marks}"

        summary = [t for t in (cited(c) for c in raw.summary) if t] if raw.supported else []
        if not summary:
            raise CompositionError("no claim of the model's reply was supported by a retrieved passage",
                                   validation=stats)  # fmt: skip
        if u.qtype in WIDE_TYPES or not u.domains:
            base = self._analyst.compose(u, ev, book) if u.qtype in WIDE_TYPES else None
            answer = "\n".join(summary) + (f"\n\n{base.answer}" if base else "")
            composed = base or Composed(answer=answer)
            composed.answer, composed.validation = answer, stats
            return composed
        return self._domain_answer(raw, u, ev, book, summary, cited, stats)

    def _domain_answer(self, raw: ModelAnswer, u: Understanding, ev: Evidence, book: CitationBook,
                       summary: list[str], cited: Any, stats: dict[str, Any]) -> Composed:  # fmt: skip
        labels = Labels(u.language)
        base = self._analyst.compose(u, ev, book)  # verdicts, tables and the catalogue's reasoning
        d = self.catalogue.domains[u.domains[0]]
        by_cond = {c.condition: c for c in raw.conditions}
        notices = []
        conditions: dict[str, ConditionOut] = {}
        lines = []
        for cid in CONDITIONS:
            rating = d.conditions[cid].rating
            got = by_cond.get(cid)
            texts = [t for t in (cited(c) for c in (got.claims if got else [])) if t]
            if got and got.rating != rating:
                notices.append(f"The model rated {labels.condition(cid).lower()} as {got.rating}; "
                               f"the catalogue's rating ({rating}) is shown.")  # fmt: skip
            if texts:
                reasoning = " ".join(texts)
                conditions[cid] = ConditionOut(rating=rating, reasoning=reasoning,
                                               citations=re.findall(r"\[(c\d+)\]", reasoning))  # fmt: skip
            else:
                stats["conditions_uncited"].append(cid)
                conditions[cid] = (base.conditions or {})[cid]
            lines.append(f"**{labels.condition(cid)}: {labels.rating(rating)}.** {conditions[cid].reasoning}")
        if stats["conditions_uncited"]:
            notices.append("The model gave no cited reasoning for "
                           + ", ".join(labels.condition(c).lower() for c in stats["conditions_uncited"])
                           + "; the catalogue's reasoning is shown instead.")  # fmt: skip
        left = [t for t in (cited(c) for c in raw.left_out) if t]
        out = [*summary, "", f"**Verdict (from the catalogue): {labels.verdict(d.verdict)}.**", "",
               f"#### {labels.heading('conditions', 'The three conditions')}", *lines]  # fmt: skip
        if left:
            out += ["", f"#### {labels.heading('left_out', 'Who may be left out')}", *left]
        if stats["unknown_labels_removed"]:
            notices.append(f"{stats['unknown_labels_removed']} citation(s) naming no retrieved passage were removed.")
        if len(u.domains) >= 2:  # comparisons keep the analyst's side-by-side table below the summary
            out += ["", base.answer]
        base.answer, base.conditions, base.notices, base.validation = "\n".join(out), conditions, notices, stats
        return base
