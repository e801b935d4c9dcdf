"""The engine: one object that owns the settings, the catalogue, the embedder and the index.

The CLI and the app build one ``Engine`` at the edge and call it; nothing is loaded at
import time and everything heavy is loaded once, on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rag.config import Settings
from rag.corpus import chunks_for_file, knowledge_files
from rag.errors import KnowledgeError, RagIndexError
from rag.framework import Catalogue
from rag.index import IndexedCollection, IndexReport, Progress, file_sha
from rag.retrieve import Hit, HybridRetriever, Mode
from rag.store import DenseStore, make_client


@dataclass(frozen=True)
class IndexStatus:
    built: bool
    chunks: int
    files: int
    uploads: int
    store: str
    embedder: str


class Engine:
    """Everything a question needs, loaded lazily and once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._verified: str | None = None  # the snapshot ensure_index() last found complete

    # -- parts -------------------------------------------------------------------
    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.settings.knowledge_dir)

    @cached_property
    def embedder(self) -> Any:
        from rag.embeddings import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def _client(self) -> Any:
        return make_client(self.settings)

    def _collection(self, kind: str) -> IndexedCollection:
        name = f"{kind}-{self.embedder.name}"
        store = DenseStore(self._client, name, remote=self.settings.uses_server)
        return IndexedCollection(store, self.settings.data_dir / "index" / name)

    @cached_property
    def knowledge(self) -> IndexedCollection:
        return self._collection("knowledge")

    @cached_property
    def uploads(self) -> IndexedCollection:
        return self._collection("uploads")

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.embedder, {"knowledge": self.knowledge, "uploads": self.uploads})

    # -- indexing ----------------------------------------------------------------
    def index_knowledge(self, *, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index knowledge/ incrementally: only new or changed passages are embedded."""
        started = time.perf_counter()
        kdir = self.settings.knowledge_dir
        if not kdir.is_dir():
            raise KnowledgeError(f"knowledge folder not found: {kdir}")
        catalogue = Catalogue(kdir)
        self.__dict__["catalogue"] = catalogue
        coll = self.knowledge
        report = IndexReport()
        with coll.locked():
            if rebuild:
                coll.reset()
            previous = coll.snapshot()
            old_files = previous.files if previous else {}
            files: dict[str, dict[str, Any]] = {}
            chunks_by_file = {}
            for path in knowledge_files(kdir):
                key = path.relative_to(kdir).as_posix()
                sha = file_sha(path)
                files[key] = {"sha": sha, "title": path.stem}
                chunks_by_file[key] = chunks_for_file(path, kdir, catalogue)
                if old_files.get(key, {}).get("sha") != sha:
                    report.files_changed += 1
            report.files_removed = len(set(old_files) - set(files))
            report.embedded, report.deleted = coll.publish(
                files, chunks_by_file, self.embedder.embed_batch, progress=progress
            )
        snap = coll.snapshot()
        report.files = len(files)
        report.chunks = len(snap.chunks) if snap else 0
        report.seconds = time.perf_counter() - started
        return report

    def ensure_index(self, progress: Progress | None = None) -> IndexReport | None:
        """Build the knowledge index when there is none (or it was damaged).

        Runs before every answer, so a snapshot already checked against the store is not
        checked again (that would cost a Chroma round trip per question).
        """
        with self._lock:
            try:
                snap = self.knowledge.snapshot()
            except RagIndexError:  # damaged snapshot files: rebuilt from knowledge/
                report = self.index_knowledge(rebuild=True, progress=progress)
            else:
                if snap is not None and snap.name == self._verified:
                    return None
                if snap is not None and self.knowledge.store.count() >= len(snap.by_id):
                    self._verified = snap.name
                    return None
                report = self.index_knowledge(rebuild=snap is not None, progress=progress)
            current = self.knowledge.snapshot()
            self._verified = current.name if current else None
            return report

    # -- reading -----------------------------------------------------------------
    def search(self, query: str, k: int = 8, *, mode: Mode = "hybrid", **kw: Any) -> list[Hit]:
        self.ensure_index()
        return self.retriever.search(query, k, mode=mode, **kw)

    def status(self) -> IndexStatus:
        snap = self.knowledge.snapshot()
        up = self.uploads.snapshot()
        store = (
            f"Chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
            if self.settings.chroma_host
            else f"embedded Chroma in {self.settings.data_dir}"
        )
        return IndexStatus(
            built=snap is not None,
            chunks=len(snap.chunks) if snap else 0,
            files=len(snap.files) if snap else 0,
            uploads=len(up.files) if up else 0,
            store=store,
            embedder=self.embedder.name,
        )

    def chunk(self, chunk_id: str) -> Any:
        for coll in (self.knowledge, self.uploads):
            snap = coll.snapshot()
            if snap and chunk_id in snap.by_id:
                return snap.by_id[chunk_id]
        return None

    def all_chunks(self, collections: Sequence[str] = ("knowledge",)) -> list[Any]:
        out: list[Any] = []
        for name in collections:
            snap = getattr(self, name).snapshot()
            if snap:
                out.extend(snap.chunks)
        return out
