"""The scoring functions, the gate, the question-file loader and the report, without the engine.

Answers here are real ``Answer`` records; the only stand-in is the ``ask`` function the
runner is given (the boundary), which returns prepared answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rag.answer.schema import Answer, CitationOut, ConditionOut, DomainAssessmentOut
from rag.errors import RagError, UsageError
from rag.eval import metrics
from rag.eval.metrics import Labels, Observed, Sample
from rag.eval.report import fmt, render, to_json, write_reports
from rag.eval.runner import Evaluation, Outcome, ask_all, observe, parse_cases, run_cases


def s(labels: Labels | None = None, **observed: Any) -> Sample:
    return Sample(labels or Labels(), Observed(**observed))


# -- per-question checks -------------------------------------------------------------------
def test_domains_all_labelled_must_be_detected_and_extra_ones_are_fine() -> None:
    lab = Labels(domains=("compute-controls", "military-ai"))
    assert metrics.domains_ok(s(lab, domains=("military-ai", "compute-controls", "biosecurity"))) is True
    assert metrics.domains_ok(s(lab, domains=("compute-controls",))) is False
    assert metrics.domains_ok(s(Labels(), domains=("compute-controls",))) is None


def test_verdict_null_label_means_no_verdict_expected() -> None:
    assert metrics.verdict_ok(s(Labels(verdict="feasible", verdict_labelled=True), verdict="feasible")) is True
    assert metrics.verdict_ok(s(Labels(verdict="feasible", verdict_labelled=True), verdict=None)) is False
    assert metrics.verdict_ok(s(Labels(verdict=None, verdict_labelled=True), verdict=None)) is True
    assert metrics.verdict_ok(s(Labels(), verdict="mixed")) is None


def test_an_error_fails_every_check_that_applies_and_nothing_else() -> None:
    lab = Labels(
        domains=("compute-controls",),
        verdict="infeasible",
        verdict_labelled=True,
        conditions={"domain_separability": "not_met"},
        sources=("tabassi-competitive-cooperation",),
    )
    checks = metrics.checks(s(lab, error="BackendError: down"))
    assert checks == {
        "domains": False,
        "verdict": False,
        "conditions": False,
        "sources": False,
        "citations_valid": False,
        "scope": False,
        "type": None,
        "retrieval_at_5": False,
        "language": None,
        "no_borrowed_verdict": None,
        "overview_lead": None,
        "honest_citations": None,
        "answered": False,
    }


def test_attribution_is_honest_when_a_passage_holds_only_its_sources_claims() -> None:
    from rag.eval.trust import CitationView

    assert CitationView("talk", "talk", (), ()).honest  # a quoted slide
    assert CitationView("rule", "official document", (), ("rule",)).honest
    assert not CitationView("talk", "talk", (), ("talk", "oecd")).honest  # a note shown under the talk
    assert CitationView("note-x", "note", ("talk", "oecd"), ("note-x", "talk", "oecd")).honest
    assert not CitationView("note-x", "note", ("talk",), ("talk", "oecd")).honest  # based_on misses a source
    assert CitationView("upload-a", "user", (), ("whatever",)).honest


def test_condition_evidence_counts_paragraphs_citing_more_than_the_assessment() -> None:
    from rag.eval.trust import condition_evidence_rate

    assert condition_evidence_rate([("assessment", "note"), ("assessment",), ("assessment", "talk")]) == 2 / 3
    assert condition_evidence_rate([]) is None


def test_a_new_area_with_a_verdict_is_a_borrowed_verdict() -> None:
    lab = Labels(qtype="apply_framework")
    kinds = {"a": ("talk",), "b": ("note",), "c": ("note",)}
    assert metrics.borrowed(s(lab, verdict="infeasible", domains=("military-ai",))) is True
    good = s(lab, condition_kinds=kinds)
    assert metrics.borrowed(good) is False and metrics.new_area_ok(good) is True
    assert metrics.new_area_ok(s(lab, condition_kinds={"a": ("talk",), "b": ()})) is False


CATALOGUE_VERDICTS = {"compute-controls": "infeasible", "military-ai": "infeasible", "incident-reporting": "feasible"}


@pytest.mark.parametrize(
    ("qtype", "domains", "lead"),
    [
        ("overview", ("compute-controls", "military-ai"), "infeasible"),  # "which are hopeless?"
        ("overview", ("incident-reporting",), "feasible"),  # "where to start?"
        ("overview", ("compute-controls", "incident-reporting"), None),  # both ends at once
        ("overview", (), None),  # the whole map
        ("overview", ("compute-controls", "not-in-the-catalogue"), None),
        ("comparison", ("compute-controls", "military-ai"), None),
    ],
)
def test_an_overview_must_lead_with_the_verdict_its_labelled_areas_share(
    qtype: str, domains: tuple[str, ...], lead: str | None
) -> None:
    assert metrics.expected_lead(qtype, domains, CATALOGUE_VERDICTS) == lead


def test_overview_lead_scores_the_first_group_of_overviews_labelled_with_one() -> None:
    hopeless = Labels(qtype="overview", lead="infeasible")
    samples = [
        s(hopeless, lead="infeasible"),
        s(hopeless, lead="feasible"),
        s(hopeless, lead="infeasible", error="boom"),
        s(Labels(qtype="overview"), lead="feasible"),  # a survey: any lead, not scored
    ]
    assert [metrics.lead_ok(x) for x in samples] == [True, False, False, None]
    assert metrics.overview_lead(samples) == 1 / 3 and metrics.support(samples)["overview_lead"] == 3
    assert metrics.checks(samples[1])["overview_lead"] is False


def test_recall_at_k_and_reciprocal_rank_use_source_ids_of_retrieved_chunks() -> None:
    lab = Labels(sources=("a", "b"))
    sample = s(lab, retrieved_sources=("x", None, "b", "y", "z", "a"))
    assert metrics.recall_at_k(sample, 5) == 0.5
    assert metrics.recall_at_k(sample, 6) == 1.0
    assert metrics.reciprocal_rank(sample) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(s(lab, retrieved_sources=("x",))) == 0.0
    assert metrics.recall_at_k(s(Labels(), retrieved_sources=("a",))) is None
    assert metrics.reciprocal_rank(s(Labels(), retrieved_sources=("a",))) is None


# -- aggregates ------------------------------------------------------------------------------
def test_nothing_to_score_is_none_never_zero() -> None:
    unlabelled = [s(domains=("x",), verdict="feasible")]
    assert metrics.domain_accuracy(unlabelled) is None
    assert metrics.verdict_accuracy(unlabelled) is None
    assert metrics.condition_accuracy(unlabelled) is None
    assert metrics.source_recall(unlabelled) is None
    assert metrics.out_of_scope_accuracy(unlabelled) is None
    assert metrics.type_accuracy(unlabelled) is None
    assert metrics.mean_recall_at_k(unlabelled) is None
    assert metrics.mrr(unlabelled) is None
    assert metrics.citation_validity([]) is None
    assert metrics.false_refusal_rate([s(Labels(out_of_scope=True), out_of_scope=True)]) is None
    summary = metrics.summarize([])
    assert summary["n"] == 0
    assert all(v is None for k, v in summary.items() if k not in ("n", "errors"))


def test_condition_accuracy_counts_each_labelled_condition() -> None:
    lab = Labels(conditions={"domain_separability": "not_met", "mutual_vulnerability": "met"})
    samples = [
        s(lab, conditions={"domain_separability": "not_met", "mutual_vulnerability": "partial"}),
        s(Labels(conditions={"verification_feasibility": "met"}), conditions={"verification_feasibility": "met"}),
    ]
    assert metrics.condition_accuracy(samples) == pytest.approx(2 / 3)
    assert metrics.support(samples)["condition_accuracy"] == 3


def test_source_recall_counts_each_labelled_source_among_cited_ones() -> None:
    samples = [
        s(Labels(sources=("a", "b")), cited_sources=("a",)),
        s(Labels(sources=("c",)), cited_sources=("c", "d")),
    ]
    assert metrics.source_recall(samples) == pytest.approx(2 / 3)


def test_citation_validity_is_over_every_answer() -> None:
    samples = [s(), s(out_of_scope=True), s(citation_problems=("marker [c9] names no citation",))]
    assert metrics.citation_validity(samples) == pytest.approx(2 / 3)


def test_out_of_scope_accuracy_and_false_refusals_split_on_the_label() -> None:
    oos = Labels(out_of_scope=True)
    samples = [
        s(oos, out_of_scope=True),
        s(oos, out_of_scope=False),
        s(Labels(), out_of_scope=False),
        s(Labels(), out_of_scope=False),
        s(Labels(), out_of_scope=False),
        s(Labels(), out_of_scope=True),
    ]
    assert metrics.out_of_scope_accuracy(samples) == 0.5
    assert metrics.false_refusal_rate(samples) == 0.25


def test_an_error_on_an_in_scope_question_counts_as_a_refusal() -> None:
    assert metrics.false_refusal_rate([s(error="boom"), s()]) == 0.5


def test_type_accuracy() -> None:
    samples = [s(Labels(qtype="concept"), qtype="concept"), s(Labels(qtype="precedent"), qtype="concept"), s()]
    assert metrics.type_accuracy(samples) == 0.5


def test_older_type_labels_are_scored_by_the_types_they_name_now() -> None:
    refused_ok = [s(Labels(qtype="out_of_scope"), qtype=t) for t in ("harmful", "off_topic", "injection")]
    assert metrics.type_accuracy(refused_ok) == 1.0
    assert metrics.type_accuracy([s(Labels(qtype="out_of_scope"), qtype="feasibility")]) == 0.0
    new_area = s(Labels(qtype="unknown_domain"), qtype="apply_framework", verdict="feasible", domains=("x",))
    assert metrics.type_accuracy([new_area]) == 1.0
    assert metrics.borrowed(new_area) is True  # an area outside the catalogue, by its older name
    assert metrics.borrowed(s(Labels(qtype="out_of_scope"), verdict="feasible")) is None


def test_percentile_interpolates_and_latency_skips_errors() -> None:
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([10.0], 95) == 10.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert metrics.percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
    samples = [s(latency_ms=10.0), s(latency_ms=30.0), s(latency_ms=None), s(error="x", latency_ms=999.0)]
    assert metrics.summarize(samples)["latency_ms_p50"] == 20.0


def test_breakdowns_group_by_labelled_domain_and_type() -> None:
    a = s(Labels(domains=("x", "y"), qtype="comparison"), domains=("x",))
    b = s(Labels(domains=("x",), qtype="feasibility"), domains=("x",))
    c = s(Labels(out_of_scope=True), out_of_scope=True)
    per_domain = metrics.breakdown([a, b, c], metrics.by_domain)
    assert set(per_domain) == {"x", "y"}
    assert per_domain["x"]["n"] == 2 and per_domain["x"]["domain_accuracy"] == 0.5
    assert per_domain["y"]["domain_accuracy"] == 0.0
    per_type = metrics.breakdown([a, b, c, s()], metrics.by_type)
    assert set(per_type) == {"comparison", "feasibility", "out_of_scope", "unlabelled"}
    follow = s(Labels(domains=("x",), follow_up=True), domains=())
    per_turn = metrics.breakdown([a, b, follow], metrics.by_turn)
    assert per_turn["follow-up"]["n"] == 1 and per_turn["follow-up"]["domain_accuracy"] == 0.0
    assert per_turn["first question"]["n"] == 2


def test_confusion_names_missing_verdicts_and_errors() -> None:
    def lab(v: str | None) -> Labels:
        return Labels(verdict=v, verdict_labelled=True)

    samples = [
        s(lab("feasible"), verdict="feasible"),
        s(lab("feasible"), verdict=None),
        s(lab("infeasible"), error="boom"),
        s(lab(None), verdict="mixed"),
        s(verdict="feasible"),
    ]
    assert metrics.confusion(samples) == {
        "feasible": {"feasible": 1, "none": 1},
        "infeasible": {"error": 1},
        "none": {"mixed": 1},
    }


# -- gate --------------------------------------------------------------------------------------
PASSING = {
    "domain_accuracy": 0.95,
    "verdict_accuracy": 1.0,
    "citation_validity": 1.0,
    "out_of_scope_accuracy": 0.93,
    "false_refusal_rate": 0.02,
    "honest_attribution": 0.99,
    "condition_evidence": 0.95,
    "new_area_conditions": 0.9,
    "borrowed_verdict_rate": 0.1,
    "overview_lead": 0.9,
    "errors": 0,
}


def test_gate_passes_at_the_thresholds() -> None:
    assert metrics.gate(PASSING) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("domain_accuracy", 0.94),
        ("verdict_accuracy", 0.9),
        ("citation_validity", 0.99),
        ("out_of_scope_accuracy", 0.8),
        ("false_refusal_rate", 0.03),
        ("honest_attribution", 0.98),
        ("condition_evidence", 0.9),
        ("borrowed_verdict_rate", 0.11),
        ("new_area_conditions", 0.89),
        ("overview_lead", 0.89),
    ],
)
def test_gate_fails_beyond_each_threshold(name: str, value: float) -> None:
    failures = metrics.gate({**PASSING, name: value})
    assert len(failures) == 1 and name in failures[0]


def test_kind_gates_apply_only_when_the_set_has_questions_of_that_kind() -> None:
    kinds = {"borrowed_verdict_rate": None, "new_area_conditions": None, "overview_lead": None}
    assert metrics.gate({**PASSING, **kinds}) == []


def test_gate_fails_when_a_gated_metric_cannot_be_scored_or_answers_raised() -> None:
    assert "cannot be scored" in metrics.gate({**PASSING, "out_of_scope_accuracy": None})[0]
    assert "raised an error" in metrics.gate({**PASSING, "errors": 2})[0]


# -- the question file -------------------------------------------------------------------------
GOOD = """
- id: q1
  question: Could rivals cooperate on compute controls?
  domains: [compute-controls]
  verdict: infeasible
  conditions: {domain_separability: not_met}
  sources: [tabassi-competitive-cooperation]
  type: feasibility
- id: q2
  question: and who is left out?
  follow_up_of: q1
- id: q3
  question: What's the weather?
  out_of_scope: true
  verdict: null
"""


def test_a_good_question_file_loads_with_its_labels() -> None:
    cases = parse_cases(GOOD)
    assert [c.id for c in cases] == ["q1", "q2", "q3"]
    assert cases[0].labels().conditions == {"domain_separability": "not_met"}
    assert cases[0].qtype == "feasibility" and cases[1].follow_up_of == "q1"
    assert cases[2].labels().verdict_labelled and not cases[1].labels().verdict_labelled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: a\n  question: x\n  colour: red\n", "unknown key 'colour'"),
        ("- id: a\n  domains: [x]\n", "missing key 'question'"),
        ("- id: a\n  question: [unclosed\n", "not valid YAML"),
        ("- id: a\n  question: x\n  follow_up_of: zzz\n", "unknown question 'zzz'"),
        ("- id: a\n  question: x\n  follow_up_of: b\n- id: b\n  question: y\n  follow_up_of: a\n", "cycle"),
        ("- id: a\n  question: x\n- id: a\n  question: y\n", "duplicate id 'a'"),
        ("- id: a\n  question: x\n  verdict: maybe\n", "verdict"),
        ("- id: a\n  question: x\n  conditions: {separability: met}\n", "conditions"),
        ("- id: a\n  question: x\n  type: trivia\n", "type"),
        ("- just a string\n", "expected a mapping"),
        ("id: a\nquestion: x\n", "YAML list"),
        ("", "YAML list"),
    ],
)
def test_a_bad_question_file_is_a_usage_error_that_says_why(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"questions\.yaml") as info:
        parse_cases(text, "questions.yaml")
    assert message in str(info.value)


# -- running with a stand-in ask function (the runner's boundary) ------------------------------
def answer(
    question: str,
    *,
    domains: Sequence[str] = (),
    verdict: str | None = None,
    out_of_scope: bool = False,
    qtype: str = "feasibility",
) -> Answer:
    if out_of_scope:
        return Answer(
            question=question,
            backend="offline",
            out_of_scope=True,
            answer="no",
            question_type="out_of_scope",
            timings_ms={"total": 5.0},
        )
    cite = CitationOut(
        id="c1",
        source_id="tabassi-competitive-cooperation",
        title="t",
        locator="slide 9",
        chunk_id="k1",
        text="passage",
    )
    return Answer(
        question=question,
        backend="offline",
        domains=list(domains),
        verdict=verdict,  # type: ignore[arg-type]
        conditions={"domain_separability": ConditionOut(rating="not_met", reasoning="why [c1]", citations=["c1"])},
        answer="text [c1]",
        citations=[cite],
        retrieved=["k0", "k1"],
        question_type=qtype,
        timings_ms={"total": 12.0},
    )


class Recorder:
    """The ``ask`` boundary: answers compute questions, refuses the weather, raises on 'boom'."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []

    def __call__(self, question: str, history: Sequence[dict[str, Any]]) -> Answer:
        self.calls.append((question, list(history)))
        if "boom" in question:
            raise RagError("the endpoint is down")
        if "weather" in question:
            return answer(question, out_of_scope=True)
        return answer(question, domains=["compute-controls"], verdict="infeasible")


def test_follow_ups_are_asked_after_their_parent_with_its_turn_as_history() -> None:
    cases = parse_cases(GOOD)
    ask = Recorder()
    ticks: list[int] = []
    outcomes = ask_all(cases[1:], ask, pool=cases, tick=lambda: ticks.append(1))
    assert [q for q, _ in ask.calls] == [cases[0].question, cases[1].question, cases[2].question]
    assert ask.calls[1][1] == [
        {
            "question": cases[0].question,
            "standalone": cases[0].question,
            "domains": ["compute-controls"],
            "qtype": "feasibility",
            "language": "en",
            "analogies": [],
        }
    ]
    assert list(outcomes) == ["q2", "q3"] and outcomes["q2"].history == ("q1",)
    assert len(ticks) == 2


def test_an_error_is_recorded_for_its_question_and_the_run_goes_on() -> None:
    cases = parse_cases("- id: a\n  question: boom\n- id: b\n  question: compute?\n  follow_up_of: a\n")
    ask = Recorder()
    outcomes = ask_all(cases, ask)
    assert outcomes["a"].answer is None and "endpoint is down" in (outcomes["a"].error or "")
    assert outcomes["b"].answer is not None and ask.calls[1][1] == []


def test_observe_maps_retrieved_chunks_to_sources_and_checks_citations() -> None:
    o = observe(
        Outcome(answer("q", domains=["compute-controls"], verdict="infeasible")),
        {"k0": "facct-2025-technical-safety-cooperation", "k1": "tabassi-competitive-cooperation"}.get,
    )
    assert o.retrieved_sources == ("facct-2025-technical-safety-cooperation", "tabassi-competitive-cooperation")
    assert o.cited_sources == ("tabassi-competitive-cooperation",)
    assert o.conditions == {"domain_separability": "not_met"} and o.citation_problems == ()
    assert o.latency_ms == 12.0
    broken = answer("q").model_copy(update={"answer": "text [c7]"})
    assert observe(Outcome(broken), lambda _: None).citation_problems == ("marker [c7] names no citation",)


def test_observe_takes_the_group_an_overview_puts_first() -> None:
    def area(domain: str, verdict: str) -> DomainAssessmentOut:
        return DomainAssessmentOut(domain=domain, name=domain, verdict=verdict, conditions={})  # type: ignore[arg-type]

    hopeless_first = answer("which are hopeless?", qtype="overview").model_copy(
        update={"overview": [area("military-ai", "infeasible"), area("incident-reporting", "feasible")]}
    )
    assert observe(Outcome(hopeless_first), lambda _: None).lead == "infeasible"
    assert observe(Outcome(answer("q")), lambda _: None).lead is None


def test_the_labels_of_an_overview_tell_its_lead_from_the_catalogue_verdicts() -> None:
    (case,) = parse_cases("- id: o\n  question: Which are hopeless?\n  type: overview\n  domains: [military-ai]\n")
    assert case.labels(CATALOGUE_VERDICTS).lead == "infeasible"
    assert case.labels().lead is None  # no catalogue, no lead to score


def test_report_json_table_and_files_from_a_run(tmp_path: Path) -> None:
    cases = parse_cases(GOOD + "- id: q4\n  question: boom\n  type: concept\n")
    run = run_cases(cases, Recorder(), {"k1": "tabassi-competitive-cooperation"}.get, label="offline")
    data = to_json(Evaluation(backend="offline", questions_file="q.yaml", main=run, started_at="now"))
    assert data["n"] == 4 and data["errors"] == 1
    assert data["domain_accuracy"] == 1.0 and data["type_accuracy"] == 0.5
    assert data["condition_accuracy"] == 1.0 and data["out_of_scope_accuracy"] == 1.0
    assert data["gate_passed"] is False
    q4 = data["questions"][3]
    assert q4["answer"] is None and q4["checks"]["answered"] is False
    json.dumps(data)  # serialisable as is
    text = render(data)
    assert re.search(r"type accuracy\s+0\.500\s+2\s", text)
    assert re.search(r"refusal recall\s+1\.000\s+1\s", text)  # the trust and breadth scores are shown too
    assert re.search(r"borrowed verdicts \(new areas\)\s+n/a\s+0\s+<= 0\.1 if scored", text)
    assert "Gate: FAIL" in text
    follow_ups = sum(c.follow_up_of is not None for c in cases)
    assert follow_ups and data["per_turn"]["follow-up"]["n"] == follow_ups
    assert data["per_turn"]["first question"]["n"] == len(cases) - follow_ups and "Per turn:" in text
    assert "- q4: citations_valid, scope, type, answered: RagError: the endpoint is down" in text
    written = write_reports(data, tmp_path)
    assert (tmp_path / "latest.json").exists() and (tmp_path / "latest.md").exists()
    assert json.loads((tmp_path / "latest.json").read_text())["n"] == 4
    assert len([p for p in written if p.name.startswith("report-")]) >= 2


def test_the_printed_report_and_the_app_page_show_every_metric_scored() -> None:
    from rag.eval.report import HEADLINE
    from rag.ui.evaluation import METRICS as PAGE_METRICS

    assert sorted(key for key, _ in HEADLINE) == sorted(metrics.METRICS)
    assert [key for key, _, _ in PAGE_METRICS] == [key for key, _ in HEADLINE]  # in the same order


def test_the_gate_help_of_rag_eval_states_the_gate_as_it_is() -> None:
    from rag.cli_eval import GATE_HELP

    assert f"exit 1 unless {metrics.describe_gate()}" == GATE_HELP


def test_fmt_shows_none_as_na() -> None:
    assert fmt(None) == "n/a" and fmt(0.0) == "0.000" and fmt(12.345, "latency_ms_p50") == "12.3"


def test_a_retrieved_note_carries_the_sources_its_sentences_cite() -> None:
    lab = Labels(sources=("oecd",))
    note = s(lab, retrieved_sources=("x", "note-incidents"), retrieved_based_on=((), ("oecd", "brookings")))
    assert metrics.recall_at_k(note, 5) == 1.0
    assert metrics.reciprocal_rank(note) == pytest.approx(1 / 2)
    other = s(lab, retrieved_sources=("note-incidents",), retrieved_based_on=(("brookings",),))
    assert metrics.recall_at_k(other, 5) == 0.0 and metrics.reciprocal_rank(other) == 0.0
