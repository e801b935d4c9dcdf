"""The answer JSON (fixed contract, see DESIGN.md) as pydantic models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.framework import ConditionId, Rating, Verdict

REFUSAL = (
    "I can only answer questions about when geopolitical rivals can cooperate on AI governance, "
    "using the curated knowledge base, and I could not find support for an answer to this one."
)


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    source_id: str
    title: str
    locator: str
    chunk_id: str
    text: str
    url: str | None = None
    # Beyond the fixed contract: what kind of source this is, and for the project's own
    # writing (notes, assessments) the external sources its sentences cite.
    source_kind: str = ""
    based_on: list[str] = Field(default_factory=list)


class ConditionOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Rating
    reasoning: str
    citations: list[str] = Field(default_factory=list)


class DomainAssessmentOut(BaseModel):
    """One domain of a comparison (an extra field beyond the fixed contract)."""

    model_config = ConfigDict(extra="forbid")

    domain: str
    name: str
    verdict: Verdict
    conditions: dict[ConditionId, ConditionOut]
    origin: str = ""  # talk | paper | project: who first named the area


ORIGIN_ORDER = {"talk": 0, "paper": 1, "project": 2}


def overview_groups(overview: list[DomainAssessmentOut]) -> list[tuple[str, list[DomainAssessmentOut]]]:
    """An overview's areas by verdict, the groups in the order the answer puts them forward (the
    group the question asks about first: "which are hopeless?" leads with the infeasible areas),
    the talk's own lists first within each group, the answer's order otherwise."""
    return [
        (verdict, sorted((d for d in overview if d.verdict == verdict), key=lambda d: ORIGIN_ORDER.get(d.origin, 3)))
        for verdict in dict.fromkeys(d.verdict for d in overview)
    ]


class AnalogyOut(BaseModel):
    """A catalogued domain offered as an analogy for an area the catalogue does not assess."""

    model_config = ConfigDict(extra="forbid")

    domain: str
    name: str
    verdict: Verdict
    similarity: float


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    backend: str
    out_of_scope: bool = False
    domains: list[str] = Field(default_factory=list)
    verdict: Verdict | None = None
    conditions: dict[ConditionId, ConditionOut] | None = None
    answer: str
    citations: list[CitationOut] = Field(default_factory=list)
    retrieved: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Beyond the fixed contract (documented in docs/answer-json.md):
    question_type: str = "general"
    standalone_question: str | None = None
    comparison: list[DomainAssessmentOut] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    unknown_domain: bool = False
    validation: dict[str, object] = Field(default_factory=dict)
    language: str = "en"
    overview: list[DomainAssessmentOut] = Field(default_factory=list)
    analogies: list[AnalogyOut] = Field(default_factory=list)

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json")


QuestionType = Literal[
    "feasibility",
    "comparison",
    "overview",
    "apply_framework",
    "concept",
    "deepseek",
    "research",
    "fairness",
    "precedent",
    "documents",
    "off_topic",
    "injection",
    "harmful",
    "unsupported_language",
]
# Questions the Navigator declines: the router's three refusals, and a question written in a
# language it does not read (rag.multilingual.unsupported_language), which it cannot even classify.
REFUSED_TYPES: tuple[str, ...] = ("off_topic", "injection", "harmful", "unsupported_language")
