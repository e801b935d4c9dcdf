"""Inline references in knowledge text: ``[@source-id, locator; @other]`` after each sentence.

Knowledge files cite sentence by sentence. This module finds the references, splits a
text into its sentences with the references each one carries, and compares a claim's
words with a passage's, so that support is matched on a claim's own reference and
words (never on a tag the two merely share).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.lexical import tokenize

CITATION_RE = re.compile(r"\[(@[^\]]+)\]")
# A sentence ends at . ! ? (after any reference group) before an opening capital, digit or quote.
_BOUNDARY_RE = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    (
        *("u.s", "u.k", "u.n", "e.g", "i.e", "dr", "mr", "mrs", "ms", "no", "nos", "st", "vs", "etc", "inc"),
        *("corp", "co", "ltd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov"),
        *("dec", "fig", "pp", "vol", "ed", "eds", "al", "approx", "govt", "dept", "gen", "col", "lt", "sen", "rep"),
    )
)


@dataclass(frozen=True)
class Citation:
    """One reference: a source id and, when given, where in the source (slide 5, section 2...)."""

    source: str
    locator: str | None


@dataclass(frozen=True)
class Sentence:
    """A sentence of knowledge text, without its references, and the references it carries."""

    text: str
    refs: tuple[Citation, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.source for r in self.refs))


def parse_citations(text: str) -> list[Citation]:
    """All ``[@id, locator; @id2]`` references in ``text``, in order."""
    found: list[Citation] = []
    for group in CITATION_RE.findall(text):
        for part in group.split(";"):
            part = part.strip()
            if not part.startswith("@"):
                continue
            sid, _, loc = part[1:].partition(",")
            found.append(Citation(sid.strip(), loc.strip() or None))
    return found


def strip_refs(text: str) -> str:
    """``text`` without its references, on one line, with no space left before punctuation."""
    return re.sub(r" ([.,;:?!])(?=\s|$)", r"\1", " ".join(CITATION_RE.sub("", text).split()))


def _ends_sentence(before: str) -> bool:
    """Does the text before a candidate boundary really end a sentence (not "U.S.", "e.g.")?"""
    word = re.search(r"([A-Za-z.]+)[.!?][\"'”’)]*$", before)
    if word is None:
        return True
    token = word.group(1).lower().rstrip(".")
    return token not in _ABBREVIATIONS and not re.fullmatch(r"[a-z]", token)


def split_sentences(text: str) -> list[str]:
    """``text`` (references kept) in sentences; abbreviations such as "U.S." do not split."""
    text = " ".join(text.split())
    out: list[str] = []
    start = 0
    for m in _BOUNDARY_RE.finditer(text):
        if _ends_sentence(text[start : m.start()]):
            out.append(text[start : m.start()].strip())
            start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` with the references each carries."""
    return [Sentence(strip_refs(s), tuple(parse_citations(s))) for s in split_sentences(text)]


@lru_cache(maxsize=16384)
def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that carry meaning (stop words and references left out)."""
    return frozenset(tokenize(CITATION_RE.sub(" ", text)))


@lru_cache(maxsize=4096)
def words_by_source(text: str) -> dict[str, frozenset[str]]:
    """For each source a passage cites, the words of the sentences that cite it."""
    out: dict[str, set[str]] = {}
    for s in sentences(text):
        for src in s.sources:
            out.setdefault(src, set()).update(content_words(s.text))
    return {src: frozenset(words) for src, words in out.items()}


def quoted_spans(text: str) -> list[str]:
    """The phrases of ``text`` in double quotation marks."""
    return [m.group(1) or m.group(2) for m in re.finditer(r"\"([^\"]{3,})\"|“([^”]{3,})”", text)]
