"""How a route becomes an understanding: the question type the number of areas decides."""

from __future__ import annotations

import pytest

from rag.router import Route
from rag.understand import understand

TWO = {"scientific-collaboration": 0.9, "evaluations": 0.8}


def route(top: str, domains: dict[str, float], *, comparison_open: bool) -> Route:
    types = {top: 0.6, "comparison": 0.3 if comparison_open else 0.01, "feasibility": 0.09}
    return Route(types=types, domains=domains, candidates=list(domains.items()), comparison_open=comparison_open)


@pytest.mark.parametrize("top", ["research", "deepseek", "precedent", "fairness"])
def test_two_areas_read_as_another_kind_make_a_comparison_unless_the_type_model_rules_it_out(top: str) -> None:
    open_ = understand(
        "Is co-writing papers easier than red-teaming each other's models?", route(top, TWO, comparison_open=True)
    )
    closed = understand("Did the tiers leave some countries behind?", route(top, TWO, comparison_open=False))
    assert (open_.qtype, open_.domains) == ("comparison", list(TWO))
    assert closed.qtype == top


def test_one_area_read_as_research_stays_research() -> None:
    u = understand(
        "What do researchers say about evaluations?", route("research", {"evaluations": 0.9}, comparison_open=True)
    )
    assert (u.qtype, u.domains) == ("research", ["evaluations"])


@pytest.mark.parametrize("top", ["concept", "overview", "harmful"])
def test_kinds_that_do_not_ask_about_areas_never_become_comparisons(top: str) -> None:
    assert understand("Which is it?", route(top, TWO, comparison_open=True)).qtype == top


@pytest.mark.parametrize(
    ("domains", "expected"), [({}, "apply_framework"), ({"evaluations": 0.9}, "feasibility"), (TWO, "comparison")]
)
def test_the_number_of_areas_decides_between_the_verdict_types(domains: dict[str, float], expected: str) -> None:
    assert (
        understand("Could rivals cooperate on this?", route("feasibility", domains, comparison_open=False)).qtype
        == expected
    )
