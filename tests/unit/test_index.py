"""Incremental, crash-safe, locked indexing (on the in-process fakes of the embedder and the store)."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import time
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import IndexBusyError
from rag.retrieve import Filter
from tests.conftest import make_settings


def test_second_run_embeds_nothing(mini_engine: Engine) -> None:
    report = mini_engine.index_knowledge()
    assert report.embedded == 0 and report.deleted == 0 and report.files_changed == 0
    assert report.chunks > 10


def test_editing_one_file_reembeds_only_its_changed_chunks(mini_engine: Engine, mini_knowledge: Path) -> None:
    before = {c.id: c for c in mini_engine.all_chunks()}
    path = mini_knowledge / "framework" / "mini.md"
    path.write_text(path.read_text().replace("helps everyone learn", "helps both sides learn"))
    report = mini_engine.index_knowledge()
    after = {c.id: c for c in mini_engine.all_chunks()}
    added, removed = set(after) - set(before), set(before) - set(after)
    assert report.files_changed == 1
    assert report.embedded == len(added) == 1
    assert report.deleted == len(removed) == 1
    assert after[next(iter(added))].section == "Incident sharing"
    assert mini_engine.knowledge.store.count() == len(after)


def test_renamed_heading_is_embedded_again(mini_engine: Engine, mini_knowledge: Path) -> None:
    """The heading is part of what is embedded, so a renamed section gets a new vector."""
    path = mini_knowledge / "precedents" / "hotline.md"
    path.write_text(path.read_text().replace("## What happened", "## How the link came about"))
    report = mini_engine.index_knowledge()
    assert report.embedded == 1 and report.deleted == 1
    sections = {c.section for c in mini_engine.all_chunks() if c.doc_id == "hotline"}
    assert sections == {"How the link came about"}


def test_changed_front_matter_reaches_the_stored_metadata(mini_engine: Engine, mini_knowledge: Path) -> None:
    """A document renamed in its front matter keeps its vectors, and dense filters find it by the new id."""
    path = mini_knowledge / "precedents" / "hotline.md"
    path.write_text(path.read_text().replace("id: hotline", "id: moscow-washington-link"))
    report = mini_engine.index_knowledge()
    assert report.embedded == 0 and report.files_changed == 1
    for doc_id, expected in (("moscow-washington-link", 1), ("hotline", 0)):
        hits = mini_engine.search("direct link for crises", 5, mode="dense", where=Filter(doc_ids=(doc_id,)))
        assert len(hits) == expected


def test_deleted_file_disappears_from_both_searches(mini_engine: Engine, mini_knowledge: Path) -> None:
    (mini_knowledge / "precedents" / "hotline.md").unlink()
    # the domain that lists it keeps validating only in check-knowledge; indexing goes on
    report = mini_engine.index_knowledge()
    assert report.files_removed == 1
    for mode in ("dense", "bm25", "hybrid"):
        hits = mini_engine.search("direct link for crises 1963 hotline", 10, mode=mode)
        assert all(h.chunk.doc_id != "hotline" for h in hits)


def test_a_snapshot_indexed_with_an_older_tokenizer_gets_its_bm25_side_rebuilt(
    mini_engine: Engine, fake_seams: dict[str, object]
) -> None:
    folder = mini_engine.knowledge.folder
    snapshot = folder / (folder / "CURRENT").read_text().strip()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    del manifest["tokenizer"]  # what snapshots written before the tokenizer was versioned hold
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    shutil.rmtree(snapshot / "bm25")  # loading it would fail: it must not be read at all
    reader = Engine(mini_engine.settings, **fake_seams)  # type: ignore[arg-type]
    hits = reader.search("chip export restrictions", 3, mode="bm25")
    assert hits and hits[0].chunk.id in {c.id for c in mini_engine.all_chunks()}


def test_search_ranks_chip_material_first(mini_engine: Engine) -> None:
    hits = mini_engine.search("chip export restrictions", 3)
    top = hits[0].chunk
    assert "compute-controls" in top.domains or top.source_id == "chips-rule"


def test_crash_before_publishing_leaves_previous_index_usable(
    mini_engine: Engine, mini_knowledge: Path, fake_seams: dict[str, object]
) -> None:
    before = {c.id for c in mini_engine.all_chunks()}
    path = mini_knowledge / "framework" / "mini.md"
    path.write_text(path.read_text() + "\n## New section\nA brand new passage on verification [@talk].\n")

    class CrashError(Exception):
        pass

    def crash() -> None:
        raise CrashError

    coll = mini_engine.knowledge
    from rag.corpus import chunks_for_file, knowledge_files
    from rag.framework import Catalogue
    from rag.index import file_sha

    cat = Catalogue(mini_knowledge)
    files = {p.relative_to(mini_knowledge).as_posix(): {"sha": file_sha(p)} for p in knowledge_files(mini_knowledge)}
    chunks = {
        p.relative_to(mini_knowledge).as_posix(): chunks_for_file(p, mini_knowledge, cat)
        for p in knowledge_files(mini_knowledge)
    }
    with coll.locked(), pytest.raises(CrashError):
        coll.publish(files, chunks, mini_engine.embedder.embed_batch, before_switch=crash)
    # the new vector is in the store, but readers still see exactly the old snapshot
    fresh = Engine(mini_engine.settings, **fake_seams)  # type: ignore[arg-type]
    assert {c.id for c in fresh.all_chunks()} == before
    hits = fresh.search("brand new passage on verification", 5)
    assert all(h.id in before for h in hits)
    # the next run completes the job without embedding the new passage twice
    report = fresh.index_knowledge()
    assert report.embedded == 0
    assert len({c.id for c in fresh.all_chunks()} - before) == 1


def _hold_lock(data: str, knowledge: str, ready, release) -> None:
    from rag.testing import FakeEmbedder, memory_store_factory

    engine = Engine(
        make_settings(Path(knowledge), Path(data)), embedder=FakeEmbedder(), store_factory=memory_store_factory()
    )
    with engine.knowledge.locked():
        ready.set()
        release.wait(30)


def test_a_second_writer_waits_for_the_lock(mini_engine: Engine, mini_knowledge: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(
        target=_hold_lock, args=(str(mini_engine.settings.data_dir), str(mini_knowledge), ready, release)
    )
    proc.start()
    try:
        deadline = time.monotonic() + 300  # a spawned interpreter starts slowly on a busy machine
        while not ready.wait(0.5):
            assert proc.is_alive(), f"the lock holder died (exit code {proc.exitcode})"
            assert time.monotonic() < deadline, "the lock holder never took the lock"
        assert proc.is_alive(), proc.exitcode
        with pytest.raises(IndexBusyError), mini_engine.knowledge.locked(timeout=0.5):
            pass
        release.set()
        proc.join(30)
        started = time.perf_counter()
        with mini_engine.knowledge.locked(timeout=10):
            pass
        assert time.perf_counter() - started < 10
    finally:
        release.set()
        proc.join(5)


def test_a_reader_whose_snapshot_another_process_replaced_loads_the_new_one(
    mini_engine: Engine, mini_knowledge: Path, fake_seams: dict[str, object]
) -> None:
    """A publish removes the older snapshot folders: a reader that read CURRENT just before it, and
    loads what CURRENT named just after, gets the new snapshot, not "the index is damaged"."""
    reader = Engine(mini_engine.settings, **fake_seams)  # type: ignore[arg-type]
    reader.knowledge.pointer_check_s = 3600.0  # its read of CURRENT stays trusted while the writer publishes
    old = reader.knowledge.current_name()
    path = mini_knowledge / "framework" / "mini.md"
    path.write_text(path.read_text() + "\n## Added\nA passage on shared testbeds for evaluation [@talk].\n")
    mini_engine.index_knowledge()
    assert mini_engine.knowledge.current_name() != old and not (reader.knowledge.folder / str(old)).exists()
    snap = reader.knowledge.snapshot()
    assert snap is not None and snap.name == mini_engine.knowledge.current_name()
    assert any("shared testbeds" in c.text for c in snap.chunks)


def test_the_command_lines_bar_starts_again_for_the_next_work(capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import _progress

    update = _progress("embedding knowledge")
    for total in (3, 5):  # the knowledge passages for one embedder, then for the other
        for done in range(total + 1):
            update(done, total)
    err = capsys.readouterr().err
    assert "0/3 [" in err and "0/5 [" in err
