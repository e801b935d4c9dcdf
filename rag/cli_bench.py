"""`rag bench`: the benchmark of DESIGN.md, side by side in one run."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_bench(args: argparse.Namespace) -> int:
    """`rag bench`: run the benchmark and print its table, or its JSON with ``--json``."""
    from rag.bench import render_table, run_bench
    from rag.cli import _settings

    result = run_bench(_settings(args), quick=args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(result))
    else:
        print(render_table(result))
    return 0


def register(sub: Any) -> None:
    """Add the `bench` command to the `rag` subparsers."""
    p = sub.add_parser(
        "bench",
        help="measure speed, recall and memory on this machine",
        description="Embedder vs Chroma's default embedding function (same model files, same chunks), index "
        "build, warm hybrid retrieval and offline answers (p50/p95), recall@5 for BM25/dense/hybrid, peak memory, "
        "a 100,000-chunk scale test (its store is built once under RAG_DATA_DIR/bench and reused), and a classroom of "
        "20 sessions x 3 questions on one real `streamlit run app.py` server, with the answer cache on (as deployed) "
        "and off (every answer computed).",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (last line)")
    p.add_argument("--quick", action="store_true", help="skip the 100,000-chunk scale part and the app load")
    p.set_defaults(func=cmd_bench)
