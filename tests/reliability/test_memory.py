"""Memory stays flat over 1,000 answers in one process."""

from __future__ import annotations

import os

from rag.service import Service

QUESTIONS = [
    "Could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "What does the DeepSeek case show?",
    "How does military AI compare with nuclear command and control?",
    "What's the weather like in Paris tomorrow?",
]


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_memory_flat_over_1000_answers(shipped_service: Service) -> None:
    for q in QUESTIONS * 10:  # warm caches first
        shipped_service.ask(q)
    start = _rss_mb()
    for i in range(1000):
        shipped_service.ask(QUESTIONS[i % len(QUESTIONS)] + f" ({i})")  # unique text: no cache hits
    grown = _rss_mb() - start
    print(f"RSS {start:.0f} MB -> {start + grown:.0f} MB over 1000 answers")
    assert grown < 40, f"grew {grown:.1f} MB"
