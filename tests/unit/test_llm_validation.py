"""The LLM composer's checks of a model's reply against the retrieved passages (rag/answer/llm.py).

The evidence is gathered for real (in-memory store, fake embedder); the route is written by
hand, so no router is trained. Replies are built as ``ModelAnswer`` objects and validated.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from rag.answer.citations import MARKER_RE, CitationBook
from rag.answer.compose import Composed, CompositionError
from rag.answer.evidence import Evidence, Searchers, gather
from rag.answer.excerpts import plain
from rag.answer.llm import Claim, ConditionClaims, LLMComposer, ModelAnswer, json_text, label_for
from rag.answer.offline import OfflineAnalyst
from rag.corpus import Chunk, chunks_for_file, knowledge_files
from rag.errors import MalformedReplyError
from rag.framework import CONDITIONS, Catalogue
from rag.index import IndexedCollection
from rag.retrieve import Hit, HybridRetriever
from rag.router import Route
from rag.testing import FakeChatModel, FakeEmbedder, InMemoryVectorStore
from rag.understand import Understanding, understand
from tests.conftest import FIXTURES

MINI = FIXTURES / "mini"
DOMAIN = "compute-controls"
QUESTION = "Could rivals cooperate on compute controls?"
# The made-up labels below (ZZ00, QQ11, WW10) are in no prompt: label_for never uses 0, 1, I or O.


@dataclass
class Case:
    """One question's understanding, evidence and prompt labels, ready for a reply to be validated."""

    composer: LLMComposer
    u: Understanding
    ev: Evidence
    labels: dict[str, Hit]

    def card(self, facet: str) -> str:
        """The label of a facet of the asked domain's card."""
        return next(lab for lab, h in self.labels.items() if h.chunk.facet == facet and DOMAIN in h.chunk.domains)

    def quote(self, label: str, words: int = 6) -> str:
        """The first ``words`` words of a labelled passage, as the model sees them."""
        return " ".join(plain(self.labels[label].chunk.text).split()[:words])

    def validate(self, raw: ModelAnswer) -> tuple[Composed, CitationBook]:
        """The composer's validation of ``raw``, with a fresh citation book."""
        book = CitationBook(self.ev.hits)
        return self.composer.validate(raw, self.u, self.ev, book, self.labels), book


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(MINI)


@pytest.fixture(scope="module")
def retriever(catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:
    """The mini knowledge base in one in-memory collection, searched with the fake embedder."""
    embedder = FakeEmbedder()
    chunks: dict[str, list[Chunk]] = {
        p.relative_to(MINI).as_posix(): chunks_for_file(p, MINI, catalogue) for p in knowledge_files(MINI)
    }
    coll = IndexedCollection(InMemoryVectorStore("knowledge-fake"), tmp_path_factory.mktemp("llm") / "index")
    with coll.locked():
        coll.publish({k: {"sha": k, "title": k} for k in chunks}, chunks, embedder.embed_batch)
    return HybridRetriever(embedder, {"knowledge": coll})


def make_case(catalogue: Catalogue, retriever: HybridRetriever, question: str, route: Route) -> Case:
    """The question read with ``route``, its evidence gathered, and the labels its prompt gives the passages."""
    names = {d.id: d.name for d in catalogue.domains.values()}
    u = understand(question, route, domain_names=names)
    ev = gather(Searchers(english=retriever, question=retriever), catalogue, u, retriever.embed(question))
    composer = LLMComposer(FakeChatModel(), catalogue, stream=False)
    _, labels = composer.messages(u, ev)
    return Case(composer, u, ev, labels)


@pytest.fixture(scope="module")
def case(catalogue: Catalogue, retriever: HybridRetriever) -> Case:
    route = Route(types={"feasibility": 0.9, "concept": 0.1}, domains={DOMAIN: 0.95}, candidates=[(DOMAIN, 0.95)])
    return make_case(catalogue, retriever, QUESTION, route)


def claim(text: str, labels: list[str], quote: str = "") -> Claim:
    return Claim(text=text, labels=labels, quote=quote)


def reply(
    summary: list[Claim], conditions: Sequence[ConditionClaims] = (), left_out: Sequence[Claim] = ()
) -> ModelAnswer:
    """A reply that says the question is supported."""
    return ModelAnswer(supported=True, summary=summary, conditions=list(conditions), left_out=list(left_out))


def faithful_conditions(case: Case, catalogue: Catalogue) -> list[ConditionClaims]:
    """One cited claim per condition, rated as the catalogue rates it."""
    d = catalogue.domains[DOMAIN]
    out = []
    for cid in CONDITIONS:
        lab = case.card(cid)
        out.append(
            ConditionClaims(
                condition=cid,
                rating=d.conditions[cid].rating,
                claims=[claim(f"Reason on {cid}.", [lab], case.quote(lab))],
            )
        )
    return out


def test_the_case_has_the_domain_card_under_labels(case: Case) -> None:
    assert case.u.domains == [DOMAIN]
    assert all(case.card(cid) for cid in CONDITIONS)
    assert set(case.labels) and all(len(lab) == 4 for lab in case.labels)


def test_valid_claims_are_kept_with_the_markers_of_their_passages(case: Case, catalogue: Catalogue) -> None:
    lab = case.card("overview")
    composed, book = case.validate(
        reply([claim("Rivals restrict chips.", [lab], case.quote(lab))], faithful_conditions(case, catalogue))
    )
    marker = book.cite(case.labels[lab].id)
    assert f"Rivals restrict chips. {marker}" in composed.answer
    assert composed.validation == {
        "unknown_labels_removed": 0,
        "quotes_dropped": 0,
        "claims_dropped": 0,
        "conditions_uncited": [],
    }
    assert composed.notices == []
    for cid in CONDITIONS:
        cond = (composed.conditions or {})[cid]
        assert f"Reason on {cid}." in cond.reasoning
        assert cond.citations == [book.marker_id(case.labels[case.card(cid)].id)]
    cited = {c.chunk_id for c in book.citations()}
    assert cited <= {h.id for h in case.ev.hits}


def test_a_claim_citing_one_passage_twice_gets_one_marker(case: Case) -> None:
    lab = case.card("overview")
    composed, book = case.validate(reply([claim("Twice.", [lab, lab], case.quote(lab))]))
    assert composed.answer.splitlines()[0] == f"Twice. {book.cite(case.labels[lab].id)}"


def test_an_unknown_label_is_removed_and_counted(case: Case) -> None:
    lab = case.card("overview")
    composed, book = case.validate(reply([claim("Mixed labels.", [lab, "ZZ00"], case.quote(lab))]))
    assert composed.answer.splitlines()[0] == f"Mixed labels. {book.cite(case.labels[lab].id)}"
    assert composed.validation["unknown_labels_removed"] == 1
    assert composed.validation["claims_dropped"] == 0
    assert any("1 citation(s) naming no retrieved passage were removed" in n for n in composed.notices)


def test_a_claim_with_no_known_label_is_dropped(case: Case) -> None:
    lab = case.card("overview")
    composed, _ = case.validate(
        reply([claim("Kept.", [lab], case.quote(lab)), claim("Invented source.", ["QQ11", "WW10"])])
    )
    assert "Kept." in composed.answer
    assert "Invented source." not in composed.answer
    assert composed.validation["unknown_labels_removed"] == 2
    assert composed.validation["claims_dropped"] == 1


def test_a_quote_the_passage_does_not_hold_drops_the_claim(case: Case) -> None:
    lab = case.card("overview")
    composed, _ = case.validate(
        reply([claim("Kept.", [lab], case.quote(lab)), claim("Misquoted.", [lab], "words the passage never held")])
    )
    assert "Misquoted." not in composed.answer
    assert composed.validation["quotes_dropped"] == 1
    assert composed.validation["claims_dropped"] == 1


def test_a_quote_from_another_passage_than_the_one_cited_is_dropped(case: Case) -> None:
    cited, other = case.card("overview"), case.card("domain_separability")
    quote = case.quote(other, 12)
    assert quote.lower() not in plain(case.labels[cited].chunk.text).lower()
    composed, _ = case.validate(
        reply([claim("Kept.", [cited], case.quote(cited)), claim("Wrong passage.", [cited], quote)])
    )
    assert "Wrong passage." not in composed.answer
    assert composed.validation["quotes_dropped"] == 1


def test_quotes_match_whatever_the_case_and_quotation_marks(case: Case) -> None:
    lab = case.card("overview")
    quote = "“" + case.quote(lab).upper() + "”"
    composed, _ = case.validate(reply([claim("Loosely quoted.", [lab], quote)]))
    assert "Loosely quoted." in composed.answer
    assert composed.validation["quotes_dropped"] == 0


def test_when_no_summary_claim_survives_the_reply_is_refused_with_its_counts(case: Case) -> None:
    lab = case.card("overview")
    with pytest.raises(CompositionError) as err:
        case.validate(reply([claim("Invented.", ["ZZ00"]), claim("Misquoted.", [lab], "never said anything like it")]))
    assert err.value.validation["unknown_labels_removed"] == 1
    assert err.value.validation["quotes_dropped"] == 1
    assert err.value.validation["claims_dropped"] == 2


def test_a_reply_saying_unsupported_is_not_used(case: Case) -> None:
    lab = case.card("overview")
    raw = ModelAnswer(supported=False, summary=[claim("Kept?", [lab], case.quote(lab))], conditions=[], left_out=[])
    with pytest.raises(CompositionError):
        case.validate(raw)


def test_a_rating_the_catalogue_does_not_give_is_replaced_by_the_catalogues(case: Case, catalogue: Catalogue) -> None:
    d = catalogue.domains[DOMAIN]
    conditions = faithful_conditions(case, catalogue)
    cid = conditions[0].condition
    wrong = next(r for r in ("met", "not_met") if r != d.conditions[cid].rating)
    conditions[0] = conditions[0].model_copy(update={"rating": wrong})
    lab = case.card("overview")
    composed, _ = case.validate(reply([claim("Summary.", [lab], case.quote(lab))], conditions))
    assert composed.verdict == d.verdict
    assert {c: o.rating for c, o in (composed.conditions or {}).items()} == {
        c: d.conditions[c].rating for c in CONDITIONS
    }
    assert any(f"as {wrong}" in n and "catalogue's rating" in n for n in composed.notices)


def test_an_uncited_condition_keeps_the_catalogues_reasoning(case: Case, catalogue: Catalogue) -> None:
    conditions = faithful_conditions(case, catalogue)
    dropped = conditions.pop().condition
    conditions[0] = conditions[0].model_copy(update={"claims": [claim("No source.", ["ZZ00"])]})
    lab = case.card("overview")
    composed, _ = case.validate(reply([claim("Summary.", [lab], case.quote(lab))], conditions))
    assert composed.validation["conditions_uncited"] == [conditions[0].condition, dropped]
    assert "No source." not in composed.answer
    analyst = OfflineAnalyst(catalogue).compose(case.u, case.ev, CitationBook(case.ev.hits))
    for cid in (conditions[0].condition, dropped):
        assert (composed.conditions or {})[cid].rating == catalogue.domains[DOMAIN].conditions[cid].rating
        assert (composed.conditions or {})[cid].reasoning
        shown = MARKER_RE.sub("", (composed.conditions or {})[cid].reasoning)
        assert shown == MARKER_RE.sub("", (analyst.conditions or {})[cid].reasoning)  # markers are numbered per book
    assert any("no cited reasoning" in n for n in composed.notices)


def test_left_out_claims_are_checked_like_the_others(case: Case) -> None:
    lab = case.card("left_out")
    composed, _ = case.validate(
        reply(
            [claim("Summary.", [case.card("overview")], case.quote(case.card("overview")))],
            left_out=[claim("Small states.", [lab], case.quote(lab)), claim("Made up.", ["ZZ00"])],
        )
    )
    assert "Small states." in composed.answer
    assert "Made up." not in composed.answer


def test_a_question_about_no_catalogued_domain_gets_no_verdict_whatever_the_model_rates(
    catalogue: Catalogue, retriever: HybridRetriever
) -> None:
    question = "What does domain separability mean?"
    route = Route(types={"concept": 0.9, "feasibility": 0.1}, domains={}, candidates=[(DOMAIN, 0.1)])
    case = make_case(catalogue, retriever, question, route)
    assert case.u.domains == []
    lab = next(iter(case.labels))
    rated = [ConditionClaims(condition="domain_separability", rating="met", claims=[claim("Met.", [lab])])]
    composed, book = case.validate(reply([claim("It asks about an edge.", [lab], case.quote(lab))], rated))
    assert composed.verdict is None and composed.conditions is None
    assert composed.answer == f"It asks about an edge. {book.cite(case.labels[lab].id)}"


# -- the reply as text ----------------------------------------------------------------------
def test_a_reply_carrying_a_verdict_of_its_own_is_rejected(case: Case, catalogue: Catalogue) -> None:
    lab = case.card("overview")
    good = reply([claim("Summary.", [lab], case.quote(lab))]).model_dump()
    model = FakeChatModel().enqueue(json.dumps({**good, "verdict": "feasible"}))
    composer = LLMComposer(model, catalogue, stream=False)
    with pytest.raises(MalformedReplyError):
        composer.compose(case.u, case.ev, CitationBook(case.ev.hits))


def test_a_rating_outside_the_scale_is_rejected(case: Case, catalogue: Catalogue) -> None:
    lab = case.card("overview")
    bad = reply([claim("Summary.", [lab], case.quote(lab))]).model_dump()
    bad["conditions"] = [{"condition": "domain_separability", "rating": "feasible", "claims": []}]
    composer = LLMComposer(FakeChatModel().enqueue(json.dumps(bad)), catalogue, stream=False)
    with pytest.raises(MalformedReplyError):
        composer.compose(case.u, case.ev, CitationBook(case.ev.hits))


def test_json_is_found_inside_prose_or_a_code_fence() -> None:
    body = '{"supported": true, "summary": [], "conditions": [], "left_out": []}'
    assert json.loads(json_text(f"Here it is:\n```json\n{body}\n```\nDone.")) == json.loads(body)
    with pytest.raises(MalformedReplyError):
        json_text("I cannot answer that.")


def test_labels_are_stable_opaque_and_unique() -> None:
    taken: set[str] = set()
    for i in range(200):
        label = label_for(f"chunk-{i}", taken)
        assert label not in taken and len(label) == 4 and label.isalnum() and label == label.upper()
        taken.add(label)
    assert label_for("chunk-7", set()) == label_for("chunk-7", set())
