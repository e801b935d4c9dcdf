"""Load: 20 concurrent sessions of a real `streamlit run app.py` ask questions, with no errors.

Each session is a real Streamlit AppSession on one server process, driven over HTTP through
Streamlit's agent API (`POST /_stcore/agent/interact`, switched on with
`--server.enableAgentApi`): the same rerun path a browser's chat input takes, with all
sessions sharing the server's one cached Service. Streamlit's AppTest cannot do this: it
swaps process-wide globals (the Runtime singleton) on every run, so AppTests in threads
trip over each other.

Every answer is checked against the same question answered in this process, with the same
history: a session must show its own questions, in order, and the answers they deserve.
The latency distribution goes to $RAG_TEST_ARTIFACTS/load.json.
"""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from rag.answer.schema import REFUSAL, Answer
from rag.answer.pipeline import turn_of
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
CALL_TIMEOUT_S = 600

pytestmark = pytest.mark.slow


class AgentSession:
    """One app session, driven through the agent API; `snapshot` is the app as last rendered."""

    def __init__(self, url: str) -> None:
        self.endpoint = f"{url}/_stcore/agent/interact"
        self.snapshot = self._call({})
        self.id = self.snapshot["session_id"]

    def ask(self, question: str) -> dict[str, Any]:
        """Submit the chat input and wait for the run to finish."""
        self.snapshot = self._call({"session_id": self.id, "trigger": {"key": "chat_input", "value": question}})
        return self.snapshot

    def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:
            request = urllib.request.Request(self.endpoint, data=json.dumps(body).encode(),
                                             headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_S) as r:
                    reply = json.load(r)
                    if r.status != 202:  # 202 is `wait_timed_out`: the run goes on, collect it
                        return dict(reply)
            except urllib.error.HTTPError as e:
                raise AssertionError(f"agent API answered {e.code}: {e.read()[:500]!r}") from None
            if time.monotonic() > deadline:
                raise TimeoutError("the run did not finish")
            body = {"session_id": reply.get("session_id", body.get("session_id"))}


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for child in tree.get("children", ()):
            yield from nodes(child)


def text_of(node: dict[str, Any]) -> str:
    """The Markdown shown in a node, with the app's escaping of user and document text undone."""
    bodies = (str((n.get("props") or {}).get("body", "")) for n in nodes(node))
    return re.sub(r"\\(.)", r"\1", "\n".join(bodies))


def chat(snapshot: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [n for n in nodes(snapshot["tree"])
            if n.get("type") == "chat_message" and (n.get("props") or {}).get("name") == role]


def opening(answer: Answer) -> str:
    """The answer's first words, up to its first citation marker: present in the rendered message."""
    return answer.answer.split("[", 1)[0].strip()[:60]


def check(snapshot: dict[str, Any], asked: list[str], expected: Answer) -> None:
    assert snapshot["status"] == "ready", snapshot["status"]
    errors = [n for n in nodes(snapshot["tree"]) if n.get("type") == "exception"]
    assert not errors, errors
    assert [text_of(m).strip() for m in chat(snapshot, "user")] == asked  # its own questions, in order
    replies = chat(snapshot, "assistant")
    assert len(replies) == len(asked)
    shown = text_of(replies[-1])
    if expected.out_of_scope:
        assert REFUSAL in shown
        return
    assert opening(expected) in shown
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

    server = StreamlitServer(shipped_service.settings.data_dir, artifacts() / "load-streamlit.log",
                             ["--server.enableAgentApi", "true", "--server.agentWaitTimeout", str(CALL_TIMEOUT_S)])
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
            t.join(CALL_TIMEOUT_S)
        wall = time.perf_counter() - started
    assert errors == []
    assert len(latencies) == SESSIONS * QUESTIONS_EACH
    qs = statistics.quantiles(latencies, n=20)
    report = {"sessions": SESSIONS, "answers": len(latencies), "wall_s": round(wall, 1),
              "p50_ms": round(statistics.median(latencies)), "p95_ms": round(qs[18]), "max_ms": round(max(latencies))}
    print("load:", report)
    (artifacts() / "load.json").write_text(json.dumps(report, indent=2) + "\n")
