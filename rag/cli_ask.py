"""`rag ask`: one question, or JSON Lines on stdin with the models loaded once."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rag.answer.pipeline import turn_of
from rag.errors import UsageError
from rag.multilingual import string_table


def render_text(answer: Any) -> str:
    """The answer for a terminal: Markdown, then the cited passages."""
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.id}] {c.title} ({c.locator})" + (f" {c.url}" if c.url else ""))
    for n in answer.notices:
        lines.append(f"Note: {n}")
    if answer.suggestions:
        heading = "headings.can_answer" if answer.out_of_scope else "headings.ask_next"
        lines.append("")
        lines.append(f"{string_table().get(answer.language, heading)}:")
        lines += [f"  - {s}" for s in answer.suggestions]
    return "\n".join(lines)


def _parse_line(line: str) -> tuple[str, list[dict[str, Any]] | None, str | None]:
    """(question, explicit history, conversation id) of one stdin line."""
    text = line.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"not valid JSON: {e}") from e
        if not isinstance(obj, dict) or not isinstance(obj.get("question", ""), str):
            raise UsageError('each JSON line needs a "question" string')
        history = obj.get("history")
        return obj.get("question", ""), history if isinstance(history, list) else None, obj.get("conversation")
    return text, None, None


def cmd_ask(args: argparse.Namespace) -> int:
    """`rag ask`: answer one question (text or ``--json``), or with ``--stdin`` each line, one JSON answer per line."""
    from rag.cli import _fits, _notice, _progress, _settings
    from rag.engine import Engine
    from rag.service import Service

    settings = _settings(args)
    service = Service(settings, engine=Engine(settings, notice=_notice, bar=_fits))
    service.engine.ensure_index(progress=_progress("building the index"))
    service.navigator.warm()  # model, index and catalogue vectors load once, before any answer is timed
    if args.stdin:
        conversations: dict[str, list[dict[str, Any]]] = {}
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                question, history, conv = _parse_line(line)
            except UsageError as e:
                print(json.dumps({"error": str(e)}), flush=True)
                continue
            past = history if history is not None else conversations.get(conv or "", [])
            answer = service.ask(question, past)
            if conv:
                conversations.setdefault(conv, []).append(turn_of(answer))
            print(json.dumps(answer.to_json_dict(), ensure_ascii=False), flush=True)
        return 0
    if args.question is None:
        raise UsageError('give a question, e.g. rag ask "could rivals cooperate on compute controls?"')
    answer = service.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(answer))
    return 0


def register(sub: Any) -> None:
    """Add the `ask` command to the `rag` subparsers."""
    p = sub.add_parser(
        "ask",
        help="answer a question, condition by condition, with citations",
        description="Answer a question from the knowledge base. Builds the index first if there is none. "
        "With --stdin, reads one question per line (plain text, or JSON objects "
        '{"question": ..., "conversation": "id"} to chain follow-ups) and prints one JSON answer per line.',
    )
    p.add_argument("question", nargs="?", help="the question (quote it)")
    p.add_argument("--json", action="store_true", help="print the answer JSON")
    p.add_argument("--stdin", action="store_true", help="JSON Lines: questions on stdin, answers on stdout")
    p.add_argument("--backend", choices=["offline", "openai", "auto"], help="override RAG_BACKEND")
    p.set_defaults(func=cmd_ask)
