"""Exports: the conversation as Markdown and as a printable HTML handout, with nothing executable in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.answer.schema import Answer, CitationOut, ConditionOut
from rag.export import conversation_html, conversation_markdown
from rag.framework import Catalogue
from rag.classroom import discussion_questions, other_side

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
