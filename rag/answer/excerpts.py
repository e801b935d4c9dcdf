"""Text helpers of the offline analyst: plain excerpts of passages, ordering of explanations,
and the answer's labels in the user's language.
"""

from __future__ import annotations

import re

from rag.framework import CONDITION_NAMES, CONDITION_PHRASES, RATING_WORDS, VERDICT_WORDS, lower_first
from rag.lexical import tokenize
from rag.refs import strip_refs
from rag.retrieve import Hit

# Plain symbols (no emoji font needed), always next to words: colour is never the only signal.
RATING_ICONS = {"met": "✔", "partial": "◐", "not_met": "✖", "unknown": "?"}
VERDICT_ICONS = {"feasible": "✔", "mixed": "◐", "infeasible": "✖"}
_LEANS_BACK_RE = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|thus|hence|so|also|but|however|the (?:case|report|"
    r"paper|talk|study|article) (?:thus|also|therefore))\b",
    re.IGNORECASE,
)
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(“])")


def plain(text: str) -> str:
    """Passage text without its inline source references, on one line."""
    return strip_refs(text)


def leans_back(sentence: str) -> bool:
    """Does the sentence lean on an earlier one ("This shows...", "The case thus...")?"""
    return bool(_LEANS_BACK_RE.match(sentence))


def best_sentences(text: str, question: str, n: int = 2) -> str:
    """The ``n`` sentences of a passage that share most words with the question, in order.

    The passage's first sentence usually names its subject and is kept; an excerpt never
    opens with a sentence that leans on one left out.
    """
    sentences = [s.strip() for s in _SENT_RE.split(plain(text)) if len(s.strip(" .;,")) > 1]
    if len(sentences) <= n:
        return " ".join(sentences)
    q = set(tokenize(question))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: (len(q & set(tokenize(sentences[i]))) - (2 if leans_back(sentences[i]) else 0), -i),
        reverse=True,
    )
    keep = sorted(scored[:n]) if q else list(range(n))
    if 0 not in keep and len(keep) == n:  # the first sentence names the subject: keep it
        keep = sorted([0, *keep[: n - 1]])
    while keep and keep[0] > 0 and leans_back(sentences[keep[0]]):
        keep = sorted({keep[0] - 1, *keep[:-1]}) if len(keep) > 1 else [keep[0] - 1]
    return " ".join(sentences[i] for i in keep)


def defining_first(hits: list[Hit], conditions: list[str]) -> list[Hit]:
    """``hits`` with the passages titled by a condition the question names moved to the front.

    "What does domain separability mean?" opens with the passage headed by that condition,
    not with a domain that merely discusses it.
    """

    def named(h: Hit) -> int | None:  # which named condition the section is titled by
        if h.chunk.kind == "domain":
            return None
        section = f"{h.chunk.section} {h.chunk.text[:80] if h.chunk.kind == 'quotation' else ''}".lower()
        return next((i for i, cid in enumerate(conditions) if any(p in section for p in CONDITION_PHRASES[cid])), None)

    order = {h.id: named(h) for h in hits}
    defining = sorted((h for h in hits if order[h.id] is not None), key=lambda h: order[h.id] or 0)
    return defining + [h for h in hits if order[h.id] is None]


def lead_first(hits: list[Hit]) -> list[Hit]:
    """``hits`` with the retrieved lead sections of the best hit's document moved to the front.

    A document's front matter names the sections that sum it up (``lead``); when the answer
    draws mainly on that document, its summary opens the answer and the details follow in
    retrieval order.
    """
    if not hits or hits[0].chunk.kind == "domain":
        return hits
    doc = hits[0].chunk.doc_id
    leads = [h for h in hits if h.chunk.doc_id == doc and h.chunk.facet == "lead"]
    return leads + [h for h in hits if h not in leads]


class Labels:
    """Verdict, condition, rating and heading words of an answer, in the user's language.

    The reasoning stays in the knowledge base's English; these short labels come from the
    reviewed string table (``rag/data/i18n.yaml``).
    """

    def __init__(self, language: str = "en") -> None:
        self.language = language

    def _get(self, key: str, english: str) -> str:
        if self.language == "en":
            return english
        from rag.multilingual import string_table

        return string_table().get(self.language, key)

    def verdict(self, v: str) -> str:
        return self._get(f"verdicts.{v}", VERDICT_WORDS[v])

    def condition(self, cid: str) -> str:
        return self._get(f"conditions.{cid}", CONDITION_NAMES[cid])

    def rating(self, r: str) -> str:
        return self._get(f"ratings.{r}", RATING_WORDS[r] if r != "unknown" else "not assessed")

    def heading(self, key: str, english: str) -> str:
        return self._get(f"headings.{key}", english)

    def suggestion(self, key: str, english: str, **fields: str) -> str:
        """A suggested next question (``suggestions.<key>``, ``english`` its English), fields filled in."""
        return self._get(f"suggestions.{key}", english).format(**fields)

    def area(self, domain_id: str, english: str) -> str:
        """A catalogued area's name inside a sentence: its English name (``english``) with a small
        first letter, or its name in the user's language (``rag/data/area_names.yaml``), the
        English where that has none (an area added to the catalogue since)."""
        if self.language != "en":
            from rag.multilingual import area_names

            name = area_names().get(self.language, {}).get(domain_id)
            if name:
                return name
        return lower_first(english)
