"""Evaluation: canned questions (YAML) + small scoring functions + a CI gate.

    runner.load_cases -> runner.evaluate(service, cases) -> report.to_json -> report.render / write_reports

``metrics`` holds the pure scoring functions and ``gate``; nothing here loads a model or
reads the environment at import time.
"""

from __future__ import annotations

from rag.eval.metrics import GATE_MAX, GATE_MIN, Labels, Observed, Sample, gate, summarize
from rag.eval.runner import SHIPPED_QUESTIONS, Case, Evaluation, evaluate, load_cases, parse_cases

__all__ = [
    "GATE_MAX",
    "GATE_MIN",
    "SHIPPED_QUESTIONS",
    "Case",
    "Evaluation",
    "Labels",
    "Observed",
    "Sample",
    "evaluate",
    "gate",
    "load_cases",
    "parse_cases",
    "summarize",
]
