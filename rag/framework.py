"""The framework as types: conditions, ratings, verdicts, sources and the domain catalogue.

The catalogue itself is data (``knowledge/domains/*.yaml``); this module only says
what shape that data has and loads it, rejecting unknown keys and values.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rag.errors import KnowledgeError
from rag.refs import parse_citations
from rag.yamlfile import read_yaml

ConditionId = Literal["domain_separability", "mutual_vulnerability", "verification_feasibility"]
Rating = Literal["met", "partial", "not_met", "unknown"]
Verdict = Literal["feasible", "mixed", "infeasible"]
RiskLevel = Literal["high", "medium", "low", "unknown"]
RiskTestId = Literal["advancing_dangerous_capabilities", "sharing_sensitive_information", "opportunities_for_harm"]

CONDITIONS: tuple[ConditionId, ...] = (
    "domain_separability",
    "mutual_vulnerability",
    "verification_feasibility",
)
CONDITION_NAMES: dict[str, str] = {
    "domain_separability": "Domain separability",
    "mutual_vulnerability": "Mutual vulnerability",
    "verification_feasibility": "Verification feasibility",
}
# How the conditions are named in questions: their names, and the talk's own wording of the third.
CONDITION_PHRASES: dict[str, tuple[str, ...]] = {
    "domain_separability": ("domain separability",),
    "mutual_vulnerability": ("mutual vulnerability",),
    "verification_feasibility": ("verification feasibility", "verification and evaluation feasibility"),
}
CONDITION_QUESTIONS: dict[str, str] = {
    "domain_separability": "Does cooperating here hand the rival a strategic edge?",
    "mutual_vulnerability": "Would both sides suffer if this goes wrong?",
    "verification_feasibility": "Can each side check the other without exposing secrets?",
}
# What would have to be known to rate a condition for an area the catalogue does not assess.
CONDITION_UNKNOWNS: dict[str, str] = {
    "domain_separability": "whether sharing data, models or methods in this area would give either side a military, "
    "economic or technological edge",
    "mutual_vulnerability": "whether a failure in this area would harm both countries, and how badly",
    "verification_feasibility": "whether each side could check the other's compliance without seeing model weights, "
    "chip designs or other secrets",
}
RATING_WORDS: dict[str, str] = {
    "met": "met",
    "partial": "partly met",
    "not_met": "not met",
    "unknown": "unknown",
}
VERDICT_WORDS: dict[str, str] = {
    "feasible": "feasible",
    "mixed": "mixed",
    "infeasible": "not feasible",
}
OWN_KINDS = ("note", "assessment")  # the project's own writing, as sources
RISK_TEST_NAMES: dict[str, str] = {
    "advancing_dangerous_capabilities": "Advancing dangerous capabilities",
    "sharing_sensitive_information": "Sharing sensitive information",
    "opportunities_for_harm": "Opportunities for harm",
}


def shared_verdict(verdicts: Iterable[str | None]) -> str | None:
    """The verdict all of ``verdicts`` share: what an overview labelled with areas of these verdicts
    asks for ("which are hopeless?": the infeasible areas). None where there are none, where they
    differ (both ends at once) or where one is unknown (None)."""
    kinds = set(verdicts)
    return kinds.pop() if len(kinds) == 1 else None


def lower_first(name: str) -> str:
    """A domain name inside a sentence: 'Military AI' -> 'military AI'; 'AI for science' stays."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ref(_Strict):
    """A pointer from the catalogue into a source: ``{source, locator}``."""

    source: str
    locator: str | None = None


def _inline_refs(data: object, text_key: str, refs_key: str = "citations") -> object:
    """Fill ``refs_key`` from the inline ``[@source, locator]`` references of ``text_key``.

    Catalogue texts cite sentence by sentence, inline; the list of references is derived
    from them (a file may still give the list itself, which is then kept).
    """
    if isinstance(data, dict) and not data.get(refs_key) and isinstance(data.get(text_key), str):
        refs = [{"source": c.source, "locator": c.locator} for c in parse_citations(data[text_key])]
        return {**data, refs_key: refs}
    return data


class ConditionAssessment(_Strict):
    rating: Rating
    reasoning: str
    citations: list[Ref] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refs(cls, data: object) -> object:
        return _inline_refs(data, "reasoning")


class RiskTest(_Strict):
    level: RiskLevel
    note: str
    citations: list[Ref] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refs(cls, data: object) -> object:
        return _inline_refs(data, "note")


class CitedText(_Strict):
    text: str
    citations: list[Ref] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refs(cls, data: object) -> object:
        return _inline_refs(data, "text")


class Domain(_Strict):
    """One entry of the domain catalogue."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    summary: str
    origin: Literal["talk", "paper", "project"]
    verdict: Verdict
    verdict_basis: str
    verdict_citations: list[Ref] = Field(default_factory=list)
    conditions: dict[ConditionId, ConditionAssessment]
    risk_tests: dict[RiskTestId, RiskTest] = Field(default_factory=dict)
    precedents: list[str] = Field(default_factory=list)
    left_out: CitedText | None = None
    would_change: list[CitedText] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _refs(cls, data: object) -> object:
        return _inline_refs(data, "verdict_basis", "verdict_citations")

    @property
    def assessment_source(self) -> str:
        """The id of the project's own assessment of this domain in ``sources.yaml``."""
        return f"assessment-{self.id}"

    @field_validator("conditions")
    @classmethod
    def _all_three(cls, v: dict[ConditionId, ConditionAssessment]) -> dict[ConditionId, ConditionAssessment]:
        missing = [c for c in CONDITIONS if c not in v]
        if missing:
            raise ValueError(f"missing condition(s): {', '.join(missing)}")
        return v


class Source(_Strict):
    """One entry of ``knowledge/sources.yaml``."""

    id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    organisation: str | None = None
    venue: str | None = None
    date: str | None = None
    url: str | None = None
    doi: str | None = None
    kind: Literal["talk", "article", "paper", "official document", "dataset", "news", "note", "assessment"]
    confidence: Literal["S1", "S2", "S3"] | None = None
    locators: list[str] | None = None
    findings: dict[str, Verdict] = Field(default_factory=dict)
    note: str | None = None
    # The source's own words, by locator (the talk's slides): short, marked quotations.
    quotations: dict[str, str] = Field(default_factory=dict)

    @property
    def own(self) -> bool:
        """Is this the project's own writing (a knowledge note or a domain assessment)?"""
        return self.kind in OWN_KINDS

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, v: object) -> object:
        return None if v is None else str(v)

    @field_validator("authors", mode="before")
    @classmethod
    def _no_authors(cls, v: object) -> object:
        return [] if v is None else v

    @property
    def link(self) -> str | None:
        if self.url:
            return self.url
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def byline(self) -> str:
        who = ", ".join(self.authors) if self.authors else (self.organisation or "")
        parts = [p for p in (who, self.venue, self.date) if p]
        return "; ".join(parts)


def _load_yaml(path: Path) -> object:
    try:
        return read_yaml(path)
    except (OSError, yaml.YAMLError) as e:
        raise KnowledgeError(f"{path}: cannot read YAML: {e}") from e


def _one_line(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())


def load_sources(knowledge_dir: Path) -> dict[str, Source]:
    """``sources.yaml`` as ``{id: Source}``."""
    path = knowledge_dir / "sources.yaml"
    if not path.exists():
        raise KnowledgeError(f"{path} is missing")
    raw = _load_yaml(path)
    if not isinstance(raw, list):
        raise KnowledgeError(f"{path}: expected a list of sources")
    sources: dict[str, Source] = {}
    for i, entry in enumerate(raw):
        try:
            source = Source.model_validate(entry)
        except ValidationError as e:
            raise KnowledgeError(f"{path} entry {i + 1}: {_one_line(e)}") from e
        if source.id in sources:
            raise KnowledgeError(f"{path}: duplicate source id {source.id!r}")
        sources[source.id] = source
    return sources


def load_domains(knowledge_dir: Path) -> dict[str, Domain]:
    """``domains/*.yaml`` as ``{id: Domain}``, in file-name order."""
    domains: dict[str, Domain] = {}
    for path in sorted((knowledge_dir / "domains").glob("*.yaml")):
        try:
            domain = Domain.model_validate(_load_yaml(path))
        except ValidationError as e:
            raise KnowledgeError(f"{path}: {_one_line(e)}") from e
        if domain.id != path.stem:
            raise KnowledgeError(f"{path}: id {domain.id!r} does not match the file name")
        domains[domain.id] = domain
    return domains


class Catalogue:
    """The sources and the domains, loaded together from one knowledge folder."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        self.sources = load_sources(knowledge_dir)
        self.domains = load_domains(knowledge_dir)

    def source_title(self, source_id: str) -> str:
        s = self.sources.get(source_id)
        return s.title if s else source_id

    def kind_of(self, source_id: str) -> str:
        """The source's kind (talk, paper, note, assessment, ...), or "" when it is not catalogued."""
        s = self.sources.get(source_id)
        return s.kind if s else ""

    def is_own(self, source_id: str) -> bool:
        """Is ``source_id`` the project's own writing rather than an external source?"""
        return self.kind_of(source_id) in OWN_KINDS
