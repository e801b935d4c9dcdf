"""The answer pipeline: understand -> retrieve evidence -> compose -> validate.

``Navigator.ask`` always returns an Answer whose every marker resolves to a
retrieved passage; the LLM backend (when configured) plugs in at "compose" and
falls back to the offline analyst on any failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rag.answer.citations import CitationBook, CitationIntegrityError, check_answer
from rag.answer.evidence import Evidence, gather
from rag.answer.offline import Composed, OfflineAnalyst
from rag.answer.schema import REFUSAL, Answer
from rag.embeddings import StoredVectors
from rag.engine import Engine
from rag.framework import CONDITION_NAMES, VERDICT_WORDS, lower_first
from rag.retrieve import Mode
from rag.understand import (
    DomainDetector,
    IntentClassifier,
    Understanding,
    clean_question,
    looks_like_followup,
    named_conditions,
    without_condition_names,
)

Turn = dict[str, Any]


def turn_of(answer: Answer) -> Turn:
    """What a later follow-up needs to know about an earlier answer."""
    return {
        "question": answer.question,
        "standalone": answer.standalone_question or answer.question,
        "domains": answer.domains,
        "qtype": answer.question_type,
    }


@dataclass
class Prepared:
    """Everything needed to compose an answer: the question understood and its evidence."""

    question: str
    understanding: Understanding
    evidence: Evidence
    book: CitationBook
    started: float
    retrieved_at: float  # {"question", "standalone", "domains", "qtype"} of an earlier answer


# Below these, a question without a catalogued domain is judged off-topic.
MIN_RELEVANCE = 0.30
INJECTION_MIN = 0.55
TYPE_MARGIN = 0.25
CONFIDENT_DOMAIN = 1.05  # below this, and not named outright, the answer says which domain it assumed
KIND_TYPES = {
    "precedent": "precedent", "case": "deepseek", "research": "research", "framework": "concept", "quotation": "concept"
}
KIND_WEIGHT, KIND_EVIDENCE_K = 0.2, 5
CARD_CANDIDATES = 40
INHERITABLE = ("feasibility", "comparison", "fairness", "precedent", "deepseek", "research", "concept")
DEFER_TYPES = ("concept", "deepseek", "research", "precedent", "fairness")
DEFER_DOMAIN_MIN = 1.25  # a question about the paper or a precedent keeps only a clearly named domain
FAIRNESS_DOMAIN_MIN = 1.05


class Navigator:
    """Answers questions; build one per process (it is thread-safe for reading)."""

    def __init__(self, engine: Engine, *, mode: Mode = "hybrid") -> None:
        self.engine = engine
        self.mode: Mode = mode  # retrieval used for evidence: hybrid, or one side for baselines

    @cached_property
    def detector(self) -> DomainDetector:
        texts = [c.embedding_content() for c in self.engine.all_chunks()]
        return DomainDetector(self.engine.catalogue, self._stored_vectors, texts)

    @cached_property
    def intents(self) -> IntentClassifier:
        return IntentClassifier(self._stored_vectors)

    @cached_property
    def _stored_vectors(self) -> StoredVectors:
        return StoredVectors(self.engine.embedder, self.engine.settings.data_dir / "cache" / "vectors")

    @cached_property
    def analyst(self) -> OfflineAnalyst:
        return OfflineAnalyst(self.engine.catalogue)

    def warm(self) -> None:
        """Load the model, the index and the catalogue vectors now rather than on the first question."""
        self.engine.ensure_index()
        self.detector.warm()
        _ = self.intents.scores(self.engine.embedder.embed_query("warm up"), "warm up")

    # -- understanding -----------------------------------------------------------
    def understand(self, question: str, history: Sequence[Turn] = ()) -> tuple[Understanding, Any, float]:
        q = clean_question(question)
        vector = self.engine.embedder.embed_query(q)
        intents = self.intents.scores(vector, q)
        subject = without_condition_names(q)  # domains are found in what is left
        subject_vector = vector if subject == q else self.engine.embedder.embed_query(subject or ".")
        scores = self.detector.score(subject, subject_vector, self._card_similarity(subject_vector))
        best_intent = max(intents, key=lambda k: intents[k])
        domains = self.detector.select(scores, comparison=best_intent == "comparison")
        if len(domains) > 1:
            domains = self.detector.mention_order(q, domains)
        followup = looks_like_followup(q, history)
        standalone = q
        inherited = False
        prev = history[-1] if history else None
        if followup and prev:
            prev_domains = [d for d in prev.get("domains") or [] if d in self.engine.catalogue.domains]
            if domains:
                if prev_domains and intents["comparison"] >= intents["feasibility"]:
                    domains = list(dict.fromkeys([*prev_domains, *domains]))  # "how does that compare with X?"
                names = " and ".join(self.engine.catalogue.domains[d].name for d in domains)
                standalone = f"{q} (follow-up: could geopolitical rivals cooperate on {names}?)"
            elif prev_domains:
                domains, inherited = prev_domains, True
                names = " and ".join(self.engine.catalogue.domains[d].name for d in prev_domains)
                standalone = f"{q} (about cooperation on {names})"
            else:
                standalone = f"{q} (follow-up to: {prev.get('standalone') or prev.get('question')})"
            prev_type = str(prev.get("qtype") or "feasibility")
            if inherited and best_intent in ("off_topic", "feasibility", "comparison") and prev_type in INHERITABLE:
                # an elliptical follow-up ("why?", "what would change that?") keeps the earlier type
                intents = {**intents, prev_type: 1.0}
                best_intent = prev_type
        relevance = self._relevance(standalone, vector if standalone == q else None)
        if not domains:
            intents = self._with_kind_evidence(standalone, vector if standalone == q else None, intents)
            best_intent = max(intents, key=lambda k: intents[k])
        qtype = self._qtype(best_intent, intents, domains, relevance)
        if qtype == "out_of_scope" and inherited and best_intent not in ("off_topic", "injection"):
            qtype = "feasibility"  # "what would change that?" leans on the earlier answer
        if qtype == "out_of_scope":
            domains = []
        if qtype in DEFER_TYPES and domains and not inherited:
            # "what does the DeepSeek case show?" is about the case, not a domain: keep only
            # domains the question names outright or matches strongly
            floor = FAIRNESS_DOMAIN_MIN if qtype == "fairness" else DEFER_DOMAIN_MIN
            strong = {s.id for s in scores if s.explicit or s.score >= floor}
            domains = [d for d in domains if d in strong]
        if qtype in ("feasibility", "fairness") and len(domains) >= 2:
            qtype = "comparison"
        u = Understanding(
            question=q,
            standalone=standalone,
            qtype=qtype,
            domains=domains,
            domain_scores=scores,
            intents=intents,
            is_followup=followup and prev is not None,
            conditions=named_conditions(q),
        )
        return u, (vector if standalone == q else None), relevance

    def _card_similarity(self, vector: Any) -> dict[str, float]:
        """Best cosine similarity of the question to each domain's card passages."""
        snap = self.engine.knowledge.snapshot()
        if snap is None:
            return {}
        found = self.engine.knowledge.store.query(vector, CARD_CANDIDATES, {"kind": "domain"})
        best: dict[str, float] = {}
        for cid, sim in found:
            chunk = snap.by_id.get(cid)
            if chunk is not None:
                for did in chunk.domains:
                    best[did] = max(best.get(did, 0.0), sim)
        return best

    def _with_kind_evidence(self, text: str, vector: Any, intents: dict[str, float]) -> dict[str, float]:
        """What kind of document answers best is evidence of the question type.

        A question whose best passages are precedents is probably about a precedent,
        one answered by the DeepSeek case is about the case, and so on.
        """
        hits = self.engine.retriever.search(text, KIND_EVIDENCE_K, vector=vector)
        if not hits:
            return intents
        out = dict(intents)
        for kind, qtype in KIND_TYPES.items():
            share = sum(1 for h in hits if h.chunk.kind == kind) / len(hits)
            out[qtype] = out.get(qtype, 0.0) + KIND_WEIGHT * share
        return out

    def _relevance(self, text: str, vector: Any) -> float:
        """Cosine similarity of the question to its nearest passage (curated or uploaded)."""
        vec = vector if vector is not None else self.engine.embedder.embed_query(text)
        best = 0.0
        for coll in (self.engine.knowledge, self.engine.uploads):
            if coll.snapshot() is not None:
                found = coll.store.query(vec, 1)
                best = max(best, found[0][1] if found else 0.0)
        return best

    @staticmethod
    def _qtype(best: str, intents: dict[str, float], domains: list[str], relevance: float) -> str:
        if best == "injection" and intents["injection"] >= INJECTION_MIN:
            return "out_of_scope"
        if len(domains) >= 2:
            return "comparison"
        if domains:
            # A question naming a domain asks about its feasibility unless another type is clearly stronger.
            base = max(intents.get("feasibility", 0.0), intents.get("comparison", 0.0))
            if (
                best in ("fairness", "precedent", "deepseek", "research", "concept")
                and intents[best] >= base + TYPE_MARGIN
            ):
                return best
            return "feasibility"
        if best in ("off_topic", "injection") or relevance < MIN_RELEVANCE:
            return "out_of_scope"
        if best in ("feasibility", "comparison"):
            return "unknown_domain"
        return best

    # -- answering ---------------------------------------------------------------
    def refusal(self, question: str, backend: str, started: float, notices: Sequence[str] = ()) -> Answer:
        return Answer(
            question=question,
            backend=backend,
            out_of_scope=True,
            answer=REFUSAL,
            question_type="out_of_scope",
            notices=list(notices),
            suggestions=self.suggestions(None),
            timings_ms={"retrieve": 0.0, "generate": 0.0, "total": (time.perf_counter() - started) * 1000},
        )

    def prepare(
        self, question: str, history: Sequence[Turn] = (), *, backend: str = "offline", notices: Sequence[str] = ()
    ) -> Prepared | Answer:
        """Understanding and evidence for a question, or the refusal when there is none."""
        started = time.perf_counter()
        if not clean_question(question):
            return self.refusal(question, backend, started, notices)
        self.engine.ensure_index()
        u, vector, _ = self.understand(question, history)
        if u.qtype == "out_of_scope":
            return self.refusal(question, backend, started, notices)
        ev = gather(
            self.engine.retriever,
            self.engine.catalogue,
            u.standalone,
            vector,
            qtype=u.qtype,
            domains=u.domains,
            mode=self.mode,
            nearest=[d.id for d in u.domain_scores[:3]] if u.qtype == "unknown_domain" else (),
            conditions=u.conditions,
        )
        if not ev.hits:
            return self.refusal(question, backend, started, notices)
        return Prepared(question, u, ev, CitationBook(ev.hits), started, time.perf_counter())

    def finish(
        self,
        prep: Prepared,
        composed: Composed,
        *,
        backend: str = "offline",
        notices: Sequence[str] = (),
        validation: dict[str, Any] | None = None,
    ) -> Answer:
        """The validated Answer; raises CitationIntegrityError on any unresolved marker."""
        book, u = prep.book, prep.understanding
        if not book.citations():
            return self.refusal(prep.question, backend, prep.started, notices)
        done = time.perf_counter()
        answer = Answer(
            question=prep.question,
            backend=backend,
            out_of_scope=False,
            domains=u.domains,
            verdict=composed.verdict,
            conditions=composed.conditions,  # type: ignore[arg-type]
            answer=composed.answer,
            citations=book.citations(),
            retrieved=book.retrieved_ids,
            question_type=u.qtype,
            standalone_question=u.standalone if u.is_followup else None,
            comparison=composed.comparison,
            unknown_domain=composed.unknown_domain,
            suggestions=self.suggestions(u),
            notices=list(notices),
            validation=validation or {},
            timings_ms={
                "retrieve": round((prep.retrieved_at - prep.started) * 1000, 2),
                "generate": round((done - prep.retrieved_at) * 1000, 2),
                "total": round((done - prep.started) * 1000, 2),
            },
        )
        problems = check_answer(answer)
        if problems:
            raise CitationIntegrityError("; ".join(problems))
        return answer

    def ask(self, question: str, history: Sequence[Turn] = (), *, notices: Sequence[str] = ()) -> Answer:
        """The offline analyst's answer."""
        prep = self.prepare(question, history, notices=notices)
        if isinstance(prep, Answer):
            return prep
        composed = self.analyst.compose(prep.understanding, prep.evidence, prep.book)
        return self.finish(prep, composed, notices=[*notices, *self.reading_notices(prep.understanding)])

    def reading_notices(self, u: Understanding) -> list[str]:
        """Say so when the question was matched to a domain on weak evidence."""
        if not u.domains or u.is_followup:
            return []
        top = next((s for s in u.domain_scores if s.id == u.domains[0]), None)
        if top is None or top.explicit or top.score >= CONFIDENT_DOMAIN:
            return []
        name = self.engine.catalogue.domains[top.id].name
        return [f"Your question names no catalogued area; I read it as about {lower_first(name)}, the closest one. "
                "If you meant something else, the catalogue may not assess it."]

    # -- suggestions ---------------------------------------------------------------
    def suggestions(self, u: Understanding | None) -> list[str]:
        """Two or three next questions the knowledge base can answer."""
        cat = self.engine.catalogue
        if u is None or not u.domains:
            ranked = [s.id for s in (u.domain_scores if u else [])][:2] or list(cat.domains)[:2]
            out = [f"Could rivals cooperate on {lower_first(cat.domains[d].name)}?" for d in ranked if d in cat.domains]
            out.append("What are the conditions for feasible cooperation?")
            return out[:3]
        d = cat.domains[u.domains[0]]
        opposite = next(
            (s.id for s in u.domain_scores if s.id not in u.domains and cat.domains[s.id].verdict != d.verdict),
            None,
        )
        out = []
        if opposite:
            out.append(f"How does {lower_first(d.name)} compare with {lower_first(cat.domains[opposite].name)}?")
        weakest = min(
            d.conditions, key=lambda c: ["not_met", "unknown", "partial", "met"].index(d.conditions[c].rating)
        )
        out.append(f"What does {CONDITION_NAMES[weakest].lower()} mean in the framework?")
        out.append(
            "Is feasible cooperation always fair?"
            if d.verdict == "feasible"
            else f"Where is cooperation {VERDICT_WORDS['feasible']} instead?"
        )
        return out[:3]

    def stream_answer(self, answer: Answer) -> Iterator[str]:
        """The answer text in pieces (the offline analyst is instant; the UI streams anyway)."""
        yield from answer.answer.splitlines(keepends=True)
