"""The answer pipeline: understand -> retrieve evidence -> compose -> validate.

``Navigator`` runs one flow for every answer, streamed or not: prepare (language, router,
evidence), compose with its composer, on a composition failure compose again with the
fallback composer from the same evidence, then finish (every marker must resolve to a
retrieved passage). Refusals never reach a composer.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from rag.answer.citations import CitationBook, CitationIntegrityError, check_answer, relabel
from rag.answer.compose import Composed, Composer, CompositionError, Preview
from rag.answer.evidence import Evidence, Searchers, gather
from rag.answer.excerpts import Labels
from rag.answer.offline import OfflineAnalyst
from rag.answer.schema import REFUSAL, Answer
from rag.engine import Engine
from rag.framework import Catalogue
from rag.retrieve import Mode
from rag.router import Route
from rag.router.data import english_questions
from rag.understand import (
    Turn,
    Understanding,
    clean_question,
    is_new_area_answer,
    understand,
    without_condition_names,
)

ANALOGY_CANDIDATES = 3
QUOTED_CHARS = 240  # the longest sentence a refusal quotes whole (``refusal_text``); longer ones are cut
# The suggested next questions in English; in other languages, rag/data/i18n.yaml's "suggestions".
OVERVIEW_QUESTION = "Which areas are most promising for cooperation between rivals?"
AREA_QUESTION = "Could rivals cooperate on {area}?"
COMPARE_QUESTION = "How does {a} compare with {b}?"
CONDITION_QUESTION = "What does {condition} mean in the framework?"
FAIR_QUESTION = "Is feasible cooperation always fair?"
START_QUESTION = "Where should rivals start instead?"
SUGGESTION_ENGLISH = {
    "area": AREA_QUESTION, "compare": COMPARE_QUESTION, "condition": CONDITION_QUESTION, "fair": FAIR_QUESTION,
    "start": START_QUESTION, "overview": OVERVIEW_QUESTION,
}  # fmt: skip
# The type each suggestion, asked, must be read as (with exactly the areas it names).
SUGGESTION_TYPES = {
    "area": "feasibility", "compare": "comparison", "condition": "concept", "fair": "fairness",
    "start": "overview", "overview": "overview",
}  # fmt: skip
# The catalogued areas each refusal offers to discuss instead (its text in rag/data/i18n.yaml names
# them): by harm category, or by the kind of refusal. Its suggestions ask about these first, so that
# a refused request about hiding chips is followed by the policy question on compute controls.
REFUSAL_OFFERS: Mapping[str, tuple[str, ...]] = {
    "export_evasion": ("compute-controls",),
    "weapons": ("extreme-risk-prevention", "biosecurity"),
    "fabrication": ("content-provenance",),
    "personal_data": ("safety-institute-networks",),
    "off_topic": ("incident-reporting", "compute-controls"),
    "nothing_found": ("incident-reporting", "compute-controls"),
}


def turn_of(answer: Answer) -> dict[str, Any]:
    """What a later follow-up needs to know about an earlier answer."""
    return {
        "question": answer.question,
        "standalone": answer.standalone_question or answer.question,
        "domains": answer.domains,
        "qtype": answer.question_type,
        "language": answer.language,
        # an area outside the catalogue: the assessed areas it was likened to, in the order listed
        "analogies": [a.domain for a in answer.analogies],
    }


@dataclass
class Prepared:
    """Everything needed to compose an answer: the question understood and its evidence."""

    question: str
    understanding: Understanding
    evidence: Evidence
    started: float
    retrieved_at: float


def inferred_notice(u: Understanding, names: Mapping[str, str]) -> list[str]:
    """The line, in the question's language, saying which area a comparison was read as comparing
    where the question did not name it outright (``Route.inferred``); none for any other answer."""
    from rag.multilingual import string_table

    guessed = [d for d in u.domains if d in u.route.inferred]
    named = [d for d in u.domains if d not in u.route.inferred]
    if u.qtype != "comparison" or not guessed or not named:
        return []
    text = string_table().get(u.language, "inferred")
    return [
        text.format(
            named=", ".join(names.get(d, d) for d in named), inferred=", ".join(names.get(d, d) for d in guessed)
        )
    ]


def mended_notice(u: Understanding) -> list[str]:
    """The line saying how the question was read where slips in it were mended (English questions
    only: ``Route.read_as``), so that a wrong guess shows; none where it was read as written."""
    return [f"Read as: “{u.route.read_as}”"] if u.route.read_as else []


def background_notice(u: Understanding, names: Mapping[str, str]) -> list[str]:
    """The line, in the question's language, saying which areas the question named only as its
    background (``Route.background``) and were not assessed; none when it named none so, or when
    the answer is about no one area (an overview ranks them all)."""
    from rag.multilingual import string_table

    behind = [d for d in u.route.background if d not in u.domains]
    if not behind or not u.domains or u.qtype == "overview":
        return []
    text = string_table().get(u.language, "background")
    return [
        text.format(
            background=", ".join(names.get(d, d) for d in sorted(behind)),
            asked=", ".join(names.get(d, d) for d in u.domains),
        )
    ]


def one_found_notice(u: Understanding, names: Mapping[str, str]) -> list[str]:
    """The line, in the question's language, saying that a question seeming to compare its one area
    found with something else (``Understanding.one_of_compared``) is answered on that area alone, and
    how to ask about the other; none for any other answer."""
    from rag.multilingual import string_table

    if not u.one_of_compared or len(u.domains) != 1:
        return []
    return [string_table().get(u.language, "one_found").format(named=names.get(u.domains[0], u.domains[0]))]


# Said, in English, of an English question naming what the knowledge base nowhere mentions: its
# passages are otherwise shown as if they answered about that person or body.
UNKNOWN_NAMES = (
    "The knowledge base says nothing about {names}; the passages cited are what it holds on the rest of the question."
)


def lowercase_words(texts: Iterable[str]) -> frozenset[str]:
    """The words ``texts`` write in lowercase: ordinary words, not names ("does", not "Serena")."""
    return frozenset(w for t in texts for w in re.findall(r"[^\W\d_]+", t) if w.islower())


@dataclass(frozen=True)
class KnownText:
    """What names are looked up in: the knowledge base's text ``folded`` and padded with spaces, and
    ordinary words (written in lowercase in the knowledge base or in ``ordinary``: "does",
    "suppose", not "Serena")."""

    text: str
    words: frozenset[str]

    @classmethod
    def of(cls, texts: Sequence[str], ordinary: frozenset[str] = frozenset()) -> KnownText:
        from rag.multilingual import folded

        return cls(f" {' '.join(folded(t) for t in texts)} ", lowercase_words(texts) | ordinary)

    def has(self, words: Sequence[str]) -> bool:
        """Is the name held, its last word allowed to run on ("Southeast Asia" in "Southeast Asian")?"""
        from rag.multilingual import folded

        return f" {folded(' '.join(words))}" in self.text


def unknown_names_notice(question: str, language: str, known: KnownText) -> list[str]:
    """The line saying which names of two words or more in an English ``question`` (``name_runs``)
    the knowledge base (``known``) nowhere holds; none when it holds them all. A run opening a
    sentence may start with the question's own word ("Does Jensen Huang"): it is held when found
    whole or without that word; else the name is the run without its first word where two words or
    more are left, the whole run where its first word is no ordinary word of the knowledge base
    ("Serena Williams"), else none ("Does Nvidia"). The knowledge base is written in English, so a
    question in another language is not checked."""
    from rag.multilingual import name_runs

    if language != "en":
        return []
    missing: list[str] = []
    for run in name_runs(question):
        rest = run.words[1:]
        if known.has(run.words) or (run.opens and len(rest) >= 2 and known.has(rest)):
            continue
        if not run.opens:
            missing.append(" ".join(run.words))
        elif len(rest) >= 2:
            missing.append(" ".join(rest))
        elif run.words[0].casefold() not in known.words:
            missing.append(" ".join(run.words))
    missing = list(dict.fromkeys(missing))
    return [UNKNOWN_NAMES.format(names=" or ".join(missing))] if missing else []


def in_reading_order(composed: Composed, book: CitationBook) -> None:
    """Renumber the markers as a reader meets them: the answer's text, then each condition."""
    found = [*(composed.conditions or {}).values(), *(c for d in composed.comparison for c in d.conditions.values())]
    conditions = list({id(c): c for c in found}.values())  # a comparison shares its first domain's conditions
    mapping = book.renumber([composed.answer, *(c.reasoning for c in conditions)])
    composed.answer = relabel(composed.answer, mapping)
    for c in conditions:
        c.reasoning = relabel(c.reasoning, mapping)
        c.citations = [mapping.get(m, m) for m in c.citations]


def refusal_text(u: Understanding | None, *, nothing_found: bool = False) -> str:
    """Why the question is refused and what the Navigator can do instead, in the user's language
    (``nothing_found``: it was understood, but nothing in the knowledge base could be cited for it).
    A message refused for one of its sentences (``Route.read_by``) quotes that sentence, so that the
    user sees what was read so and can ask again without it."""
    if u is None:
        return REFUSAL
    from rag.multilingual import string_table

    if nothing_found:
        key = "refusals.nothing_found"
    elif u.qtype == "harmful" and u.harm:
        key = f"refusals.harmful.{u.harm}"
    else:
        key = f"refusals.{u.qtype}"
    try:
        text = string_table().get(u.language, key)
    except Exception:  # a table without this key: the fixed sentence
        return REFUSAL
    if nothing_found or not u.refused or not u.route.read_by or u.qtype != u.route.qtype:
        return text
    sentence = u.route.read_by.strip().rstrip(".。")
    if len(sentence) > QUOTED_CHARS:
        sentence = sentence[: QUOTED_CHARS - 1].rstrip() + "…"
    return f"{text} {string_table().get(u.language, 'read_by').format(sentence=sentence)}"


class Navigator:
    """Answers questions; build one per process (it is thread-safe for reading)."""

    def __init__(
        self,
        engine: Engine,
        *,
        composer: Composer | None = None,
        fallback: Composer | None = None,
        mode: Mode = "hybrid",
    ) -> None:
        self.engine = engine
        self.mode: Mode = mode  # retrieval used for evidence: hybrid, or one side for baselines
        self._composer = composer
        self._fallback = fallback
        # (suggestion, whether documents are uploaded) -> read as it stands for (``_reads_as``)
        self._read_suggestions: dict[tuple[str, bool], bool] = {}
        self._known: tuple[tuple[str, ...], KnownText | None] = ((), None)  # (snapshots, their text)
        self._known_lock = threading.Lock()

    @cached_property
    def domain_names(self) -> dict[str, str]:
        """Each catalogued domain's name by id (the engine's catalogue is loaded once)."""
        return {d.id: d.name for d in self.engine.catalogue.domains.values()}

    @cached_property
    def question_words(self) -> frozenset[str]:
        """The words the labelled English training questions write in lowercase: the ordinary words
        of questions ("my", "suppose"), which a knowledge base of formal prose may never use (other
        languages' questions left out: "tu" is French, and "Tu Youyou" a name). Once per process; the
        files are parsed once for the routers and these words (``rag.router.data``)."""
        return lowercase_words(english_questions())

    def known_text(self) -> KnownText:
        """Everything the knowledge base and the uploaded documents say, with the sources' titles,
        authors and organisations: what a name is looked up in. Built again when either collection
        publishes a new snapshot."""
        snapshots = [c.snapshot() for c in (self.engine.knowledge, self.engine.uploads)]
        key = tuple(s.name for s in snapshots if s is not None)
        with self._known_lock:
            built = self._known[1]
            if self._known[0] != key or built is None:
                sources = self.engine.catalogue.sources.values()
                texts = [c.text for s in snapshots if s is not None for c in s.chunks]
                texts += [f"{s.title} {' '.join(s.authors)} {s.organisation or ''}" for s in sources]
                built = KnownText.of(texts, self.question_words)
                self._known = (key, built)
            return built

    @cached_property
    def analyst(self) -> OfflineAnalyst:
        return OfflineAnalyst(self.engine.catalogue)

    @property
    def composer(self) -> Composer:
        return self._composer or self.analyst

    @property
    def fallback(self) -> Composer:
        return self._fallback or self.analyst

    def warm(self) -> None:
        """Load the models, the index and the routers now rather than on the first question."""
        self.engine.ensure_index()
        self.engine.train_routers()
        self.engine.embedder.embed_query("warm up")
        self.known_text()
        if self.engine.has_multilingual:
            from rag.multilingual import detect_language

            detect_language("warm up")
            self.engine.multilingual.embed_query("warm up")

    # -- understanding -----------------------------------------------------------
    def language_of(self, question: str, history: Sequence[Turn]) -> str:
        from rag.multilingual import detect_language

        fallback = str(history[-1].get("language") or "en") if history else "en"
        return detect_language(question, fallback=fallback)

    def understand(self, question: str, history: Sequence[Turn] = ()) -> tuple[Understanding, Any]:
        """The question understood, and its vector in its language's embedding space."""
        q = clean_question(question)
        language = self.language_of(q, history)
        route = self._route(q, language)
        vector = route.vector
        u = understand(
            q, route, language=language, history=history, has_documents=self.engine.retriever.has("uploads"),
            domain_names=self.domain_names,
        )  # fmt: skip
        if u.is_followup and u.qtype == "apply_framework" and history and is_new_area_answer(history[-1]):
            u = replace(u, route=replace(u.route, nearest=self._nearest_to(history[-1])))
        return u, (vector if u.standalone == q else None)

    def _route(self, question: str, language: str) -> Route:
        """The router's reading of ``question`` (by the router of its language, whose embedder is the
        retriever's), its domains found in what is left once the conditions' names are out."""
        router = self.engine.router_for(language)
        route = router.route(question, language)
        subject = without_condition_names(question)
        if subject != question:
            route = route.with_areas_of(router.route(subject or ".", language))
        return route

    def _nearest_to(self, turn: Turn) -> list[tuple[str, float]]:
        """The assessed areas nearest the subject of an answer on an area outside the catalogue, as
        they were found for it: a follow-up on that area ("why?", "which of your areas is it
        closest to?") names the same analogies, not areas near its own few words."""
        earlier = str(turn.get("standalone") or turn.get("question") or "")
        found = self._route(earlier, str(turn.get("language") or "en"))
        return found.nearest_areas(len(found.candidates))

    # -- answering ---------------------------------------------------------------
    def refusal(
        self,
        question: str,
        u: Understanding | None,
        started: float,
        notices: Sequence[str] = (),
        *,
        unreadable: bool = False,
        nothing_found: bool = False,
    ) -> Answer:
        """The polite refusal of a question (``u``: how it was understood; None when it was not:
        empty, or unreadable). ``unreadable``: it is written in a language the Navigator does not
        read, and says so in English. ``nothing_found``: it was understood (and keeps its type), but
        nothing in the knowledge base could be cited for it; the user is told so in their language."""
        from rag.multilingual import UNREADABLE, unreadable_reply

        return Answer(
            question=question,
            backend="offline",
            out_of_scope=True,
            answer=unreadable_reply() if unreadable else refusal_text(u, nothing_found=nothing_found),
            question_type=UNREADABLE if unreadable else u.qtype if u else "off_topic",
            language=u.language if u else "en",
            notices=list(notices),
            suggestions=self.refusal_suggestions(u, nothing_found=nothing_found),
            timings_ms={"retrieve": 0.0, "generate": 0.0, "total": round((time.perf_counter() - started) * 1000, 2)},
        )

    def prepare(self, question: str, history: Sequence[Turn] = ()) -> Prepared | Answer:
        """Understanding and evidence for a question, or the refusal when there is none."""
        from rag.multilingual import unsupported_language

        started = time.perf_counter()
        q = clean_question(question)
        if not q:
            return self.refusal(question, None, started)
        if unsupported_language(q) is not None:  # before any model reads it: it would misread it
            return self.refusal(question, None, started, unreadable=True)
        self.engine.ensure_index()
        u, vector = self.understand(question, history)
        if u.refused:
            return self.refusal(question, u, started)
        question_retriever, question_mode = self.engine.retriever_for(u.language)
        if u.standalone != u.question:
            vector = question_retriever.embed(u.standalone)
        searchers = Searchers(
            english=self.engine.retriever,
            question=question_retriever,
            mode=self.mode,
            question_mode=question_mode if self.mode == "hybrid" else self.mode,
        )
        nearest = [d for d, _ in u.route.nearest_areas(ANALOGY_CANDIDATES)] if u.qtype == "apply_framework" else []
        ev = gather(searchers, self.engine.catalogue, u, vector, nearest=nearest)
        if not ev.hits:
            return self.refusal(question, u, started, nothing_found=True)
        return Prepared(question, u, ev, started, time.perf_counter())

    def _compose(self, prep: Prepared, preview: Preview | None) -> tuple[Composed, CitationBook, str, list[str]]:
        """The composer's answer, or the fallback's from the same evidence when it fails."""
        u, ev = prep.understanding, prep.evidence
        book = CitationBook(ev.hits)
        try:
            return self.composer.compose(u, ev, book, preview=preview), book, self.composer.name, []
        except CompositionError as e:
            notice = (
                f"The language model's answer could not be used: {e.reason}. "
                "This answer comes from the offline analyst."
            )
            validation = e.validation
        except Exception as e:
            if self.composer is self.fallback:
                raise
            from rag.answer.llm import reason_for

            notice = f"The language model was not used: {reason_for(e)}. This answer comes from the offline analyst."
            validation = {}
        book = CitationBook(ev.hits)  # nothing the failed composer cited carries over
        composed = self.fallback.compose(u, ev, book)
        composed.validation = {**validation, **composed.validation}
        return composed, book, self.fallback.name, [notice]

    def answer(self, question: str, history: Sequence[Turn] = (), *, preview: Preview | None = None) -> Answer:
        """The whole flow, once: prepare, compose (falling back if needed), finish."""
        prep = self.prepare(question, history)
        if isinstance(prep, Answer):
            return prep
        composed, book, backend, notices = self._compose(prep, preview)
        return self.finish(prep, composed, book, backend=backend, notices=notices)

    def finish(
        self, prep: Prepared, composed: Composed, book: CitationBook, *, backend: str, notices: Sequence[str] = ()
    ) -> Answer:
        """The validated Answer; raises CitationIntegrityError on any unresolved marker."""
        u = prep.understanding
        if not book.citations():
            return self.refusal(prep.question, u, prep.started, notices, nothing_found=True)
        in_reading_order(composed, book)
        from rag.multilingual import string_table

        language_notice = string_table().notice(u.language) if backend == "offline" else None
        reading = [
            *mended_notice(u),
            *inferred_notice(u, self.domain_names),
            *background_notice(u, self.domain_names),
            *one_found_notice(u, self.domain_names),
            *(unknown_names_notice(prep.question, u.language, self.known_text()) if u.language == "en" else []),
        ]
        done = time.perf_counter()
        answer = Answer(
            question=prep.question,
            backend=backend,
            out_of_scope=False,
            domains=composed.domains if composed.domains is not None else u.domains,
            verdict=composed.verdict,
            conditions=composed.conditions,  # type: ignore[arg-type]
            answer=composed.answer,
            citations=book.citations(self.engine.catalogue),
            retrieved=book.retrieved_ids,
            question_type=u.qtype,
            standalone_question=u.standalone if u.is_followup else None,
            comparison=composed.comparison,
            overview=composed.overview,
            analogies=composed.analogies,
            unknown_domain=composed.unknown_domain,
            suggestions=self.suggestions(u),
            notices=[*([language_notice] if language_notice else []), *reading, *notices, *composed.notices],
            validation=composed.validation,
            language=u.language,
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

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """The answer to one question (with the conversation so far)."""
        return self.answer(question, history)

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final validated Answer (last item)."""
        pieces: queue.Queue[object] = queue.Queue()
        result: dict[str, object] = {}

        def run() -> None:
            try:
                result["answer"] = self.answer(question, history, preview=pieces.put)
            except BaseException as e:
                result["error"] = e
            finally:
                pieces.put(_DONE)

        threading.Thread(target=run, name="navigator-answer", daemon=True).start()
        streamed = False
        while (item := pieces.get()) is not _DONE:
            streamed = True
            yield str(item)
        if "error" in result:
            raise result["error"]  # type: ignore[misc]
        answer = result["answer"]
        assert isinstance(answer, Answer)
        if not streamed:  # the offline analyst is instant: show its text in lines
            yield from answer.answer.splitlines(keepends=True)
        yield answer

    # -- suggestions ---------------------------------------------------------------
    def refusal_suggestions(self, u: Understanding | None, *, nothing_found: bool = False) -> list[str]:
        """Questions to ask instead of a refused one: about the areas its refusal offers
        (``REFUSAL_OFFERS``: the policy side of a harmful request's topic), then the overview."""
        cat = self.engine.catalogue
        if nothing_found:
            kind = "nothing_found"
        elif u is None:
            kind = "off_topic"
        else:
            kind = u.harm if u.qtype == "harmful" and u.harm else u.qtype
        offered = [d for d in REFUSAL_OFFERS.get(kind, ()) if d in cat.domains]
        return self._area_questions(offered or list(cat.domains)[:2], u.language if u else "en")

    def _area_questions(self, ids: Sequence[str], language: str) -> list[str]:
        """The feasibility questions of the first two of catalogued areas ``ids``, then the overview."""
        areas = [Suggested("area", (d,)) for d in ids if d in self.engine.catalogue.domains][:2]
        return self._worded([*areas, Suggested("overview")], language)

    def suggestions(self, u: Understanding | None) -> list[str]:
        """Two or three next questions the knowledge base can answer, in the question's language."""
        cat = self.engine.catalogue
        language = u.language if u else "en"
        if u is None or not u.domains:
            nearest = [d for d, _ in u.route.nearest_areas(2)] if u else []
            return self._area_questions(nearest or list(cat.domains)[:2], language)
        d = cat.domains[u.domains[0]]
        opposite = next(
            (did for did, _ in u.route.candidates if did not in u.domains and cat.domains[did].verdict != d.verdict),
            None,
        )
        weakest = min(
            d.conditions, key=lambda c: ["not_met", "unknown", "partial", "met"].index(d.conditions[c].rating)
        )
        wanted = [Suggested("compare", (d.id, opposite))] if opposite else []
        wanted += [Suggested("condition", condition=weakest), Suggested("fair" if d.verdict == "feasible" else "start")]
        return self._worded(wanted, language)

    def _worded(self, wanted: Sequence[Suggested], language: str) -> list[str]:
        """The suggestions ``wanted``, each in ``language`` where the Navigator, asked it, reads it as
        the question it stands for (``Suggested.reads_as``), else in English where it reads so, else
        left out: a suggestion is asked with a click, and must be answered as offered."""
        cat, own, english = self.engine.catalogue, Labels(language), Labels()
        out = []
        for s in wanted:
            for worded in dict.fromkeys((s.worded(own, cat), s.worded(english, cat))):
                if self._reads_as(worded, s):
                    out.append(worded)
                    break
        return out

    def _reads_as(self, question: str, s: Suggested) -> bool:
        """Whether ``question``, asked on its own, is read as ``s``; remembered (the same few hundred
        suggestions come back) while the user's documents stay uploaded or absent, which can change
        how a question is read."""
        key = (question, self.engine.retriever.has("uploads"))
        known = self._read_suggestions.get(key)
        if known is None:
            u, _ = self.understand(question)
            known = u.qtype == s.reads_as and set(u.domains) == set(s.areas)
            self._read_suggestions[key] = known
        return known


@dataclass(frozen=True)
class Suggested:
    """A next question the Navigator suggests: the kind (its template in rag/data/i18n.yaml,
    "suggestions"), the areas it names (one to ask about, two to compare) and the condition it asks
    about."""

    key: str
    areas: tuple[str, ...] = ()
    condition: str = ""

    @property
    def reads_as(self) -> str:
        """The question type it must be read as."""
        return SUGGESTION_TYPES[self.key]

    def worded(self, labels: Labels, catalogue: Catalogue) -> str:
        """The question in the language of ``labels``."""
        names = [labels.area(d, catalogue.domains[d].name) for d in self.areas]
        fields: dict[str, str] = {}
        if self.key == "area":
            fields = {"area": names[0]}
        elif self.key == "compare":
            fields = {"a": names[0], "b": names[1]}
        elif self.condition:
            name = labels.condition(self.condition)  # inside an English sentence with a small letter
            fields = {"condition": name.lower() if labels.language == "en" else name}
        return labels.suggestion(self.key, SUGGESTION_ENGLISH[self.key], **fields)


_DONE = object()
