"""The composer seam: turn an understood question and its evidence into a cited answer.

Two implementations: the offline analyst (``rag.answer.offline``) and the LLM composer
(``rag.answer.llm``). The navigator prepares the evidence once, asks its composer, and
on a :class:`CompositionError` asks the fallback composer with the same evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from rag.answer.citations import CitationBook
from rag.answer.evidence import Evidence
from rag.answer.schema import AnalogyOut, ConditionOut, DomainAssessmentOut
from rag.errors import BackendError
from rag.framework import Verdict
from rag.understand import Understanding

Preview = Callable[[str], None]  # receives answer text as it is produced (for a live display)


@dataclass
class Composed:
    """A composed answer, before the navigator checks and packages it."""

    answer: str
    verdict: Verdict | None = None
    conditions: dict[str, ConditionOut] | None = None
    comparison: list[DomainAssessmentOut] = field(default_factory=list)
    overview: list[DomainAssessmentOut] = field(default_factory=list)
    analogies: list[AnalogyOut] = field(default_factory=list)
    domains: list[str] | None = None  # set when the answer puts forward other domains than asked (overviews)
    unknown_domain: bool = False
    notices: list[str] = field(default_factory=list)
    validation: dict[str, object] = field(default_factory=dict)


class CompositionError(BackendError):
    """A composer produced nothing usable; the navigator falls back to the offline analyst."""

    def __init__(self, reason: str, *, validation: dict[str, object] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.validation = validation or {}


class Composer(Protocol):
    """Anything that composes answers: ``name`` is what the answer's ``backend`` says."""

    @property
    def name(self) -> str: ...

    def compose(
        self, u: Understanding, ev: Evidence, book: CitationBook, *, preview: Preview | None = None
    ) -> Composed: ...
