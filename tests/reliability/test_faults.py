"""Faults survived: a killed indexer, damaged index files, concurrent writers."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from rag.engine import Engine
from tests.conftest import KNOWLEDGE, ROUTER_FIXTURES, SESSION_CACHE


def _index_cmd(knowledge: Path, data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "RAG_KNOWLEDGE_DIR": str(knowledge), "RAG_DATA_DIR": str(data), "RAG_BACKEND": "offline"}
    env["RAG_ROUTER_DATA"] = str(ROUTER_FIXTURES)  # the routers the mini engines learn (seconds, not minutes)
    if SESSION_CACHE:  # trained routers are shared with the rest of the session
        env["RAG_CACHE_DIR"] = str(SESSION_CACHE[0])
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "index"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_for_progress(proc: subprocess.Popen[str], at_least: int, timeout: float = 240) -> int:
    """Read the indexer's progress bar until it reports ``at_least`` chunks embedded."""
    assert proc.stderr is not None
    os.set_blocking(proc.stderr.fileno(), False)
    buffer, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(BlockingIOError):
            buffer += os.read(proc.stderr.fileno(), 65536).decode(errors="replace")
        counts = [int(a) for a, b in re.findall(r"(\d+)/(\d+) \[", buffer) if int(a) < int(b)]
        if counts and max(counts) >= at_least:
            return max(counts)
        assert proc.poll() is None, f"indexer ended before it could be killed: {buffer[-500:]}"
        time.sleep(0.1)
    raise AssertionError("no progress from the indexer")


def test_killed_mid_index_leaves_the_previous_index_usable_and_the_next_run_completes(
    real_mini_engine: Engine, mini_knowledge: Path, tmp_path: Path
) -> None:
    mini_engine = real_mini_engine
    before = {c.id for c in mini_engine.all_chunks()}
    # Make the next run long: add the whole shipped knowledge base to the mini one.
    for folder in ("framework", "cases", "research", "precedents"):
        for src in (KNOWLEDGE / folder).glob("*.md"):
            dest = mini_knowledge / folder / src.name
            dest.parent.mkdir(exist_ok=True)
            shutil.copy(src, dest)
    shutil.copy(KNOWLEDGE / "sources.yaml", tmp_path / "shipped-sources.yaml")
    import yaml

    mini = yaml.safe_load((mini_knowledge / "sources.yaml").read_text())
    taken = {s["id"] for s in mini}
    merged = mini + [s for s in yaml.safe_load((tmp_path / "shipped-sources.yaml").read_text()) if s["id"] not in taken]
    (mini_knowledge / "sources.yaml").write_text(yaml.safe_dump(merged))
    proc = _index_cmd(mini_knowledge, mini_engine.settings.data_dir)
    done = _wait_for_progress(proc, at_least=128)  # two batches of 64 stored, hundreds to go
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert done >= 128

    survivor = Engine(mini_engine.settings)
    assert {c.id for c in survivor.all_chunks()} == before
    assert survivor.search("chip export restrictions", 3)
    report = survivor.index_knowledge()
    assert report.chunks > len(before) + 100
    # vectors stored before the kill are reused, never embedded twice
    assert report.embedded <= report.chunks - len(before) - 128
    assert survivor.knowledge.store.count() == report.chunks


def test_deleted_or_corrupted_index_files_are_detected_and_rebuilt(real_mini_engine: Engine) -> None:
    mini_engine = real_mini_engine
    coll = mini_engine.knowledge
    name = coll.current_name()
    assert name
    (coll.folder / name / "chunks.jsonl").write_text("{broken")
    fresh = Engine(mini_engine.settings)
    assert fresh.ensure_index() is not None  # damaged: rebuilt from knowledge/
    assert fresh.search("chip export restrictions", 3)
    (fresh.knowledge.folder / "CURRENT").unlink()
    again = Engine(mini_engine.settings)
    report = again.ensure_index()
    assert report is not None and report.embedded == 0  # vectors were still in Chroma
    assert again.search("chip export restrictions", 3)


def test_two_index_runs_at_once_are_serialised(real_mini_engine: Engine, mini_knowledge: Path) -> None:
    mini_engine = real_mini_engine
    procs = [_index_cmd(mini_knowledge, mini_engine.settings.data_dir) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    fresh = Engine(mini_engine.settings)
    assert fresh.knowledge.store.count() == len(fresh.all_chunks())
