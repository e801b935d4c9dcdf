"""Evaluation results as one JSON object, a terminal table, a Markdown report and a chart.

``rag eval --json`` prints the object built by :func:`to_json`; ``rag eval`` writes it to
``<out>/report-<UTC timestamp>.json`` and ``<out>/latest.json`` (``<out>`` defaults to
``<RAG_DATA_DIR>/eval/``), beside ``.md`` reports and ``.png`` charts of the same names.
The app's Evaluation page reads ``latest.json``. Its keys:

- ``n`` (int), ``errors`` (int: answers that raised instead of answering);
- the headline metrics, each a float in [0, 1] or ``null`` when nothing could be scored
  (shown as "n/a", never 0): ``domain_accuracy``, ``verdict_accuracy``,
  ``condition_accuracy``, ``source_recall``, ``citation_validity``, ``honest_attribution``,
  ``condition_evidence``, ``out_of_scope_accuracy``, ``refusal_precision``,
  ``refusal_recall``, ``false_refusal_rate``, ``borrowed_verdict_rate``,
  ``new_area_conditions``, ``overview_lead``, ``type_accuracy``, ``language_accuracy``,
  ``recall_at_5``, ``mrr``; and ``latency_ms_p50``, ``latency_ms_p95`` (milliseconds or
  ``null``); :mod:`rag.eval.metrics` and :mod:`rag.eval.trust` say what each is computed over;
- ``support``: metric name -> how many items it was computed over;
- ``backend`` (``offline`` | ``openai``), ``questions_file``, ``started_at`` (ISO 8601 UTC),
  ``duration_s``; ``answered_by``: answer ``backend`` -> count (an LLM run whose endpoint
  failed shows its offline fallbacks here);
- ``gate_passed`` (bool) and ``gate_failures`` (list of sentences): the CI gate;
- ``per_domain`` and ``per_type``: group -> the same metric keys (with ``n``), grouped by
  the labelled domains (a question may count in several) and the labelled ``type``;
  ``per_turn`` (when the file has follow-ups): ``first question`` and ``follow-up``;
- ``confusion``: labelled verdict -> predicted verdict -> count (``"none"`` for no
  verdict, ``"error"`` for an answer that raised);
- ``baselines`` (only with ``--baselines``): ``bm25`` | ``dense`` | ``hybrid`` (and ``llm``
  with an LLM backend) -> the headline metric keys with ``n`` and ``errors``;
- ``questions``: one record per question with ``id``, ``question``, ``type``,
  ``follow_up_of``, ``history`` (ids asked before it as history), ``labels`` (as in the
  question file), ``answer`` (the answer JSON, or ``null``), ``error``, ``checks`` (name ->
  true / false / null; null means "not labelled for this"), ``retrieved_sources``,
  ``citation_problems``, ``recall_at_5``, ``reciprocal_rank``;
- written reports only: ``chart`` (file name of the PNG beside it, or ``null``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.eval import metrics
from rag.eval.runner import Evaluation, QuestionResult

HEADLINE: tuple[tuple[str, str], ...] = (
    ("domain_accuracy", "domain accuracy"),
    ("verdict_accuracy", "verdict accuracy"),
    ("condition_accuracy", "condition accuracy"),
    ("source_recall", "source recall"),
    ("citation_validity", "citation validity"),
    ("honest_attribution", "honest attribution"),
    ("condition_evidence", "condition evidence"),
    ("out_of_scope_accuracy", "out-of-scope accuracy"),
    ("refusal_precision", "refusal precision"),
    ("refusal_recall", "refusal recall"),
    ("false_refusal_rate", "false refusal rate"),
    ("borrowed_verdict_rate", "borrowed verdicts (new areas)"),
    ("new_area_conditions", "new areas, three conditions"),
    ("overview_lead", "overviews lead with the group asked"),
    ("type_accuracy", "type accuracy"),
    ("language_accuracy", "language detected"),
    ("recall_at_5", "retrieval recall@5"),
    ("mrr", "retrieval MRR"),
    ("latency_ms_p50", "latency p50 (ms)"),
    ("latency_ms_p95", "latency p95 (ms)"),
)
GROUP_COLUMNS: dict[str, str] = {
    "domain_accuracy": "domains",
    "verdict_accuracy": "verdict",
    "condition_accuracy": "conditions",
    "source_recall": "sources",
    "type_accuracy": "type",
    "false_refusal_rate": "refused",
}


def question_record(r: QuestionResult) -> dict[str, Any]:
    """One question's entry in the report's ``questions`` list (keys in the module docstring)."""
    o = r.sample.observed
    return {
        "id": r.case.id,
        "question": r.case.question,
        "type": r.case.qtype,
        "follow_up_of": r.case.follow_up_of,
        "history": list(r.outcome.history),
        "labels": r.case.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude={"id", "question"}),
        "answer": r.outcome.answer.to_json_dict() if r.outcome.answer else None,
        "error": r.outcome.error,
        "checks": r.checks,
        "retrieved_sources": list(o.retrieved_sources),
        "citation_problems": list(o.citation_problems),
        "recall_at_5": metrics.recall_at_k(r.sample, 5),
        "reciprocal_rank": metrics.reciprocal_rank(r.sample),
    }


def to_json(ev: Evaluation) -> dict[str, Any]:
    """The one JSON object of a run (keys in the module docstring)."""
    samples = ev.main.samples
    summary = metrics.summarize(samples)
    failures = metrics.gate(summary)
    data: dict[str, Any] = {
        **summary,
        "support": metrics.support(samples),
        "backend": ev.backend,
        "questions_file": ev.questions_file,
        "started_at": ev.started_at,
        "duration_s": round(ev.main.seconds + sum(r.seconds for r in ev.baselines.values() if r is not ev.main), 3),
        "answered_by": dict(Counter(r.outcome.answer.backend for r in ev.main.results if r.outcome.answer)),
        "gate_passed": not failures,
        "gate_failures": failures,
        "per_domain": metrics.breakdown(samples, metrics.by_domain),
        "per_type": metrics.breakdown(samples, metrics.by_type),
        "per_turn": metrics.breakdown(samples, metrics.by_turn) if any(s.labels.follow_up for s in samples) else {},
        "confusion": metrics.confusion(samples),
    }
    if ev.baselines:
        data["baselines"] = ev.baseline_summaries()
    data["questions"] = [question_record(r) for r in ev.main.results]
    return data


# -- text and Markdown -------------------------------------------------------------------
def fmt(value: object, name: str = "") -> str:
    """A metric for people: "n/a" for None, milliseconds as such, rates to 3 places."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if name.startswith("latency") else f"{value:.3f}"
    return str(value)


def _gate_text(name: str) -> str:
    """The metric's threshold in the gate, "" for none; a kind gate says it applies only to its kind."""
    t = next((t for t in metrics.thresholds() if t.metric == name), None)
    return "" if t is None else f"{t.side} {t.limit}" + ("" if t.required else " if scored")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        return out + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [headers, *rows]]


def failed_checks(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(question id, what failed) for each question with a failed check."""
    out = []
    for q in data["questions"]:
        failed = [name for name, ok in q["checks"].items() if ok is False]
        if not failed:
            continue
        if q["error"]:
            out.append((q["id"], ", ".join(failed) + ": " + q["error"]))
            continue
        a, labels = q["answer"], q["labels"]
        detail = []
        if "domains" in failed:
            detail.append(f"domains {a.get('domains')} (expected {labels.get('domains')})")
        if "verdict" in failed:
            detail.append(f"verdict {a.get('verdict')} (expected {labels.get('verdict')})")
        if "type" in failed:
            detail.append(f"type {a.get('question_type')} (expected {labels.get('type')})")
        if "scope" in failed:
            detail.append(f"out_of_scope {a.get('out_of_scope')} (expected {labels.get('out_of_scope', False)})")
        out.append((q["id"], ", ".join(failed) + (": " + "; ".join(detail) if detail else "")))
    return out


def render(data: Mapping[str, Any], *, markdown: bool = False) -> str:
    """The report as a terminal table or as Markdown."""
    h = (lambda t: f"## {t}") if markdown else (lambda t: f"{t}:")
    lines = [
        ("# Evaluation report" if markdown else "Evaluation"),
        "",
        f"{data['n']} questions from {data['questions_file']}, backend {data['backend']}, "
        f"started {data['started_at']}, {data['duration_s']:.1f} s, {data['errors']} error(s); answered by "
        + (", ".join(f"{k} {v}" for k, v in data["answered_by"].items()) or "nothing")
        + ".",
        "",
    ]
    baselines: Mapping[str, Mapping[str, Any]] = data.get("baselines") or {}
    headers = ["metric", "value", "scored over", "gate", *baselines]
    rows = [
        [
            label,
            fmt(data[key], key),
            str(data["support"][key]),
            _gate_text(key),
            *(fmt(b.get(key), key) for b in baselines.values()),
        ]
        for key, label in HEADLINE
    ]
    lines += _table(headers, rows, markdown)
    lines += ["", "Gate: PASS" if data["gate_passed"] else "Gate: FAIL"]
    lines += [f"- {f}" for f in data["gate_failures"]]
    for title, key in (("Per domain", "per_domain"), ("Per question type", "per_type"), ("Per turn", "per_turn")):
        groups: Mapping[str, Mapping[str, Any]] = data.get(key) or {}
        if not groups:
            continue
        rows = [[g, str(m["n"]), *(fmt(m[c]) for c in GROUP_COLUMNS)] for g, m in groups.items()]
        lines += ["", h(title), ""] if markdown else ["", h(title)]
        lines += _table([key.split("_")[1], "n", *GROUP_COLUMNS.values()], rows, markdown)
    confusion: Mapping[str, Mapping[str, int]] = data["confusion"]
    if confusion:
        cols = sorted({p for row in confusion.values() for p in row} | set(confusion))
        rows = [[lab, *(str(confusion[lab].get(p, 0)) for p in cols)] for lab in sorted(confusion)]
        lines += ["", h("Verdict confusion (rows: labelled, columns: predicted)")]
        lines += ([""] if markdown else []) + _table(["labelled \\ predicted", *cols], rows, markdown)
    failed = failed_checks(data)
    lines += ["", h(f"Failed checks ({len(failed)} question(s))")]
    lines += [f"- {qid}: {what}" for qid, what in failed] or ["- none"]
    return "\n".join(lines) + "\n"


# -- files -------------------------------------------------------------------------------
def write_chart(data: Mapping[str, Any], path: Path) -> Path | None:
    """Per-domain accuracy bars and a latency histogram; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    per_domain: Mapping[str, Mapping[str, Any]] = data["per_domain"]
    names = list(per_domain)
    lat = [
        q["answer"]["timings_ms"]["total"]
        for q in data["questions"]
        if q["answer"] and "total" in q["answer"]["timings_ms"]
    ]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, max(4.0, 0.35 * len(names) + 1.5)))
    ys = range(len(names))
    for offset, key, label in ((-0.2, "domain_accuracy", "domain"), (0.2, "verdict_accuracy", "verdict")):
        values = [per_domain[d][key] for d in names]
        left.barh([y + offset for y in ys], [v if v is not None else 0.0 for v in values], height=0.4, label=label)
        for y, v in zip(ys, values, strict=True):
            if v is None:
                left.text(0.01, y + offset, "n/a", va="center", fontsize=7)
    left.set_yticks(list(ys), names, fontsize=8)
    left.set_xlim(0, 1.05)
    left.invert_yaxis()
    left.set_title("accuracy per labelled domain")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2, fontsize=8, frameon=False)
    if lat:
        right.hist(lat, bins=min(30, max(5, len(lat) // 2)))
    else:
        right.text(0.5, 0.5, "no latencies", ha="center")
    right.set_title(
        f"answer latency (ms), p50 {fmt(data['latency_ms_p50'], 'latency')}, "
        f"p95 {fmt(data['latency_ms_p95'], 'latency')}"
    )
    right.set_xlabel("ms")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _write(path: Path, text: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(data: Mapping[str, Any], out_dir: Path, *, now: datetime | None = None) -> list[Path]:
    """report-<timestamp>.{json,md,png} and latest.{json,md,png} in out_dir; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = out_dir / f"report-{stamp}"
    chart = write_chart(data, base.with_suffix(".png"))
    full = {**data, "chart": chart.name if chart else None}
    body = json.dumps(full, ensure_ascii=False, indent=2) + "\n"
    md = render(data, markdown=True) + (f"\n![per-domain accuracy and latency]({chart.name})\n" if chart else "")
    written = []
    for path, content in ((base.with_suffix(".json"), body), (base.with_suffix(".md"), md)):
        _write(path, content)
        written.append(path)
    latest_chart = out_dir / "latest.png"
    if chart:
        _write(latest_chart, chart.read_bytes())
        written += [chart, latest_chart]
    _write(
        out_dir / "latest.json",
        json.dumps({**full, "chart": latest_chart.name if chart else None}, ensure_ascii=False, indent=2) + "\n",
    )
    _write(out_dir / "latest.md", md.replace(f"({chart.name})", "(latest.png)") if chart else md)
    return [*written, out_dir / "latest.json", out_dir / "latest.md"]
