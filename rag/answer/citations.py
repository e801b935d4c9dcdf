"""Citations by id: only retrieved chunks can be cited, and every marker resolves.

``CitationBook`` hands out ``[cN]`` markers for retrieved hits; ``check_answer`` is the
integrity check every answer passes (and every test asserts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rag.answer.schema import Answer, CitationOut
from rag.errors import RagError
from rag.retrieve import Hit

MARKER_RE = re.compile(r"\[(c\d+)\]")


class CitationIntegrityError(RagError):
    """An answer cites something it did not retrieve (a bug, never shown as an answer)."""


class CitationBook:
    """Assigns markers to retrieved hits, in first-use order."""

    def __init__(self, retrieved: Iterable[Hit]) -> None:
        self._hits = {h.id: h for h in retrieved}
        self._order = list(self._hits)
        self._marker: dict[str, str] = {}

    @property
    def retrieved_ids(self) -> list[str]:
        return list(self._order)

    def can_cite(self, chunk_id: str) -> bool:
        return chunk_id in self._hits

    def cite(self, chunk_id: str) -> str:
        """The marker for a retrieved chunk, e.g. ``[c3]``."""
        if chunk_id not in self._hits:
            raise CitationIntegrityError(f"chunk {chunk_id} was not retrieved")
        if chunk_id not in self._marker:
            self._marker[chunk_id] = f"c{len(self._marker) + 1}"
        return f"[{self._marker[chunk_id]}]"

    def marker_id(self, chunk_id: str) -> str:
        return self.cite(chunk_id)[1:-1]

    def renumber(self, texts: Iterable[str]) -> dict[str, str]:
        """Number the markers in the order a reader meets them in ``texts``; returns old -> new ids."""
        order: list[str] = []
        for text in [*texts, "".join(f"[{m}]" for m in self._marker.values())]:
            for m in markers_in(text):
                if m not in order:
                    order.append(m)
        mapping = {old: f"c{i}" for i, old in enumerate(order, start=1)}
        self._marker = {cid: mapping[m] for cid, m in sorted(self._marker.items(), key=lambda t: order.index(t[1]))}
        return mapping

    def citations(self, catalogue: Any = None) -> list[CitationOut]:
        """The cited passages in marker order, each saying who wrote it (``source_kind``, ``based_on``)."""
        out = []
        for chunk_id, mid in self._marker.items():
            hit = self._hits[chunk_id]
            c = hit.chunk
            kind = "user" if hit.collection == "uploads" or c.kind == "user" else c.source_kind
            if not kind and catalogue is not None:
                kind = catalogue.kind_of(c.source_id)
            out.append(
                CitationOut(
                    id=mid,
                    source_id=c.source_id,
                    title=c.title or c.source_id,
                    locator=c.locator,
                    chunk_id=c.id,
                    text=c.text,
                    url=c.url,
                    source_kind=kind,
                    based_on=list(c.based_on),
                )
            )
        return out


def markers_in(text: str) -> list[str]:
    return MARKER_RE.findall(text)


def _texts_and_condition_problems(answer: Answer, ids: set[str]) -> tuple[list[str], list[str]]:
    """Every text that may carry markers, and condition citations naming no citation."""
    texts = [answer.answer]
    problems: list[str] = []
    for name, cond in (answer.conditions or {}).items():
        texts.append(cond.reasoning)
        problems += [f"condition {name} cites unknown {cid}" for cid in cond.citations if cid not in ids]
    texts += [cond.reasoning for comp in answer.comparison for cond in comp.conditions.values()]
    return texts, problems


def check_answer(answer: Answer) -> list[str]:
    """Problems with an answer's citations (empty when it is sound)."""
    ids = {c.id for c in answer.citations}
    retrieved = set(answer.retrieved)
    texts, problems = _texts_and_condition_problems(answer, ids)
    problems += [f"marker [{m}] names no citation" for text in texts for m in markers_in(text) if m not in ids]
    problems += [
        f"citation {c.id} cites chunk {c.chunk_id}, which was not retrieved"
        for c in answer.citations
        if c.chunk_id not in retrieved
    ]
    return problems


def relabel(text: str, mapping: dict[str, str]) -> str:
    """``text`` with its ``[cN]`` markers renamed by ``mapping``."""
    return MARKER_RE.sub(lambda m: f"[{mapping.get(m.group(1), m.group(1))}]", text)
