"""CitationBook and check_answer: markers by id, in order, only for retrieved passages, with who wrote them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer.citations import CitationBook, CitationIntegrityError, check_answer, markers_in, relabel
from rag.answer.schema import Answer, ConditionOut, DomainAssessmentOut
from rag.corpus import Chunk, load_corpus
from rag.framework import Catalogue
from rag.retrieve import Hit
from tests.conftest import FIXTURES

MINI = FIXTURES / "mini"
OWN_KINDS = ("note", "assessment")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(MINI)


@pytest.fixture(scope="module")
def corpus(catalogue: Catalogue) -> list[Chunk]:
    return load_corpus(MINI, catalogue)


@pytest.fixture
def hits(corpus: list[Chunk]) -> list[Hit]:
    return [Hit(c, 1.0 / (i + 1)) for i, c in enumerate(corpus)]


def test_markers_are_numbered_in_first_use_order(hits: list[Hit]) -> None:
    book = CitationBook(hits)
    assert book.cite(hits[3].id) == "[c1]"
    assert book.cite(hits[0].id) == "[c2]"
    assert book.cite(hits[7].id) == "[c3]"
    assert [c.id for c in book.citations()] == ["c1", "c2", "c3"]
    assert [c.chunk_id for c in book.citations()] == [hits[3].id, hits[0].id, hits[7].id]


def test_the_same_passage_keeps_its_marker(hits: list[Hit]) -> None:
    book = CitationBook(hits)
    first = book.cite(hits[2].id)
    book.cite(hits[5].id)
    assert book.cite(hits[2].id) == first
    assert book.marker_id(hits[2].id) == first.strip("[]")
    assert len(book.citations()) == 2


def test_an_unretrieved_passage_cannot_be_cited(hits: list[Hit]) -> None:
    book = CitationBook(hits[:3])
    assert not book.can_cite(hits[4].id)
    with pytest.raises(CitationIntegrityError):
        book.cite(hits[4].id)
    assert book.citations() == []  # the failed attempt used no marker
    assert book.cite(hits[1].id) == "[c1]"


def test_retrieved_ids_keep_retrieval_order_once_each(hits: list[Hit]) -> None:
    book = CitationBook([hits[2], hits[0], hits[2], hits[1]])
    assert book.retrieved_ids == [hits[2].id, hits[0].id, hits[1].id]
    assert not book.citations()


def test_renumbering_follows_reading_order(hits: list[Hit]) -> None:
    book = CitationBook(hits)
    a, b, c = (book.cite(h.id) for h in hits[:3])  # c1, c2, c3 in the order they were handed out
    text = f"First {c}, then {a}."
    mapping = book.renumber([text, f"Later {b} and {a}."])
    assert mapping == {"c3": "c1", "c1": "c2", "c2": "c3"}
    assert relabel(text, mapping) == "First [c1], then [c2]."
    assert [(m.id, m.chunk_id) for m in book.citations()] == [
        ("c1", hits[2].id),
        ("c2", hits[0].id),
        ("c3", hits[1].id),
    ]


def test_renumbering_puts_markers_no_text_uses_last(hits: list[Hit]) -> None:
    book = CitationBook(hits)
    unused, used = book.cite(hits[0].id), book.cite(hits[1].id)
    mapping = book.renumber([f"Only {used}."])
    assert mapping[used.strip("[]")] == "c1" and mapping[unused.strip("[]")] == "c2"
    assert book.cite(hits[0].id) == "[c2]"


def test_relabel_renames_every_marker_at_once() -> None:
    assert relabel("[c1] [c2] [c1] [x1]", {"c1": "c2", "c2": "c1"}) == "[c2] [c1] [c2] [x1]"
    assert markers_in("a [c1] b [c12] [c] [d3]") == ["c1", "c12"]


# -- who wrote a cited passage ---------------------------------------------------------------
def test_project_writing_cites_the_external_sources_its_sentences_cite(
    corpus: list[Chunk], catalogue: Catalogue
) -> None:
    own = [c for c in corpus if c.source_kind in OWN_KINDS]
    assert own and any(c.based_on for c in own)
    book = CitationBook([Hit(c, 1.0) for c in corpus])
    for c in corpus:
        book.cite(c.id)
    by_chunk = {cit.chunk_id: cit for cit in book.citations(catalogue)}
    for c in corpus:
        cit = by_chunk[c.id]
        external = [s for s in c.cited_sources if not catalogue.is_own(s)]
        assert cit.source_kind == catalogue.kind_of(c.source_id)
        if cit.source_kind in OWN_KINDS:
            assert cit.based_on == external, c.text
            assert all(not catalogue.is_own(s) for s in cit.based_on)
        else:  # a passage shown under an external source cites that source alone
            assert cit.based_on == []
            assert set(c.cited_sources) <= {c.source_id}


def test_a_domain_condition_is_based_on_its_external_source(corpus: list[Chunk], catalogue: Catalogue) -> None:
    card = next(c for c in corpus if c.doc_id == "domain-compute-controls" and c.facet == "domain_separability")
    book = CitationBook([Hit(card, 1.0)])
    book.cite(card.id)
    (cit,) = book.citations(catalogue)
    assert cit.source_id == "assessment-compute-controls"
    assert cit.source_kind == "assessment"
    assert cit.based_on == ["chips-rule"]
    assert cit.text == card.text


def test_an_upload_is_the_users_own_and_an_unknown_kind_comes_from_the_catalogue(
    corpus: list[Chunk], catalogue: Catalogue
) -> None:
    talk = next(c for c in corpus if c.source_id == "talk")
    unlabelled = replace(talk, source_kind="")
    upload = replace(corpus[0], id="upload-1", kind="user", source_kind="")
    book = CitationBook([Hit(unlabelled, 1.0), Hit(upload, 1.0, collection="uploads")])
    book.cite(unlabelled.id)
    book.cite(upload.id)
    kinds = [c.source_kind for c in book.citations(catalogue)]
    assert kinds == ["talk", "user"]
    assert [c.source_kind for c in book.citations()] == ["", "user"]  # without a catalogue nothing is guessed


# -- check_answer --------------------------------------------------------------------------
def sound_answer(hits: list[Hit]) -> Answer:
    book = CitationBook(hits[:4])
    a, b = book.cite(hits[0].id), book.cite(hits[1].id)
    return Answer(
        question="q",
        backend="offline",
        answer=f"One {a}. Two {b}.",
        conditions={"domain_separability": ConditionOut(rating="met", reasoning=f"Why {b}.", citations=["c2"])},
        citations=book.citations(),
        retrieved=book.retrieved_ids,
    )


def test_a_sound_answer_has_no_problem(hits: list[Hit]) -> None:
    assert check_answer(sound_answer(hits)) == []


def test_a_marker_naming_no_citation_is_reported(hits: list[Hit]) -> None:
    answer = sound_answer(hits)
    answer.answer += " Three [c9]."
    assert check_answer(answer) == ["marker [c9] names no citation"]


def test_a_citation_of_an_unretrieved_passage_is_reported(hits: list[Hit]) -> None:
    answer = sound_answer(hits)
    answer.retrieved = [i for i in answer.retrieved if i != hits[1].id]
    problems = check_answer(answer)
    assert len(problems) == 1 and hits[1].id in problems[0] and "not retrieved" in problems[0]


def test_condition_citations_and_comparison_markers_are_checked(hits: list[Hit]) -> None:
    answer = sound_answer(hits)
    answer.conditions["domain_separability"].citations = ["c2", "c7"]  # type: ignore[index]
    answer.comparison = [
        DomainAssessmentOut(
            domain="x",
            name="X",
            verdict="feasible",
            conditions={"mutual_vulnerability": ConditionOut(rating="met", reasoning="Because [c5].")},
        )
    ]
    problems = check_answer(answer)
    assert "condition domain_separability cites unknown c7" in problems
    assert "marker [c5] names no citation" in problems
    assert len(problems) == 2
