"""knowledge/ -> chunks: citations, provenance and stable ids."""

from __future__ import annotations

from pathlib import Path

from rag.corpus import Citation, chunk_provenance, load_corpus, parse_citations
from rag.framework import Catalogue
from tests.conftest import KNOWLEDGE


def test_parse_citations_single_multiple_and_without_locator() -> None:
    text = "A [@talk, slide 5]. B [@a, p. 3; @b]. C [@c]."
    assert parse_citations(text) == [
        Citation("talk", "slide 5"),
        Citation("a", "p. 3"),
        Citation("b", None),
        Citation("c", None),
    ]


def test_a_passage_citing_one_external_source_only_is_shown_under_it(mini_knowledge: Path) -> None:
    cat = Catalogue(mini_knowledge)
    cites = [Citation("chips-rule", None), Citation("chips-rule", "press release")]
    prov = chunk_provenance(cites, "note-mini-framework", None, "Export rules", cat)
    assert (prov.source_id, prov.locator, prov.based_on) == ("chips-rule", "press release", ())


def test_a_passage_mixing_sources_or_carrying_a_reading_is_the_projects_note(mini_knowledge: Path) -> None:
    cat = Catalogue(mini_knowledge)
    mixed = [Citation("talk", "slide 2"), Citation("chips-rule", None)]
    prov = chunk_provenance(mixed, "note-mini-framework", "slide 2", "Mixed", cat)
    assert (prov.source_id, prov.locator, prov.based_on) == ("note-mini-framework", "Mixed", ("talk", "chips-rule"))
    reading = [Citation("note-mini-framework", None), Citation("talk", "slide 1")]
    prov = chunk_provenance(reading, "note-mini-framework", "slide 1", "Reading", cat)
    assert (prov.source_id, prov.based_on) == ("note-mini-framework", ("talk",))


def test_mini_corpus_chunks_carry_source_locator_and_url(mini_knowledge: Path) -> None:
    chunks = load_corpus(mini_knowledge)
    export = next(c for c in chunks if c.section == "Export restrictions on chips")
    assert (export.source_id, export.locator, export.source_kind) == (
        "chips-rule",
        "press release",
        "official document",
    )
    assert export.url == "https://example.org/chips"
    sep = next(c for c in chunks if c.section == "Separability")
    assert (sep.source_id, sep.source_kind, sep.based_on) == ("note-mini-framework", "note", ("talk",))
    facets = {c.facet for c in chunks if c.doc_id == "domain-compute-controls"}
    assert facets >= {
        "overview",
        "domain_separability",
        "mutual_vulnerability",
        "verification_feasibility",
        "left_out",
        "would_change",
    }


def test_domain_cards_are_the_projects_assessment_based_on_what_they_cite(mini_knowledge: Path) -> None:
    chunks = [c for c in load_corpus(mini_knowledge) if c.doc_id == "domain-compute-controls"]
    assert {c.source_id for c in chunks} == {"assessment-compute-controls"}
    assert {c.source_kind for c in chunks} == {"assessment"}
    sep = next(c for c in chunks if c.facet == "domain_separability")
    assert sep.based_on == ("chips-rule",)
    assert sep.locator == "Domain separability"


def test_the_talks_slides_are_passages_under_the_talk(mini_knowledge: Path) -> None:
    slides = {c.locator: c for c in load_corpus(mini_knowledge) if c.kind == "quotation"}
    assert set(slides) == {"slide 1", "slide 2", "slide 3"}
    five = slides["slide 1"]
    assert (five.source_id, five.source_kind, five.based_on) == ("talk", "talk", ())
    assert five.text.startswith("“Domain separability") and five.text.endswith("”")
    assert five.section == "Slide 1: Domain separability"


def test_chunk_ids_are_stable_across_runs_and_unique() -> None:
    first = [c.id for c in load_corpus(KNOWLEDGE)]
    second = [c.id for c in load_corpus(KNOWLEDGE, Catalogue(KNOWLEDGE))]
    assert first == second
    assert len(set(first)) == len(first)


def test_embedding_content_drops_citation_markers(mini_knowledge: Path) -> None:
    chunk = next(c for c in load_corpus(mini_knowledge) if c.section == "Separability")
    assert "[@" in chunk.text
    assert "[@" not in chunk.embedding_content()
    assert chunk.embedding_content().startswith("The mini framework - Separability")
