"""The offline analyst's text helpers: passages made readable, and the order explanations take."""

from __future__ import annotations

from dataclasses import replace

from rag.answer.evidence import conditions_of, counted_conditions
from rag.answer.excerpts import best_sentences, defining_first, lead_first, plain
from rag.corpus import Chunk
from rag.framework import CONDITION_NAMES
from rag.retrieve import Hit


def hit(section: str, *, doc: str = "doc", kind: str = "case", facet: str = "", rank: int = 1) -> Hit:
    chunk = Chunk(
        id=f"{doc}/{section}",
        text=f"{section}.",
        source_id="s",
        locator="p. 1",
        doc_id=doc,
        doc_title=doc,
        section=section,
        kind=kind,
        path=f"{doc}.md",
        facet=facet,
    )
    return Hit(chunk, 1.0 / rank)


def test_plain_drops_citations_without_leaving_space_before_punctuation() -> None:
    text = "Can each side check the other without exposing secrets [@talk, slide 5]? It can [@a; @b, p. 2]."
    assert plain(text) == "Can each side check the other without exposing secrets? It can."


def test_plain_keeps_decimals_and_inner_spacing() -> None:
    assert plain("Costs rose 5.6 percent\nover  two years [@x].") == "Costs rose 5.6 percent over two years."


def test_best_sentences_keeps_the_subject_and_never_opens_on_a_dangling_reference() -> None:
    text = (
        "The hotline links the two capitals. It was set up in 1963. This shows crisis channels can last. "
        "Weather was mild that year."
    )
    picked = best_sentences(text, "how long can crisis channels last?", n=2)
    assert picked.startswith("The hotline links the two capitals.")
    assert "crisis channels can last" in picked and "Weather" not in picked


def test_lead_sections_of_the_best_hits_document_come_first() -> None:
    hits = [
        hit("Detail A"),
        hit("Other doc lead", doc="other", facet="lead"),
        hit("Summary", facet="lead"),
        hit("Detail B"),
    ]
    assert [h.chunk.section for h in lead_first(hits)] == ["Summary", "Detail A", "Other doc lead", "Detail B"]


def test_domain_cards_are_never_reordered_as_leads() -> None:
    hits = [hit("Overview", kind="domain", facet="overview"), hit("Summary", facet="lead")]
    assert lead_first(hits) == hits


def test_sections_titled_by_a_named_condition_come_first_in_the_order_named() -> None:
    hits = [
        hit("Military AI"),
        hit("Condition 2: mutual vulnerability", kind="framework"),
        hit("Domain separability", kind="domain"),
        hit("Condition 1: domain separability", kind="framework"),
    ]
    ordered = defining_first(hits, ["domain_separability", "mutual_vulnerability"])
    assert [h.chunk.section for h in ordered] == [
        "Condition 1: domain separability",
        "Condition 2: mutual vulnerability",
        "Military AI",
        "Domain separability",
    ]
    assert defining_first(hits, []) == hits


def test_a_passage_is_about_the_conditions_its_title_names_or_a_slide_quotes() -> None:
    quoted = "Conditions / Domain separability: ... / Mutual vulnerability: ... / Verification feasibility: ..."
    slide = Hit(replace(hit("Slide 5", kind="quotation").chunk, text=quoted), 1.0)
    assert conditions_of(hit("Condition 3: verification and evaluation feasibility", kind="framework")) == [
        "verification_feasibility"
    ]
    assert conditions_of(slide) == ["domain_separability", "mutual_vulnerability", "verification_feasibility"]
    assert conditions_of(hit("Domain separability", kind="domain", facet="domain_separability")) == []  # a card
    assert conditions_of(hit("The hotline of 1963", kind="precedent")) == []


def test_an_answer_counts_the_conditions_named_else_all_when_half_its_passages_are_about_them() -> None:
    about = hit("Condition 1: domain separability", kind="framework")
    other = [hit("The core tension", kind="framework"), hit("The hotline", kind="precedent")]
    assert counted_conditions(["mutual_vulnerability"], other) == ["mutual_vulnerability"]
    assert counted_conditions([], [about, *other[:1]]) == list(CONDITION_NAMES)
    assert counted_conditions([], [about, *other]) == []
    assert counted_conditions([], []) == []
