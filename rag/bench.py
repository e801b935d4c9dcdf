"""`rag bench`: speed, recall and memory on this machine, measured side by side in one run.

Parts (all keys of DESIGN.md "Benchmark JSON"):
- embedder: the project's MiniLM embedder against Chroma's own ONNX embedding function
  (ONNXMiniLM_L6_V2) on the same model files and the same shipped-corpus chunks;
- index build of the shipped corpus into a fresh data folder;
- hybrid retrieval and offline answers, warm, p50/p95, over the canned questions;
- recall@5 for BM25, dense and hybrid against the canned set's gold labels;
- peak resident memory;
- scale: 100,000 chunks (real BM25 text, synthetic vectors near real ones). Chroma's
  HNSW build of 100k vectors takes minutes on 2 cores, so the scale store is built
  once under RAG_DATA_DIR/bench/ and reused; its build time is the one measured then;
- app_load: a classroom on one real `streamlit run app.py` server, answer cache on and off (rag/bench_app.py).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import Settings
from rag.yamlfile import read_yaml

Log = Callable[[str], None]
SCALE_CHUNKS = 100_000
EMBED_SAMPLE = 32
EMBED_ROUNDS = 3


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else float("nan")


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def canned_questions() -> list[dict[str, Any]]:
    """The canned questions of rag/eval/canned.yaml, as plain dicts."""
    return list(read_yaml(Path(__file__).parent / "eval" / "canned.yaml"))


def chroma_default_ef(folder: Path) -> Any:
    """Chroma's own ONNX MiniLM function, pointed at the project's model files.

    It looks for six files in DOWNLOAD_PATH/onnx and downloads them when one is missing;
    we link the two it reads (model.onnx, tokenizer.json) and create the four it only
    checks for, so it runs offline on exactly the same model as ours.
    """
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    from rag.embeddings import verify_model_files

    model, tokenizer = verify_model_files()
    onnx = folder / "onnx"
    onnx.mkdir(parents=True, exist_ok=True)
    for src, name in ((model, "model.onnx"), (tokenizer, "tokenizer.json")):
        if not (onnx / name).exists():
            os.symlink(src, onnx / name)
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"):
        (onnx / name).touch()
    ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    ef.DOWNLOAD_PATH = folder  # type: ignore[misc]
    return ef


def _embedder_child(texts: list[str], queue: Any) -> None:
    queue.put(_compare_embedders(texts))


def bench_embedder(texts: Sequence[str], log: Log) -> dict[str, Any]:
    """Run the comparison in a child process, so two models' memory never counts as ours."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_embedder_child, args=(list(texts), queue))
    proc.start()
    result: dict[str, Any] = queue.get(timeout=600)
    proc.join(30)
    log(f"embedder: ours {result['ours_texts_per_s']} texts/s, Chroma's {result['chroma_default_texts_per_s']} texts/s")
    return result


def _compare_embedders(texts: Sequence[str]) -> dict[str, Any]:
    from rag.embeddings import MiniLMEmbedder

    ours = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        theirs = chroma_default_ef(Path(tmp))
        # One full warm pass each (ONNX Runtime sizes its buffers per input shape), then
        # alternate timed passes so a change in machine load hits both alike.
        ours.embed_batch(list(texts))
        theirs(list(texts))
        t_ours, t_theirs = [], []
        for _ in range(EMBED_ROUNDS):
            t0 = time.perf_counter()
            a = ours.embed_batch(list(texts))
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b = np.asarray(theirs(list(texts)), dtype=np.float32)
            t_theirs.append(time.perf_counter() - t0)
    mine, chromas = statistics.median(t_ours), statistics.median(t_theirs)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    agreement = float(np.mean(np.sum(a * b, axis=1)))
    return {
        "texts": len(texts),
        "ours_texts_per_s": round(len(texts) / mine, 1),
        "chroma_default_texts_per_s": round(len(texts) / chromas, 1),
        "speedup": round(chromas / mine, 2),
        "rounds": EMBED_ROUNDS,
        "mean_cosine_ours_vs_chroma": round(agreement, 4),
    }


def _gold_hit(chunk: Any, sources: set[str], domains: set[str]) -> bool:
    return chunk.source_id in sources or bool(domains.intersection(chunk.domains))


def recall_at_5(engine: Any, questions: list[dict[str, Any]]) -> dict[str, float]:
    """Share of labelled questions with a gold passage (labelled source or domain) in the top 5."""
    labelled = [q for q in questions if (q.get("sources") or q.get("domains")) and not q.get("follow_up_of")]
    out = {}
    for mode in ("bm25", "dense", "hybrid"):
        hits = 0
        for q in labelled:
            top = engine.retriever.search(q["question"], 5, mode=mode)
            if any(_gold_hit(h.chunk, set(q.get("sources") or []), set(q.get("domains") or [])) for h in top):
                hits += 1
        out[mode] = round(hits / len(labelled), 3) if labelled else float("nan")
    return out


def scale_part(settings: Settings, engine: Any, queries: Sequence[str], log: Log) -> dict[str, Any]:
    """Retrieval speed and memory on a 100,000-chunk store, built once under RAG_DATA_DIR/bench/ and reused."""
    from rag.corpus import Chunk
    from rag.index import IndexedCollection
    from rag.retrieve import HybridRetriever
    from rag.store import ChromaStore, make_client

    folder = settings.data_dir / "bench" / f"scale-{SCALE_CHUNKS}"
    client = make_client(settings.with_(data_dir=folder, chroma_host=None))
    coll = IndexedCollection(ChromaStore(client, f"scale-{SCALE_CHUNKS}"), folder / "index")
    record = folder / "build.json"
    t0 = time.perf_counter()
    snap = coll.snapshot()
    load_s = time.perf_counter() - t0
    if snap is None or len(snap.chunks) != SCALE_CHUNKS or not record.exists():
        log(f"scale: building the {SCALE_CHUNKS:,}-chunk store once (minutes on 2 cores; reused afterwards)")
        base = engine.all_chunks()
        by_id = engine.knowledge.store.vectors([c.id for c in base])
        rng = np.random.default_rng(7)
        chunks, lookup = [], {}
        for i in range(SCALE_CHUNKS):
            src = base[i % len(base)]
            text = f"{src.text} (copy {i})"
            chunk = Chunk(
                id=f"s{i:06d}",
                text=text,
                source_id=src.source_id,
                locator=src.locator,
                doc_id=f"{src.doc_id}-{i // len(base)}",
                doc_title=src.doc_title,
                section=src.section,
                kind=src.kind,
                path=src.path,
                domains=src.domains,
            )
            chunks.append(chunk)
            vec = by_id[src.id] + rng.normal(0, 0.02, by_id[src.id].shape).astype(np.float32)
            lookup[chunk.embedding_content()] = vec / np.linalg.norm(vec)
        started = time.perf_counter()
        with coll.locked():
            coll.publish(
                {"scale": {"sha": "synthetic"}},
                {"scale": chunks},
                lambda texts: np.stack([lookup[t] for t in texts]),
                batch=5000,
                progress=lambda d, t: log(f"scale: {d:,}/{t:,} vectors") if d % 25000 == 0 else None,
            )
        record.write_text(json.dumps({"build_s": round(time.perf_counter() - started, 1), "chunks": SCALE_CHUNKS}))
    build_s = json.loads(record.read_text())["build_s"]
    snap = coll.snapshot()
    retriever = HybridRetriever(engine.embedder, {"scale": coll})
    vectors = [engine.embedder.embed_query(q) for q in queries]
    for q, v in zip(queries[:5], vectors[:5], strict=True):
        retriever.search(q, 8, vector=v)
    times = []
    for q, v in zip(queries, vectors, strict=True):
        t0 = time.perf_counter()
        retriever.search(q, 8, vector=v)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "chunks": len(snap.chunks) if snap else 0,
        "build_s": build_s,
        "load_s": round(load_s, 2),
        "retrieve_ms_p50": _pct(times, 50),
        "retrieve_ms_p95": _pct(times, 95),
        "rss_mb": _rss_mb(),
    }


def run_bench(settings: Settings, *, quick: bool = False, log: Log = lambda _m: None) -> dict[str, Any]:
    """The Benchmark JSON: every part measured in one run (``quick`` leaves out the scale and app-load parts)."""
    from rag.answer.pipeline import Navigator
    from rag.corpus import load_corpus
    from rag.engine import Engine

    started = time.perf_counter()
    result: dict[str, Any] = {}
    chunks = load_corpus(settings.knowledge_dir)
    step = max(1, len(chunks) // EMBED_SAMPLE)
    sample = [c.embedding_content() for c in chunks[::step][:EMBED_SAMPLE]]
    result["embed"] = bench_embedder(sample, log)
    result["embed_speedup_vs_chroma_default"] = result["embed"]["speedup"]

    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        # a fresh index, but the user's cache (vectors of fixed texts, trained routers) is reused
        engine = Engine(settings.with_(data_dir=work, chroma_host=None, cache_dir=settings.cache_folder))
        t0 = time.perf_counter()
        report = engine.index_knowledge()
        result["index"] = {
            "build_s": round(time.perf_counter() - t0, 2),
            "files": report.files,
            "chunks": report.chunks,
            "chunks_per_s": round(report.chunks / (time.perf_counter() - t0), 1),
        }
        log(f"index: {report.summary()}")
        questions = canned_questions()
        texts = [q["question"] for q in questions if str(q.get("question", "")).strip() and not q.get("follow_up_of")]
        nav = Navigator(engine)
        nav.warm()
        for q in texts[:10]:
            engine.retriever.search(q, 8)
            nav.ask(q)
        retrieve, answer = [], []
        for q in texts:
            t0 = time.perf_counter()
            engine.retriever.search(q, 8)
            retrieve.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            nav.ask(q)
            answer.append((time.perf_counter() - t0) * 1000)
        result.update(
            {
                "retrieve_ms_p50": _pct(retrieve, 50),
                "retrieve_ms_p95": _pct(retrieve, 95),
                "answer_ms_p50": _pct(answer, 50),
                "answer_ms_p95": _pct(answer, 95),
                "answers_per_s": round(1000 / statistics.mean(answer), 1),
                "questions": len(texts),
            }
        )
        result["recall_at_5"] = recall_at_5(engine, questions)
        from rag.bench_multilingual import bench_multilingual

        result.update(
            bench_multilingual(settings.knowledge_dir, log=log, minilm=engine.embedder, encoder=engine.multilingual)
        )
        result["rss_mb"] = _rss_mb()
        log(f"retrieval p50 {result['retrieve_ms_p50']} ms, answer p50 {result['answer_ms_p50']} ms")
        if not quick:
            result["scale"] = scale_part(settings, engine, texts[:100], log)
            from rag.bench_app import app_load

            try:
                result["app_load"] = app_load(settings, work / "app", log=log)
            except (OSError, RuntimeError) as e:  # a server that never answers: the other parts still count
                result["app_load"] = {"error": f"{type(e).__name__}: {e}"}
                log(f"app load: not measured ({type(e).__name__}: {e})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["total_s"] = round(time.perf_counter() - started, 1)
    return result


def render_table(r: dict[str, Any]) -> str:
    """The benchmark result as a plain-text table, one measure per line."""
    e = r["embed"]
    lines = [
        f"{'measure':<44} value",
        f"{'embedder speed-up vs Chroma default EF':<44} {e['speedup']}x "
        f"({e['ours_texts_per_s']} vs {e['chroma_default_texts_per_s']} texts/s, {e['texts']} chunks, "
        f"cosine agreement {e['mean_cosine_ours_vs_chroma']})",
        f"{'index build (shipped corpus)':<44} {r['index']['build_s']} s, {r['index']['chunks']} chunks, "
        f"{r['index']['chunks_per_s']} chunks/s",
        f"{'hybrid retrieval p50 / p95':<44} {r['retrieve_ms_p50']} / {r['retrieve_ms_p95']} ms",
        f"{'offline answer p50 / p95':<44} {r['answer_ms_p50']} / {r['answer_ms_p95']} ms ({r['answers_per_s']}/s)",
        f"{'recall@5 bm25 / dense / hybrid':<44} {r['recall_at_5']['bm25']} / {r['recall_at_5']['dense']} / "
        f"{r['recall_at_5']['hybrid']}",
        f"{'peak memory (shipped corpus)':<44} {r['rss_mb']} MB",
    ]
    if "scale" in r:
        s = r["scale"]
        lines.append(
            f"{'scale: chunks / build (once) / load':<44} {s['chunks']:,} / {s['build_s']} s / {s['load_s']} s"
        )
        lines.append(f"{'scale: hybrid retrieval p50 / p95':<44} {s['retrieve_ms_p50']} / {s['retrieve_ms_p95']} ms")
        lines.append(f"{'scale: peak memory':<44} {s['rss_mb']} MB")
    if "app_load" in r and "error" in r["app_load"]:
        lines.append(f"{'app: not measured':<44} {r['app_load']['error']}")
    elif "app_load" in r:
        a = r["app_load"]
        lines.append(
            f"{'app: ' + str(a['sessions']) + ' sessions x ' + str(a['questions_each']) + ' questions':<44} "
            f"p50 {a['p50_s']} s / p95 {a['p95_s']} s per answer, {a['answers_per_s']} answers/s, "
            f"{a['errors']} errors"
        )
        u = a["uncached"]
        lines.append(
            f"{'app: the same, answer cache off':<44} p50 {u['p50_s']} s / p95 {u['p95_s']} s per answer, "
            f"{u['answers_per_s']} answers/s"
        )
        lines.append(
            f"{'app: rerun CPU, answer 1 / answer 10':<44} {a['rerun_cpu_ms_first']} / {a['rerun_cpu_ms_tenth']} ms "
            f"(whole server {a['server_cpu_ms_first']} / {a['server_cpu_ms_tenth']} ms)"
        )
        lines.append(f"{'app: server memory after the class':<44} {a['rss_mb']} MB")
    lines.append(f"{'bench wall time':<44} {r['total_s']} s")
    return "\n".join(lines)
