"""The LLM backend: any OpenAI-compatible chat endpoint composes the answer from retrieved passages.

Passages go to the model as delimited data under short opaque labels (never ``[1]``,
which documents use for footnotes), with the list of valid labels. The model returns
claims, each with labels and a verbatim quote; afterwards labels naming no retrieved
passage are removed and counted, quotes not found in their passage are dropped,
uncited conditions are flagged and explained by the catalogue instead, and labels
become the ``[cN]`` markers of the answer JSON. Any failure of the endpoint falls back
to the offline analyst, and the answer says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rag import prompts
from rag.answer.citations import CitationBook
from rag.answer.offline import Composed, OfflineAnalyst, plain
from rag.answer.pipeline import Navigator, Prepared, Turn
from rag.answer.schema import REFUSAL, Answer, ConditionOut
from rag.config import Settings
from rag.errors import BackendError
from rag.framework import CONDITION_NAMES, CONDITIONS, RATING_WORDS, VERDICT_WORDS, Catalogue, ConditionId, Rating
from rag.retrieve import Hit

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
    """What the model must return (sent as a strict JSON schema)."""

    model_config = ConfigDict(extra="forbid")
    supported: bool
    summary: list[Claim]
    conditions: list[ConditionClaims]
    left_out: list[Claim]


def response_format() -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": "answer", "strict": True, "schema": ModelAnswer.model_json_schema()},
    }


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
    name = type(error).__name__
    status = getattr(error, "status_code", None)
    if status == 401 or name == "AuthenticationError":
        return "the API key was rejected (401)"
    if status == 429 or name == "RateLimitError":
        return "the endpoint is rate limiting requests (429)"
    if "Timeout" in name:
        return "the endpoint did not answer in time"
    if "Connection" in name:
        return "the endpoint could not be reached"
    if isinstance(status, int):
        return f"the endpoint returned an error ({status})"
    if isinstance(error, ValidationError | json.JSONDecodeError | BackendError):
        return "the model's reply was malformed"
    return f"the model call failed ({name})"


class LLMComposer:
    """Composes answers with a chat model; the offline analyst is the safety net."""

    def __init__(self, settings: Settings, catalogue: Catalogue, *, client: Any = None) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self._client = client
        self.system = prompts.load("system")
        self.user = prompts.load("answer")

    @property
    def name(self) -> str:
        return f"openai:{self.settings.chat_model}"

    def client(self) -> Any:
        if self._client is None:
            from langchain_openai import ChatOpenAI

            self._client = ChatOpenAI(
                model=self.settings.chat_model,
                api_key=self.settings.openai_api_key or "not-needed",  # type: ignore[arg-type]
                base_url=self.settings.openai_base_url,
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
            ).bind(response_format=response_format())
        return self._client

    # -- prompt ------------------------------------------------------------------
    def messages(self, prep: Prepared) -> tuple[list[tuple[str, str]], dict[str, Hit]]:
        labels: dict[str, Hit] = {}
        blocks = []
        for hit in prep.evidence.hits:
            label = label_for(hit.id, set(labels))
            labels[label] = hit
            c = hit.chunk
            text = plain(c.text).replace("<", "‹").replace(">", "›")
            blocks.append(f'<passage label="{label}" source="{c.title}" locator="{c.locator}">\n{text}\n</passage>')
        u = prep.understanding
        assessment = []
        for did in u.domains:
            d = self.catalogue.domains[did]
            ratings = "; ".join(f"{cid}: {d.conditions[cid].rating}" for cid in CONDITIONS)
            assessment.append(f"{d.name} ({did}): verdict {d.verdict}; {ratings}")
        user = self.user.render(
            question=u.standalone,
            question_type=u.qtype,
            domains=", ".join(u.domains) or "none",
            assessment="\n".join(assessment) or "No catalogued domain: explain from the passages only.",
            passages="\n".join(blocks),
            labels=", ".join(labels),
        )
        return [("system", self.system.render()), ("human", user)], labels

    # -- validation ----------------------------------------------------------------
    def validate(
        self, raw: ModelAnswer, prep: Prepared, labels: dict[str, Hit], analyst: OfflineAnalyst
    ) -> tuple[Composed | None, dict[str, Any], list[str]]:
        """The model's claims checked against the retrieved passages, as a Composed answer."""
        book: CitationBook = prep.book
        stats: dict[str, Any] = {
            "unknown_labels_removed": 0,
            "quotes_dropped": 0,
            "claims_dropped": 0,
            "conditions_uncited": [],
        }
        notices: list[str] = []

        def cited(claim: Claim) -> str | None:
            valid = [lab for lab in claim.labels if lab in labels]
            stats["unknown_labels_removed"] += len(claim.labels) - len(valid)
            if not valid:
                stats["claims_dropped"] += 1
                return None
            if claim.quote and not any(_norm(claim.quote) in _norm(plain(labels[lab].chunk.text)) for lab in valid):
                stats["quotes_dropped"] += 1
            marks = "".join(dict.fromkeys(book.cite(labels[lab].id) for lab in valid))
            return f"{' '.join(claim.text.split())} {marks}"

        if not raw.supported:
            return None, stats, notices
        summary = [t for t in (cited(c) for c in raw.summary) if t]
        if not summary:
            return None, stats, notices
        u = prep.understanding
        out = summary[:]
        verdict = None
        conditions: dict[str, ConditionOut] | None = None
        if u.domains:
            d = self.catalogue.domains[u.domains[0]]
            verdict = d.verdict
            by_cond = {c.condition: c for c in raw.conditions}
            conditions = {}
            out += [
                "",
                f"**Verdict (from the catalogue): {VERDICT_WORDS[d.verdict]}.**",
                "",
                "#### The three conditions",
            ]
            for cid in CONDITIONS:
                rating = d.conditions[cid].rating
                got = by_cond.get(cid)
                texts = [t for t in (cited(c) for c in (got.claims if got else [])) if t]
                if got and got.rating != rating:
                    notices.append(
                        f"The model rated {CONDITION_NAMES[cid].lower()} as {got.rating}; "
                        f"the catalogue's rating ({rating}) is shown."
                    )
                if texts:
                    reasoning = " ".join(texts)
                else:
                    stats["conditions_uncited"].append(cid)
                    reasoning = analyst.condition(d, cid, prep.evidence, book).reasoning
                conditions[cid] = ConditionOut(
                    rating=rating, reasoning=reasoning, citations=re.findall(r"\[(c\d+)\]", reasoning)
                )
                out.append(f"**{CONDITION_NAMES[cid]}: {RATING_WORDS[rating]}.** {reasoning}")
            if stats["conditions_uncited"]:
                notices.append(
                    "The model gave no cited reasoning for "
                    + ", ".join(CONDITION_NAMES[c].lower() for c in stats["conditions_uncited"])
                    + "; the catalogue's reasoning is shown instead."
                )
        left = [t for t in (cited(c) for c in raw.left_out) if t]
        if left:
            out += ["", "#### Feasible is not fair: who may be left out", *left]
        if stats["unknown_labels_removed"]:
            notices.append(f"{stats['unknown_labels_removed']} citation(s) naming no retrieved passage were removed.")
        return Composed(answer="\n".join(out), verdict=verdict, conditions=conditions), stats, notices

    # -- asking ------------------------------------------------------------------
    def _parse(self, content: str) -> ModelAnswer:
        try:
            return ModelAnswer.model_validate_json(content)
        except ValidationError as e:
            raise BackendError("the model's reply did not match the answer schema") from e

    def _fallback(self, navigator: Navigator, question: str, history: Sequence[Turn], error: BaseException) -> Answer:
        notice = f"The language model was not used: {reason_for(error)}. This answer comes from the offline analyst."
        return navigator.ask(question, history, notices=[notice])

    def _finish(self, navigator: Navigator, prep: Prepared, raw: ModelAnswer, labels: dict[str, Hit]) -> Answer:
        composed, stats, notices = self.validate(raw, prep, labels, navigator.analyst)
        if composed is None:
            refusal = navigator.refusal(prep.question, self.name, prep.started, notices)
            refusal.validation = stats
            refusal.retrieved = prep.book.retrieved_ids
            return refusal
        notices += navigator.reading_notices(prep.understanding)
        return navigator.finish(prep, composed, backend=self.name, notices=notices, validation=stats)

    def ask(self, navigator: Navigator, question: str, history: Sequence[Turn] = ()) -> Answer:
        prep = navigator.prepare(question, history, backend=self.name)
        if isinstance(prep, Answer):
            return prep
        try:
            messages, labels = self.messages(prep)
            reply = self.client().invoke(messages)
            raw = self._parse(str(reply.content))
        except Exception as e:  # every endpoint failure means: answer offline, and say so
            return self._fallback(navigator, question, history, e)
        return self._finish(navigator, prep, raw, labels)

    def ask_stream(self, navigator: Navigator, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Summary text as the model writes it, then the validated Answer."""
        from langchain_core.utils.json import parse_partial_json

        prep = navigator.prepare(question, history, backend=self.name)
        if isinstance(prep, Answer):
            yield prep
            return
        shown = ""
        buffer = ""
        try:
            messages, labels = self.messages(prep)
            for chunk in self.client().stream(messages):
                buffer += str(chunk.content)
                partial = parse_partial_json(buffer) if buffer.strip() else None
                if isinstance(partial, dict):
                    texts = [c.get("text", "") for c in partial.get("summary") or [] if isinstance(c, dict)]
                    now = " ".join(t for t in texts if t)
                    if now.startswith(shown) and len(now) > len(shown):
                        yield now[len(shown) :]
                        shown = now
            raw = self._parse(buffer)
        except Exception as e:
            yield self._fallback(navigator, question, history, e)
            return
        yield self._finish(navigator, prep, raw, labels)


__all__ = ["REFUSAL", "LLMComposer", "ModelAnswer", "label_for", "response_format"]
