"""Assertions and small utilities shared by tests: every answer any test produces must have sound citations."""

from __future__ import annotations

import socket
from pathlib import Path

from rag.answer.citations import check_answer, markers_in
from rag.answer.schema import Answer


def data_folder_names(data: Path) -> tuple[list[str], list[str]]:
    """The names in a data folder and in its index folder: what a run leaves behind there."""
    return sorted(p.name for p in data.iterdir()), sorted(p.name for p in (data / "index").iterdir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_sound(answer: Answer) -> None:
    """Every marker resolves, every cited chunk was retrieved, every cited text is the chunk's."""
    assert check_answer(answer) == [], check_answer(answer)
    ids = {c.id for c in answer.citations}
    for m in markers_in(answer.answer):
        assert m in ids
    assert set(c.chunk_id for c in answer.citations) <= set(answer.retrieved)
    if answer.out_of_scope:
        assert answer.verdict is None and answer.conditions is None
