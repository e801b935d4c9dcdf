"""The `rag` command line. Heavy modules are imported inside each command, so
`rag --help` answers at once."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.errors import RagError, UsageError

EPILOG = """\
examples:
  rag index                         build or update the index of knowledge/
  rag search "chip export restrictions" -k 5
  rag ask "could rivals cooperate on compute controls?"
  rag ask --json "is cooperation on incident reporting feasible?"
  echo '{"question": "and military AI?"}' | rag ask --json --stdin
  rag eval --json                   score the shipped canned questions offline
  rag bench --quick                 measure speed and recall on this machine
  rag serve                         open the app on http://localhost:8501

settings (environment variables or .streamlit/secrets.toml):
  RAG_DATA_DIR      where the index, uploads and feedback live (default .rag/)
  RAG_BACKEND       offline | openai | auto (default auto: openai when a key is set)
  OPENAI_API_KEY, OPENAI_BASE_URL, RAG_CHAT_MODEL   any OpenAI-compatible endpoint
  CHROMA_HOST, CHROMA_PORT                          use a Chroma server
  RAG_EMBEDDINGS    local (offline MiniLM, default) | openai
  RAG_KNOWLEDGE_DIR a knowledge base of your own (default: the shipped knowledge/)
  RAG_ROUTER_DATA   its question router's training files (default: the shipped ones, rag/data/)
"""


def _settings(args: argparse.Namespace) -> Any:
    from rag.config import Settings

    settings = Settings.from_env()
    backend = getattr(args, "backend", None)
    if backend:
        settings = settings.with_(backend=backend)
    return settings


def _progress(desc: str, unit: str = "chunk") -> Callable[[int, int], None]:
    """A tqdm bar on stderr, created on the first call with work to do, and again for the next work
    after it closes (each collection's passages: one bar per embedder)."""
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total == 0:
            return
        if "bar" not in state:
            from tqdm import tqdm

            state["bar"] = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)
        bar = state["bar"]
        bar.update(done - bar.n)
        if done >= total:
            state.pop("bar").close()

    return update


def _notice(text: str) -> None:
    """A line on stderr about slow work starting."""
    print(f"{text}…", file=sys.stderr, flush=True)


def _fits(desc: str) -> Callable[[int, int], None]:
    """A bar of a router's fits (an engine's ``bar``)."""
    return _progress(desc, unit="fit")


def cmd_index(args: argparse.Namespace) -> int:
    """`rag index [PATH...]`: update the knowledge index and add any PATHs to your documents; 1 if some are skipped."""
    from rag.engine import Engine

    engine = Engine(_settings(args), notice=_notice, bar=_fits)
    report = engine.index_knowledge(rebuild=args.rebuild, progress=_progress("embedding knowledge"))
    print(f"knowledge: {report.summary()}")
    if not args.paths:
        return 0
    from rag.uploads import index_paths

    up = index_paths(engine, [Path(p) for p in args.paths], progress=_progress("embedding documents"))
    for name, reason in up.skipped:
        print(f"skipped {name}: {reason}", file=sys.stderr)
    print(f"your documents: {up.summary()}")
    return 1 if up.skipped else 0


def cmd_search(args: argparse.Namespace) -> int:
    """`rag search QUERY`: print the passages retrieved for a query, as a ranked list or JSON."""
    from rag.engine import Engine

    if not args.query.strip():
        raise UsageError("the query is empty")
    engine = Engine(_settings(args), notice=_notice, bar=_fits)
    engine.ensure_index(progress=_progress("building the index"))
    hits = engine.search(args.query, args.k, mode=args.mode)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "chunk_id": h.id,
                        "score": round(h.score, 5),
                        "source_id": h.chunk.source_id,
                        "locator": h.chunk.locator,
                        "title": h.chunk.title,
                        "section": h.chunk.section,
                        "path": h.chunk.path,
                        "text": h.chunk.text,
                    }
                    for h in hits
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    if not hits:
        print("no passages matched")
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        print(f"{rank}. [{c.source_id}, {c.locator}] {c.doc_title} > {c.section}  ({c.path}, {h.score:.4f})")
        text = " ".join(c.text.split())
        print(f"   {text[:240]}{'...' if len(text) > 240 else ''}")
    return 0


def cmd_check_knowledge(args: argparse.Namespace) -> int:
    """`rag check-knowledge`: print every problem found in the knowledge folder; 1 if there is any."""
    from rag.knowledge_check import check_knowledge

    kdir = Path(args.knowledge) if args.knowledge else _settings(args).knowledge_dir
    problems = check_knowledge(kdir)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {kdir}", file=sys.stderr)
        return 1
    print(f"knowledge OK: {kdir}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """`rag serve`: replace this process with `streamlit run app.py` on ``--port``."""
    app = Path(__file__).resolve().parent.parent / "app.py"
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    os.execv(sys.executable, argv)
    return 0  # pragma: no cover


def build_parser() -> argparse.ArgumentParser:
    """The `rag` argument parser, with the commands of the extra modules registered."""
    parser = argparse.ArgumentParser(
        prog="rag",
        description=(
            "Competitive Cooperation Navigator: when can geopolitical rivals cooperate on AI "
            "governance? Answers reason condition by condition (domain separability, mutual "
            "vulnerability, verification feasibility) and cite the passages they used. "
            "Works offline by default."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from rag import __version__

    parser.add_argument("--version", action="version", version=f"rag {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "index",
        help="index knowledge/ (incrementally) and, with PATHs, your documents",
        description="Index knowledge/ incrementally. With PATHs, also add your documents "
        "(md, txt, pdf, html, docx; folders are searched) to a separate collection. "
        "Exit 0: all indexed; 1: some files skipped (listed on stderr); 2: usage error.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders of your own documents")
    p.add_argument("--rebuild", action="store_true", help="republish the whole index (vectors are reused)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser(
        "search",
        help="show the passages retrieved for a query",
        description="Hybrid retrieval (dense + BM25, reciprocal rank fusion).",
    )
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("check-knowledge", help="validate knowledge/ (sources, citations, domains)")
    p.add_argument("--knowledge", metavar="DIR", help="another knowledge folder to check")
    p.set_defaults(func=cmd_check_knowledge)

    p = sub.add_parser("serve", help="start the app (same as streamlit run app.py)")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_serve)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return parser


def _register_extra(sub: Any) -> None:
    """Commands that live in their own modules (each has a ``register(subparsers)``)."""
    import importlib

    for name in ("rag.cli_ask", "rag.cli_eval", "rag.cli_bench"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(sub)


_EXTRA_COMMANDS: list[Callable[[Any], None]] = [_register_extra]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rag` command line; returns the exit code (2: usage error, 1: any other RagError, 130: interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except UsageError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
