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

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json")


QuestionType = Literal[
    "feasibility",
    "comparison",
    "concept",
    "deepseek",
    "research",
    "fairness",
    "precedent",
    "unknown_domain",
    "out_of_scope",
]
