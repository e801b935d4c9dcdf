"""BM25 over chunk texts (bm25s), with a tokenizer that fits policy prose.

LangChain's BM25Retriever splits on whitespace, so "Controls?" never matches
"controls"; here text is lower-cased, split on word characters, stop words are
dropped and a light suffix stemmer folds plurals and -ing/-ed forms. Chinese and
Japanese have no spaces between words, so a run of their characters (and a Korean
word, whose particles are attached) is read as its overlapping character bigrams,
the usual unit of CJK lexical search: "芯片走私" matches a passage on "走私芯片".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_WORD_RE = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)
# Han, kana and Hangul: read as character bigrams, not as one "word" per run
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
# Bump when ``tokenize`` changes: a snapshot's BM25 index made with another one is rebuilt on load.
TOKENIZER = 2
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "may",
        "might",
        "me",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "on",
        "or",
        "our",
        "ours",
        "shall",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "about",
        "between",
        "each",
        "other",
        "over",
        "under",
        "again",
        "further",
        "once",
        "here",
        "both",
        "any",
        "all",
        "more",
        "most",
        "own",
        "same",
        "very",
        "just",
        "also",
        "only",
        "own",
        "out",
        "up",
        "down",
        "off",
        "above",
        "below",
        "s",
        "t",
        "don",
    ]
)


def _stem(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + keep
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens without stop words; CJK runs as overlapping character bigrams."""
    out: list[str] = []
    for m in _WORD_RE.finditer(text.lower()):
        for w in m.group(0).split("-"):
            w = w.strip("'")
            if w and w not in STOP_WORDS:
                out.extend(_bigrams(_stem(w)))
    return out


def _bigrams(token: str) -> list[str]:
    """``token`` itself, or, where it holds CJK characters, the Latin letters or digits beside
    them ("ai" of "ai事故") and each CJK run's overlapping bigrams (a one-character run as is)."""
    if token.isascii():  # most tokens: no pattern search on the way
        return [token]
    runs = _CJK_RE.findall(token)
    if not runs:
        return [token]
    out = _CJK_RE.sub(" ", token).split()
    for run in runs:
        out.extend([run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)])
    return out


class LexicalIndex:
    """A BM25 index over a fixed list of ids, built once per index version."""

    def __init__(self, ids: Sequence[str], retriever: object) -> None:
        self.ids = list(ids)
        self._retriever = retriever

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> LexicalIndex:
        """A BM25 index of ``texts`` (tokenized here) whose results are named by ``ids``."""
        import bm25s

        retriever = bm25s.BM25()
        corpus = [tokenize(t) or ["_empty_"] for t in texts]
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(ids, retriever)

    def save(self, folder: Path) -> None:
        """Write the BM25 files into ``folder`` (nothing for an empty index)."""
        if self.ids:
            self._retriever.save(str(folder), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path, ids: Sequence[str]) -> LexicalIndex:
        """The index saved in ``folder`` for ``ids`` (an empty one when there are no ids)."""
        import bm25s

        if not ids:
            return cls([], bm25s.BM25())
        retriever = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        return cls(ids, retriever)

    def search(self, query: str, k: int, *, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Best ``k`` (id, score) pairs with a positive score."""
        tokens = tokenize(query)
        if not tokens or not self.ids:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._retriever.retrieve(  # type: ignore[attr-defined]
            [tokens], k=k, show_progress=False, weight_mask=mask
        )
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
