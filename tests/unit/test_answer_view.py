"""One answer on screen (rag.ui.answer_view), from hand-made answers: overviews, the framework applied
to an unassessed area, analogies, citation headers and "based on", right-to-left text, notices.

AppTest runs the answer's fragment alone against the small fixture catalogue; no model, no index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from rag.answer.schema import AnalogyOut, Answer, CitationOut, ConditionOut, DomainAssessmentOut
from rag.cli_ask import render_text
from rag.multilingual import string_table

pytestmark = pytest.mark.usefixtures("leave_the_process_as_found")

ARABIC = "هل يمكن للدول المتنافسة التعاون في ضوابط الحوسبة؟"
NOTICE = "تمت الإجابة باللغة الإنجليزية من قاعدة المعرفة الإنجليزية."


def script(knowledge: str, answer_json: str) -> None:
    from pathlib import Path

    from rag.answer.schema import Answer
    from rag.framework import Catalogue
    from rag.ui import answer_view, state
    from rag.ui.view import AnswerView

    state.init_session()
    if not state.messages():
        answer = Answer.model_validate_json(answer_json)
        view = AnswerView(answer, Catalogue(Path(knowledge)), lambda _id: None)
        state.messages().append({"id": "m1", "question": answer.question, "answer": answer, "view": view})
    answer_view.answer_fragment("m1")


def show(knowledge: Path, answer: Answer, **session: Any) -> AppTest:
    at = AppTest.from_function(script, args=(str(knowledge), answer.model_dump_json()), default_timeout=30)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def text(at: AppTest) -> str:
    """The page's Markdown, captions and the labels of the citation markers' groups (pills)."""
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption] + [p.label for p in at.button_group]
    return "\n".join(shown)


def conds(rating: str) -> dict[str, ConditionOut]:
    return {
        c: ConditionOut(rating=rating, reasoning=f"Evidence for {c}. [c1]", citations=["c1"])  # type: ignore[arg-type]
        for c in ("domain_separability", "mutual_vulnerability", "verification_feasibility")
    }


def citations() -> list[CitationOut]:
    return [
        CitationOut(
            id="c1",
            source_id="note-hotline",
            title="Project note: the hotline",
            locator="The hotline",
            chunk_id="k1",
            text="The hotline was agreed in 1963 [@talk, slide 3; @note-hotline].",
            source_kind="note",
            based_on=["talk", "chips-rule"],
        ),
        CitationOut(
            id="c2",
            source_id="assessment-compute-controls",
            title="Project assessment: compute controls",
            locator="compute controls › domain separability",
            chunk_id="k2",
            text="Not separable.",
            source_kind="assessment",
            based_on=["chips-rule"],
        ),
        CitationOut(
            id="c3",
            source_id="talk",
            title="A talk about cooperation",
            locator="slide 1",
            chunk_id="k3",
            text="Not feasible: compute controls",
            url="https://example.org/talk",
            source_kind="talk",
        ),
    ]


def test_overview_groups_follow_the_answer_with_the_talks_lists_first(mini_knowledge: Path) -> None:
    """The cards of an overview come in the order the answer puts the groups forward (the group the
    question asks about first, as in the text), the talk's own areas first within a group."""
    overview = [
        DomainAssessmentOut(
            domain="c", name="Compute controls", verdict="infeasible", conditions=conds("not_met"), origin="talk"
        ),
        DomainAssessmentOut(
            domain="b", name="Project area", verdict="feasible", conditions=conds("met"), origin="project"
        ),
        DomainAssessmentOut(
            domain="a", name="Incident reporting", verdict="feasible", conditions=conds("met"), origin="talk"
        ),
        DomainAssessmentOut(
            domain="d", name="Middle area", verdict="mixed", conditions=conds("partial"), origin="paper"
        ),
    ]
    answer = Answer(
        question="Which areas are hopeless?",
        backend="offline",
        answer="These are dead ends. [c3]",
        citations=citations(),
        question_type="overview",
        overview=overview,
        domains=["c", "b", "a", "d"],
    )
    shown = text(show(mini_knowledge, answer))
    infeasible, feasible, mixed = (shown.index(w) for w in ("Not feasible]", "Feasible]", "Mixed]"))
    assert infeasible < feasible < mixed
    assert shown.index("Incident reporting") < shown.index("Project area")  # the talk's list first
    assert "named in the talk" in shown and "the project's reading" in shown


def test_apply_framework_shows_not_assessed_and_labelled_analogies(mini_knowledge: Path) -> None:
    answer = Answer(
        question="Could rivals cooperate on air-traffic control?",
        backend="offline",
        answer="The evidence. [c3]",
        conditions=conds("unknown"),
        citations=citations(),
        question_type="apply_framework",
        unknown_domain=True,
        analogies=[
            AnalogyOut(domain="incident-reporting", name="Incident reporting", verdict="feasible", similarity=0.61)
        ],
    )
    at = show(mini_knowledge, answer)
    shown = text(at)
    assert shown.count("Not assessed") == 3 and "Unknown" not in shown
    assert "No verdict" in shown and "does not assess this area" in shown
    assert "Nearest assessed areas (analogies only)" in shown
    assert "Incident reporting: :green-background[:material/check_circle: Feasible]" in shown
    assert "similarity 0.61" in shown
    assert "Verdict on cooperation" not in shown  # no verdict of its own, none borrowed


def test_group_headers_say_what_each_cited_passage_is(mini_knowledge: Path) -> None:
    answer = Answer(question="q", backend="offline", answer="Text. [c1][c2][c3]", citations=citations())
    at = show(mini_knowledge, answer)
    shown = text(at)
    assert "Project note: the hotline" in shown and "Project assessment: compute controls" in shown
    assert "A talk about cooperation" in shown
    assert "The hotline was agreed" not in shown  # passages are built only when their marker is selected
    markers = [[o.split(" · ")[0] for o in p.options] for p in at.button_group]  # "c1 · locator"
    assert markers == [["c1"], ["c2"], ["c3"]]  # one row of markers per source, in order of first citation


def test_an_opened_note_shows_its_header_based_on_line_and_the_projects_reading(mini_knowledge: Path) -> None:
    answer = Answer(question="q", backend="offline", answer="Text. [c1]", citations=citations())
    shown = text(show(mini_knowledge, answer, **{"cite-m1-0": "c1"}))
    assert "**[c1] Project note: the hotline**" in shown
    assert "Based on: A talk about cooperation, [A rule on chip exports](https://example.org/chips)" in shown
    assert "agreed in 1963 \\(A talk about cooperation, slide 3; the project's reading\\)" in shown
    assert "the project's own writing" in shown


def test_an_opened_external_citation_has_no_based_on_line_and_links_its_source(mini_knowledge: Path) -> None:
    answer = Answer(question="q", backend="offline", answer="Text. [c3]", citations=citations())
    shown = text(show(mini_knowledge, answer, **{"cite-m1-2": "c3"}))
    assert "**[c3] A talk about cooperation**" in shown and "Based on" not in shown
    assert "[Open the source](https://example.org/talk)" in shown


def test_an_uploaded_passage_is_shown_exactly_and_never_linked(mini_knowledge: Path) -> None:
    upload = CitationOut(
        id="c1",
        source_id="upload-brief-md",
        title="brief.md",
        locator="Intro",
        chunk_id="k9",
        text="Mine [@talk, slide 1] stays as written",
        url="https://evil.example",
        source_kind="user",
    )
    answer = Answer(question="q", backend="offline", answer="Text. [c1]", citations=[upload])
    shown = text(show(mini_knowledge, answer, **{"cite-m1-0": "c1"}))
    assert "Your document: brief\\.md" in shown and "from your documents" in shown
    assert "\\[@talk, slide 1\\]" in shown  # a user's file is never rewritten
    assert "evil.example" not in shown


def test_right_to_left_answer_and_notice(mini_knowledge: Path) -> None:
    answer = Answer(
        question=ARABIC,
        backend="offline",
        answer=f"{ARABIC} [c3]",
        citations=citations(),
        notices=[NOTICE],
        language="ar",
    )
    at = show(mini_knowledge, answer)
    body = next(m for m in at.markdown if ARABIC in m.value)
    assert body.value.startswith("\u2068")  # isolated; its right alignment is checked in the browser test
    assert any(NOTICE in i.value.replace("\\", "") for i in at.info)


@pytest.mark.parametrize("rating", ["met", "unknown"])
def test_a_feasibility_answer_keeps_verdict_scorecard_and_every_tool(mini_knowledge: Path, rating: str) -> None:
    answer = Answer(
        question="Could rivals cooperate on compute controls?",
        backend="offline",
        domains=["compute-controls"],
        verdict="infeasible",
        conditions=conds(rating),
        answer="Not feasible. [c3]",
        citations=citations(),
        retrieved=["k1", "k2", "k3"],
        suggestions=["And incident reporting?"],
    )
    at = show(mini_knowledge, answer)
    shown = text(at)
    assert "Not feasible" in shown and "Domain separability" in shown
    assert ("Unknown" in shown) == (rating == "unknown") and "Not assessed" not in shown
    assert next(e.label for e in at.expander).startswith("Sources: 3 cited")
    assert any(e.label.startswith("Classroom tools") for e in at.expander)
    assert any(b.key == "sug-m1-0" for b in at.button)
    assert at.feedback(key="fb-m1") is not None


def test_inline_references_left_in_an_answer_read_as_titles_or_the_projects_reading(mini_knowledge: Path) -> None:
    answer = Answer(
        question="q",
        backend="offline",
        answer="Shared risk [@note-hotline; @talk, slide 2]. [c3]",
        citations=citations(),
    )
    shown = text(show(mini_knowledge, answer))
    assert "Shared risk (the project's reading; A talk about cooperation, slide 2)." in shown
    assert "@note-hotline" not in shown


@pytest.mark.parametrize(("language", "out_of_scope"), [("ar", False), ("de", False), ("en", False), ("zh", True)])
def test_the_suggestions_are_labelled_in_the_answers_language(
    mini_knowledge: Path, language: str, out_of_scope: bool
) -> None:
    answer = Answer(
        question="q",
        backend="offline",
        answer="An answer. [c3]" if not out_of_scope else "A refusal.",
        citations=[] if out_of_scope else citations(),
        out_of_scope=out_of_scope,
        suggestions=["Could rivals cooperate on compute controls?"],
        language=language,
    )
    label = string_table().get(language, "headings.can_answer" if out_of_scope else "headings.ask_next")
    if language != "en":
        assert label not in (
            string_table().get("en", "headings.ask_next"),
            string_table().get("en", "headings.can_answer"),
        )
    at = show(mini_knowledge, answer)
    assert f"**{label}**" in [m.value for m in at.markdown]
    assert f"\n{label}:\n  - Could rivals cooperate on compute controls?" in render_text(answer)
