"""Question understanding: what kind of question, about which catalogued domains, in which language.

The trained router (``rag.router``) reads the question; this module turns its reading into
an :class:`Understanding`: question types that depend on the domains found (one domain:
feasibility; two or more: a comparison; none: the framework applied to an area the
catalogue does not assess; also where the wording reads as another kind of question about
areas, unless the type model rules that reading out), follow-ups resolved against the
conversation, and the conditions the question names. A question the type model reads as
about an area outside the catalogue keeps that reading whatever domains were found near it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.framework import CONDITION_PHRASES
from rag.multilingual import UNREADABLE
from rag.router import Route
from rag.router.features import NEW_AREA
from rag.router.referring import pointed_place, refers_back
from rag.router.router import ACCEPT, REFUSED_TYPES

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_QUESTION_CHARS = 4000
FOLLOWUP_MAX_WORDS = 20
FOLLOWUP_MAX_CHARS_UNSPACED = 50  # the same for scripts written without spaces (about 20 words of Chinese)
SHORT_FOLLOWUP_WORDS = 6  # this short, a question after an answer leans on the one before it
SHORT_FOLLOWUP_CHARS = 16  # the same for scripts written without spaces
# Types whose answer is a verdict on catalogued domains; the number of domains decides which.
VERDICT_TYPES = ("feasibility", "comparison", "apply_framework")
# Refused types that a conversation never makes answerable; an off-topic reading of a short
# follow-up ("and military AI?") may be the type model having too little to go on.
NEVER_ANSWERED = ("injection", "harmful")
# Answers that declined the question: the router's refusals, and a question in a language the
# Navigator does not read (declined before routing).
DECLINED_TYPES = (*REFUSED_TYPES, UNREADABLE)
# Answers about areas that are not verdicts. Read as one of these, a question about two or more
# areas is a comparison, and one about no catalogued area the framework applied to it, where the
# type model does not rule that reading out ("is co-writing papers easier than red-teaming each
# other's models?" reads as research; "AI at trade fairs" as fairness, for the word "fair").
AREA_TYPES = ("fairness", "precedent", "deepseek", "research")
# What the type model reads in a follow-up with no topic of its own ("why?": off-topic; "为什么这么说？",
# "what would we need to know to decide?": a question about the framework). Read so, a bare
# follow-up asks about the answer before; read as fairness or precedents ("who gets left out?"),
# it asks that of the same area.
BARE_READINGS = ("off_topic", "concept")
# Types a short follow-up ("why?", "what would change that?") keeps from the answer before it.
INHERITABLE = ("feasibility", "comparison", "fairness", "precedent", "deepseek", "research", "concept")

Turn = Mapping[str, Any]

_PHRASE_CONDITION = {p: cid for cid, phrases in CONDITION_PHRASES.items() for p in phrases}
_CONDITION_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for ps in CONDITION_PHRASES.values() for p in ps) + r")\b", re.IGNORECASE
)


def without_condition_names(text: str) -> str:
    """The question with the framework's condition names taken out, for finding its domains.

    "What does verification feasibility mean?" asks about a condition, not about the
    verification-mechanisms domain whose names share a word with it.
    """
    return " ".join(_CONDITION_RE.sub(" ", text).split())


def named_conditions(text: str) -> list[str]:
    """Ids of the conditions a text names ("domain separability", ...), in the order named."""
    return list(dict.fromkeys(_PHRASE_CONDITION[m.group(0).lower()] for m in _CONDITION_RE.finditer(text)))


def clean_question(text: str) -> str:
    """Control and bidi characters removed, whitespace collapsed, length capped."""
    text = _CONTROL_RE.sub(" ", text or "")
    text = " ".join(text.split())
    return text[:MAX_QUESTION_CHARS]


@dataclass
class Understanding:
    """A question as the engine reads it."""

    question: str
    standalone: str  # the question as retrieval sees it (follow-ups rewritten with the conversation)
    qtype: str
    domains: list[str]
    route: Route
    language: str = "en"
    is_followup: bool = False
    conditions: list[str] = field(default_factory=list)  # the conditions the question names
    # Whether the question seems to compare its one area with something the router did not find among
    # the catalogue's areas ("AI in air traffic control versus compute controls", "watermarks versus
    # deciding which deepfakes get banned"): read as a comparison, or as about an area outside the
    # catalogue, it is answered on that one area alone (see ``compares_one_found``).
    one_of_compared: bool = False

    @property
    def harm(self) -> str | None:
        return self.route.harm

    @property
    def orientation(self) -> str | None:
        return self.route.orientation

    @property
    def refused(self) -> bool:
        return self.qtype in REFUSED_TYPES

    @property
    def asks_nearest(self) -> bool:
        """Whether it is a follow-up asking which assessed areas the area outside the catalogue before
        is nearest to ("which of your areas is it closest to?"): its answer leads with them."""
        return (
            self.is_followup
            and self.qtype == "apply_framework"
            and _follow_up_kind(self.route, self.qtype, self.domains) == "nearest"
        )


def is_short(question: str) -> bool:
    words = question.split()
    if len(words) <= 1:
        return len(question) <= SHORT_FOLLOWUP_CHARS
    return len(words) <= SHORT_FOLLOWUP_WORDS


def looks_like_followup(
    question: str, history: Sequence[Turn], language: str = "en", follow_ups: Mapping[str, float] | None = None
) -> bool:
    """A short question, one that refers back ("and military AI?", "why is that?", "那数据治理呢？",
    "the second one"), or one the follow-up model reads as a follow-up of some kind (``follow_ups``:
    "Welchem der bewerteten Bereiche kommt das am nächsten?") leans on the earlier turn; long pasted
    text stands alone (it is never rewritten)."""
    words = question.split()
    if not history or len(words) > FOLLOWUP_MAX_WORDS:
        return False
    if len(words) <= 1 and len(question) > FOLLOWUP_MAX_CHARS_UNSPACED:
        return False
    leans = any(p >= ACCEPT for p in (follow_ups or {}).values())
    return (
        leans or is_short(question) or refers_back(question, language) or pointed_place(question, language) is not None
    )


def verdict_type(domains: Sequence[str]) -> str:
    """Feasibility for one domain, a comparison for more, the framework applied for none."""
    if len(domains) >= 2:
        return "comparison"
    return "feasibility" if domains else "apply_framework"


def understand(
    question: str,
    route: Route,
    *,
    language: str = "en",
    history: Sequence[Turn] = (),
    has_documents: bool = False,
    domain_names: Mapping[str, str] | None = None,
) -> Understanding:
    """The router's reading of ``question`` resolved into an Understanding.

    ``domain_names`` maps domain ids to names (to write the standalone question of a
    follow-up); ``has_documents`` says whether the user has uploaded anything.
    """
    names = domain_names or {}
    qtype = route.qtype
    domains = list(route.domains)
    prev = history[-1] if history else None
    followup = prev is not None and looks_like_followup(question, history, language, route.follow_ups)
    # "how does that compare with X?": the other area is the one the conversation took up, not a guess
    domains = [d for d in domains if not (followup and d in route.inferred)]
    standalone = question
    after_answer = prev is not None and _answered(prev)
    if followup and prev is not None and after_answer and not _never_answered(route, qtype):
        qtype = _leaning_type(route, qtype, domains, prev)
    elif not after_answer and _more_of_nothing(route, qtype, domains):
        qtype = "off_topic"  # "Go on" with no answer before it asks nothing the Navigator answers
    if followup and prev is not None and qtype not in REFUSED_TYPES:
        qtype, domains, standalone = _resolve_followup(question, qtype, domains, history, names, language)
    if qtype == "documents" and not has_documents:
        qtype = _second_type(route, exclude=("documents", *REFUSED_TYPES))
    if not followup and route.qtype == NEW_AREA and len(domains) < 2:
        # The type model reads an area the catalogue does not assess ("AI in civilian reactor control
        # rooms", "taxing AI profits"): a catalogued area the domain model found near it is an
        # analogy named with its verdict, never the answer's verdict, unless the question writes that
        # area's name word for word: then the framework is asked of it ("Appliquez le cadre aux normes
        # fondées sur des valeurs."), however the request is worded. Two areas found are two the
        # question names, compared ("why can they agree on labelling AI content, not on censorship?").
        domains = [d for d in domains if d in route.named]
    if qtype in VERDICT_TYPES or (not followup and qtype in AREA_TYPES and _verdict_open(route, domains)):
        qtype = verdict_type(domains)
    one_of_compared = not followup and qtype == "feasibility" and compares_one_found(route)
    if qtype in REFUSED_TYPES or qtype == "overview":
        domains = []
    return Understanding(
        question=question,
        standalone=standalone,
        qtype=qtype,
        domains=domains,
        route=route,
        language=language,
        is_followup=followup,
        conditions=named_conditions(question),
        one_of_compared=one_of_compared,
    )


def compares_one_found(route: Route) -> bool:
    """Whether a question that found one area reads as comparing it with something else: the type model
    reads a comparison, or an area outside the catalogue beside the one it names, and no second area
    was inferred from its wording nor set aside as its background. The other thing compared is an
    area the catalogue does not assess or one the router lost; it cannot tell which (most such
    questions of the dev sets compare two catalogued areas), so the answer on the one area says so
    (``rag.answer.pipeline.one_found_notice``)."""
    return route.qtype in ("comparison", NEW_AREA) and not route.inferred and not route.background


def _pointed_reading(
    question: str, qtype: str, language: str, history: Sequence[Turn], names: Mapping[str, str]
) -> tuple[str, list[str], str] | None:
    """(type, domains, standalone question) of a follow-up that names no area and points at one of
    the answer before by its place ("why is the second one hopeless?", ``pointed_place``), where
    that answer showed so many (its areas, or, for an area outside the catalogue, the assessed areas
    it was likened to): that area, asked about as the question asks (who is left out of it, its
    precedents), else its feasibility. None for any other question, and for a comparison ("is the
    first one likelier than the second one?"): it compares the conversation's areas."""
    place = pointed_place(question, language)
    if place is None or not history or not _answered(history[-1]) or qtype in (*NEVER_ANSWERED, "comparison"):
        return None
    before = history[-1]
    shown = [d for d in before.get("domains") or before.get("analogies") or [] if d in names]
    if not shown or place > len(shown):
        return None
    area = shown[-1] if place < 0 else shown[place - 1]
    asked = qtype if qtype in AREA_TYPES else "feasibility"
    return asked, [area], f"{question} (follow-up: could geopolitical rivals cooperate on {names.get(area, area)}?)"


def _verdict_open(route: Route, domains: Sequence[str]) -> bool:
    """Whether a question about no area or several may be read by their number (see AREA_TYPES)."""
    return len(domains) != 1 and verdict_type(domains) in route.open_types


def _second_type(route: Route, *, exclude: Sequence[str]) -> str:
    ranked = sorted(route.types, key=lambda k: -route.types[k])
    return next((t for t in ranked if t not in exclude), "feasibility")


def _leaning_type(route: Route, qtype: str, domains: Sequence[str], prev: Turn) -> str:
    """The type of a follow-up after an answered turn (``prev``), by the kind it leans on it."""
    kind = _follow_up_kind(route, qtype, domains)
    if kind == "compare":
        return "comparison"  # "which of the two?": the areas the conversation took up
    if kind == "nearest":
        # "which of your areas is it closest to?" after an area the catalogue does not assess: the
        # framework applied to it again, whose answer names the nearest assessed areas (analogies);
        # after any other answer, a question of its own
        return "apply_framework" if is_new_area_answer(prev) else qtype
    if kind is None:
        return qtype
    # "why?" after an answer: the same kind of answer, on the same subject; "and X?": on X,
    # unless the answer before was about no one area (an overview, a concept): then X's feasibility
    leaned = str(prev["qtype"])
    if domains and leaned not in (*VERDICT_TYPES, *AREA_TYPES):
        return route.qtype if route.qtype in VERDICT_TYPES else "feasibility"
    return leaned


def _follow_up_kind(route: Route, qtype: str, domains: Sequence[str]) -> str | None:
    """How a follow-up leans on the turn before: "compare" ("which of the two?"), "nearest" ("which
    of your areas is it closest to?": the assessed areas nearest the subject before), "switch" (the
    question before, of the area it names: "and X?", "same question for X"), "bare" ("why?": the
    answer before), or None (it reads as a question of its own)."""
    kinds = route.follow_ups
    if kinds.get("compare", 0.0) >= ACCEPT:
        return "compare"
    if not domains and kinds.get("nearest", 0.0) >= ACCEPT:
        return "nearest"
    if domains and (kinds.get("switch", 0.0) >= ACCEPT or qtype == "off_topic"):
        # an off-topic reading of a question naming an area: in few words, the type model had little to go on
        return "switch"
    if not domains and (qtype in BARE_READINGS or _asks_for_more(route)) and kinds.get("bare", 0.0) >= ACCEPT:
        return "bare"
    return None


def _more_of_nothing(route: Route, qtype: str, domains: Sequence[str]) -> bool:
    """Whether a message names no area and reads as a bare follow-up ("Go on", "Can you elaborate?"),
    a refused reading aside unless its check reads it as legitimate (``_asks_for_more``): asked with
    no answer before it, it asks for more of nothing."""
    if domains or route.follow_ups.get("bare", 0.0) < ACCEPT:
        return False
    return not _never_answered(route, qtype)


def _never_answered(route: Route, qtype: str) -> bool:
    """Whether ``qtype`` is a reading no conversation makes answerable (harmful, an injection), unless
    the message only asks for more (``_asks_for_more``)."""
    return qtype in NEVER_ANSWERED and not _asks_for_more(route)


def _asks_for_more(route: Route) -> bool:
    """Whether a message the type model reads as an injection or as harmful, read whole, is
    legitimate to that type's check and a bare follow-up to the follow-up model ("Tell me more.":
    "tell me" opens many requests for the Navigator's instructions; "More details please.": details
    are what a request for someone's personal data asks for). Only after an answer does it ask
    anything: for more of that answer."""
    checked = route.refusal_checked
    return (
        route.qtype in NEVER_ANSWERED
        and checked is not None
        and checked < ACCEPT
        and route.follow_ups.get("bare", 0.0) >= ACCEPT
    )


def is_new_area_answer(turn: Turn) -> bool:
    """Whether the turn answered on an area the catalogue does not assess (the framework applied to
    it, no verdict, the nearest assessed areas named as analogies)."""
    return turn.get("qtype") == "apply_framework" and not turn.get("domains") and bool(turn.get("analogies"))


def _answered(prev: Turn) -> bool:
    """Whether the turn before was answered: after a refusal, a follow-up asks nothing the
    Navigator answers."""
    return bool(prev.get("qtype")) and prev.get("qtype") not in DECLINED_TYPES


def _recent_domains(
    history: Sequence[Turn], names: Mapping[str, str], at_least: int, besides: Sequence[str] = ()
) -> list[str]:
    """The areas of the latest turns other than ``besides``, back until ``at_least`` are found
    ("which of the two?" after one turn on each), in the order the conversation took them up;
    turns about the whole catalogue (overviews) count none."""
    turns: list[list[str]] = []
    for turn in reversed(history):
        if turn.get("qtype") == "overview":
            continue
        turns.append([d for d in turn.get("domains") or [] if d in names and d not in besides])
        if len({d for t in turns for d in t}) >= at_least:
            break
    return list(dict.fromkeys(d for t in reversed(turns) for d in t))


def _resolve_followup(
    question: str,
    qtype: str,
    domains: list[str],
    history: Sequence[Turn],
    names: Mapping[str, str],
    language: str = "en",
) -> tuple[str, list[str], str]:
    """(type, domains, standalone question) of a follow-up, read against the conversation."""
    if not domains and (pointed := _pointed_reading(question, qtype, language, history, names)) is not None:
        return pointed
    prev = history[-1]
    # an overview's areas are the whole catalogue, not the ones the conversation is about
    prev_domains = [d for d in prev.get("domains") or [] if d in names] if prev.get("qtype") != "overview" else []
    prev_type = str(prev.get("qtype") or "feasibility")
    if qtype == "comparison" and len({*domains, *prev_domains}) < 2:  # "which of the two is likelier?"
        prev_domains = _recent_domains(history, names, 2 - len(domains), besides=domains)
    if domains:
        if prev_domains and qtype == "comparison":  # "how does that compare with X?"
            domains = list(dict.fromkeys([*prev_domains, *domains]))
        named = " and ".join(names.get(d, d) for d in domains)
        return qtype, domains, f"{question} (follow-up: could geopolitical rivals cooperate on {named}?)"
    if prev_domains and qtype in (*VERDICT_TYPES, *INHERITABLE):
        named = " and ".join(names.get(d, d) for d in prev_domains)
        if qtype in VERDICT_TYPES and prev_type in INHERITABLE:
            qtype = prev_type  # "why?", "what would change that?" keep the earlier kind of answer
        return qtype, prev_domains, f"{question} (about cooperation on {named})"
    earlier = prev.get("standalone") or prev.get("question") or ""
    if qtype in VERDICT_TYPES and prev_type in INHERITABLE:
        qtype = prev_type
    return qtype, domains, f"{question} (follow-up to: {earlier})"
