"""`rag bench`, multilingual part: the multilingual encoder next to MiniLM, measured side by side in one run.

Both encoders embed the same shipped-corpus chunks (``Chunk.embedding_content()``); each
question is then embedded by one encoder right after the other, so a change in machine load
hits both alike, and ranked against the chunks by brute-force cosine. Gold passages are those
of rag.bench: a chunk whose source is among the question's ``sources`` or whose domains meet
its ``domains``. English questions come from rag/eval/canned.yaml (language "en", no
follow-ups), translated ones from rag/eval/canned_multilingual.yaml.

``routed`` is the decision in docs/multilingual.md: each question's language is detected, then
English goes to MiniLM and any other language to the multilingual encoder.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.embeddings import unit_rows
from rag.yamlfile import read_yaml

Log = Callable[[str], None]
EVAL_DIR = Path(__file__).resolve().parent / "eval"
K = 5


def load_questions(name: str) -> list[dict[str, Any]]:
    """A canned question file of rag/eval by file name."""
    return list(read_yaml(EVAL_DIR / name) or [])


def labelled(questions: Iterable[Mapping[str, Any]], *, language: str | None = None) -> list[Mapping[str, Any]]:
    """Questions that name gold sources or domains, asked on their own (no follow-ups), optionally of one language."""
    return [
        q
        for q in questions
        if (q.get("sources") or q.get("domains"))
        and not q.get("follow_up_of")
        and str(q.get("question") or "").strip()
        and (language is None or (q.get("language") or "en") == language)
    ]


def gold_hit(chunk: Any, question: Mapping[str, Any]) -> bool:
    """Whether ``chunk`` is a gold passage for ``question`` (its source or one of its domains is labelled)."""
    return chunk.source_id in set(question.get("sources") or []) or bool(
        set(question.get("domains") or []).intersection(chunk.domains)
    )


def recall_at_k(rankings: Sequence[Sequence[Any]], questions: Sequence[Mapping[str, Any]], k: int = K) -> float | None:
    """Share of questions with a gold chunk among the first ``k`` of their ranking; None without questions."""
    if not questions:
        return None
    hits = sum(any(gold_hit(c, q) for c in ranked[:k]) for ranked, q in zip(rankings, questions, strict=True))
    return round(hits / len(questions), 3)


def language_group(question: Mapping[str, Any]) -> str:
    """The language code of a question, "zh-Hant" for Traditional Chinese ones (ids starting "zht-")."""
    language = str(question.get("language") or "en")
    return "zh-Hant" if language == "zh" and str(question.get("id", "")).startswith("zht-") else language


class _Side:
    """One encoder's chunk vectors, per-question rankings and timings."""

    def __init__(self, encoder: Any, chunks: Sequence[Any]) -> None:
        self.encoder = encoder
        self.chunks = chunks
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.index_s = 0.0
        self.query_s: list[float] = []
        self.ranked: dict[str, list[Any]] = {}

    def index(self) -> None:
        texts = [c.embedding_content() for c in self.chunks]
        self.encoder.embed_batch(texts[:8])  # warm up: first-call allocations are not indexing speed
        t0 = time.perf_counter()
        self.matrix = unit_rows(self.encoder.embed_batch(texts))
        self.index_s = time.perf_counter() - t0

    def ask(self, key: str, text: str) -> None:
        t0 = time.perf_counter()
        vector = unit_rows(self.encoder.embed_batch([text])[0])  # uncached: the cost of a new question
        order = np.argsort(-(self.matrix @ vector), kind="stable")[:K]
        self.query_s.append(time.perf_counter() - t0)
        self.ranked[key] = [self.chunks[i] for i in order]

    def figures(self, en: Sequence[Mapping[str, Any]], translated: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for q in translated:
            groups.setdefault(language_group(q), []).append(q)
        return {
            "encoder": self.encoder.name,
            "fingerprint": str(getattr(self.encoder, "fingerprint", "")),
            "query_ms_p50": round(statistics.median(self.query_s) * 1000, 2) if self.query_s else None,
            "query_ms_p95": round(float(np.percentile(self.query_s, 95)) * 1000, 2) if self.query_s else None,
            "passages_per_s": round(len(self.chunks) / self.index_s, 1) if self.index_s else None,
            "recall_at_5": {"en": self._recall(en), "translated": self._recall(translated)},
            "recall_at_5_by_language": {g: self._recall(qs) for g, qs in sorted(groups.items())},
        }

    def _recall(self, questions: Sequence[Mapping[str, Any]]) -> float | None:
        return recall_at_k([self.ranked[str(q["id"])] for q in questions], questions)


def bench_multilingual(
    knowledge_dir: Path,
    *,
    log: Log = lambda _m: None,
    minilm: Any | None = None,
    encoder: Any | None = None,
    detect: Callable[[str], str] | None = None,
    en_questions: Sequence[Mapping[str, Any]] | None = None,
    translated_questions: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """{"multilingual": {...the multilingual encoder's figures..., "minilm": {...}, "routed": {...}}}.

    Encoders, language detection and questions default to the real ones; tests pass fakes.
    """
    from rag.corpus import load_corpus

    if minilm is None:
        from rag.embeddings import MiniLMEmbedder

        minilm = MiniLMEmbedder()
    if encoder is None:
        from rag.multilingual import MultilingualEncoder

        encoder = MultilingualEncoder()
    if detect is None:
        from rag.multilingual import detect_language

        detect = detect_language
    en = labelled(en_questions if en_questions is not None else load_questions("canned.yaml"), language="en")
    translated = labelled(
        translated_questions if translated_questions is not None else load_questions("canned_multilingual.yaml")
    )
    translated = [q for q in translated if (q.get("language") or "en") != "en"]

    chunks = load_corpus(knowledge_dir)
    ours, base = _Side(encoder, chunks), _Side(minilm, chunks)
    for side in (base, ours):
        side.index()
        log(f"multilingual bench: {side.encoder.name} embedded {len(chunks)} chunks in {side.index_s:.1f} s")
    for q in [*en, *translated]:
        for side in (base, ours):
            side.ask(str(q["id"]), str(q["question"]))

    languages = {str(q["id"]): detect(str(q["question"])) for q in [*en, *translated]}
    expected = {str(q["id"]): str(q.get("language") or "en") for q in [*en, *translated]}

    def routed(questions: Sequence[Mapping[str, Any]]) -> float | None:
        rankings = [(base if languages[str(q["id"])] == "en" else ours).ranked[str(q["id"])] for q in questions]
        return recall_at_k(rankings, questions)

    result = ours.figures(en, translated)
    result["minilm"] = base.figures(en, translated)
    result["routed"] = {
        "recall_at_5": {"en": routed(en), "translated": routed(translated)},
        "language_accuracy": round(sum(languages[i] == expected[i] for i in languages) / len(languages), 3)
        if languages
        else None,
    }
    result["questions"] = {"en": len(en), "translated": len(translated)}
    result["chunks"] = len(chunks)
    log(
        f"multilingual bench: recall@5 en/translated {result['minilm']['recall_at_5']} (MiniLM), "
        f"{result['recall_at_5']} ({encoder.name}), routed {result['routed']['recall_at_5']}"
    )
    return {"multilingual": result}
