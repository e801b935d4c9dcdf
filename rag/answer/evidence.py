"""Evidence for an answer: every passage it may cite, gathered by real retrieval.

One query vector serves all searches; filters pick the domain cards, the passages
the catalogue cites for each domain, and its precedents. Whatever is not in
``Evidence.hits`` cannot be cited.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.framework import CONDITION_NAMES, Catalogue, Domain
from rag.retrieve import Filter, Hit, HybridRetriever, Mode

TEXT_KINDS = ("framework", "case", "research", "precedent")
TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "concept": ("framework",),
    "deepseek": ("case", "framework"),
    "research": ("research",),
    "fairness": ("framework", "research", "domain"),
    "precedent": ("precedent",),
    "unknown_domain": ("framework",),
}


@dataclass
class Evidence:
    hits: list[Hit] = field(default_factory=list)
    main: list[Hit] = field(default_factory=list)
    typed: list[Hit] = field(default_factory=list)
    cards: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> its card facets
    support: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> cited passages
    precedents: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> precedent passages
    uploads: list[Hit] = field(default_factory=list)

    def add(self, hits: list[Hit]) -> list[Hit]:
        known = {h.id for h in self.hits}
        for h in hits:
            if h.id not in known:
                self.hits.append(h)
                known.add(h.id)
        return hits


def refs_sources(domain: Domain) -> tuple[str, ...]:
    refs = list(domain.verdict_citations)
    for a in domain.conditions.values():
        refs += a.citations
    if domain.left_out:
        refs += domain.left_out.citations
    return tuple(dict.fromkeys(r.source for r in refs if r.source))


UPLOAD_MIN_SIMILARITY = 0.35  # below this, a user document is not about the question


def uploads_search(retriever: HybridRetriever, query: str, vector: Any, *, mode: Mode, k: int = 3) -> list[Hit]:
    """The user's own documents, searched on their own (so the curated base never crowds
    them out) and kept only when they are actually about the question."""
    coll = retriever.collections.get("uploads")
    if coll is None or coll.snapshot() is None or vector is None:
        return []
    close = {cid for cid, sim in coll.store.query(vector, k * 3) if sim >= UPLOAD_MIN_SIMILARITY}
    if not close:
        return []
    hits = retriever.search(query, k, mode=mode, where=Filter(kinds=("user",)), vector=vector)
    return [h for h in hits if h.id in close]


def gather(
    retriever: HybridRetriever,
    catalogue: Catalogue,
    query: str,
    vector: Any,
    *,
    qtype: str,
    domains: list[str],
    k: int = 8,
    mode: Mode = "hybrid",
    nearest: Sequence[str] = (),
    conditions: Sequence[str] = (),
) -> Evidence:
    ev = Evidence()
    search = functools.partial(retriever.search, mode=mode)
    if vector is None and mode != "bm25":
        vector = retriever._embed(query)
    ev.main = ev.add(search(query, k, domains=domains, boost=1.5, vector=vector))
    kinds = TYPE_KINDS.get(qtype)
    if kinds:
        ev.typed = ev.add(search(query, 6, where=Filter(kinds=kinds), vector=vector))
    for did in domains:
        d = catalogue.domains[did]
        ev.cards[did] = ev.add(search(query, 10, where=Filter(doc_ids=(f"domain-{did}",)), vector=vector))
        sources = refs_sources(d)
        if sources:
            ev.support[did] = ev.add(
                search(
                    f"{d.name} {query}",
                    12,
                    where=Filter(kinds=TEXT_KINDS, source_ids=sources),
                    vector=vector,
                )
            )
        if d.precedents:
            ev.precedents[did] = ev.add(
                search(
                    f"{d.name} {query}",
                    2 * len(d.precedents),
                    where=Filter(doc_ids=tuple(d.precedents)),
                    vector=vector,
                )
            )
    for cid in conditions:  # a condition named in the question: the framework's section on it
        ev.typed += ev.add(
            search(f"{CONDITION_NAMES[cid]} condition {query}", 2, where=Filter(kinds=("framework",)), vector=None)
        )
    if qtype == "unknown_domain":
        # The walk-through cites the framework's definition of each condition ...
        for name in ("domain separability", "mutual vulnerability", "verification feasibility"):
            ev.typed += ev.add(search(f"{name} condition {query}", 2, where=Filter(kinds=("framework",)), vector=None))
        # ... and the overview of the nearest assessed domains.
        for did in nearest:
            ev.cards[did] = ev.add(search(query, 1, where=Filter(doc_ids=(f"domain-{did}",)), vector=vector))
    ev.uploads = ev.add(uploads_search(retriever, query, vector, mode=mode))
    return ev
