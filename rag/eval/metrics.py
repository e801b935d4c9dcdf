"""Scoring: pure functions from (labels, observed answer) samples to numbers.

Nothing here touches the engine. A metric with nothing to score is ``None`` (shown as
"n/a"), never a made-up 0. A question whose answer raised an error fails every check
that applies to it (the user got nothing) and is left out of the latency figures.

Denominators, so the numbers can be checked by hand:

- ``domain_accuracy``: questions labelled with ``domains``; passes when every labelled
  domain is among the detected ones.
- ``verdict_accuracy``: questions labelled with ``verdict`` (``verdict: null`` is a label
  too: "no verdict expected").
- ``condition_accuracy``: labelled (question, condition) pairs.
- ``source_recall``: labelled (question, source) pairs; a source counts when it is among
  the cited ``source_id``s.
- ``citation_validity``: every answer (``check_answer`` finds nothing).
- ``out_of_scope_accuracy``: questions labelled ``out_of_scope: true``.
- ``false_refusal_rate``: the other questions; a refusal or an error counts against it.
- ``type_accuracy``: questions labelled with ``type``. Older files' ``unknown_domain`` is
  ``apply_framework`` and ``out_of_scope`` any refusal type (``LEGACY_TYPES``).
- ``recall_at_5``, ``mrr``: questions labelled with ``sources``, scored on the sources
  each retrieved chunk carries, best first (macro averages over questions): its own source
  and, for the project's writing, the sources its sentences cite (``based_on``). A claim of
  the OECD's sits in a project note with its own ``[@oecd]`` reference; finding that note
  finds the OECD's claim.
- ``overview_lead``: overviews labelled with areas that share one verdict in the catalogue
  (``Labels.lead``: "which are hopeless?" labelled with the infeasible areas); passes when the
  answer's overview puts that verdict's group first. An overview labelled with areas of several
  verdicts, or with none (the whole map), may lead with any group and is not scored.
- ``latency_ms_p50``, ``latency_ms_p95``: ``timings_ms.total`` of every answer (linear
  interpolation between ranks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.answer.schema import REFUSED_TYPES
from rag.eval import trust
from rag.eval.trust import CitationView
from rag.framework import shared_verdict

NONE_LABEL = "none"  # how a missing verdict is named in the confusion table


# Type labels of older question files, named before the question types were split finer: an
# area outside the catalogue, and anything the assistant should decline (whichever of the three
# refusal types the answer gives).
LEGACY_TYPES: dict[str, tuple[str, ...]] = {"unknown_domain": ("apply_framework",), "out_of_scope": REFUSED_TYPES}


def admits(label: str | None, qtype: str | None) -> bool:
    """Whether a question labelled with type ``label`` is rightly answered as ``qtype``."""
    return label is not None and qtype in LEGACY_TYPES.get(label, (label,))


@dataclass(frozen=True)
class Labels:
    """What a canned question expects (all optional)."""

    domains: tuple[str, ...] = ()
    verdict: str | None = None
    verdict_labelled: bool = False  # True when the case sets `verdict`, even to null
    conditions: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    out_of_scope: bool = False
    qtype: str | None = None
    language: str | None = None
    follow_up: bool = False  # asked after an earlier question, with the conversation
    lead: str | None = None  # the verdict group an overview's answer must put first (``expected_lead``)


@dataclass(frozen=True)
class Observed:
    """What an answer said, reduced to what is scored."""

    domains: tuple[str, ...] = ()
    verdict: str | None = None
    conditions: Mapping[str, str] = field(default_factory=dict)  # condition id -> rating
    cited_sources: tuple[str, ...] = ()
    retrieved_sources: tuple[str | None, ...] = ()  # source id of each retrieved chunk, best first
    retrieved_based_on: tuple[tuple[str, ...], ...] = ()  # the sources each one's sentences cite
    out_of_scope: bool = False
    qtype: str | None = None
    citation_problems: tuple[str, ...] = ()
    latency_ms: float | None = None
    error: str | None = None  # the answer raised instead of answering
    language: str | None = None
    citations: tuple[CitationView, ...] = ()
    # condition id -> kinds of the passages its paragraph cites (verdict answers and new areas)
    condition_kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unknown_domain: bool = False
    lead: str | None = None  # the verdict of the group the answer's overview puts first


def expected_lead(qtype: str | None, domains: Sequence[str], verdicts: Mapping[str, str]) -> str | None:
    """The group an overview labelled with ``domains`` must lead with: their verdict in the catalogue
    (``verdicts``: domain -> verdict) where they share one; None for any other question, or where
    they name none or several verdicts (the whole map, or both ends at once)."""
    return shared_verdict(verdicts.get(d) for d in domains) if qtype == "overview" else None


@dataclass(frozen=True)
class Sample:
    labels: Labels
    observed: Observed


# -- per-question checks: True / False, or None when the question is not labelled for it ---
def domains_ok(s: Sample) -> bool | None:
    if not s.labels.domains:
        return None
    if s.observed.error:
        return False
    return all(d in s.observed.domains for d in s.labels.domains)


def verdict_ok(s: Sample) -> bool | None:
    if not s.labels.verdict_labelled:
        return None
    if s.observed.error:
        return False
    return s.observed.verdict == s.labels.verdict


def condition_results(s: Sample) -> list[bool]:
    """One result per labelled condition."""
    if s.observed.error:
        return [False for _ in s.labels.conditions]
    return [s.observed.conditions.get(c) == rating for c, rating in s.labels.conditions.items()]


def source_results(s: Sample) -> list[bool]:
    """One result per labelled source: is it among the cited sources?"""
    if s.observed.error:
        return [False for _ in s.labels.sources]
    return [src in s.observed.cited_sources for src in s.labels.sources]


def citations_ok(s: Sample) -> bool:
    return not s.observed.error and not s.observed.citation_problems


def refused(s: Sample) -> bool:
    """The user got no answer: a refusal, or an error."""
    return bool(s.observed.error) or s.observed.out_of_scope


def scope_ok(s: Sample) -> bool:
    """Refused exactly when labelled out of scope."""
    if s.observed.error:
        return False
    return s.observed.out_of_scope == s.labels.out_of_scope


def language_ok(s: Sample) -> bool | None:
    if s.labels.language is None:
        return None
    return not s.observed.error and s.observed.language == s.labels.language


def borrowed(s: Sample) -> bool | None:
    """A question about an area the catalogue does not assess, answered with a verdict or a domain."""
    if not admits(s.labels.qtype, "apply_framework"):
        return None
    return bool(s.observed.error) or s.observed.verdict is not None or bool(s.observed.domains)


def new_area_ok(s: Sample) -> bool | None:
    """A new area's answer applies all three conditions, each with evidence, and borrows no verdict."""
    if not admits(s.labels.qtype, "apply_framework"):
        return None
    return not borrowed(s) and trust.applies_all_conditions(dict(s.observed.condition_kinds))


def lead_ok(s: Sample) -> bool | None:
    """An overview leads with the group it asks about (``Labels.lead``)."""
    if s.labels.lead is None:
        return None
    return not s.observed.error and s.observed.lead == s.labels.lead


def type_ok(s: Sample) -> bool | None:
    if s.labels.qtype is None:
        return None
    if s.observed.error:
        return False
    return admits(s.labels.qtype, s.observed.qtype)


def recall_at_k(s: Sample, k: int = 5) -> float | None:
    """Share of the labelled sources found among the first k retrieved chunks."""
    gold = set(s.labels.sources)
    if not gold:
        return None
    found = set().union(*_carried(s.observed)[:k])
    return len(gold & found) / len(gold)


def _carried(o: Observed) -> list[set[str]]:
    """The sources each retrieved chunk carries, best first: its own and those its sentences cite."""
    based = list(o.retrieved_based_on) + [()] * (len(o.retrieved_sources) - len(o.retrieved_based_on))
    return [({src} if src is not None else set()) | set(b) for src, b in zip(o.retrieved_sources, based, strict=False)]


def reciprocal_rank(s: Sample) -> float | None:
    """1/rank of the first retrieved chunk from a labelled source (0 when none is)."""
    gold = set(s.labels.sources)
    if not gold:
        return None
    for rank, carried in enumerate(_carried(s.observed), start=1):
        if carried & gold:
            return 1.0 / rank
    return 0.0


def all_true(results: Sequence[bool]) -> bool | None:
    return all(results) if results else None


def checks(s: Sample) -> dict[str, bool | None]:
    """The named checks of one question, as shown in the report."""
    return {
        "domains": domains_ok(s),
        "verdict": verdict_ok(s),
        "conditions": all_true(condition_results(s)),
        "sources": all_true(source_results(s)),
        "citations_valid": citations_ok(s),
        "scope": scope_ok(s),
        "type": type_ok(s),
        "retrieval_at_5": None if (r := recall_at_k(s, 5)) is None else r == 1.0,
        "language": language_ok(s),
        "no_borrowed_verdict": None if (b := borrowed(s)) is None else not b,
        "overview_lead": lead_ok(s),
        "honest_citations": None if not s.observed.citations else all(c.honest for c in s.observed.citations),
        "answered": not s.observed.error,
    }


# -- aggregation -------------------------------------------------------------------------
def rate(values: Iterable[bool | None]) -> float | None:
    """Share of True among the values that are not None."""
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def mean(values: Iterable[float | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def percentile(values: Iterable[float | None], q: float) -> float | None:
    """The q-th percentile (0-100), linear between ranks; None for no values."""
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def domain_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(domains_ok(s) for s in samples)


def verdict_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(verdict_ok(s) for s in samples)


def condition_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(r for s in samples for r in condition_results(s))


def source_recall(samples: Sequence[Sample]) -> float | None:
    return rate(r for s in samples for r in source_results(s))


def citation_validity(samples: Sequence[Sample]) -> float | None:
    return rate(citations_ok(s) for s in samples)


def out_of_scope_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(refused(s) and not s.observed.error for s in samples if s.labels.out_of_scope)


def false_refusal_rate(samples: Sequence[Sample]) -> float | None:
    return rate(refused(s) for s in samples if not s.labels.out_of_scope)


def type_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(type_ok(s) for s in samples)


def mean_recall_at_k(samples: Sequence[Sample], k: int = 5) -> float | None:
    return mean(recall_at_k(s, k) for s in samples)


def mrr(samples: Sequence[Sample]) -> float | None:
    return mean(reciprocal_rank(s) for s in samples)


def honest_attribution(samples: Sequence[Sample]) -> float | None:
    return trust.honest_rate([c for s in samples for c in s.observed.citations])


def condition_evidence(samples: Sequence[Sample]) -> float | None:
    return trust.condition_evidence_rate(
        [kinds for s in samples if s.observed.verdict for kinds in s.observed.condition_kinds.values()]
    )


def _refusals(samples: Sequence[Sample]) -> tuple[float | None, float | None]:
    return trust.precision_recall([(refused(s), s.labels.out_of_scope) for s in samples])


def borrowed_verdict_rate(samples: Sequence[Sample]) -> float | None:
    return rate(borrowed(s) for s in samples)


def new_area_conditions(samples: Sequence[Sample]) -> float | None:
    return rate(new_area_ok(s) for s in samples)


def language_accuracy(samples: Sequence[Sample]) -> float | None:
    return rate(language_ok(s) for s in samples)


def overview_lead(samples: Sequence[Sample]) -> float | None:
    return rate(lead_ok(s) for s in samples)


def latencies(samples: Sequence[Sample]) -> list[float]:
    return [s.observed.latency_ms for s in samples if s.observed.latency_ms is not None and not s.observed.error]


METRICS: dict[str, Callable[[Sequence[Sample]], float | None]] = {
    "domain_accuracy": domain_accuracy,
    "verdict_accuracy": verdict_accuracy,
    "condition_accuracy": condition_accuracy,
    "source_recall": source_recall,
    "citation_validity": citation_validity,
    "out_of_scope_accuracy": out_of_scope_accuracy,
    "false_refusal_rate": false_refusal_rate,
    "type_accuracy": type_accuracy,
    "recall_at_5": mean_recall_at_k,
    "mrr": mrr,
    "honest_attribution": honest_attribution,
    "condition_evidence": condition_evidence,
    "refusal_precision": lambda ss: _refusals(ss)[0],
    "refusal_recall": lambda ss: _refusals(ss)[1],
    "borrowed_verdict_rate": borrowed_verdict_rate,
    "new_area_conditions": new_area_conditions,
    "language_accuracy": language_accuracy,
    "overview_lead": overview_lead,
    "latency_ms_p50": lambda ss: percentile(latencies(ss), 50),
    "latency_ms_p95": lambda ss: percentile(latencies(ss), 95),
}


def support(samples: Sequence[Sample]) -> dict[str, int]:
    """How many items each metric was computed over (0 means the metric is None)."""
    oos = [s for s in samples if s.labels.out_of_scope]
    return {
        "domain_accuracy": sum(domains_ok(s) is not None for s in samples),
        "verdict_accuracy": sum(verdict_ok(s) is not None for s in samples),
        "condition_accuracy": sum(len(s.labels.conditions) for s in samples),
        "source_recall": sum(len(s.labels.sources) for s in samples),
        "citation_validity": len(samples),
        "out_of_scope_accuracy": len(oos),
        "false_refusal_rate": len(samples) - len(oos),
        "type_accuracy": sum(s.labels.qtype is not None for s in samples),
        "recall_at_5": sum(bool(s.labels.sources) for s in samples),
        "mrr": sum(bool(s.labels.sources) for s in samples),
        "honest_attribution": sum(len(s.observed.citations) for s in samples),
        "condition_evidence": sum(len(s.observed.condition_kinds) for s in samples if s.observed.verdict),
        "refusal_precision": sum(refused(s) for s in samples),
        "refusal_recall": sum(s.labels.out_of_scope for s in samples),
        "borrowed_verdict_rate": sum(borrowed(s) is not None for s in samples),
        "new_area_conditions": sum(new_area_ok(s) is not None for s in samples),
        "language_accuracy": sum(language_ok(s) is not None for s in samples),
        "overview_lead": sum(lead_ok(s) is not None for s in samples),
        "latency_ms_p50": len(latencies(samples)),
        "latency_ms_p95": len(latencies(samples)),
    }


def summarize(samples: Sequence[Sample]) -> dict[str, float | int | None]:
    """Every headline metric of a set of samples, plus ``n`` and ``errors``."""
    out: dict[str, float | int | None] = {"n": len(samples), "errors": sum(bool(s.observed.error) for s in samples)}
    for name, fn in METRICS.items():
        out[name] = fn(samples)
    return out


def breakdown(
    samples: Sequence[Sample], groups_of: Callable[[Sample], Iterable[str]]
) -> dict[str, dict[str, float | int | None]]:
    """``summarize`` per group; a sample may belong to several groups (or none)."""
    grouped: dict[str, list[Sample]] = {}
    for s in samples:
        for g in groups_of(s):
            grouped.setdefault(g, []).append(s)
    return {g: summarize(grouped[g]) for g in sorted(grouped)}


def by_domain(s: Sample) -> tuple[str, ...]:
    return s.labels.domains


def by_language(s: Sample) -> tuple[str, ...]:
    return (s.labels.language or s.observed.language or "en",)


def by_turn(s: Sample) -> tuple[str, ...]:
    """First questions apart from follow-ups, which lean on the conversation."""
    return ("follow-up",) if s.labels.follow_up else ("first question",)


def by_type(s: Sample) -> tuple[str, ...]:
    return (s.labels.qtype or ("out_of_scope" if s.labels.out_of_scope else "unlabelled"),)


def confusion(samples: Sequence[Sample]) -> dict[str, dict[str, int]]:
    """Labelled verdict -> predicted verdict -> count, over verdict-labelled questions.

    A missing verdict (on either side) is named ``"none"``; an error is named ``"error"``.
    """
    table: dict[str, dict[str, int]] = {}
    for s in samples:
        if not s.labels.verdict_labelled:
            continue
        row = table.setdefault(s.labels.verdict or NONE_LABEL, {})
        predicted = "error" if s.observed.error else (s.observed.verdict or NONE_LABEL)
        row[predicted] = row.get(predicted, 0) + 1
    return table


# -- the CI gate -------------------------------------------------------------------------
GATE_MIN: dict[str, float] = {
    "domain_accuracy": 0.95,
    "verdict_accuracy": 0.95,
    "citation_validity": 1.0,
    "out_of_scope_accuracy": 0.93,
    "honest_attribution": 0.99,
    "condition_evidence": 0.95,
}
GATE_MAX: dict[str, float] = {"false_refusal_rate": 0.02}
# Gates that apply only when the question set has questions of their kind, at the levels asked of
# questions the router never saw: nine areas outside the catalogue in ten reasoned through all three
# conditions, one in ten at most given a catalogued area's verdict, nine overviews in ten leading
# with the group they ask about. The blind dev sets are at 0.983, 0.015 and 0.967 (README, "What it
# is measured at"), the shipped sets at 1.0, 0.0 and 1.0.
GATE_MIN_IF_LABELLED: dict[str, float] = {"new_area_conditions": 0.9, "overview_lead": 0.9}
GATE_MAX_IF_LABELLED: dict[str, float] = {"borrowed_verdict_rate": 0.1}


@dataclass(frozen=True)
class Threshold:
    """One metric's threshold in the gate."""

    metric: str
    limit: float
    floor: bool  # a minimum, else a maximum
    required: bool  # on every question set, else only where the set has questions of the metric's kind

    @property
    def side(self) -> str:
        return ">=" if self.floor else "<="


def thresholds(minimum: Mapping[str, float] = GATE_MIN, maximum: Mapping[str, float] = GATE_MAX) -> list[Threshold]:
    """Every threshold of the gate: ``minimum`` and ``maximum``, then the kind gates."""
    tables = (
        (minimum, True, True),
        (maximum, False, True),
        (GATE_MIN_IF_LABELLED, True, False),
        (GATE_MAX_IF_LABELLED, False, False),
    )
    return [
        Threshold(name, limit, floor, required) for table, floor, required in tables for name, limit in table.items()
    ]


def describe_gate() -> str:
    """The gate's thresholds in one line, for ``rag eval --help``."""

    def listed(required: bool) -> str:
        return ", ".join(f"{t.metric} {t.side} {t.limit:g}" for t in thresholds() if t.required == required)

    return (
        f"{listed(True)}; where the file has questions of their kind, {listed(False)}; and no answer raising an error"
    )


def _beyond(value: object, limit: float, *, floor: bool) -> bool:
    return isinstance(value, int | float) and (value < limit if floor else value > limit)


def gate(
    metrics: Mapping[str, object],
    *,
    minimum: Mapping[str, float] = GATE_MIN,
    maximum: Mapping[str, float] = GATE_MAX,
) -> list[str]:
    """Why a run fails the CI gate (empty when it passes).

    A gated metric that cannot be scored fails: a gate must not pass on nothing. The kind
    gates apply only when the question set has questions of that kind.
    """
    failures: list[str] = []
    for t in thresholds(minimum, maximum):
        value = metrics.get(t.metric)
        if t.required and not isinstance(value, int | float):
            failures.append(f"{t.metric} cannot be scored (no question labelled for it); gate needs {t.side} {t.limit}")
        elif _beyond(value, t.limit, floor=t.floor):
            failures.append(f"{t.metric} {value:.3f} is {'below' if t.floor else 'above'} {t.limit}")
    errors = metrics.get("errors")
    if isinstance(errors, int) and errors > 0:
        failures.append(f"{errors} question(s) raised an error instead of answering")
    return failures
