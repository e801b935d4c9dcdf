"""The evaluation page: the latest `rag eval` report (metrics, per-domain chart, failed checks), if any.

The report's shape is documented in rag/eval/report.py (``<RAG_DATA_DIR>/eval/latest.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from rag.ui import state

METRICS = (
    ("domain_accuracy", "Domain accuracy", "ratio"),
    ("verdict_accuracy", "Verdict accuracy", "ratio"),
    ("condition_accuracy", "Condition accuracy", "ratio"),
    ("source_recall", "Source recall", "ratio"),
    ("citation_validity", "Citation validity", "ratio"),
    ("honest_attribution", "Honest attribution (each citation holds only its source's claims)", "ratio"),
    ("condition_evidence", "Condition evidence (each condition cites a passage beyond the assessment)", "ratio"),
    ("out_of_scope_accuracy", "Out-of-scope accuracy", "ratio"),
    ("refusal_precision", "Refusal precision", "ratio"),
    ("refusal_recall", "Refusal recall", "ratio"),
    ("false_refusal_rate", "False refusal rate (lower is better)", "ratio"),
    ("borrowed_verdict_rate", "New areas given a catalogued area's verdict (lower is better)", "ratio"),
    ("new_area_conditions", "New areas reasoned through all three conditions", "ratio"),
    ("overview_lead", "Overviews leading with the group asked about", "ratio"),
    ("type_accuracy", "Question-type accuracy", "ratio"),
    ("language_accuracy", "Language detected", "ratio"),
    ("recall_at_5", "Retrieval recall at 5", "ratio"),
    ("mrr", "Mean reciprocal rank", "ratio"),
    ("latency_ms_p50", "Latency, median", "ms"),
    ("latency_ms_p95", "Latency, 95th percentile", "ms"),
)
HEADLINE = ("verdict_accuracy", "condition_accuracy", "citation_validity", "latency_ms_p50")
DOMAIN_METRICS = ("domain_accuracy", "verdict_accuracy", "condition_accuracy", "source_recall", "citation_validity")
LABELS = {key: label for key, label, _ in METRICS}


def load_report(data_dir: Path) -> dict[str, Any] | None:
    """The latest evaluation report in ``data_dir/eval/latest.json``; None when it is missing or unreadable."""
    path = data_dir / "eval" / "latest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def fmt(value: Any, unit: str) -> str:
    """A metric for display: a percentage for a ratio, milliseconds otherwise, "n/a" when it is not a number."""
    number = _number(value)
    if number is None:
        return "n/a"
    return f"{number:.0%}" if unit == "ratio" else f"{number:.0f} ms"


def metrics_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """One row per metric present in the report: its label, formatted value and how many items it was scored over."""
    given = report.get("support")
    support: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    return pd.DataFrame(
        [
            {"Metric": label, "Value": fmt(report.get(key), unit), "Scored over": support.get(key)}
            for key, label, unit in METRICS
            if key in report
        ]
    )


def per_domain_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """Long table: domain, metric, value (0..1), label; from the report's ``per_domain``."""
    rows = []
    per_domain = report.get("per_domain")
    for domain, values in per_domain.items() if isinstance(per_domain, Mapping) else []:
        if not isinstance(values, Mapping):
            continue
        n = values.get("n")
        for key in DOMAIN_METRICS:
            number = _number(values.get(key))
            rows.append(
                {
                    "domain": f"{domain} ({n})" if n else str(domain),
                    "metric": LABELS[key],
                    "value": number,
                    "label": fmt(number, "ratio"),
                }
            )
    return pd.DataFrame(rows)


def per_domain_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """A heatmap of ``per_domain_frame``: domains by metrics, coloured and labelled by score."""
    base = alt.Chart(frame).encode(
        x=alt.X(
            "metric:N",
            sort=[LABELS[k] for k in DOMAIN_METRICS],
            title=None,
            axis=alt.Axis(
                orient="top",
                labelAngle=0,
                labelFontSize=13,
                labelColor="#111",
                labelOverlap=False,
                labelExpr="split(datum.label, ' ')",
                labelBaseline="bottom",
                labelLineHeight=16,
            ),
        ),
        y=alt.Y("domain:N", title=None, axis=alt.Axis(labelFontSize=13, labelLimit=320, labelColor="#111")),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "value:Q",
            scale=alt.Scale(domain=[0, 1], range=["#f4b4a8", "#fbd98d", "#a8dcc1"]),
            legend=alt.Legend(title="Share correct", format="%"),
        ),
        tooltip=[alt.Tooltip("domain:N"), alt.Tooltip("metric:N"), alt.Tooltip("label:N", title="score")],
    )
    text = base.mark_text(fontSize=13, color="black").encode(text="label:N")
    return (cells + text).properties(height=30 * frame["domain"].nunique() + 30)


def failed_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """One row per question with a failed check or an error: the question, what failed and its id."""
    rows = []
    for q in report.get("questions") or []:
        if not isinstance(q, Mapping):
            continue
        given = q.get("checks")
        checks: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        failed = [name for name, ok in checks.items() if ok is False]
        if failed or q.get("error"):
            rows.append(
                {"Question": q.get("question"), "Failed checks": ", ".join(failed) or "error", "Id": q.get("id")}
            )
    return pd.DataFrame(rows)


def page() -> None:
    """The evaluation page: the latest report's gate, headline and full metrics, per-domain chart and failed checks."""
    st.title("Evaluation")
    data_dir = state.settings().data_dir
    report = load_report(data_dir)
    if report is None:
        st.info(
            "No evaluation report yet. Run the canned questions once; this page then shows the scores.",
            icon=":material/analytics:",
        )
        st.code("rag eval", language="bash")
        st.caption(f"The report is read from {data_dir / 'eval' / 'latest.json'}.")
        return
    n = report.get("n", "?")
    when = str(report.get("started_at") or "")[:16].replace("T", " ")
    st.markdown(
        f"Latest `rag eval` report: **{n} questions**, answered by the **{report.get('backend', '?')}** "
        f"backend{f', run {when} UTC' if when else ''}."
    )
    if isinstance(report.get("gate_passed"), bool):
        if report["gate_passed"]:
            st.success("The quality gate passed.", icon=":material/check_circle:")
        else:
            failures = "; ".join(str(f) for f in report.get("gate_failures") or [])
            st.error(f"The quality gate failed: {failures}", icon=":material/cancel:")
    head = [(k, LABELS[k], "ms" if k.startswith("latency") else "ratio") for k in HEADLINE if k in report]
    for col, (key, label, unit) in zip(st.columns(max(1, len(head))), head, strict=False):
        col.metric(label, fmt(report.get(key), unit), border=True)
    st.subheader("All metrics", anchor=False)
    st.dataframe(metrics_frame(report), hide_index=True, width="stretch")
    frame = per_domain_frame(report)
    if not frame.empty:
        st.subheader("By domain", anchor=False)
        st.caption("Questions labelled with each domain (how many in brackets); n/a: not labelled for that check.")
        st.altair_chart(per_domain_chart(frame), width="stretch")
    failed = failed_frame(report)
    st.subheader("Failed checks", anchor=False)
    if failed.empty:
        st.caption("Every labelled check passed.")
    else:
        st.dataframe(failed, hide_index=True, width="stretch")
