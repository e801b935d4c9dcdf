"""Reciprocal rank fusion, and hybrid search restricted by a metadata filter (in-memory store, fake embedder)."""

from __future__ import annotations

import random

import pytest

from rag.corpus import Chunk, chunks_for_file, knowledge_files
from rag.filters import Filter
from rag.framework import Catalogue
from rag.index import IndexedCollection
from rag.lexical import LexicalIndex, tokenize
from rag.retrieve import RRF_K, HybridRetriever, Mode, rrf
from rag.testing import FakeEmbedder, InMemoryVectorStore
from tests.conftest import FIXTURES

MINI = FIXTURES / "mini"
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


# -- rrf -----------------------------------------------------------------------------------
def ranked(fused: dict[str, float]) -> list[str]:
    """Ids best first (ties keep first-seen order, as the retriever's stable sort does)."""
    return sorted(fused, key=lambda i: -fused[i])


def test_one_list_keeps_its_order_with_scores_falling_by_rank() -> None:
    fused = rrf([["a", "b", "c", "d"]])
    assert ranked(fused) == ["a", "b", "c", "d"]
    assert fused["a"] == pytest.approx(1 / (RRF_K + 1))
    assert fused["a"] > fused["b"] > fused["c"] > fused["d"] > 0


def test_two_lists_are_summed_per_id() -> None:
    fused = rrf([["a", "b"], ["b", "c"]])
    assert fused["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert fused["a"] == pytest.approx(1 / (RRF_K + 1))
    assert ranked(fused)[0] == "b"
    assert set(fused) == {"a", "b", "c"}


def test_mirrored_ranks_tie_exactly() -> None:
    fused = rrf([["x", "y", "z"], ["y", "x", "w"]])
    assert fused["x"] == fused["y"]
    assert fused["z"] == fused["w"]
    assert ranked(fused)[:2] == ["x", "y"]  # a tie keeps the order ids were first seen in


def test_same_rank_in_different_lists_scores_the_same() -> None:
    fused = rrf([["a", "b"], ["c", "d"]])
    assert fused["a"] == fused["c"]
    assert fused["b"] == fused["d"]


@pytest.mark.parametrize("seed", range(5))
def test_a_passage_in_both_lists_outranks_any_passage_in_one(seed: int) -> None:
    rng = random.Random(seed)
    shared = [f"s{i}" for i in range(20)]
    dense = shared + [f"d{i}" for i in range(25)]
    lexical = shared + [f"l{i}" for i in range(25)]
    rng.shuffle(dense)
    rng.shuffle(lexical)
    fused = rrf([dense, lexical])
    worst_shared = min(fused[s] for s in shared)
    best_single = max(v for k, v in fused.items() if k not in shared)
    assert worst_shared > best_single
    assert set(ranked(fused)[: len(shared)]) == set(shared)


def test_smaller_k_weighs_the_top_ranks_more() -> None:
    assert rrf([["a", "b"]], k=0) == {"a": 1.0, "b": 0.5}
    gap = rrf([["a", "b"]], k=1)
    assert gap["a"] - gap["b"] > rrf([["a", "b"]])["a"] - rrf([["a", "b"]])["b"]


@pytest.mark.parametrize("rankings", [[], [[]], [[], []]])
def test_empty_inputs_fuse_to_nothing(rankings: list[list[str]]) -> None:
    assert rrf(rankings) == {}


def test_an_empty_list_beside_a_full_one_changes_nothing() -> None:
    assert rrf([[], ["a", "b"]]) == rrf([["a", "b"]])


def test_any_iterable_of_rankings_is_accepted() -> None:
    fused = rrf(r for r in (("a",), ("a", "b")))
    assert fused["a"] == pytest.approx(2 / (RRF_K + 1))


# -- filters -------------------------------------------------------------------------------
def test_filter_matches_scalar_fields_and_cited_sources() -> None:
    meta = {"kind": "domain", "doc_id": "domain-x", "source_id": "assessment-x", "cited_sources": "talk,chips-rule"}
    assert Filter().matches(meta)
    assert Filter(kinds=("domain", "framework")).matches(meta)
    assert not Filter(kinds=("framework",)).matches(meta)
    assert Filter(kinds=("domain",), doc_ids=("domain-x",)).matches(meta)
    assert not Filter(kinds=("domain",), doc_ids=("domain-y",)).matches(meta)
    assert Filter(cites=("chips-rule",)).matches(meta)
    assert not Filter(cites=("rumour",)).matches(meta)
    assert not Filter(cites=("talk",)).matches({"kind": "domain"})
    assert not Filter(cites=()).matches(meta)  # an empty tuple allows nothing, None allows everything


# -- hybrid search over the in-memory store ------------------------------------------------------
@pytest.fixture(scope="module")
def corpus() -> list[Chunk]:
    catalogue = Catalogue(MINI)
    out: dict[str, Chunk] = {}
    for path in knowledge_files(MINI):
        out.update((c.id, c) for c in chunks_for_file(path, MINI, catalogue))
    return list(out.values())


@pytest.fixture(scope="module")
def retriever(corpus: list[Chunk], tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:
    """The mini knowledge base in one in-memory collection, searched with the fake embedder."""
    embedder = FakeEmbedder()
    coll = IndexedCollection(InMemoryVectorStore("knowledge-fake"), tmp_path_factory.mktemp("fusion") / "index")
    with coll.locked():
        coll.publish({"mini": {"sha": "0", "title": "mini"}}, {"mini": corpus}, embedder.embed_batch)
    return HybridRetriever(embedder, {"knowledge": coll})


def test_the_collection_holds_every_passage(retriever: HybridRetriever, corpus: list[Chunk]) -> None:
    assert retriever.collections["knowledge"].store.count() == len(corpus)
    assert len(retriever.search("cooperation", 100, mode="dense")) == len(corpus)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "where",
    [
        Filter(kinds=("domain",)),
        Filter(kinds=("quotation",)),
        Filter(source_ids=("talk",)),
        Filter(cites=("chips-rule",)),
        Filter(kinds=("domain",), doc_ids=("domain-incident-reporting",)),
    ],
    ids=["domain", "quotation", "talk", "cites-chips-rule", "domain-and-doc"],
)
def test_a_filter_returns_only_matching_passages(
    retriever: HybridRetriever, corpus: list[Chunk], where: Filter, mode: Mode
) -> None:
    hits = retriever.search("chip export restrictions incident reports talk", 50, mode=mode, where=where)
    assert hits
    assert all(where.accepts(h.chunk) for h in hits)
    matching = {c.id for c in corpus if where.accepts(c)}
    assert {h.id for h in hits} <= matching
    if mode != "bm25":  # the dense side ranks every passage, so every matching one is found
        assert {h.id for h in hits} == matching


@pytest.mark.parametrize("mode", MODES)
def test_a_filter_matching_nothing_returns_nothing(retriever: HybridRetriever, mode: Mode) -> None:
    assert retriever.search("chip export restrictions", 10, mode=mode, where=Filter(kinds=("no-such-kind",))) == []


@pytest.mark.parametrize(
    "where", [Filter(kinds=("domain",)), Filter(source_ids=("talk",)), Filter(cites=("chips-rule",))], ids=str
)
def test_a_small_filtered_set_is_ranked_in_process_as_the_store_ranks_it(
    retriever: HybridRetriever, where: Filter
) -> None:
    """A filtered set this small is ranked from its vectors without a store query: the same ranking
    (passages of equal similarity may come in either order)."""
    query = "chip export restrictions and incident reports"
    vector = retriever.embed(query)
    by_store = [(chunk.id, round(sim, 5)) for chunk, sim, _ in retriever.nearest(vector, 50, where=where)]
    stored = retriever.collections["knowledge"].store.vectors([i for i, _ in by_store])
    in_process = [h.id for h in retriever.search(query, 50, mode="dense", where=where)]
    assert by_store and sorted(in_process) == sorted(i for i, _ in by_store)
    assert [round(float(stored[i] @ vector), 5) for i in in_process] == [sim for _, sim in by_store]


def test_nearest_honours_the_filter(retriever: HybridRetriever) -> None:
    where = Filter(source_ids=("chips-rule",))
    found = retriever.nearest(retriever.embed("chip export restrictions"), 10, where=where)
    assert found
    assert all(chunk.source_id == "chips-rule" for chunk, _, _ in found)


def test_hybrid_scores_are_the_fusion_of_both_ranks(retriever: HybridRetriever) -> None:
    hits = retriever.search("chip export restrictions tightened", 20, mode="hybrid")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    both = [h for h in hits if h.dense_rank is not None and h.lexical_rank is not None]
    assert both
    for h in hits:
        ranks = [r for r in (h.dense_rank, h.lexical_rank) if r is not None]
        assert h.score == pytest.approx(sum(1 / (RRF_K + r) for r in ranks))


def test_one_sided_modes_rank_from_one_side_only(retriever: HybridRetriever) -> None:
    dense = retriever.search("incident reports", 5, mode="dense")
    lexical = retriever.search("incident reports", 5, mode="bm25")
    assert all(h.lexical_rank is None and h.dense_rank is not None for h in dense)
    assert all(h.dense_rank is None and h.lexical_rank is not None for h in lexical)
    assert [h.dense_rank for h in dense] == list(range(1, len(dense) + 1))


def test_a_boosted_domain_gains_a_first_place(retriever: HybridRetriever) -> None:
    plain = {h.id: h.score for h in retriever.search("cooperation between rivals", 50)}
    boosted = retriever.search("cooperation between rivals", 50, domains=("incident-reporting",), boost=1.0)
    for h in boosted:
        gain = 1 / (RRF_K + 1) if "incident-reporting" in h.chunk.domains else 0.0
        assert h.score == pytest.approx(plain[h.id] + gain)


def test_a_blank_query_finds_nothing(retriever: HybridRetriever) -> None:
    assert retriever.search("   ", 5) == []


# -- words, in every script ----------------------------------------------------------------
def test_tokens_are_stemmed_words_and_cjk_runs_are_character_bigrams() -> None:
    assert tokenize("Could rivals cooperate on H20 chips?") == ["rival", "cooperate", "h20", "chip"]
    assert tokenize("芯片走私") == ["芯片", "片走", "走私"]
    assert set(tokenize("芯片走私")) <= set(tokenize("竞争对手能否合作打击芯片走私？"))  # a term inside a sentence
    assert tokenize("AI事故通報") == ["ai", "事故", "故通", "通報"]
    assert tokenize("米国と中国") == ["米国", "国と", "と中", "中国"]
    assert tokenize("中") == ["中"]


def test_bm25_finds_a_chinese_passage_by_the_words_a_chinese_question_shares_with_it() -> None:
    """A run of Han characters is no word: the question's "芯片走私" must match a passage on 走私芯片."""
    texts = {
        "smuggling": "海关查获一批走私芯片，涉及高端图形处理器。",
        "weather": "两国气象部门合作改进台风路径预测模型。",
        "health": "卫生部门交流传染病监测数据。",
    }
    index = LexicalIndex.build(list(texts), list(texts.values()))
    assert index.search("中美能否合作打击芯片走私？", 3)[0][0] == "smuggling"
    assert index.search("台风预测方面有合作空间吗", 3)[0][0] == "weather"
