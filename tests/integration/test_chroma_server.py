"""Client/server mode against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.answer.pipeline import Navigator
from rag.engine import Engine
from rag.errors import StoreUnavailableError
from rag.store import ChromaStore, make_client
from tests.conftest import ROUTER_FIXTURES, make_settings
from tests.helpers import assert_sound
from tests.integration.chroma_server import ChromaServer

# The engines here, in this process and in the CLI processes, learn their routers from the small
# fixture training set (RAG_ROUTER_DATA): seconds, where the shipped data take minutes for the mini
# catalogue's cards. The timeout guards against a hang, not a slow run (speed is measured by `rag bench`).
pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]
QUESTION = "Could rivals cooperate on chip export restrictions?"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    srv = ChromaServer(tmp_path / "chroma-server").start()
    try:
        yield srv
    finally:
        srv.stop()


def _engine(knowledge: Path, data: Path, server: ChromaServer) -> Engine:
    return Engine(
        make_settings(knowledge, data, chroma_host="127.0.0.1", chroma_port=server.port, router_data=ROUTER_FIXTURES)
    )


def test_more_records_than_one_page_come_back_whole(tmp_path: Path, server: ChromaServer) -> None:
    """Vectors, metadata and ids are read in pages of 5,000: every one of 5,001 comes back, right."""
    settings = make_settings(tmp_path / "k", tmp_path / "d", chroma_host="127.0.0.1", chroma_port=server.port)
    store = ChromaStore(make_client(settings), "paging", remote=True)
    n, dims = 5001, 4
    ids = [f"c{i}" for i in range(n)]
    vectors = np.arange(n * dims, dtype=np.float32).reshape(n, dims) + 1.0
    metadatas = [{"i": i} for i in range(n)]
    for start in range(0, n, 1000):
        part = slice(start, start + 1000)
        store.upsert(ids[part], vectors[part], ids[part], metadatas[part])
    got = store.vectors([*ids, "missing"])
    assert len(got) == n and "missing" not in got
    assert all(np.allclose(got[ids[i]], vectors[i]) for i in (0, 4999, 5000))
    assert store.metadatas(ids)["c5000"] == {"i": 5000}
    assert sorted(store.all_ids()) == sorted(ids)


def test_a_dropped_collection_is_gone_from_the_server(tmp_path: Path, server: ChromaServer) -> None:
    """What discarding `rag eval`'s uploads space does on a server: the collection is deleted there,
    and opening the name again gives an empty one."""
    settings = make_settings(tmp_path / "k", tmp_path / "d", chroma_host="127.0.0.1", chroma_port=server.port)
    client = make_client(settings)
    store = ChromaStore(client, "eval-1-uploads", remote=True)
    store.upsert(["a", "b"], np.ones((2, 4), dtype=np.float32), ["a", "b"], [{"i": 1}, {"i": 2}])
    kept = ChromaStore(client, "kept", remote=True)
    kept.upsert(["c"], np.ones((1, 4), dtype=np.float32), ["c"], [{"i": 3}])
    store.drop()
    names = [getattr(c, "name", c) for c in make_client(settings, fresh=True).list_collections()]
    assert "eval-1-uploads" not in names and "kept" in names
    assert ChromaStore(client, "eval-1-uploads", remote=True).count() == 0 and kept.count() == 1


def test_index_answer_restart_and_nothing_is_lost(mini_knowledge: Path, tmp_path: Path, server: ChromaServer) -> None:
    engine = _engine(mini_knowledge, tmp_path / "a", server)
    report = engine.index_knowledge()
    assert report.chunks > 10 and engine.knowledge.store.count() == report.chunks
    before = Navigator(engine).ask(QUESTION)
    assert_sound(before)
    assert before.verdict == "infeasible" and before.domains == ["compute-controls"]

    server.stop()
    with pytest.raises(StoreUnavailableError):
        engine.knowledge.store.count()  # a clear error while the server is away ...
    server.start()  # ... and the same client works again when it returns

    assert engine.knowledge.store.count() == report.chunks
    assert engine.index_knowledge().embedded == 0
    after = Navigator(_engine(mini_knowledge, tmp_path / "a", server)).ask(QUESTION)
    assert after.verdict == before.verdict and after.retrieved == before.retrieved


def test_a_replica_with_no_local_index_follows_the_server(
    mini_knowledge: Path, tmp_path: Path, server: ChromaServer
) -> None:
    writer = _engine(mini_knowledge, tmp_path / "writer", server)
    writer.index_knowledge()
    replica = _engine(mini_knowledge, tmp_path / "replica", server)  # another host: empty data dir
    hits = replica.search("chip export restrictions", 5, mode="bm25")
    assert hits, "BM25 was rebuilt from the server's documents"
    assert [h.id for h in hits] == [h.id for h in writer.search("chip export restrictions", 5, mode="bm25")]
    # the writer publishes an edit; the replica picks it up without re-indexing
    path = mini_knowledge / "framework" / "mini.md"
    path.write_text(
        path.read_text() + "\n## Quantum sensing\nQuantum sensing of submarines worried both navies [@talk].\n"
    )
    writer.index_knowledge()
    import time

    time.sleep(2.1)
    found = replica.search("quantum sensing submarines navies", 3, mode="bm25")
    assert found and "Quantum sensing" in found[0].chunk.text


def test_two_app_processes_share_one_server(mini_knowledge: Path, tmp_path: Path, server: ChromaServer) -> None:
    _engine(mini_knowledge, tmp_path / "writer", server).index_knowledge()
    env = {
        **os.environ,
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(server.port),
        "RAG_KNOWLEDGE_DIR": str(mini_knowledge),
        "RAG_BACKEND": "offline",
        "RAG_ROUTER_DATA": str(ROUTER_FIXTURES),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "ask", "--json", QUESTION],
            env={**env, "RAG_DATA_DIR": str(tmp_path / f"replica-{i}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    answers = [json.loads(out) for out, _ in outputs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    assert answers[0]["verdict"] == answers[1]["verdict"] == "infeasible"
    assert answers[0]["retrieved"] == answers[1]["retrieved"]
