"""Load: 20 concurrent app sessions ask questions, with no errors; latency reported.

Each session is a real AppTest run of app.py in its own thread, sharing the one cached
Service of the process exactly as Streamlit sessions do.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.answer.citations import check_answer

APP = str(Path(__file__).resolve().parents[2] / "app.py")
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


def test_twenty_concurrent_sessions(shipped_service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(shipped_service.settings.data_dir))
    monkeypatch.setenv("RAG_BACKEND", "offline")
    warm = AppTest.from_file(APP, default_timeout=300)
    warm.run()  # builds the cached service once, as the first visitor would
    assert not warm.exception

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def session(n: int) -> None:
        try:
            at = AppTest.from_file(APP, default_timeout=120)
            at.run()
            for i in range(QUESTIONS_EACH):
                question = QUESTIONS[(n + i) % len(QUESTIONS)]
                started = time.perf_counter()
                at.chat_input(key="chat_input").set_value(question).run()
                elapsed = (time.perf_counter() - started) * 1000
                if at.exception:
                    raise AssertionError(at.exception)
                answer = at.session_state["messages"][-1]["answer"]
                assert check_answer(answer) == [], check_answer(answer)
                with lock:
                    latencies.append(elapsed)
        except Exception as e:  # collected and reported below
            with lock:
                errors.append(f"session {n}: {type(e).__name__}: {e}")

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
    report = {"sessions": SESSIONS, "answers": len(latencies), "wall_s": round(wall, 1),
              "p50_ms": round(statistics.median(latencies)), "p95_ms": round(qs[18]), "max_ms": round(max(latencies))}
    print("load:", report)
    out = Path(os.environ.get("RAG_TEST_ARTIFACTS", "test-artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(report, indent=2))
