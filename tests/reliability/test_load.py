"""Load: 20 concurrent sessions of a real `streamlit run app.py` ask questions, with no errors.

Each session is a real Streamlit AppSession on one server process, driven over HTTP through
Streamlit's agent API (`POST /_stcore/agent/interact`, switched on with
`--server.enableAgentApi`): the same rerun path a browser's chat input takes, with all
sessions sharing the server's one cached Service. Streamlit's AppTest cannot do this: it
swaps process-wide globals (the Runtime singleton) on every run, so AppTests in threads
trip over each other.

Every answer is checked against the same question answered in this process, with the same
history: a session must show its own questions, in order, and the answers they deserve.
The latency distribution goes to $RAG_TEST_ARTIFACTS/load.json for information only: speed is
measured by `rag bench` (rag/bench_app.py), not asserted here.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from typing import Any

import pytest

from rag.answer.pipeline import turn_of
from rag.answer.schema import Answer
from rag.bench_app import AgentSession, chat, nodes, text_of
from rag.ui.components import verdict_badge
from tests.streamlit_server import StreamlitServer, artifacts

SESSIONS, QUESTIONS_EACH = 20, 3
QUESTIONS = [
    "could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "What does the DeepSeek case show?",
    "How does military AI compare with technical standards?",
    "and who is left out?",
    "What's the weather in Paris tomorrow?",
]
pytestmark = pytest.mark.slow


def opening(answer: Answer) -> str:
    """The answer's first words, on its first line and before any citation marker: present in the rendered message."""
    return answer.answer.split("[", 1)[0].strip().splitlines()[0][:60]


def check(snapshot: dict[str, Any], asked: list[str], expected: Answer) -> None:
    assert snapshot["status"] == "ready", snapshot["status"]
    errors = [n for n in nodes(snapshot["tree"]) if n.get("type") == "exception"]
    assert not errors, errors
    assert [text_of(m).strip() for m in chat(snapshot, "user")] == asked  # its own questions, in order
    replies = chat(snapshot, "assistant")
    assert len(replies) == len(asked)
    shown = text_of(replies[-1])
    assert opening(expected) in shown  # the refusal of its kind, or the answer
    if expected.out_of_scope:
        return
    if expected.verdict:
        assert verdict_badge(expected.verdict) in shown
    assert ":blue-badge[c1]" in shown  # citation markers are rendered


def test_twenty_concurrent_sessions(shipped_service: Any) -> None:
    expected: dict[tuple[str, ...], Answer] = {}  # the in-process answer to each conversation so far

    def oracle(conversation: list[str]) -> Answer:
        key = tuple(conversation)
        if key not in expected:
            earlier = [oracle(conversation[:i]) for i in range(1, len(conversation))]
            history = [turn_of(a) for a in earlier if not a.out_of_scope]  # as the app keeps it
            expected[key] = shipped_service.ask(conversation[-1], history)
        return expected[key]

    conversations = [[QUESTIONS[(n + i) % len(QUESTIONS)] for i in range(QUESTIONS_EACH)] for n in range(SESSIONS)]
    for conversation in conversations:
        for i in range(1, QUESTIONS_EACH + 1):
            oracle(conversation[:i])

    server = StreamlitServer(shipped_service.settings.data_dir, artifacts() / "load-streamlit.log", agent_api=True)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def session(n: int) -> None:
        try:
            s = AgentSession(server.url)
            asked: list[str] = []
            for question in conversations[n]:
                started = time.perf_counter()
                snapshot = s.ask(question)
                elapsed = (time.perf_counter() - started) * 1000
                asked.append(question)
                check(snapshot, asked, expected[tuple(asked)])
                with lock:
                    latencies.append(elapsed)
        except Exception as e:  # collected and reported below
            with lock:
                errors.append(f"session {n}: {type(e).__name__}: {e}")

    with server:
        warm = AgentSession(server.url)  # the first visitor builds the server's cached Service
        check(warm.ask(QUESTIONS[0]), [QUESTIONS[0]], expected[(QUESTIONS[0],)])
        threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        wall = time.perf_counter() - started
    assert errors == []
    assert len(latencies) == SESSIONS * QUESTIONS_EACH
    qs = statistics.quantiles(latencies, n=20)
    report = {
        "sessions": SESSIONS,
        "answers": len(latencies),
        "wall_s": round(wall, 1),
        "p50_ms": round(statistics.median(latencies)),
        "p95_ms": round(qs[18]),
        "max_ms": round(max(latencies)),
    }
    print("load:", report)
    (artifacts() / "load.json").write_text(json.dumps(report, indent=2) + "\n")
