"""The benchmark's plumbing that needs no model: the settings of its app servers and its table.

The measurements themselves are `rag bench`'s, never asserted in tests."""

from __future__ import annotations

from pathlib import Path

from rag.bench import render_table
from rag.bench_app import server_env
from rag.config import Settings


def test_the_app_servers_load_the_routers_from_the_benchs_cache(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    env = server_env(settings, {"RAG_ANSWER_CACHE": "0"})
    assert env == {"RAG_CACHE_DIR": str(tmp_path / "data" / "cache"), "RAG_ANSWER_CACHE": "0"}
    shared = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "shared")
    assert server_env(shared, {})["RAG_CACHE_DIR"] == str(tmp_path / "shared")


def test_an_app_load_that_failed_is_a_line_of_the_table_not_a_lost_run() -> None:
    result = {
        "embed": {"speedup": 2.7, "ours_texts_per_s": 17.8, "chroma_default_texts_per_s": 6.6, "texts": 64,
                  "mean_cosine_ours_vs_chroma": 0.999},
        "index": {"build_s": 37.0, "chunks": 459, "chunks_per_s": 12.4},
        "retrieve_ms_p50": 9.5, "retrieve_ms_p95": 20.1, "answer_ms_p50": 34.0, "answer_ms_p95": 80.0,
        "answers_per_s": 25.0, "recall_at_5": {"bm25": 0.94, "dense": 0.9, "hybrid": 0.95}, "rss_mb": 800,
        "app_load": {"error": "TimeoutError: the run did not finish"}, "total_s": 600.0,
    }  # fmt: skip
    table = render_table(result)
    assert "app: not measured" in table and "TimeoutError: the run did not finish" in table
    assert "offline answer p50 / p95" in table and table.endswith("600.0 s")
