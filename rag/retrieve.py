"""Hybrid retrieval: dense (Chroma) and BM25, fused with reciprocal rank fusion.

Typed hits keep the chunk ids end to end. Detected domains can filter the results
(only chunks tagged with them, plus untagged framework passages) or boost them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rag.corpus import Chunk
from rag.index import IndexedCollection

Mode = Literal["hybrid", "dense", "bm25"]
RRF_K = 60


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


@dataclass(frozen=True)
class Filter:
    """Metadata restriction applied inside both searches (Chroma ``where``, BM25 mask)."""

    doc_ids: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    source_ids: tuple[str, ...] | None = None

    def _clauses(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (field, values)
            for field, values in (("doc_id", self.doc_ids), ("kind", self.kinds), ("source_id", self.source_ids))
            if values is not None
        ]

    def where(self) -> dict[str, Any] | None:
        parts: list[dict[str, Any]] = [{f: {"$in": list(v)}} for f, v in self._clauses()]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def accepts(self, chunk: Chunk) -> bool:
        return all(getattr(chunk, f) in v for f, v in self._clauses())


def rrf(rankings: Iterable[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of several ranked id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Searches one or more indexed collections with one query vector."""

    def __init__(self, embedder: object, collections: dict[str, IndexedCollection]) -> None:
        self.embedder = embedder
        self.collections = collections
        self._masks: dict[tuple[str, str, Filter], np.ndarray] = {}  # per snapshot and filter

    def _mask(self, cname: str, snap: Any, where: Filter) -> np.ndarray:
        key = (cname, snap.name, where)
        mask = self._masks.get(key)
        if mask is None:
            if len(self._masks) > 256:
                self._masks.clear()
            mask = np.asarray([where.accepts(c) for c in snap.chunks], dtype=np.float32)
            self._masks[key] = mask
        return mask

    def _embed(self, query: str) -> object:
        embed_query = getattr(self.embedder, "embed_query", None)
        if embed_query is not None:
            return embed_query(query)
        return self.embedder.embed_batch([query])[0]  # type: ignore[attr-defined]

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
    ) -> list[Hit]:
        """The ``k`` best hits.

        ``where`` restricts both searches to matching chunks; chunks tagged with one of
        ``domains`` gain ``boost`` times the score of a first-place rank.
        """
        if not query.strip():
            return []
        if vector is None and mode != "bm25":
            vector = self._embed(query)
        wanted = set(domains)
        hits: list[Hit] = []
        for cname, coll in self.collections.items():
            snap = coll.snapshot()
            if snap is None or not snap.chunks:
                continue
            mask = None
            if where is not None:
                mask = self._mask(cname, snap, where)
                if not mask.any():
                    continue
            dense: list[str] = []
            if vector is not None and mode != "bm25":
                found = coll.store.query(vector, candidates, where.where() if where else None)
                dense = [i for i, _ in found if i in snap.by_id]
            lexical: list[str] = []
            if mode != "dense":
                lexical = [i for i, _ in snap.lexical.search(query, candidates, mask=mask)]
            fused = rrf([dense, lexical] if mode == "hybrid" else [dense or lexical])
            dense_rank = {cid: r for r, cid in enumerate(dense, start=1)}
            lex_rank = {cid: r for r, cid in enumerate(lexical, start=1)}
            for cid, score in fused.items():
                chunk = snap.by_id[cid]
                tagged = wanted.intersection(chunk.domains)
                if tagged:
                    score += boost / (RRF_K + 1)
                hits.append(Hit(chunk, score, dense_rank.get(cid), lex_rank.get(cid), cname))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]
