"""`rag eval` against the real shipped knowledge base, indexed in a temporary data folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rag.answer.citations import check_answer
from rag.answer.schema import Answer
from rag.cli import main
from rag.errors import UsageError
from rag.eval.report import to_json
from rag.eval.runner import SHIPPED_QUESTIONS, evaluate, load_cases, parse_cases
from tests.conftest import KNOWLEDGE
from tests.helpers import data_folder_names

SMALL = """
- id: compute
  question: Could rivals cooperate on compute controls?
  type: feasibility
  domains: [compute-controls]
  verdict: infeasible
  conditions: {domain_separability: not_met}
  sources: [tabassi-competitive-cooperation]
- id: compute-more
  question: and what about military AI?
  follow_up_of: compute
  domains: [military-ai]
- id: incidents
  question: Can rival states share reports of AI incidents with each other?
  domains: [incident-reporting]
  verdict: feasible
- id: conditions
  question: What are the conditions for feasible cooperation?
  type: concept
  verdict: null
  sources: [tabassi-competitive-cooperation]
- id: weather
  question: What's the weather like in Paris tomorrow?
  out_of_scope: true
"""

RATES = (
    "domain_accuracy",
    "verdict_accuracy",
    "condition_accuracy",
    "source_recall",
    "citation_validity",
    "out_of_scope_accuracy",
    "false_refusal_rate",
    "type_accuracy",
    "recall_at_5",
    "mrr",
)
REQUIRED = {*RATES, "n", "latency_ms_p50", "latency_ms_p95", "questions", "per_domain", "per_type", "confusion"}


def rate(values: list[Any]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def assert_consistent(data: dict[str, Any], engine: Any) -> None:
    """Every record's checks follow from its answer and labels; the summary from the records."""
    assert set(data) >= REQUIRED
    assert data["n"] == len(data["questions"])
    for key in RATES:
        assert data[key] is None or 0.0 <= data[key] <= 1.0, key
    for q in data["questions"]:
        assert {"id", "question", "answer", "checks"} <= set(q)
        a, labels, checks = q["answer"], q["labels"], q["checks"]
        assert a is not None and q["error"] is None, q["id"]
        assert a["question"] == q["question"]
        if "domains" in labels:
            assert checks["domains"] == all(d in a["domains"] for d in labels["domains"])
        else:
            assert checks["domains"] is None
        if "verdict" in labels:
            assert checks["verdict"] == (a["verdict"] == labels["verdict"])
        assert checks["scope"] == (a["out_of_scope"] == labels.get("out_of_scope", False))
        assert checks["citations_valid"] == (check_answer(Answer.model_validate(a)) == [])
        if "sources" in labels:
            cited = {c["source_id"] for c in a["citations"]}
            assert checks["sources"] == all(s in cited for s in labels["sources"])
        assert q["retrieved_sources"] == [engine.chunk(cid).source_id for cid in a["retrieved"]]
    assert data["domain_accuracy"] == rate([q["checks"]["domains"] for q in data["questions"]])
    assert data["verdict_accuracy"] == rate([q["checks"]["verdict"] for q in data["questions"]])
    assert data["citation_validity"] == rate([q["checks"]["citations_valid"] for q in data["questions"]])
    if data["latency_ms_p50"] is not None:
        assert 0 < data["latency_ms_p50"] <= data["latency_ms_p95"]
    json.dumps(data)


def test_the_harness_scores_a_small_set_consistently(shipped_service: Any) -> None:
    cases = parse_cases(SMALL)
    data = to_json(evaluate(shipped_service, cases, baselines=True, questions_file="small.yaml"))
    assert_consistent(data, shipped_service.engine)
    assert data["n"] == 5 and data["errors"] == 0 and data["answered_by"] == {"offline": 5}
    assert data["support"]["out_of_scope_accuracy"] == 1 and data["support"]["false_refusal_rate"] == 4
    assert data["citation_validity"] == 1.0
    by_id = {q["id"]: q for q in data["questions"]}
    assert by_id["compute-more"]["history"] == ["compute"] and by_id["compute"]["history"] == []
    assert by_id["weather"]["answer"]["out_of_scope"] is True  # the one off-topic question is refused
    assert set(data["baselines"]) == {"bm25", "dense", "hybrid"}
    for summary in data["baselines"].values():
        assert {"n", "domain_accuracy", "recall_at_5", "mrr"} <= set(summary) and summary["n"] == 5
    assert data["baselines"]["hybrid"]["domain_accuracy"] == data["domain_accuracy"]  # offline: main run = hybrid
    assert set(data["per_domain"]) == {"compute-controls", "military-ai", "incident-reporting"}
    assert sum(sum(row.values()) for row in data["confusion"].values()) == 3


def test_labels_naming_unknown_domains_or_sources_are_refused(shipped_service: Any) -> None:
    cases = parse_cases("- id: a\n  question: x\n  domains: [compute-control]\n  sources: [tabassi]\n")
    with pytest.raises(UsageError, match="compute-control") as info:
        evaluate(shipped_service, cases)
    assert "tabassi" in str(info.value)


@pytest.fixture
def cli_env(shipped_service: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Environment for `rag eval` pointing at the session's index; returns a question file."""
    monkeypatch.setenv("RAG_DATA_DIR", str(shipped_service.settings.data_dir))
    monkeypatch.setenv("RAG_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.setenv("RAG_BACKEND", "offline")
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_rag_eval_json_prints_one_object(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--questions", str(cli_env), "--json", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert set(data) >= REQUIRED
    assert data["n"] == 2 and [q["id"] for q in data["questions"]] == ["compute", "compute-more"]


BRIEFING = b"# Briefing\n\nThe talks on chip export controls stalled in May over the quorvane clause.\n"
PRIVATE = """
- id: memo
  question: According to the memo, what does the Frobnitz protocol require of incident reports?
  documents: [memo.md]
- id: briefing
  question: According to my briefing, why did the talks on chip export controls stall in May?
"""


def test_rag_eval_asks_in_an_uploads_space_of_its_own(
    shipped_service: Any, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case's documents are found while it is asked; the folder's own uploads never take part; and
    nothing of the evaluation's space (files, snapshots, Chroma collections) stays behind."""
    from rag.store import make_client
    from rag.uploads import add_documents, list_uploads, remove_upload

    engine = shipped_service.engine
    data = engine.settings.data_dir
    (tmp_path / "memo.md").write_text("# Memo\n\nThe Frobnitz protocol requires incident reports within a day.\n")
    questions = tmp_path / "private.yaml"
    questions.write_text(PRIVATE, encoding="utf-8")
    added = add_documents(engine, [("briefing.md", BRIEFING)])
    try:
        hits = [h for h in engine.search(BRIEFING.decode(), 8) if h.chunk.source_id == "upload-briefing-md"]
        assert hits  # the folder's own engine finds the briefing ...
        before = data_folder_names(data)
        assert main(["eval", "--questions", str(questions), "--json"]) == 0
        memo, briefing = (q["answer"] for q in json.loads(capsys.readouterr().out)["questions"])
        assert "upload-memo-md" in {c["source_id"] for c in memo["citations"]}
        assert briefing["retrieved"] and hits[0].chunk.id not in briefing["retrieved"]  # ... the evaluation does not
        assert "upload-briefing-md" not in {c["source_id"] for c in briefing["citations"]}
        assert data_folder_names(data) == before
        names = [getattr(c, "name", c) for c in make_client(engine.settings).list_collections()]
        assert names and not [n for n in names if n.startswith("eval-")]
        assert [u.key for u in list_uploads(engine)] == ["briefing.md"]
    finally:
        for r in added:
            if r.key:
                remove_upload(engine, r.key)


def test_rag_eval_prints_a_table_and_writes_reports(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "reports"
    code = main(["eval", "--questions", str(cli_env), "--out", str(out_dir), "--gate"])
    text = capsys.readouterr().out
    assert "domain accuracy" in text and "false refusal rate" in text and "Per domain" in text
    latest = json.loads((out_dir / "latest.json").read_text(encoding="utf-8"))
    assert code == (0 if latest["gate_passed"] else 1)
    assert set(latest) >= REQUIRED and latest["n"] == 5
    assert (out_dir / "latest.md").read_text(encoding="utf-8").startswith("# Evaluation report")
    assert len(list(out_dir.glob("report-*.json"))) == 1 and len(list(out_dir.glob("report-*.md"))) == 1
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert latest["chart"] is None
    else:
        assert latest["chart"] == "latest.png"
        assert (out_dir / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: a\n  question: x\n  colour: red\n", "unknown key 'colour'"),
        ("- id: a\n  follow_up_of: b\n  question: x\n", "unknown question 'b'"),
        ("- id: a\n  question: [oops\n", "not valid YAML"),
    ],
)
def test_rag_eval_rejects_a_bad_question_file_with_a_clear_message(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["eval", "--questions", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert message in err and "bad.yaml" in err and "Traceback" not in err


def test_rag_eval_names_a_missing_question_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--questions", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read the question file" in capsys.readouterr().err


@pytest.mark.slow
def test_the_shipped_canned_set_passes_the_gate_offline(shipped_service: Any) -> None:
    if not SHIPPED_QUESTIONS.exists():
        pytest.fail(f"the shipped question set {SHIPPED_QUESTIONS} is missing")
    cases = load_cases()
    data = to_json(evaluate(shipped_service, cases, questions_file=str(SHIPPED_QUESTIONS)))
    assert data["n"] == len(cases) and data["errors"] == 0
    assert data["citation_validity"] == 1.0
    assert data["gate_passed"], "gate failures: " + "; ".join(data["gate_failures"])
