"""Classroom tools for one answer: discussion questions and "argue the other side".

Both are built from the answer (its domain, ratings and citations) and the domain
catalogue, never from free text. "Argue the other side" only reuses the answer's own
``[cN]`` markers: a point whose supporting passage the answer did not cite is left out,
so every marker shown resolves to a passage the answer retrieved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rag.answer.schema import Answer
from rag.framework import CONDITION_NAMES, CONDITIONS, RATING_WORDS, RISK_TEST_NAMES, VERDICT_WORDS, Catalogue
from rag.text import phrase, readable_refs

ChunkLookup = Callable[[str], Any]  # chunk id -> Chunk | None (engine.chunk)
_STRENGTH = {"met": 3, "partial": 2, "unknown": 1, "not_met": 0}
_MARKER = re.compile(r"\s*\[c\d+\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class OtherSide:
    """The strongest case against an answer's verdict, point by point, each with its markers."""

    heading: str
    intro: str
    points: list[str] = field(default_factory=list)


def _sentences(text: str, n: int, sources: Mapping[str, Any]) -> str:
    """The first ``n`` sentences, markers removed and inline [@source] references made readable."""
    text = readable_refs(_MARKER.sub("", text), sources)
    parts = [p.strip() for p in _SENTENCE.split(text.strip()) if p.strip()]
    return " ".join(parts[:n])


def discussion_questions(answer: Answer, catalogue: Catalogue) -> list[str]:
    """Questions for a class discussion of this answer (empty for a refusal)."""
    if answer.out_of_scope:
        return []
    if answer.overview:
        return _overview_questions(answer)
    if answer.question_type == "apply_framework" or (answer.analogies and not answer.verdict):
        return _apply_questions(answer)
    domain = catalogue.domains.get(answer.domains[0]) if answer.domains else None
    if domain is None or not answer.conditions:
        return [
            "Pick an area of AI governance not in the catalogue. How would you rate it on domain separability, "
            "mutual vulnerability and verification feasibility, and which rating is hardest to justify?",
            "Which of the three conditions matters most when rivals distrust each other? Use a cited passage.",
            "The framework says feasible is not fair. Who could be left out even when rivals cooperate?",
        ]
    name = phrase(domain.name)
    out = []
    for cid in CONDITIONS:
        cond = answer.conditions.get(cid)
        if cond is None:
            continue
        out.append(
            f"What evidence would change the rating of {CONDITION_NAMES[cid].lower()} for {name} "
            f"from “{RATING_WORDS[cond.rating]}”? Which cited passage would that evidence contradict?"
        )
    if answer.verdict == "feasible":
        out.append(f"Feasible is not fair: who is left out of cooperation on {name}, and does it matter?")
    else:
        out.append(f"Is there a narrow slice of {name} on which rivals could still cooperate? What would it need?")
    if domain.precedents:
        out.append("Which historical precedent is the closest analogy here, and where does the analogy break down?")
    if len(answer.comparison) >= 2:
        names = " and ".join(phrase(c.name) for c in answer.comparison[:2])
        out.append(f"Comparing {names}: which single condition explains most of the difference between them?")
    return out


def _overview_questions(answer: Answer) -> list[str]:
    """Questions about a survey of the catalogue: where to start, what would unblock the rest."""
    by_verdict: dict[str, list[str]] = {}
    for d in answer.overview:
        by_verdict.setdefault(d.verdict, []).append(phrase(d.name))
    out = []
    feasible = by_verdict.get("feasible", [])
    if feasible:
        out.append(
            f"Of the areas rated feasible ({', '.join(feasible[:4])}), which would you start with, "
            "and which of the three conditions decides it?"
        )
        out.append("Feasible is not fair: who is left out of cooperation in the areas rated feasible?")
    infeasible = by_verdict.get("infeasible", [])
    if infeasible:
        out.append(
            f"Pick one area rated not feasible ({', '.join(infeasible[:4])}). What would have to change "
            "for rivals to cooperate there?"
        )
    if any(d.origin == "project" for d in answer.overview):
        out.append(
            "Some areas are the project's reading rather than the talk's lists. Would the speaker agree "
            "with them? What evidence would settle it?"
        )
    return out


def _apply_questions(answer: Answer) -> list[str]:
    """Questions about an area the catalogue does not assess: no verdict is given, so the class builds one."""
    out = [
        "The catalogue does not assess this area. Using the passages shown, how would you rate domain "
        "separability, mutual vulnerability and verification feasibility?",
        "What evidence would you need before giving this area a verdict, and who could provide it?",
    ]
    names = [phrase(a.name) for a in answer.analogies[:2]]
    if len(names) == 2:
        out.append(
            f"The nearest assessed areas are {names[0]} and {names[1]}. Which is the better analogy, "
            "and where does it break down?"
        )
    elif names:
        out.append(f"The nearest assessed area is {names[0]}. Where does the analogy break down?")
    return out


def _facet_markers(answer: Answer, domain_id: str, lookup: ChunkLookup) -> dict[str, list[str]]:
    """Facet of the domain card (overview, a condition, left_out, ...) -> markers that cite it."""
    retrieved = set(answer.retrieved)
    out: dict[str, list[str]] = {}
    for c in answer.citations:
        if c.chunk_id not in retrieved:
            continue
        chunk = lookup(c.chunk_id)
        if chunk is not None and chunk.kind == "domain" and domain_id in chunk.domains and chunk.facet:
            out.setdefault(chunk.facet, []).append(c.id)
    return out


def _marks(ids: list[str]) -> str:
    return "".join(f"[{i}]" for i in dict.fromkeys(ids))


def other_side(answer: Answer, catalogue: Catalogue, lookup: ChunkLookup) -> OtherSide | None:  # noqa: C901 - one pass over the answer's conditions; each branch is one kind of counter-point
    """The strongest case against the verdict, or None when the answer has no verdict."""
    if answer.out_of_scope or not answer.verdict or not answer.conditions or not answer.domains:
        return None
    domain = catalogue.domains.get(answer.domains[0])
    if domain is None:
        return None
    known = {c.id for c in answer.citations}
    facets = _facet_markers(answer, domain.id, lookup)
    conds = answer.conditions
    ranked = sorted(conds, key=lambda c: _STRENGTH[conds[c].rating])
    name = phrase(domain.name)
    points: list[str] = []

    def first_two(text: str) -> str:
        return _sentences(text, 2, catalogue.sources)

    def condition_point(cid: Any, lead: str) -> None:
        marks = [m for m in conds[cid].citations if m in known]
        if marks:
            text = first_two(conds[cid].reasoning)
            points.append(
                f"**{lead}: {CONDITION_NAMES[cid].lower()} is {RATING_WORDS[conds[cid].rating]}.** "
                f"{text} {_marks(marks)}"
            )

    if answer.verdict == "infeasible":
        heading = f"The case that rivals could cooperate on {name} after all"
        intro = (
            f"The verdict is “{VERDICT_WORDS[answer.verdict]}”. The strongest case against it starts from "
            "the condition that is closest to being met and from what could change the assessment."
        )
        strongest = ranked[-1]
        if _STRENGTH[conds[strongest].rating] > 0:
            condition_point(strongest, "Strongest condition")
        if domain.would_change and facets.get("would_change"):
            for w in domain.would_change[:3]:
                points.append(f"**A change that would help:** {first_two(w.text)} {_marks(facets['would_change'])}")
    else:
        heading = f"The case that cooperation on {name} is harder than it looks"
        intro = (
            f"The verdict is “{VERDICT_WORDS[answer.verdict]}”. The strongest case against it starts from "
            "the weakest condition, who is left out and what could undermine the assessment."
        )
        condition_point(ranked[0], "Weakest condition")
        if domain.left_out and facets.get("left_out"):
            points.append(f"**Feasible is not fair:** {first_two(domain.left_out.text)} {_marks(facets['left_out'])}")
        high = [RISK_TEST_NAMES[t].lower() for t, r in domain.risk_tests.items() if r.level == "high"]
        if high and facets.get("risk_tests"):
            points.append(
                f"**Risk tests:** the FAccT 2025 tests rate {', '.join(high)} as high risk here. "
                f"{_marks(facets['risk_tests'])}"
            )
        if domain.would_change and facets.get("would_change"):
            points.append(
                f"**What could change:** {first_two(domain.would_change[0].text)} {_marks(facets['would_change'])}"
            )
    if not points:
        return None
    return OtherSide(heading=heading, intro=intro, points=points)
