"""`rag eval`: run canned questions, score them, print a table or JSON, write reports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag.errors import UsageError

# The gate's thresholds (rag.eval.metrics.describe_gate(), which a test compares with this), written
# out so that building the parser imports no engine.
GATE_HELP = (
    "exit 1 unless domain_accuracy >= 0.95, verdict_accuracy >= 0.95, citation_validity >= 1, "
    "out_of_scope_accuracy >= 0.93, honest_attribution >= 0.99, condition_evidence >= 0.95, "
    "false_refusal_rate <= 0.02; where the file has questions of their kind, new_area_conditions >= 0.9, "
    "overview_lead >= 0.9, borrowed_verdict_rate <= 0.1; and no answer raising an error"
)


def _progress(desc: str, total: int) -> Any:
    """A tqdm bar on stderr for ``total`` questions; returns its tick."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="q", file=sys.stderr, leave=False)

    def tick() -> None:
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return tick


def cmd_eval(args: argparse.Namespace) -> int:
    """`rag eval`: score the answers to a question file and report the scores; 1 when ``--gate`` fails."""
    from rag.cli import _fits, _notice, _settings
    from rag.cli import _progress as index_progress
    from rag.engine import Engine
    from rag.eval import report
    from rag.eval.runner import SHIPPED_QUESTIONS, evaluate, load_cases
    from rag.service import Service
    from rag.uploads import private_uploads

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    path = Path(args.questions) if args.questions else SHIPPED_QUESTIONS
    if not args.questions and not path.exists():
        raise UsageError(f"the shipped question set {path} is missing; give one with --questions FILE")
    pool = load_cases(path)
    cases = pool[: args.limit] if args.limit else pool
    settings = _settings(args)
    # Cases ask in an uploads space of their own (a case's documents are uploaded there while it is
    # asked), deleted at the end: the folder's own uploads never change the scores.
    with private_uploads(Engine(settings, notice=_notice, bar=_fits)) as engine:
        service = Service(settings, engine=engine)
        engine.ensure_index(progress=index_progress("building the index"))
        ev = evaluate(service, cases, pool=pool, baselines=args.baselines, questions_file=str(path), progress=_progress)
    data = report.to_json(ev)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(report.render(data), end="")
    if not args.json or args.out:
        out = Path(args.out) if args.out else settings.data_dir / "eval"
        try:
            written = report.write_reports(data, out)
        except OSError as e:
            raise UsageError(f"cannot write the report to {out}: {e.strerror or e}") from e
        if not args.json:
            print(f"\nreport: {written[0].with_suffix('.md')} (latest: {out / 'latest.md'})")
    if args.gate and not data["gate_passed"]:
        print("rag: the evaluation gate failed: " + "; ".join(data["gate_failures"]), file=sys.stderr)
        return 1
    return 0


def register(sub: Any) -> None:
    """Add the `eval` command to the `rag` subparsers."""
    p = sub.add_parser(
        "eval",
        help="run canned questions and score the answers",
        description="Ask every question of a question file (YAML; the shipped set by default), score the "
        "answers (domains, verdicts, conditions, cited sources, citation validity and honest attribution, "
        "refusals, borrowed verdicts and new areas, the group an overview leads with, retrieval "
        "recall@5 and MRR, latency) and print a table, or one JSON object with --json. Without --json, "
        "Markdown and JSON reports and a PNG chart are written to --out (default <RAG_DATA_DIR>/eval/). "
        "Questions are asked in an uploads space of the run's own (a question's documents are uploaded "
        "there while it is asked), so documents you uploaded never change the scores. "
        "Exit 1 with --gate when a threshold is missed.",
    )
    p.add_argument("--questions", metavar="FILE", help="question file (default: the shipped canned set)")
    p.add_argument("--json", action="store_true", help="print one JSON object (no report files unless --out)")
    p.add_argument("--backend", choices=["offline", "openai", "auto"], help="override RAG_BACKEND")
    p.add_argument(
        "--baselines",
        action="store_true",
        help="also score the offline analyst on BM25-only, dense-only and hybrid retrieval",
    )
    p.add_argument("--out", metavar="DIR", help="where to write the reports (default <RAG_DATA_DIR>/eval/)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions")
    p.add_argument(
        "--gate",
        action="store_true",
        help=GATE_HELP,
    )
    p.set_defaults(func=cmd_eval)
