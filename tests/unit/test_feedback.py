"""Feedback lives in SQLite (WAL) and survives a new store, as after an app restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rag.feedback import FeedbackError, FeedbackStore

ANSWER = {"question": "could rivals cooperate on compute controls?", "verdict": "infeasible"}


def test_feedback_persists_across_store_instances(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record("m1", question=ANSWER["question"], answer=ANSWER, backend="offline", rating="up")
    store.record(
        "m2",
        question="and military AI?",
        answer={"verdict": "infeasible"},
        backend="offline",
        rating="down",
        comment="  missing the 2024 statement  ",
    )

    reopened = FeedbackStore(tmp_path / "feedback.sqlite3")
    rows = reopened.all()
    assert [(r.message_id, r.rating, r.comment) for r in rows] == [
        ("m1", "up", None),
        ("m2", "down", "missing the 2024 statement"),
    ]
    assert rows[0].answer == ANSWER and rows[0].backend == "offline" and rows[0].created_at > 0
    assert reopened.counts() == {"up": 1, "down": 1}


def test_changing_a_rating_updates_the_same_row_and_keeps_the_comment(tmp_path: Path) -> None:
    store = FeedbackStore.in_data_dir(tmp_path)
    store.record("m1", question="q", answer=ANSWER, backend="offline", rating="down", comment="too long")
    store.record("m1", question="q", answer=ANSWER, backend="offline", rating="up")
    [row] = store.all()
    assert (row.rating, row.comment) == ("up", "too long")
    store.clear_rating("m1")
    assert store.get("m1").rating is None  # type: ignore[union-attr]
    assert store.get("nope") is None


def test_store_uses_write_ahead_logging(tmp_path: Path) -> None:
    FeedbackStore.in_data_dir(tmp_path)
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bad_rating_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedbackError):
        FeedbackStore.in_data_dir(tmp_path).record("m", question="q", answer={}, backend="x", rating="meh")  # type: ignore[arg-type]


def test_a_damaged_store_gives_a_feedback_error_for_every_call_not_a_database_error(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record("m1", question="q", answer={}, backend="offline", rating="up")
    for extra in ("-wal", "-shm"):
        (tmp_path / f"feedback.sqlite3{extra}").unlink(missing_ok=True)
    (tmp_path / "feedback.sqlite3").write_bytes(b"not a database" * 100)
    calls = [
        lambda: store.record("m2", question="q", answer={}, backend="offline", rating="down"),
        lambda: store.clear_rating("m1"),
        lambda: store.get("m1"),
        store.all,
        store.counts,
        lambda: FeedbackStore(tmp_path / "feedback.sqlite3"),
    ]
    for call in calls:
        with pytest.raises(FeedbackError, match=r"feedback\.sqlite3"):
            call()
