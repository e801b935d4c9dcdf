"""Metadata filters on passages, independent of any store.

A :class:`Filter` is applied inside both searches: the vector store translates it into
its own query language (``rag.store``), the lexical side turns it into a mask over the
snapshot's chunks, and every result is checked against :meth:`Filter.accepts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
