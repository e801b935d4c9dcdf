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


def test_provenance_prefers_the_documents_main_source() -> None:
    cites = [Citation("other", None), Citation("other", None), Citation("talk", "slide 9")]
    assert chunk_provenance(cites, "talk", None, "Heading") == ("talk", "slide 9")


def test_provenance_never_lends_the_main_sources_locator_to_another_source() -> None:
    cites = [Citation("rule", None)]
    assert chunk_provenance(cites, "talk", "slide 9", "Export rules") == ("rule", "Export rules")


def test_mini_corpus_chunks_carry_source_locator_and_url(mini_knowledge: Path) -> None:
    chunks = load_corpus(mini_knowledge)
    export = next(c for c in chunks if c.section == "Export restrictions on chips")
    assert (export.source_id, export.locator) == ("chips-rule", "press release")
    assert export.url == "https://example.org/chips"
    sep = next(c for c in chunks if c.section == "Separability")
    assert (sep.source_id, sep.locator) == ("talk", "slide 1")
    facets = {c.facet for c in chunks if c.doc_id == "domain-compute-controls"}
    assert facets >= {
        "overview",
        "domain_separability",
        "mutual_vulnerability",
        "verification_feasibility",
        "left_out",
        "would_change",
    }


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
