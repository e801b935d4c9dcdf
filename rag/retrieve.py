"""Hybrid retrieval: dense (Chroma) and BM25, fused with reciprocal rank fusion.

Typed hits keep the chunk ids end to end. Detected domains can filter the results
(only chunks tagged with them, plus untagged framework passages) or boost them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rag.corpus import Chunk
from rag.embeddings import Embedder, unit_rows
from rag.filters import Filter
from rag.index import IndexedCollection

__all__ = ["Filter", "Hit", "HybridRetriever", "Mode", "rrf"]

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60
# A filtered dense search over at most this many passages (a domain's card, its precedents) is
# ranked in process from their vectors, kept per snapshot and filter, instead of a store query:
# the same exact ranking without a round trip to Chroma for each of them.
SMALL_SET = 256
MAX_FILTERS = 256  # per-filter masks and small sets kept; past this many, forgotten and rebuilt


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and why it ranked where it did."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    collection: str = "knowledge"

    @property
    def id(self) -> str:
        return self.chunk.id


def rrf(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of several ranked id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Searches one or more indexed collections with one query vector; owns every store query."""

    def __init__(self, embedder: Embedder, collections: dict[str, IndexedCollection]) -> None:
        self.embedder = embedder
        self.collections = collections
        self._masks: dict[tuple[str, str, Filter], np.ndarray] = {}  # per snapshot and filter
        self._subsets: dict[tuple[str, str, Filter], tuple[list[str], np.ndarray]] = {}  # small filtered sets
        self._remembered: dict[tuple[object, ...], list[Hit]] = {}  # catalogue-driven searches, per snapshot

    def _mask(self, cname: str, snap: Any, where: Filter) -> np.ndarray:
        key = (cname, snap.name, where)
        mask = self._masks.get(key)
        if mask is None:
            if len(self._masks) > MAX_FILTERS:
                self._masks.clear()
            mask = np.asarray([where.accepts(c) for c in snap.chunks], dtype=np.float32)
            self._masks[key] = mask
        return mask

    def _subset(
        self, cname: str, coll: IndexedCollection, snap: Any, where: Filter, mask: np.ndarray
    ) -> tuple[list[str], np.ndarray]:
        """The ids and unit vectors of the passages ``where`` accepts, read from the store once per snapshot."""
        key = (cname, snap.name, where)
        found = self._subsets.get(key)
        if found is None:
            if len(self._subsets) > MAX_FILTERS:
                self._subsets.clear()
            wanted = [snap.chunks[i].id for i in np.flatnonzero(mask)]
            stored = coll.store.vectors(wanted)
            ids = [i for i in wanted if i in stored]
            dims = len(next(iter(stored.values()))) if stored else 1
            matrix = np.asarray([stored[i] for i in ids], dtype=np.float32).reshape(len(ids), dims)
            found = (ids, unit_rows(matrix))
            self._subsets[key] = found
        return found

    def embed(self, query: str) -> np.ndarray:
        """The query vector (cached by the embedder)."""
        return self.embedder.embed_query(query)

    def embed_many(self, queries: Sequence[str]) -> np.ndarray:
        """Vectors of several queries in one model run (not cached)."""
        return np.asarray(self.embedder.embed_batch(list(queries)), dtype=np.float32)

    def nearest(
        self, vector: np.ndarray, k: int, *, where: Filter | None = None, collections: Sequence[str] | None = None
    ) -> list[tuple[Chunk, float, str]]:
        """(chunk, cosine similarity, collection) of the ``k`` nearest passages by vector alone, best first."""
        found: list[tuple[Chunk, float, str]] = []
        for cname, coll in self.collections.items():
            if collections is not None and cname not in collections:
                continue
            snap = coll.snapshot()
            if snap is None or not snap.chunks:
                continue
            for cid, sim in coll.store.query(vector, k, where):
                chunk = snap.by_id.get(cid)
                if chunk is not None and (where is None or where.accepts(chunk)):
                    found.append((chunk, sim, cname))
        found.sort(key=lambda t: -t[1])
        return found[:k]

    def remembered(self, key: object, search: Callable[[], list[Hit]]) -> list[Hit]:
        """The result of a search whose query does not depend on the question, kept per published snapshot."""
        snaps = tuple(c.snapshot() for c in self.collections.values())
        full = (key, *(s.name if s else None for s in snaps))
        hits = self._remembered.get(full)
        if hits is None:
            if len(self._remembered) > 4096:
                self._remembered.clear()
            hits = search()
            self._remembered[full] = hits
        return hits

    def _search_one(
        self, cname: str, coll: IndexedCollection, query: str, mode: Mode, where: Filter | None, candidates: int,
        vector: Any,
    ) -> list[Hit]:  # fmt: skip
        """Hybrid (or one-sided) search of one collection, fused by reciprocal rank."""
        snap = coll.snapshot()
        if snap is None or not snap.chunks:
            return []
        mask = None
        if where is not None:
            mask = self._mask(cname, snap, where)
            if not mask.any():
                return []
        dense: list[str] = []
        if vector is not None and mode != "bm25":
            if mask is not None and where is not None and mask.sum() <= SMALL_SET:
                ids, matrix = self._subset(cname, coll, snap, where, mask)
                if ids:
                    sims = matrix @ unit_rows(vector)
                    dense = [ids[i] for i in np.argsort(-sims, kind="stable")[:candidates]]
            else:
                found = coll.store.query(vector, candidates, where)
                dense = [i for i, _ in found if i in snap.by_id and (where is None or where.accepts(snap.by_id[i]))]
        lexical: list[str] = []
        if mode != "dense":
            lexical = [i for i, _ in snap.lexical.search(query, candidates, mask=mask)]
        fused = rrf([dense, lexical] if mode == "hybrid" else [dense or lexical])
        dense_rank = {cid: r for r, cid in enumerate(dense, start=1)}
        lex_rank = {cid: r for r, cid in enumerate(lexical, start=1)}
        return [
            Hit(snap.by_id[cid], score, dense_rank.get(cid), lex_rank.get(cid), cname) for cid, score in fused.items()
        ]

    def has(self, collection: str) -> bool:
        """Is anything indexed in ``collection``?"""
        coll = self.collections.get(collection)
        snap = coll.snapshot() if coll is not None else None
        return bool(snap and snap.chunks)

    def search(
        self,
        query: str,
        k: int = 8,
        *,
        mode: Mode = "hybrid",
        domains: Sequence[str] = (),
        boost: float = 1.0,
        where: Filter | None = None,
        candidates: int = 60,
        vector: Any = None,
        collections: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The ``k`` best hits.

        ``where`` restricts both searches to matching chunks; chunks tagged with one of
        ``domains`` gain ``boost`` times the score of a first-place rank.
        """
        if not query.strip():
            return []
        if vector is None and mode != "bm25":
            vector = self.embed(query)
        hits: list[Hit] = []
        for cname, coll in self.collections.items():
            if collections is None or cname in collections:
                hits += self._search_one(cname, coll, query, mode, where, candidates, vector)
        wanted = set(domains)
        if wanted:  # chunks tagged with an asked-about domain gain a first place's worth of score
            hits = [
                Hit(h.chunk, h.score + boost / (RRF_K + 1), h.dense_rank, h.lexical_rank, h.collection)
                if wanted.intersection(h.chunk.domains)
                else h
                for h in hits
            ]
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]
