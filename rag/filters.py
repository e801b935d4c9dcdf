"""Metadata filters on passages, independent of any store.

A :class:`Filter` is applied inside both searches: the vector store translates it into
its own query language (``rag.store``), the lexical side turns it into a mask over the
snapshot's chunks, and every result is checked against :meth:`Filter.accepts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# Filter field -> the chunk metadata key it restricts (scalar metadata: one value per chunk).
SCALAR_FIELDS = {"doc_ids": "doc_id", "kinds": "kind", "source_ids": "source_id"}


@dataclass(frozen=True)
class Filter:
    """Which passages a search may return. ``None`` means no restriction on that field.

    ``cites``: passages whose text cites at least one of these sources (a list-valued
    field, checked on the passage's own references).
    """

    doc_ids: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    source_ids: tuple[str, ...] | None = None
    cites: tuple[str, ...] | None = None

    def scalar_clauses(self) -> list[tuple[str, tuple[str, ...]]]:
        """(metadata key, allowed values) of the scalar restrictions."""
        return [(key, getattr(self, name)) for name, key in SCALAR_FIELDS.items() if getattr(self, name) is not None]

    def matches(self, meta: Mapping[str, Any]) -> bool:
        """Does a passage with this flat metadata pass the filter?"""
        if not all(str(meta.get(key, "")) in values for key, values in self.scalar_clauses()):
            return False
        if self.cites is not None:
            cited = {s for s in str(meta.get("cited_sources") or "").split(",") if s}
            return bool(cited.intersection(self.cites))
        return True

    def accepts(self, chunk: Any) -> bool:
        """Does a chunk (anything with ``metadata()``) pass the filter?"""
        return self.matches(chunk.metadata())

    def mask(self, columns: Columns) -> np.ndarray:
        """``accepts`` of every passage of ``columns`` at once: one boolean per passage, in order."""
        keep = np.ones(len(columns.cited), dtype=bool)
        for key, values in self.scalar_clauses():
            keep &= np.isin(columns.scalars[key], list(values))
        if self.cites is not None:
            wanted = set(self.cites)
            keep &= np.fromiter((not wanted.isdisjoint(c) for c in columns.cited), dtype=bool, count=len(keep))
        return keep


@dataclass(frozen=True)
class Columns:
    """The filterable metadata of a list of passages as columns, read once, so that each new filter
    is a few array operations rather than a pass over every passage's metadata (``Filter.mask``)."""

    scalars: dict[str, np.ndarray]  # metadata key -> each passage's value, as ``matches`` reads it
    cited: list[frozenset[str]]  # each passage's cited sources

    @classmethod
    def of(cls, chunks: Iterable[Any]) -> Columns:
        metas = [c.metadata() for c in chunks]
        scalars = {key: np.asarray([str(m.get(key, "")) for m in metas], dtype=str) for key in SCALAR_FIELDS.values()}
        cited = [frozenset(s for s in str(m.get("cited_sources") or "").split(",") if s) for m in metas]
        return cls(scalars, cited)
