"""How a route becomes an understanding: the question type the number of areas decides."""

from __future__ import annotations

import pytest

from rag.router import Route
from rag.understand import understand

TWO = {"scientific-collaboration": 0.9, "evaluations": 0.8}
ONE = {"evaluations": 0.9}


def route(top: str, domains: dict[str, float], *, open_: tuple[str, ...] = ()) -> Route:
    """A route whose type model reads ``top`` and leaves ``open_`` (and ``top``) open."""
    types = {top: 0.6, "comparison": 0.15, "apply_framework": 0.15, "feasibility": 0.1}
    return Route(types=types, domains=domains, candidates=list(domains.items()), open_types=frozenset({top, *open_}))


@pytest.mark.parametrize("top", ["research", "deepseek", "precedent", "fairness"])
def test_two_areas_read_as_another_kind_make_a_comparison_unless_the_type_model_rules_it_out(top: str) -> None:
    open_ = understand("Is co-writing papers easier than red-teaming?", route(top, TWO, open_=("comparison",)))
    closed = understand("Did the tiers leave some countries behind?", route(top, TWO, open_=("apply_framework",)))
    assert (open_.qtype, open_.domains) == ("comparison", list(TWO))
    assert (closed.qtype, closed.domains) == (top, list(TWO))


@pytest.mark.parametrize("top", ["research", "deepseek", "precedent", "fairness"])
def test_no_area_read_as_another_kind_is_the_framework_applied_unless_the_type_model_rules_it_out(top: str) -> None:
    open_ = understand(
        "What would the framework say about AI at trade fairs?", route(top, {}, open_=("apply_framework",))
    )
    closed = understand("Is feasible cooperation always fair?", route(top, {}, open_=("comparison",)))
    assert open_.qtype == "apply_framework"
    assert closed.qtype == top


def test_one_area_read_as_research_stays_research() -> None:
    u = understand(
        "What do researchers say about evaluations?", route("research", ONE, open_=("comparison", "apply_framework"))
    )
    assert (u.qtype, u.domains) == ("research", ["evaluations"])


def test_a_follow_up_keeps_the_kind_of_answer_before_it() -> None:
    history = [{"question": "Tell me about the 1963 hotline.", "qtype": "precedent", "domains": []}]
    u = understand("why?", route("precedent", {}, open_=("apply_framework",)), history=history)
    assert (u.is_followup, u.qtype) == (True, "precedent")


@pytest.mark.parametrize("top", ["concept", "overview", "harmful"])
def test_kinds_that_do_not_ask_about_areas_never_become_comparisons(top: str) -> None:
    assert understand("Which is it?", route(top, TWO, open_=("comparison",))).qtype == top


@pytest.mark.parametrize(("domains", "expected"), [({}, "apply_framework"), (ONE, "feasibility"), (TWO, "comparison")])
def test_the_number_of_areas_decides_between_the_verdict_types(domains: dict[str, float], expected: str) -> None:
    assert understand("Could rivals cooperate on this?", route("feasibility", domains)).qtype == expected
