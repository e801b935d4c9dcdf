"""Question understanding: which domains, what type of question, follow-up rewriting.

Domains are detected from the catalogue's own names, aliases and summaries (dense
similarity plus IDF-weighted lexical overlap), never from a keyword table in code.
The question type comes from labelled exemplars in ``rag/data/intents.yaml``
(dense k-NN) combined with how many domains were found.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from rag.framework import CONDITION_PHRASES, Catalogue
from rag.lexical import tokenize

INTENTS_FILE = Path(__file__).resolve().parent / "data" / "intents.yaml"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_QUESTION_CHARS = 4000
FOLLOWUP_MAX_WORDS = 20
SHORT_FOLLOWUP_WORDS = 6  # this short, a question after an answer is read as a follow-up
# Closed-class words that make a short question lean on the one before it.
_REFERRING_RE = re.compile(
    r"^(?:and|but|so|also|what about|how about|then)\b|\b(?:that|this|it|its|those|these|there|them|they|their|same)\b",
    re.IGNORECASE,
)

# Weights of the domain score: dense alias similarity is the backbone, lexical
# coverage of an alias adds evidence, the summary helps with descriptive questions.
W_ALIAS, W_LEXICAL, W_SUMMARY = 1.0, 0.45, 0.35
W_CARD, CARD_FLOOR = 0.8, 0.3  # similarity to a domain's card passages, above a floor
DOMAIN_MIN = 0.88  # a domain counts as asked about at or above this score
SECOND_MARGIN = 0.08  # a second domain must be this close to the first ...
EXPLICIT_COVERAGE = 0.8  # ... or be named outright by one of its aliases
NAMED_MARGIN = 0.3  # a named second domain must also score this far above DOMAIN_MIN
GENERIC_QUESTIONS = (
    "Could the US and China cooperate on AI?",
    "Can rival countries work together on artificial intelligence governance?",
)
GENERIC_FLOOR, GENERIC_PENALTY = 0.35, 0.6


_PHRASE_CONDITION = {p: cid for cid, phrases in CONDITION_PHRASES.items() for p in phrases}
_CONDITION_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for ps in CONDITION_PHRASES.values() for p in ps) + r")\b", re.IGNORECASE
)


def without_condition_names(text: str) -> str:
    """The question with the framework's condition names taken out, for finding its domains.

    "What does verification feasibility mean?" asks about a condition, not about the
    verification-mechanisms domain whose aliases share a word with it.
    """
    return " ".join(_CONDITION_RE.sub(" ", text).split())


def named_conditions(text: str) -> list[str]:
    """Ids of the conditions a text names ("domain separability", ...), in the order named."""
    return list(dict.fromkeys(_PHRASE_CONDITION[m.group(0).lower()] for m in _CONDITION_RE.finditer(text)))


def clean_question(text: str) -> str:
    """Control and bidi characters removed, whitespace collapsed, length capped."""
    text = _CONTROL_RE.sub(" ", text or "")
    text = " ".join(text.split())
    return text[:MAX_QUESTION_CHARS]


@dataclass(frozen=True)
class DomainScore:
    id: str
    score: float
    dense: float
    lexical: float
    summary: float
    alias: str

    @property
    def explicit(self) -> bool:
        return self.lexical >= EXPLICIT_COVERAGE


@dataclass
class Understanding:
    question: str
    standalone: str
    qtype: str
    domains: list[str]
    domain_scores: list[DomainScore]
    intents: dict[str, float]
    is_followup: bool = False
    notes: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # the conditions the question names


class DomainDetector:
    """Scores every catalogue domain against a question."""

    def __init__(self, catalogue: Catalogue, embedder: Any, corpus_texts: Sequence[str] = ()) -> None:
        self.catalogue = catalogue
        self.embedder = embedder
        self._phrases: list[tuple[str, str]] = []  # (domain id, phrase)
        for d in catalogue.domains.values():
            for phrase in dict.fromkeys([d.name, *d.aliases]):
                self._phrases.append((d.id, phrase))
        self._phrase_tokens = [set(tokenize(p)) for _, p in self._phrases]
        # Informative words are those rare in the knowledge base: "China", "AI" and
        # "cooperation" are everywhere there, so matching them says little.
        df: Counter[str] = Counter()
        docs = list(corpus_texts) or [" ".join(p for _, p in self._phrases)]
        for text in docs:
            df.update(set(tokenize(text)))
        n = len(docs)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._idf_unseen = math.log(1 + n)
        self._ids = list(catalogue.domains)

    @cached_property
    def _phrase_vectors(self) -> np.ndarray:
        return np.asarray(self.embedder.embed_batch([p for _, p in self._phrases]))

    @cached_property
    def _genericity(self) -> np.ndarray:
        """How much each phrase resembles a generic question about rival cooperation on AI.

        Phrases close to it ("US-China AI talks") match every question and say little
        about which domain is meant, so their dense similarity is discounted.
        """
        generic = np.asarray(self.embedder.embed_batch(GENERIC_QUESTIONS))
        return np.clip((self._phrase_vectors @ generic.T).max(axis=1) - GENERIC_FLOOR, 0.0, None)

    @cached_property
    def _summary_vectors(self) -> np.ndarray:
        texts = [f"{d.name}. {d.summary}" for d in self.catalogue.domains.values()]
        return np.asarray(self.embedder.embed_batch(texts))

    def warm(self) -> None:
        _ = self._phrase_vectors, self._summary_vectors, self._genericity

    def score(self, text: str, vector: np.ndarray, cards: dict[str, float] | None = None) -> list[DomainScore]:
        """Every domain scored against the question.

        ``cards`` maps domain ids to the question's best similarity with that domain's
        card passages (overview, conditions, who is left out...): richer wording than the
        aliases, so paraphrases that use none of them still find their domain.
        """
        if not self._ids:
            return []
        cards = cards or {}
        qtokens = set(tokenize(text))
        sims = self._phrase_vectors @ vector - GENERIC_PENALTY * self._genericity
        summary = self._summary_vectors @ vector
        dense_best: dict[str, tuple[float, str]] = {}
        lexical_best: dict[str, float] = {}
        for i, (did, phrase) in enumerate(self._phrases):
            toks = self._phrase_tokens[i]
            weight = sum(self._idf.get(t, self._idf_unseen) for t in toks)
            cover = sum(self._idf.get(t, self._idf_unseen) for t in toks & qtokens) / weight if weight else 0.0
            if float(sims[i]) > dense_best.get(did, (-2.0, ""))[0]:
                dense_best[did] = (float(sims[i]), phrase)
            lexical_best[did] = max(lexical_best.get(did, 0.0), cover)
        out = []
        for j, did in enumerate(self._ids):
            dense, phrase = dense_best[did]
            lexical = lexical_best[did]
            card = cards.get(did, 0.0)
            s = (
                W_ALIAS * dense
                + W_LEXICAL * lexical
                + W_SUMMARY * float(summary[j])
                + W_CARD * max(card - CARD_FLOOR, 0.0)
            )
            out.append(DomainScore(did, s, dense, lexical, float(summary[j]), phrase))
        out.sort(key=lambda d: d.score, reverse=True)
        return out

    @cached_property
    def _own_words(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """Per domain, the words of its phrases that at most one other domain uses, and
        those that fewer than half the domains use."""
        owners: dict[str, set[str]] = {}
        for (did, _), toks in zip(self._phrases, self._phrase_tokens, strict=True):
            for t in toks:
                owners.setdefault(t, set()).add(did)
        own: dict[str, set[str]] = {}
        usual: dict[str, set[str]] = {}
        for t, ids in owners.items():
            for did in ids:
                if len(ids) <= 2:
                    own.setdefault(did, set()).add(t)
                if len(ids) < len(self._ids) / 2:
                    usual.setdefault(did, set()).add(t)
        return own, usual

    def mention_order(self, text: str, domains: list[str]) -> list[str]:
        """Domains in the order the question mentions them (unmentioned ones last)."""
        tokens = tokenize(text)

        own, usual = self._own_words

        def first(did: str) -> int:
            for words in (own.get(did, set()), usual.get(did, set())):
                found = next((i for i, t in enumerate(tokens) if t in words), None)
                if found is not None:
                    return found
            return len(tokens)

        return sorted(domains, key=lambda d: (first(d), domains.index(d)))

    @staticmethod
    def select(scores: Sequence[DomainScore], *, comparison: bool) -> list[str]:
        """The domains a question is about: the best one, plus close or named others."""
        if not scores or scores[0].score < DOMAIN_MIN:
            return []
        top = scores[0]
        chosen = [top.id]
        for s in scores[1:4]:
            if s.score < DOMAIN_MIN:
                break
            close = s.score >= top.score - SECOND_MARGIN
            named = s.explicit and s.score >= DOMAIN_MIN + NAMED_MARGIN
            if named or (comparison and close) or (s.explicit and close):
                chosen.append(s.id)
        return chosen


class IntentClassifier:
    """Nearest labelled exemplars decide the question type.

    Dense: the mean of the best ``k`` exemplar similarities per label. Lexical: the share
    of the question's informative words (IDF over labels) that a label's exemplars use;
    it separates types whose exemplars differ by a few telling words ("fair", "paper").
    """

    LEXICAL_WEIGHT = 0.25

    def __init__(self, embedder: Any, path: Path = INTENTS_FILE) -> None:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._labels: list[str] = []
        texts: list[str] = []
        vocab: dict[str, set[str]] = {}
        for label, examples in raw.items():
            for ex in examples:
                self._labels.append(label)
                texts.append(ex)
                vocab.setdefault(label, set()).update(tokenize(ex))
        self._texts = texts
        self._vocab = vocab
        df: Counter[str] = Counter(t for words in vocab.values() for t in words)
        self._idf = {t: math.log(1 + len(vocab) / c) for t, c in df.items()}
        self.embedder = embedder

    @cached_property
    def _vectors(self) -> np.ndarray:
        return np.asarray(self.embedder.embed_batch(self._texts))

    def lexical(self, text: str) -> dict[str, float]:
        tokens = [t for t in set(tokenize(text)) if t in self._idf]
        mass = sum(self._idf[t] for t in tokens)
        if not mass:
            return {label: 0.0 for label in self._vocab}
        return {label: sum(self._idf[t] for t in tokens if t in words) / mass for label, words in self._vocab.items()}

    def scores(self, vector: np.ndarray, text: str = "", k: int = 3) -> dict[str, float]:
        sims = self._vectors @ vector
        per: dict[str, list[float]] = {}
        for label, s in zip(self._labels, sims, strict=True):
            per.setdefault(label, []).append(float(s))
        lexical = self.lexical(text)
        return {
            label: float(np.mean(sorted(v, reverse=True)[:k])) + self.LEXICAL_WEIGHT * lexical.get(label, 0.0)
            for label, v in per.items()
        }


def looks_like_followup(question: str, history: Sequence[dict[str, Any]]) -> bool:
    """A short question that refers back ("and military AI?", "why is that?") leans on the
    earlier turn; long pasted text stands alone (it is never rewritten)."""
    words = question.split()
    if not history or len(words) > FOLLOWUP_MAX_WORDS:
        return False
    return len(words) <= SHORT_FOLLOWUP_WORDS or bool(_REFERRING_RE.search(question))
