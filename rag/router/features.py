"""Features of questions for the router's models.

- :class:`TextFeatures`: the sentence embedding beside TF-IDF character n-grams (hashed, so
  the vocabulary is a set of column numbers; the state is those columns and their IDF).
  Character n-grams work for every script, Chinese and Arabic included.
- :class:`PhraseFeatures`: for each (question, domain) pair, how closely the question matches
  what names that domain: best and mean-of-best cosine similarity to its phrases, similarity
  to its summary, the IDF-weighted share of a phrase's words (character bigrams in Chinese,
  Japanese and Korean) the question contains, the character n-gram similarity to all its
  phrases, the same n-gram similarity to its card in the knowledge base (the passages that
  describe it at length, in words its names may not use), and how far each stands above the
  best other domain. The domain model weighs these, shared across domains, so it generalises to
  wordings no phrase contains.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from rag.lexical import tokenize

N_FEATURES = 2**20  # hashed character n-grams (collisions are rare at this size)
NGRAMS = (2, 4)
MIN_DF = 2  # an n-gram seen in one training text only is noise

Embed = Callable[[Sequence[str]], np.ndarray]


def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, n_features=N_FEATURES, alternate_sign=False, norm=None
    )


class CharGrams:
    """TF-IDF character n-grams over the hashed columns seen in training."""

    def __init__(self, columns: np.ndarray | None = None, idf: np.ndarray | None = None) -> None:
        self.columns = columns
        self.idf = idf
        self._hash = _hasher()

    def fit(self, texts: Sequence[str]) -> CharGrams:
        counts = self._hash.transform(texts)
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        self.columns = np.flatnonzero(df >= MIN_DF).astype(np.int32)
        self.idf = (np.log((1 + len(texts)) / (1 + df[self.columns])) + 1.0).astype(np.float32)
        return self

    def __call__(self, texts: Sequence[str]) -> Any:
        """Rows of unit length (or zero), one per text, over the fitted columns."""
        if self.columns is None or self.idf is None or len(self.columns) == 0:
            raise ValueError("CharGrams must be fitted first")
        counts = self._hash.transform(texts)
        # The hashed columns seen in training, found by binary search: slicing 2**20 sparse
        # columns by fancy index costs milliseconds per question, this costs microseconds.
        at = np.minimum(np.searchsorted(self.columns, counts.indices), len(self.columns) - 1)
        seen = self.columns[at] == counts.indices
        rows = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))[seen]
        weights = (np.log1p(counts.data[seen]) * self.idf[at[seen]]).astype(np.float32)  # sublinear tf x idf
        norms = np.sqrt(np.bincount(rows, weights=weights.astype(np.float64) ** 2, minlength=len(texts)))
        weights /= np.maximum(norms[rows], 1e-12).astype(np.float32)
        return csr_matrix((weights, (rows, at[seen])), shape=(len(texts), len(self.columns)), dtype=np.float32)


class RememberedGrams:
    """A fitted :class:`CharGrams` that keeps each text's row: training reads most texts several
    times (a question is an example of its type, of its domains and of the checks), and hashing
    their n-grams again took a seventh of a router's training. A row depends on its text alone, so
    the rows are those computed afresh, element for element."""

    def __init__(self, grams: CharGrams) -> None:
        self.grams = grams
        self._at: dict[str, int] = {}
        self._rows: Any = None

    def __call__(self, texts: Sequence[str]) -> Any:
        if not texts:  # no rows (hashing needs a text)
            return csr_matrix((0, 0 if self.grams.columns is None else len(self.grams.columns)), dtype=np.float32)
        new = [t for t in dict.fromkeys(texts) if t not in self._at]
        if new:
            from scipy.sparse import vstack

            block = self.grams(new)
            self._rows = block if self._rows is None else vstack([self._rows, block], format="csr")
            first = len(self._at)
            self._at.update((t, first + i) for i, t in enumerate(new))
        return self._rows[[self._at[t] for t in texts]]


def text_features(vectors: np.ndarray, grams: Any) -> Any:
    """The embedding and the character n-grams side by side, each of unit length."""
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(np.asarray(vectors, dtype=np.float32)), grams]).tocsr()


PAIR_FEATURES = (
    "phrase_best",
    "phrase_top3",
    "summary",
    "word_cover",
    "char_sim",
    "phrase_best_lead",
    "word_cover_lead",
    "char_sim_lead",
    "model_proba",
    "passage_best",
    "passage_best_lead",
    "type_new_area",
    "card_grams",
    "card_grams_lead",
)
NEW_AREA = "apply_framework"  # the question type of an area the catalogue does not assess


class PhraseFeatures:
    """Per (question, domain) similarity features against the phrases that name each domain."""

    def __init__(
        self,
        domain_ids: Sequence[str],
        phrases: Sequence[tuple[str, str]],  # (domain id, phrase)
        phrase_vectors: np.ndarray,
        summary_vectors: np.ndarray,
        grams: Callable[[Sequence[str]], Any],
        passage_owner: np.ndarray | None = None,
        passage_vectors: np.ndarray | None = None,
        card_texts: Sequence[str] = (),
    ) -> None:
        """``passage_*``: the vectors of each domain's own passages in the knowledge base (its card);
        ``card_texts``: per domain (in ``domain_ids``' order), the text of those passages, or none."""
        self.ids = list(domain_ids)
        index = {d: i for i, d in enumerate(self.ids)}
        self.owner = np.asarray([index[d] for d, _ in phrases], dtype=np.int32)
        self.phrase_vectors = phrase_vectors
        self.summary_vectors = summary_vectors
        # Phrase words as a sparse (phrases x vocabulary) matrix of IDF weights, for word coverage.
        tokens = [set(tokenize(p)) for _, p in phrases]
        df = Counter(t for toks in tokens for t in toks)
        self._vocab = {t: i for i, t in enumerate(sorted(df))}
        n = max(len(tokens), 1)
        idf = {t: math.log(1 + n / c) for t, c in df.items()}
        rows = [k for k, toks in enumerate(tokens) for _ in toks]
        cols = [self._vocab[t] for toks in tokens for t in sorted(toks)]
        vals = [idf[t] for toks in tokens for t in sorted(toks)]
        self._phrase_words = csr_matrix((vals, (rows, cols)), shape=(len(tokens), len(self._vocab)), dtype=np.float32)
        weights = np.asarray(self._phrase_words.sum(axis=1)).ravel()
        self._inv_weights = np.where(weights > 0, 1.0 / np.maximum(weights, 1e-9), 0.0).astype(np.float32)
        self._grams = grams
        texts = [" ".join(p for (d, p) in phrases if d == did) for did in self.ids]
        self._domain_grams = grams(texts)
        self._card_grams = grams(list(card_texts)) if any(card_texts) else None
        # Each domain's phrases (and passages) as one row of column numbers, padded, so per-domain
        # maxima are one gather and one sort rather than a loop over domains.
        self._groups = _grouped(self.owner, len(self.ids))
        self._passage_vectors = passage_vectors if passage_vectors is not None else np.zeros((0, 1), np.float32)
        owner = passage_owner if passage_owner is not None else np.zeros(0, np.int32)
        self._passage_owner = owner
        self._passage_groups = _grouped(owner, len(self.ids))

    def _per_domain(self, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best and mean of the best ``k`` similarities per domain (rows: texts); -1 for a domain with none."""
        columns, valid = self._groups
        ranked = -np.sort(-_gathered(sims, columns, valid, -np.inf), axis=2)[:, :, :k]  # texts x domains x k
        counts = np.minimum(valid.sum(axis=1), k)  # per domain
        best = np.where(counts > 0, ranked[:, :, 0], -1.0).astype(np.float32)
        finite = np.where(np.isfinite(ranked), ranked, 0.0).sum(axis=2)
        topk = np.where(counts > 0, finite / np.maximum(counts, 1), -1.0).astype(np.float32)
        return best, topk

    def _cover(self, texts: Sequence[str]) -> np.ndarray:
        """Per text and domain: the best IDF-weighted share of a phrase's words the text contains."""
        rows, cols = [], []
        for i, text in enumerate(texts):
            for t in set(tokenize(text)):
                j = self._vocab.get(t)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        present = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(self._vocab)))
        shares = (present @ self._phrase_words.T).toarray() * self._inv_weights  # texts x phrases
        best, _ = self._per_domain(shares, 1)
        return np.maximum(best, 0.0)

    @staticmethod
    def _lead(values: np.ndarray) -> np.ndarray:
        """How far each domain's value stands above the best other domain's."""
        if values.shape[1] < 2:
            return values
        top2 = -np.sort(-values, axis=1)[:, :2]
        best_other = np.where(values >= top2[:, :1], top2[:, 1:2], top2[:, :1])
        return values - best_other

    def __call__(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        model_proba: np.ndarray,
        new_area: np.ndarray,
        grams: Any = None,
    ) -> np.ndarray:
        """Array (texts, domains, len(PAIR_FEATURES)).

        ``new_area``: per text, the type model's probability that it asks about an area the
        catalogue does not assess (the same for every domain of a text). ``grams``: the texts'
        character n-grams when the caller has them already.
        """
        sims = np.asarray(vectors, dtype=np.float32) @ self.phrase_vectors.T
        best, top3 = self._per_domain(sims, 3)
        summary = np.asarray(vectors, dtype=np.float32) @ self.summary_vectors.T
        cover = self._cover(texts)
        grams = self._grams(texts) if grams is None else grams
        char = (grams @ self._domain_grams.T).toarray().astype(np.float32)
        passages = self._passage_best(np.asarray(vectors, dtype=np.float32))
        parts = [best, top3, summary, cover, char, self._lead(best), self._lead(cover), self._lead(char), model_proba]
        parts += [passages, self._lead(passages), np.repeat(np.asarray(new_area)[:, None], len(self.ids), axis=1)]
        card = np.zeros_like(char) if self._card_grams is None else (grams @ self._card_grams.T).toarray()
        card = card.astype(np.float32)
        parts += [card, self._lead(card)]
        return np.stack(parts, axis=2)

    def _passage_best(self, vectors: np.ndarray) -> np.ndarray:
        """Per text and domain: the best cosine similarity to one of the domain's own passages (0 if none)."""
        if len(self._passage_owner) == 0:
            return np.zeros((vectors.shape[0], len(self.ids)), dtype=np.float32)
        columns, valid = self._passage_groups
        best = _gathered(vectors @ self._passage_vectors.T, columns, valid, -np.inf).max(axis=2)
        return np.where(np.isfinite(best), best, 0.0).astype(np.float32)


def _grouped(owner: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the positions owned by it (padded with 0) and which of them are real: (groups, widest)."""
    members = [np.flatnonzero(owner == j) for j in range(groups)]
    width = max((len(m) for m in members), default=0) or 1
    columns = np.zeros((groups, width), dtype=np.int64)
    valid = np.zeros((groups, width), dtype=bool)
    for j, m in enumerate(members):
        columns[j, : len(m)] = m
        valid[j, : len(m)] = True
    return columns, valid


def _gathered(values: np.ndarray, columns: np.ndarray, valid: np.ndarray, fill: float) -> np.ndarray:
    """``values`` (rows x positions) gathered into (rows, groups, widest), ``fill`` where a group has fewer."""
    if values.shape[1] == 0:
        return np.full((values.shape[0], *columns.shape), fill, dtype=np.float32)
    return np.where(valid[None, :, :], values[:, columns], fill)
