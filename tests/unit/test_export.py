"""Exports: the conversation as Markdown and as a printable HTML handout, with nothing executable in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.answer.schema import Answer, CitationOut, ConditionOut, DomainAssessmentOut
from rag.classroom import discussion_questions, other_side
from rag.export import conversation_html, conversation_markdown
from rag.framework import CONDITIONS, Catalogue

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def catalogue(mini_knowledge: Path) -> Catalogue:
    return Catalogue(mini_knowledge)


def an_answer(question: str = "could rivals cooperate on compute controls?") -> Answer:
    cites = [
        CitationOut(
            id="c1",
            source_id="talk",
            title="The talk",
            locator="slide 5",
            chunk_id="k1",
            text="Compute controls are not separable [@talk, slide 5].",
        ),
        CitationOut(
            id="c2",
            source_id="upload-evil-md",
            source_kind="user",
            title=f"evil{SCRIPT}.md",
            locator="Intro",
            chunk_id="k2",
            text=f"A passage from a user file {SCRIPT} with [a link](http://evil.example) <img src=x>",
        ),
    ]
    return Answer(
        question=question,
        backend="offline",
        domains=["compute-controls"],
        verdict="infeasible",
        conditions={
            "domain_separability": ConditionOut(rating="not_met", reasoning="Not separable. [c1]", citations=["c1"]),
            "mutual_vulnerability": ConditionOut(rating="partial", reasoning="Partly shared. [c1]", citations=["c1"]),
            "verification_feasibility": ConditionOut(rating="not_met", reasoning="Hard. [c2]", citations=["c2"]),
        },
        answer=f"**Not feasible.** [c1]\n\n#### From your documents\n- {SCRIPT} ![x](http://evil/img.png) [c2]",
        citations=cites,
        retrieved=["k1", "k2", "k3"],
    )


def no_chunks(chunk_id: str) -> None:
    return None


def test_html_handout_escapes_scripts_and_drops_links_and_images(catalogue: Catalogue) -> None:
    html = conversation_html([an_answer(f"Is {SCRIPT} feasible?")], catalogue, no_chunks)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert" in html
    assert 'href="http' not in html and "src=" not in html.replace("&lt;img src=x&gt;", "")
    assert 'href="#a1-c1"' in html and 'id="a1-c1"' in html  # markers jump to the quoted passage
    assert "Compute controls are not separable (A talk about cooperation, slide 5)." in html  # readable citation
    assert "✖ Verdict: not feasible" in html and "Domain separability" in html and "◐ partly met" in html
    assert "Discussion questions" in html


def test_markdown_export_quotes_every_cited_passage(catalogue: Catalogue) -> None:
    md = conversation_markdown([an_answer(), an_answer("and military AI?")], catalogue, no_chunks)
    assert md.startswith("# Competitive Cooperation Navigator: conversation")
    assert "## 1. could rivals cooperate on compute controls?" in md and "## 2. and military AI?" in md
    assert "**Verdict:** ✖ not feasible" in md and "| Domain separability | ✖ not met |" in md
    assert "- **[c1]** The talk, slide 5" in md
    assert "> Compute controls are not separable (A talk about cooperation, slide 5)." in md
    assert "<script>" not in md and "&lt;script>" in md
    assert "](http" not in md  # links and images neutralised


def test_discussion_questions_ask_about_each_condition(catalogue: Catalogue) -> None:
    questions = discussion_questions(an_answer(), catalogue)
    assert any("rating of domain separability for compute controls from “not met”" in q for q in questions)
    assert len([q for q in questions if "What evidence would change" in q]) == 3


def test_other_side_only_uses_the_answers_markers(catalogue: Catalogue) -> None:
    side = other_side(an_answer(), catalogue, no_chunks)
    assert side is not None and "could cooperate" in side.heading
    text = " ".join(side.points)
    assert "[c1]" in text and "partly met" in text  # the strongest condition, with its own marker
    markers = {m for p in side.points for m in re.findall(r"\[(c\d+)\]", p)}
    assert markers <= {"c1", "c2"}


def attributed_answer() -> Answer:
    return Answer(
        question="هل يمكن للدول المتنافسة التعاون؟",
        backend="offline",
        answer="Shared incidents help. [c1][c2]",
        language="ar",
        notices=["أُجيب عن السؤال بالإنجليزية من قاعدة المعرفة الإنجليزية."],
        citations=[
            CitationOut(
                id="c1",
                source_id="note-hotline",
                title="Project note: the hotline",
                locator="The hotline",
                chunk_id="k1",
                text="Agreed in 1963 [@talk, slide 3; @note-hotline].",
                source_kind="note",
                based_on=["talk", "chips-rule"],
            ),
            CitationOut(
                id="c2",
                source_id="assessment-incident-reporting",
                title="Project assessment: incident reporting",
                locator="incident reporting",
                chunk_id="k2",
                text="Feasible [@assessment-incident-reporting].",
                source_kind="assessment",
            ),
        ],
        retrieved=["k1", "k2"],
    )


def test_exports_say_what_each_passage_is_and_what_it_is_based_on(catalogue: Catalogue) -> None:
    md = conversation_markdown([attributed_answer()], catalogue, no_chunks)
    assert "- **[c1]** Project note: the hotline, The hotline" in md
    assert "  Based on: A talk about cooperation; A rule on chip exports <https://example.org/chips>" in md
    assert "> Agreed in 1963 (A talk about cooperation, slide 3; the project's reading)." in md
    assert "- **[c2]** Project assessment: incident reporting, incident reporting" in md
    assert "> Feasible (the project's reading)." in md
    html = conversation_html([attributed_answer()], catalogue, no_chunks)
    assert "<strong>[c1]</strong> Project note: the hotline, The hotline" in html
    based = "Based on: A talk about cooperation; A rule on chip exports &lt;https://example.org/chips&gt;"
    assert f'<p class="based">{based}' in html
    assert "Agreed in 1963 (A talk about cooperation, slide 3; the project&#x27;s reading)." in html


def test_exports_keep_the_notice_in_the_users_language_and_its_direction(catalogue: Catalogue) -> None:
    a = attributed_answer()
    md = conversation_markdown([a], catalogue, no_chunks)
    assert f"> Note: {a.notices[0]}" in md and f"## 1. {a.question}" in md
    html = conversation_html([a], catalogue, no_chunks)
    assert f'<p class="notice" dir="auto">Note: {a.notices[0]}</p>' in html
    assert f'<h2 dir="auto" lang="ar">1. {a.question}</h2>' in html
    assert '<p dir="auto">Shared incidents help.' in html


def test_exports_say_how_a_follow_up_was_understood(catalogue: Catalogue) -> None:
    first = an_answer()
    second = an_answer("why? <b>")
    second.standalone_question = "why? <b> (about cooperation on Compute controls)"
    md = conversation_markdown([first, second], catalogue, no_chunks)
    assert md.count("Follow-up, read with the conversation as:") == 1
    assert "*Follow-up, read with the conversation as: why?" in md and "about cooperation on Compute controls)*" in md
    html = conversation_html([first, second], catalogue, no_chunks)
    assert html.count('<p class="followup"') == 1 and "why? &lt;b&gt; (about cooperation" in html


def test_exports_of_an_uploaded_passage_never_rewrite_or_link_it(catalogue: Catalogue) -> None:
    md = conversation_markdown([an_answer()], catalogue, no_chunks)
    assert "- **[c2]** Your document: evil" in md and "evil.example" not in md


def rated(rating: str) -> dict[str, ConditionOut]:
    """Every condition at ``rating``, its evidence citing [c1]."""
    return {c: ConditionOut(rating=rating, reasoning="Evidence. [c1]", citations=["c1"]) for c in CONDITIONS}


def an_overview(question: str, *areas: tuple[str, str, str, str]) -> Answer:
    """An overview putting forward ``areas`` (domain, name, verdict, origin), in that order."""
    return Answer(
        question=question,
        backend="offline",
        answer="Start here. [c1]",
        citations=an_answer().citations[:1],
        question_type="overview",
        overview=[
            DomainAssessmentOut(domain=d, name=name, verdict=verdict, conditions=rated("unknown"), origin=origin)
            for d, name, verdict, origin in areas
        ],
    )


def test_exports_of_an_overview_and_of_an_unassessed_area(catalogue: Catalogue) -> None:
    from rag.answer.schema import AnalogyOut

    overview = an_overview(
        "Where should rivals start?",
        ("x", "Project area", "feasible", "project"),
        ("i", "Incident reporting", "feasible", "talk"),
        ("c", "Compute controls", "infeasible", "talk"),
    )
    applied = Answer(
        question="Could rivals cooperate on air-traffic control?",
        backend="offline",
        answer="Evidence. [c1]",
        citations=an_answer().citations[:1],
        conditions=rated("unknown"),
        question_type="apply_framework",
        unknown_domain=True,
        analogies=[AnalogyOut(domain="i", name="Incident reporting", verdict="feasible", similarity=0.61)],
    )
    md = conversation_markdown([overview, applied], catalogue, no_chunks)
    assert "**✔ Feasible:** Incident reporting (named in the talk); Project area (the project's reading)" in md
    assert "**✖ Not feasible:** Compute controls (named in the talk)" in md
    assert "**No verdict:**" in md and "| Domain separability | ? not assessed |" in md
    assert "**Nearest assessed areas (analogies only):** Incident reporting (feasible, similarity 0.61)" in md
    html = conversation_html([overview, applied], catalogue, no_chunks)
    assert "<h3>Nearest assessed areas (analogies only)</h3>" in html and "? not assessed" in html


def test_an_exported_overview_lists_the_group_the_question_asks_about_first(catalogue: Catalogue) -> None:
    hopeless = an_overview(
        "Which areas are dead ends?",
        ("c", "Compute controls", "infeasible", ""),
        ("i", "Incident reporting", "feasible", ""),
    )
    md = conversation_markdown([hopeless], catalogue, no_chunks)
    assert md.index("**✖ Not feasible:** Compute controls") < md.index("**✔ Feasible:** Incident reporting")
    html = conversation_html([hopeless], catalogue, no_chunks)
    assert html.index("✖ Not feasible") < html.index("✔ Feasible")


def test_inline_references_left_in_an_answer_are_readable_in_exports(catalogue: Catalogue) -> None:
    a = attributed_answer()
    a.answer = "Shared risk [@note-hotline; @talk, slide 2]. [c1]"
    md = conversation_markdown([a], catalogue, no_chunks)
    assert "Shared risk (the project's reading; A talk about cooperation, slide 2)." in md and "@note" not in md
