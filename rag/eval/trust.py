"""Scores of trust and breadth: honest attribution, evidence behind each condition, refusals,
borrowed verdicts and the framework applied to new areas. Pure functions over answers.

- ``honest_attribution``: share of displayed citations whose passage holds only the claims of
  the source it is shown under: an external source's passage cites no other source; a
  project note's or assessment's passage lists every external source it cites in
  ``based_on``; the user's own documents are theirs.
- ``condition_evidence``: share of condition paragraphs (of answers with a verdict) that cite
  at least one passage beside the project's assessment.
- ``refusal_precision`` / ``refusal_recall``: refusals against the out-of-scope labels.
- ``borrowed_verdict_rate``: share of questions about an area the catalogue does not assess
  (labelled ``apply_framework``) answered with a verdict or a catalogued domain.
- ``new_area_conditions``: share of those answers that apply all three conditions, each with
  at least one cited passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.refs import parse_citations

OWN_KINDS = ("note", "assessment")
CONDITION_COUNT = 3


@dataclass(frozen=True)
class CitationView:
    """What attribution scoring needs of one displayed citation."""

    source_id: str
    kind: str
    based_on: tuple[str, ...]
    cites: tuple[str, ...]  # the sources its text references inline

    @classmethod
    def of(cls, citation: Any) -> CitationView:
        cites = tuple(dict.fromkeys(c.source for c in parse_citations(citation.text)))
        return cls(citation.source_id, citation.source_kind, tuple(citation.based_on), cites)

    @property
    def honest(self) -> bool:
        if self.kind == "user":
            return True
        if self.kind in OWN_KINDS:
            external = {s for s in self.cites if not s.startswith(("note-", "assessment-"))}
            return external <= set(self.based_on) and self.source_id not in self.based_on
        return set(self.cites) <= {self.source_id}


def honest_rate(views: Sequence[CitationView]) -> float | None:
    return sum(v.honest for v in views) / len(views) if views else None


def condition_evidence_rate(paragraphs: Sequence[tuple[str, ...]]) -> float | None:
    """``paragraphs``: for each condition paragraph, the kinds of the passages it cites."""
    scored = [kinds for kinds in paragraphs if kinds]
    if not scored:
        return None
    return sum(any(k != "assessment" for k in kinds) for kinds in scored) / len(scored)


def precision_recall(pairs: Sequence[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """(precision, recall) of predictions against labels, from (predicted, labelled) pairs."""
    tp = sum(p and t for p, t in pairs)
    predicted = sum(p for p, _ in pairs)
    labelled = sum(t for _, t in pairs)
    return (tp / predicted if predicted else None, tp / labelled if labelled else None)


def applies_all_conditions(conditions: dict[str, tuple[str, ...]]) -> bool:
    """All three conditions present, each citing at least one passage."""
    return len(conditions) >= CONDITION_COUNT and all(conditions.values())
