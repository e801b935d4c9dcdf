"""Evidence for an answer: every passage it may cite, gathered by real retrieval.

Two kinds of search feed it. Searches driven by the question's words run in the question's
language (``Searchers.question``: hybrid for English, the multilingual vectors otherwise).
Searches driven by the catalogue (a domain's card, the passages its claims cite, its
precedents, the talk's slides) run in English, with the catalogue's own words as queries.
Whatever is not in ``Evidence.hits`` cannot be cited.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.answer.excerpts import defining_first, lead_first
from rag.filters import Filter
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITIONS, Catalogue, Domain
from rag.refs import Sentence, content_words, sentences, words_by_source
from rag.retrieve import Hit, HybridRetriever, Mode
from rag.understand import Understanding, named_conditions

NOTE_KINDS = ("framework", "case", "research", "precedent")
CARD_FACETS = 10  # more passages than a domain card has facets: a card search returns all of them
TYPE_KINDS: dict[str, tuple[str, ...]] = {
    "concept": ("framework", "quotation"),
    "deepseek": ("case", "framework", "quotation"),
    "research": ("research",),
    "fairness": ("framework", "research", "quotation", "domain"),
    "precedent": ("precedent",),
    "documents": ("framework", "research", "precedent", "case"),
}
EXPLANATION_PASSAGES = 4  # an explanation (a concept, the case, the research...) shows this many passages
# Answers about no one area that also count how the catalogue's areas meet the conditions the
# question is about ("which condition is hardest to meet?", "which areas fail on separability?")
ACROSS_TYPES = ("concept", "overview")
SUPPORT_SHARE = 0.5  # a passage supports a claim when it cites the claim's source and holds half its words
UPLOAD_MIN_SIMILARITY = 0.35  # below this, a user document is not about the question


@dataclass
class Evidence:
    hits: list[Hit] = field(default_factory=list)
    main: list[Hit] = field(default_factory=list)
    typed: list[Hit] = field(default_factory=list)
    cards: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> its card facets
    support: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> passages its claims cite
    precedents: dict[str, list[Hit]] = field(default_factory=dict)  # domain id -> precedent passages
    per_condition: dict[str, list[Hit]] = field(default_factory=dict)  # condition id -> passages (new areas)
    uploads: list[Hit] = field(default_factory=list)
    slides: dict[str, Hit] = field(default_factory=dict)  # what the talk's slides say: "conditions", "fairness"
    # conditions an answer about no one area (a concept, an overview) also counts across the catalogue
    # (how many areas meet each), with every area's card reasoning on them in ``cards``
    across: list[str] = field(default_factory=list)

    def add(self, hits: Iterable[Hit]) -> list[Hit]:
        hits = list(hits)
        known = {h.id for h in self.hits}
        for h in hits:
            if h.id not in known:
                self.hits.append(h)
                known.add(h.id)
        return hits


@dataclass
class Searchers:
    """The retrievers an answer draws on."""

    english: HybridRetriever  # catalogue-driven searches, and English questions
    question: HybridRetriever  # searches with the question's own words (its language's vectors)
    mode: Mode = "hybrid"
    question_mode: Mode = "hybrid"


OWN_PREFIXES = ("assessment-", "note-")  # ids of the project's own writing (sources.yaml kinds note, assessment)


@functools.lru_cache(maxsize=1024)
def claims_of(text: str) -> tuple[Sentence, ...]:
    """The sentences of a catalogue text that cite an external source (the project's own id aside).

    Catalogue texts are few and fixed, and every answer about a domain reads its texts' claims:
    they are parsed once.
    """
    return tuple(s for s in sentences(text) if any(not r.source.startswith(OWN_PREFIXES) for r in s.refs))


def supports(claim: Sentence, hit: Hit) -> bool:
    """Does the passage say what the claim says: the same source, and at least half the claim's words?

    A talk slide supports a claim that cites that slide; a note supports a claim when one of
    its sentences cites the same source. Words are compared with the sentences that cite it.
    """
    words = content_words(claim.text)
    if not words:
        return False
    wanted = {(r.source, r.locator) for r in claim.refs}
    c = hit.chunk
    if c.kind == "quotation":
        if (c.source_id, c.locator) not in wanted and (c.source_id, None) not in wanted:
            return False
        said = content_words(c.text)
    else:
        by_source = words_by_source(c.text)
        said = frozenset().union(*(by_source.get(src, frozenset()) for src, _ in wanted))
    return len(words & said) / len(words) >= SUPPORT_SHARE


def _support_search(english: HybridRetriever, claim: Sentence) -> list[Hit]:
    """Passages that cite the claim's sources (or quote the slide it cites), ranked by its words.

    The query and filter come from the catalogue alone, so the result is the same for every
    question: it is remembered per published snapshot.
    """

    def search() -> list[Hit]:
        sources = tuple(dict.fromkeys(r.source for r in claim.refs if not r.source.startswith(OWN_PREFIXES)))
        found = english.search(claim.text, 4, mode="bm25", where=Filter(kinds=NOTE_KINDS, cites=sources))
        if any(r.locator for r in claim.refs):
            found += english.search(claim.text, 3, mode="bm25", where=Filter(kinds=("quotation",), source_ids=sources))
        return [h for h in found if supports(claim, h)]

    return english.remembered(("support", claim), search)


def domain_texts(d: Domain) -> list[str]:
    """The cited texts of a domain card: verdict basis, conditions, who is left out."""
    texts = [d.verdict_basis, *(a.reasoning for a in d.conditions.values())]
    if d.left_out:
        texts.append(d.left_out.text)
    return texts


# The talk's own words an assessment answer quotes: its conditions, and its warning that feasible is not fair.
SLIDE_QUERIES = {
    "conditions": "Conditions for feasible cooperation domain separability mutual vulnerability verification",
    "fairness": "Power asymmetries feasible fair participation capacity gaps persist",
}


def gather_slides(ev: Evidence, english: HybridRetriever) -> None:
    """The slides that define the conditions and warn that feasible is not fair (same for every question)."""
    for purpose, query in SLIDE_QUERIES.items():
        found = english.remembered(
            ("slide", purpose),
            functools.partial(english.search, query, 1, mode="bm25", where=Filter(kinds=("quotation",))),
        )
        if found:
            ev.slides[purpose] = ev.add(found)[0]


def gather_card(ev: Evidence, s: Searchers, d: Domain, query: str, vector: Any) -> None:
    """A domain's card, every facet, ranked by the question: words for the lexical side (with the
    domain's name), the question's own vector for the dense side when it is in the English space
    (a vector of "name + question" would cost one more model run per domain and rank the same)."""
    dense = vector if s.question is s.english else None
    ev.cards[d.id] = ev.add(
        s.english.search(
            f"{d.name} {query}", CARD_FACETS, mode=s.mode, where=Filter(doc_ids=(f"domain-{d.id}",)), vector=dense
        )
    )


def gather_domain(ev: Evidence, s: Searchers, catalogue: Catalogue, did: str, query: str, vector: Any) -> None:
    """A domain's card facets, the passages its claims cite, its precedents, and the talk's conditions."""
    gather_slides(ev, s.english)
    d = catalogue.domains[did]
    gather_card(ev, s, d, query, vector)
    dense = vector if s.question is s.english else None
    support: list[Hit] = []
    for text in domain_texts(d):
        for claim in claims_of(text):
            support += _support_search(s.english, claim)
    ev.support[did] = ev.add(support)
    if d.precedents:
        ev.precedents[did] = ev.add(
            s.english.search(
                f"{d.name} {query}",
                2 * len(d.precedents),
                mode=s.mode,
                where=Filter(doc_ids=tuple(d.precedents)),
                vector=dense,
            )
        )


def gather(
    s: Searchers,
    catalogue: Catalogue,
    u: Understanding,
    vector: Any,
    *,
    k: int = 8,
    nearest: Sequence[str] = (),
) -> Evidence:
    """Everything an answer of this kind may cite."""
    ev = Evidence()
    query = u.standalone
    ev.main = ev.add(
        s.question.search(
            query, k, mode=s.question_mode, domains=u.domains, boost=1.5, vector=vector, collections=("knowledge",)
        )
    )
    kinds = TYPE_KINDS.get(u.qtype)
    if kinds:
        ev.typed = ev.add(
            s.question.search(
                query, 10, mode=s.question_mode, where=Filter(kinds=kinds), vector=vector, collections=("knowledge",)
            )
        )
    for did in u.domains:
        gather_domain(ev, s, catalogue, did, query, vector)
    for cid in u.conditions:  # a condition named in the question: what the slide and the notes say of it
        ev.typed += ev.add(definition(s.english, cid))
    if u.qtype in ACROSS_TYPES and not u.domains:
        ev.across = counted_conditions(u.conditions, explanation(u, ev))
        if u.qtype != "overview":  # an overview gathers every condition's cards (gather_overview)
            gather_condition_cards(ev, s.english, catalogue, ev.across)
    if u.qtype == "apply_framework":
        gather_new_area(ev, s, query, vector)
        for did in nearest:  # the analogies' cards: their verdicts and how they meet each condition
            gather_card(ev, s, catalogue.domains[did], query, vector)
    if u.qtype == "overview":
        gather_overview(ev, s, catalogue)
    # A question about the user's documents asks for their passages, however far its wording (or its
    # language) lies from theirs; any other question gets only those close enough to be about it.
    ev.uploads = ev.add(uploads_search(s.question, query, vector, mode=s.question_mode, floor=u.qtype != "documents"))
    return ev


def definition(english: HybridRetriever, cid: str) -> list[Hit]:
    """The talk's slide defining a condition, and the framework note's section on it."""
    name = CONDITION_NAMES[cid]
    slide = english.search(
        f"Conditions for feasible cooperation {name}", 1, mode="bm25", where=Filter(kinds=("quotation",))
    )
    note = english.search(f"{name} condition", 2, mode="bm25", where=Filter(kinds=("framework",)))
    return [*slide, *note]


def gather_new_area(ev: Evidence, s: Searchers, query: str, vector: Any) -> None:
    """For an area the catalogue does not assess: per condition, what the knowledge base says."""
    probes = [f"{query} {CONDITION_QUESTIONS[cid]}" for cid in CONDITIONS]
    # Hybrid: each probe's own vector, the three in one model run. Dense (another language): the
    # question's vector, since the conditions' questions are English words.
    vectors = list(s.question.embed_many(probes)) if s.question_mode == "hybrid" else [vector] * len(probes)
    for cid, probe, probe_vector in zip(CONDITIONS, probes, vectors, strict=True):
        hits = s.question.search(
            probe,
            3,
            mode=s.question_mode,
            where=Filter(kinds=NOTE_KINDS),
            collections=("knowledge",),
            vector=probe_vector,
        )
        ev.per_condition[cid] = ev.add([*definition(s.english, cid)[:1], *hits])


def explanation(u: Understanding, ev: Evidence) -> list[Hit]:
    """The passages an explanation shows (a concept, the case, the research, fairness, precedents):
    the best of the question's, one per section, those titled by a condition it names first."""
    pool = defining_first(lead_first(ev.typed + ev.main if ev.typed else ev.main), u.conditions)
    chosen: list[Hit] = []
    sections: set[tuple[str, str]] = set()
    for h in pool:
        key = (h.chunk.doc_id, h.chunk.section)
        if key in sections or h.collection == "uploads" or (h.chunk.kind == "domain" and u.qtype != "fairness"):
            continue
        sections.add(key)
        chosen.append(h)
        if len(chosen) == EXPLANATION_PASSAGES:
            break
    return chosen


def conditions_of(h: Hit) -> list[str]:
    """The conditions a passage of the knowledge base is about: those its section's title names
    ("Condition 1: domain separability"), or, for a slide, its text (the slide that defines all three)."""
    if h.chunk.kind == "domain":
        return []
    return named_conditions(h.chunk.text if h.chunk.kind == "quotation" else h.chunk.section)


def counted_conditions(named: Sequence[str], shown: Sequence[Hit]) -> list[str]:
    """The conditions an answer also counts across the catalogue: those the question names; else
    all three when half or more of the passages found for it are about them ("which condition is
    hardest to meet?"); else none."""
    if named:
        return list(named)
    about = sum(bool(conditions_of(h)) for h in shown)
    return list(CONDITIONS) if shown and 2 * about >= len(shown) else []


def gather_condition_cards(ev: Evidence, english: HybridRetriever, catalogue: Catalogue, cids: Sequence[str]) -> None:
    """Every domain's card reasoning on each of ``cids`` (the same for every question)."""
    n = len(catalogue.domains)
    found: list[Hit] = []
    for cid in cids:
        query = CONDITION_NAMES[cid]
        search = functools.partial(english.search, query, 3 * n, mode="bm25", where=Filter(kinds=("domain",)))
        found += [h for h in english.remembered(("condition cards", cid), search) if h.chunk.facet == cid]
    for h in ev.add(h for h in found if h.chunk.domains):
        ev.cards.setdefault(h.chunk.domains[0], []).append(h)


def gather_overview(ev: Evidence, s: Searchers, catalogue: Catalogue) -> None:
    """Every domain's verdict card, each condition's card, and the talk's two lists."""
    n = len(catalogue.domains)
    for h in s.english.search(
        "overall verdict on cooperation between rivals", n, mode="bm25", where=Filter(kinds=("domain",))
    ):
        if h.chunk.facet == "overview" and h.chunk.domains:
            ev.cards.setdefault(h.chunk.domains[0], []).append(h)
    ev.add(h for hs in ev.cards.values() for h in hs)
    gather_condition_cards(ev, s.english, catalogue, CONDITIONS)
    ev.typed += ev.add(
        s.english.search(
            "Possible areas where cooperation is feasible not feasible examples",
            2,
            mode="bm25",
            where=Filter(kinds=("quotation",)),
        )
    )


def uploads_search(
    retriever: HybridRetriever, query: str, vector: Any, *, mode: Mode, k: int = 3, floor: bool = True
) -> list[Hit]:
    """The user's own documents, searched on their own (so the curated base never crowds
    them out) and kept only when they are actually about the question (``floor``: a passage
    UPLOAD_MIN_SIMILARITY or more from it). Without the floor, for a question that asks about the
    documents, the best passages are kept however far they lie: a question in Chinese about an
    English briefing ("根据我上传的那份部里的简报，针对关键基础设施的网络行动为什么难以核查？") finds
    the briefing's passage on it at 0.34 with the multilingual model, where the same question in
    English finds it at 0.65."""
    if not retriever.has("uploads"):
        return []
    if not floor:
        return retriever.search(query, k, mode=mode, vector=vector, collections=("uploads",))
    if vector is None:
        vector = retriever.embed(query)
    close = {
        c.id for c, sim, _ in retriever.nearest(vector, k * 3, collections=("uploads",)) if sim >= UPLOAD_MIN_SIMILARITY
    }
    if not close:
        return []
    hits = retriever.search(query, k, mode=mode, vector=vector, collections=("uploads",))
    return [h for h in hits if h.id in close]
