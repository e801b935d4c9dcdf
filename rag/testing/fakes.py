"""In-process fakes of the three seams, for fast tests of code that uses them.

- :class:`FakeEmbedder`: deterministic hashed bag-of-words vectors (similar wording, similar
  vectors), instant, no model file.
- :class:`InMemoryVectorStore`: a :class:`rag.store.VectorStore` in a dict, exact cosine
  search; :func:`memory_store_factory` hands the engine one store per collection name.
- :class:`FakeChatModel`: a :class:`rag.chat.ChatModel` that replays queued replies (or
  raises queued errors) and records every call in ``history``, like simonw/llm's MockModel.
  With nothing queued it answers like a careful model: one claim citing the first passage
  with a verbatim quote.

    engine = Engine(settings, embedder=FakeEmbedder(), multilingual=FakeEmbedder("fake-ml"),
                    store_factory=memory_store_factory())
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.chat import OUTPUT_MODES, Message, OutputMode
from rag.errors import BackendError, OutputModeError
from rag.filters import Filter
from rag.lexical import tokenize

_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


class FakeEmbedder:
    """Hashed bag-of-words (and character pairs for scripts without spaces) in ``dimensions`` dims."""

    def __init__(self, name: str = "fake", dimensions: int = 256) -> None:
        self.name = name
        self.dimensions = dimensions
        self.fingerprint = f"fake-{dimensions}"
        self.calls = 0

    def _features(self, text: str) -> list[str]:
        words = tokenize(text)
        cjk = "".join(_CJK_RE.findall(text))
        return words + [cjk[i : i + 2] for i in range(max(len(cjk) - 1, 0))]

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimensions, dtype=np.float32)
        for f in self._features(text) or ["<empty>"]:
            h = hashlib.blake2b(f.encode(), digest_size=8).digest()
            v[int.from_bytes(h[:4], "little") % self.dimensions] += 1.0 if h[4] & 1 else -1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@dataclass
class InMemoryVectorStore:
    """A vector store in memory (exact cosine search); implements rag.store.VectorStore."""

    name: str
    remote: bool = False
    _rows: dict[str, tuple[np.ndarray, str, dict[str, Any]]] = field(default_factory=dict)
    _version: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray, documents: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        with self._lock:
            for i, v, d, m in zip(ids, np.asarray(vectors, dtype=np.float32), documents, metadatas, strict=True):
                self._rows[i] = (v, d, dict(m))

    def delete(self, ids: Sequence[str]) -> None:
        with self._lock:
            for i in ids:
                self._rows.pop(i, None)

    def reopen(self) -> None:
        """Nothing is cached: every process sees every write (there is one process)."""

    def query(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[str, float]]:
        with self._lock:
            rows = [(i, v) for i, (v, _, m) in self._rows.items() if where is None or where.matches(m)]
        if not rows or k <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32)
        sims = np.stack([v for _, v in rows]) @ q
        order = np.argsort(-sims)[:k]
        return [(rows[j][0], float(sims[j])) for j in order]

    def count(self) -> int:
        return len(self._rows)

    def all_ids(self) -> Iterator[str]:
        yield from list(self._rows)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {i: self._rows[i][0] for i in ids if i in self._rows}

    def metadatas(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {i: dict(self._rows[i][2]) for i in ids if i in self._rows}

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            for i, m in zip(ids, metadatas, strict=True):
                if i in self._rows:
                    v, d, _ = self._rows[i]
                    self._rows[i] = (v, d, dict(m))

    def get_records(self, ids: Sequence[str] | None = None) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        keys = list(self._rows) if ids is None else [i for i in ids if i in self._rows]
        return keys, [self._rows[i][1] for i in keys], [dict(self._rows[i][2]) for i in keys]

    def version(self) -> str | None:
        return self._version

    def set_version(self, name: str) -> None:
        self._version = name

    def drop(self) -> None:
        with self._lock:
            self._rows.clear()
            self._version = None


def memory_store_factory() -> Any:
    """A store factory that keeps one in-memory store per collection name (reopening finds it)."""
    stores: dict[str, InMemoryVectorStore] = {}

    def factory(name: str) -> InMemoryVectorStore:
        return stores.setdefault(name, InMemoryVectorStore(name))

    return factory


def careful_reply(messages: Sequence[Message]) -> str:
    """A valid answer that cites the first passage with a verbatim quote from it."""
    text = "\n".join(m.content for m in messages)
    labels = re.search(r"Valid labels: (.*)", text)
    first = labels.group(1).split(",")[0].strip() if labels else ""
    passage = re.search(rf'<passage label="{re.escape(first)}"[^>]*>\n(.*?)\n</passage>', text, re.S)
    quote = " ".join(passage.group(1).split()[:12]) if passage else ""
    claim = {"text": "The retrieved passage addresses the question directly.", "labels": [first], "quote": quote}
    conditions = [
        {"condition": c, "rating": r, "claims": [claim]}
        for c, r in re.findall(r"(domain_separability|mutual_vulnerability|verification_feasibility): (\w+)", text)[:3]
    ]
    return json.dumps({"supported": bool(first), "summary": [claim], "conditions": conditions, "left_out": []})


@dataclass
class Call:
    """One call of a fake chat model."""

    messages: list[Message]
    mode: OutputMode
    schema: Mapping[str, Any] | None
    stream: bool


class FakeChatModel:
    """A ChatModel that replays queued replies; ``history`` records every call."""

    def __init__(
        self,
        name: str = "fake-chat",
        *,
        output_modes: tuple[OutputMode, ...] = OUTPUT_MODES,
        can_stream: bool = True,
        rejects: Sequence[OutputMode] = (),
    ) -> None:
        self.name = name
        self.output_modes = output_modes
        self.can_stream = can_stream
        self.rejects = tuple(rejects)  # modes answered with OutputModeError, like an endpoint without them
        self.history: list[Call] = []
        self._queue: deque[str | BaseException] = deque()

    def enqueue(self, *replies: str | BaseException) -> FakeChatModel:
        """Replies (or errors to raise) for the next calls, in order."""
        self._queue.extend(replies)
        return self

    def generate(
        self,
        messages: Sequence[Message],
        *,
        schema: Mapping[str, Any] | None = None,
        mode: OutputMode = "prompt",
        stream: bool = False,
    ) -> Iterator[str]:
        self.history.append(Call(list(messages), mode, schema, stream))
        if mode in self.rejects:
            raise OutputModeError(f"{mode} is not supported")
        reply = self._queue.popleft() if self._queue else careful_reply(messages)
        if isinstance(reply, BaseException):
            raise reply
        if not isinstance(reply, str):  # pragma: no cover - enqueue takes only these
            raise BackendError("bad fake reply")
        if stream:
            step = max(len(reply) // 4, 1)
            for i in range(0, len(reply), step):
                yield reply[i : i + step]
        else:
            yield reply
