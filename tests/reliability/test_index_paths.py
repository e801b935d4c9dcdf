"""`rag index PATH`: every skipped file named with a reason, the rest indexed, exit codes per DESIGN.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rag.service import Service


def _rag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_bad_files_are_reported_and_the_rest_indexed(shipped_service: Service, tmp_path: Path) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(shipped_service.settings.data_dir), "RAG_BACKEND": "offline"}
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Glacier treaty\n\nThe Glacier Treaty pooled ice-core data between rivals.\n")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    (docs / "notes.exe").write_bytes(b"MZ\x90\x00")
    (docs / "..weird name;rm -rf.md").write_text("A file with an odd name about the Glacier Treaty.\n")
    done = _rag(env, "index", str(docs), str(tmp_path / "missing-folder"))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    for name in ("empty.txt", "binary.txt", "corrupt.pdf", "notes.exe", "missing-folder"):
        line = next((ln for ln in done.stderr.splitlines() if name in ln), "")
        assert line.startswith("skipped") and ":" in line, (name, done.stderr)
    assert "good.md" not in done.stderr
    answer = shipped_service.ask("What did the Glacier Treaty pool between rivals?")
    assert any(c.source_kind == "user" for c in answer.citations), answer.answer


def test_usage_error_exits_2(shipped_service: Service) -> None:
    env = {**os.environ, "RAG_DATA_DIR": str(shipped_service.settings.data_dir)}
    done = _rag(env, "index", "--no-such-flag")
    assert done.returncode == 2 and "Traceback" not in done.stderr
