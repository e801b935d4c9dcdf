"""Feedback on answers: thumbs up or down and an optional comment, kept in SQLite.

One row per answer shown (``message_id``); changing the rating or adding a comment
updates that row. WAL mode lets several app sessions write while others read, and
the file in ``RAG_DATA_DIR`` survives restarts.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rag.errors import FeedbackError

Rating = Literal["up", "down"]
FILE_NAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    backend TEXT NOT NULL,
    rating TEXT CHECK (rating IN ('up', 'down')),
    comment TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
)
"""


@dataclass(frozen=True)
class FeedbackRecord:
    """One row of the feedback table (the answer as JSON text)."""

    message_id: str
    question: str
    answer_json: str
    backend: str
    rating: Rating | None
    comment: str | None
    created_at: float
    updated_at: float

    @property
    def answer(self) -> dict[str, object]:
        """The stored answer JSON as a dict ({} when it is not a JSON object)."""
        data = json.loads(self.answer_json)
        return data if isinstance(data, dict) else {}


class FeedbackStore:
    """The SQLite file of feedback; a new connection per call, so it is safe across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FeedbackError(f"cannot open the feedback store {path}: {e}") from e
        with self._connect("open the feedback store") as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        """The store in ``data_dir``'s feedback.sqlite3."""
        return cls(Path(data_dir) / FILE_NAME)

    @contextmanager
    def _connect(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A connection for one call; any SQLite error becomes a FeedbackError saying what failed."""
        try:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                with db:  # commits, or rolls back on error
                    yield db
            finally:
                db.close()
        except sqlite3.Error as e:
            raise FeedbackError(f"cannot {doing} {self.path}: {e}") from e

    def record(
        self,
        message_id: str,
        *,
        question: str,
        answer: Mapping[str, object] | str,
        backend: str,
        rating: Rating | None = None,
        comment: str | None = None,
    ) -> None:
        """Create or update the feedback row of one answer (a None field keeps its stored value)."""
        if rating not in (None, "up", "down"):
            raise FeedbackError(f"rating must be 'up' or 'down', not {rating!r}")
        answer_json = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        if comment is not None:
            comment = comment.strip() or None
        now = time.time()
        with self._connect("save feedback to") as db:
            db.execute(
                """
                INSERT INTO feedback (message_id, question, answer_json, backend, rating, comment,
                                      created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(message_id) DO UPDATE SET
                    rating = COALESCE(excluded.rating, feedback.rating),
                    comment = COALESCE(excluded.comment, feedback.comment),
                    updated_at = excluded.updated_at
                """,
                (message_id, question, answer_json, backend, rating, comment, now, now),
            )

    def clear_rating(self, message_id: str) -> None:
        """Forget the rating of one answer (the user un-clicked the thumb)."""
        with self._connect("clear a rating in") as db:
            db.execute(
                "UPDATE feedback SET rating = NULL, updated_at = ? WHERE message_id = ?", (time.time(), message_id)
            )

    def get(self, message_id: str) -> FeedbackRecord | None:
        """The feedback row of one answer, or None when it has none."""
        with self._connect("read feedback from") as db:
            row = db.execute(
                "SELECT message_id, question, answer_json, backend, rating, comment, created_at, updated_at "
                "FROM feedback WHERE message_id = ?",
                (message_id,),
            ).fetchone()
        return FeedbackRecord(*row) if row else None

    def all(self) -> list[FeedbackRecord]:
        """Every row, oldest first."""
        with self._connect("read feedback from") as db:
            rows = db.execute(
                "SELECT message_id, question, answer_json, backend, rating, comment, created_at, updated_at "
                "FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRecord(*r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many answers were rated up and down."""
        with self._connect("count ratings in") as db:
            rows = db.execute("SELECT rating, COUNT(*) FROM feedback WHERE rating IS NOT NULL GROUP BY rating")
            found = dict(rows.fetchall())
        return {"up": int(found.get("up", 0)), "down": int(found.get("down", 0))}
