"""Features of questions for the router's models.

- :class:`TextFeatures`: the sentence embedding beside TF-IDF character n-grams (hashed, so
  the vocabulary is a set of column numbers; the state is those columns and their IDF).
  Character n-grams work for every script, Chinese and Arabic included.
- :class:`PhraseFeatures`: for each (question, domain) pair, how closely the question matches
  what names that domain: best and mean-of-best cosine similarity to its phrases, similarity
  to its summary, the IDF-weighted share of a phrase's words the question contains, the
  character n-gram similarity to all its phrases, and how far each stands above the best other
  domain. The domain model weighs these, shared across domains, so it generalises to wordings
  no phrase contains.
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
        from sklearn.preprocessing import normalize

        if self.columns is None or self.idf is None:
            raise ValueError("CharGrams must be fitted first")
        counts = self._hash.transform(texts)[:, self.columns].astype(np.float32)
        counts.data = np.log1p(counts.data)  # sublinear term frequency
        return normalize(counts.multiply(self.idf).tocsr())


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
        grams: CharGrams,
        passage_owner: np.ndarray | None = None,
        passage_vectors: np.ndarray | None = None,
    ) -> None:
        """``passage_*``: the vectors of each domain's own passages in the knowledge base (its card)."""
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
        # Phrases grouped by domain, for per-domain maxima.
        order = np.argsort(self.owner, kind="stable")
        self._order = order
        self._starts = np.searchsorted(self.owner[order], np.arange(len(self.ids) + 1))
        self._passage_vectors = passage_vectors if passage_vectors is not None else np.zeros((0, 1), np.float32)
        self._passage_owner = passage_owner if passage_owner is not None else np.zeros(0, np.int32)

    def _per_domain(self, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Best and mean of the best ``k`` similarities per domain (rows: texts)."""
        best = np.full((sims.shape[0], len(self.ids)), -1.0, dtype=np.float32)
        topk = np.full_like(best, -1.0)
        ordered = sims[:, self._order]
        for j in range(len(self.ids)):
            block = ordered[:, self._starts[j] : self._starts[j + 1]]
            if block.shape[1] == 0:
                continue
            part = -np.sort(-block, axis=1)[:, :k]
            best[:, j] = part[:, 0]
            topk[:, j] = part.mean(axis=1)
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
        self, texts: Sequence[str], vectors: np.ndarray, model_proba: np.ndarray, new_area: np.ndarray
    ) -> np.ndarray:
        """Array (texts, domains, len(PAIR_FEATURES)).

        ``new_area``: per text, the type model's probability that it asks about an area the
        catalogue does not assess (the same for every domain of a text).
        """
        sims = np.asarray(vectors, dtype=np.float32) @ self.phrase_vectors.T
        best, top3 = self._per_domain(sims, 3)
        summary = np.asarray(vectors, dtype=np.float32) @ self.summary_vectors.T
        cover = self._cover(texts)
        char = (self._grams(texts) @ self._domain_grams.T).toarray().astype(np.float32)
        passages = self._passage_best(np.asarray(vectors, dtype=np.float32))
        parts = [best, top3, summary, cover, char, self._lead(best), self._lead(cover), self._lead(char), model_proba]
        parts += [passages, self._lead(passages), np.repeat(np.asarray(new_area)[:, None], len(self.ids), axis=1)]
        return np.stack(parts, axis=2)

    def _passage_best(self, vectors: np.ndarray) -> np.ndarray:
        """Per text and domain: the best cosine similarity to one of the domain's own passages (0 if none)."""
        out = np.zeros((vectors.shape[0], len(self.ids)), dtype=np.float32)
        if len(self._passage_owner) == 0:
            return out
        sims = vectors @ self._passage_vectors.T
        for j in range(len(self.ids)):
            cols = self._passage_owner == j
            if cols.any():
                out[:, j] = sims[:, cols].max(axis=1)
        return out
