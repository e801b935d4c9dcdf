"""The engine: one object that owns the settings, the catalogue, the embedders, the index and the routers.

The CLI and the app build one ``Engine`` at the edge and call it; nothing is loaded at
import time and everything heavy is loaded once, on first use. The seams arrive through
the constructor (like httpx's ``Client(transport=...)``): an ``embedder``, a
``multilingual`` embedder and a ``store_factory``; the defaults are the offline MiniLM
model, the multilingual encoder and Chroma.

Every passage is indexed twice: with the English embedder (hybrid with BM25) and with
the multilingual one (questions in other languages). The question routers are trained
from the catalogue and ``rag/data`` at index time, one per embedder.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from rag.config import Settings
from rag.corpus import Chunk, chunks_for_file, knowledge_files
from rag.embeddings import Embedder, StoredVectors
from rag.errors import KnowledgeError, RagIndexError
from rag.framework import Catalogue
from rag.index import IndexedCollection, IndexReport, Progress, file_sha
from rag.retrieve import Hit, HybridRetriever, Mode
from rag.router import Passage, Router, TrainingData, load_training_data, train
from rag.store import ChromaStore, StoreFactory, VectorStore, make_client

ENGLISH_ONLY = ("en",)  # the English embedder reads English phrases only
UPLOADS = "uploads"  # the uploads space the app and `rag index PATH` share


@dataclass(frozen=True)
class IndexStatus:
    built: bool
    chunks: int
    files: int
    uploads: int
    store: str
    embedder: str


class RouterInputs(NamedTuple):
    """What a router is trained from besides its data."""

    languages: Sequence[str] | None  # the phrases' languages its embedder reads (None: all)
    passages: list[Passage]  # each domain's card passages
    passage_ids: list[str]
    training_embedder: Embedder  # the router's embedder, keeping the training texts' vectors on disk
    # The one language its training texts are kept in (None: every language). Questions in other
    # languages go to the multilingual router, so the English one learns from English texts only
    # (47% of the texts were in other languages; the first `rag index` took 406 s with them left
    # out, against 700 s).
    texts_in: str | None = None


class Engine:
    """Everything a question needs, loaded lazily and once."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        multilingual: Embedder | None = None,
        store_factory: StoreFactory | None = None,
        notice: Callable[[str], None] | None = None,
        bar: Callable[[str], Progress] | None = None,
        uploads_space: str = UPLOADS,
    ) -> None:
        """``notice``: told, in a sentence, of slow work about to start (a question router being
        trained). ``bar``: makes a progress bar (``Progress``) with a description, for the part of
        that work that counts its steps (a router's fits). ``uploads_space``: the name of the uploads
        collections and of their folder under the data folder; another name than the shared one gives
        a private space (``rag eval`` asks in one, removed with :meth:`discard_uploads`)."""
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,40}", uploads_space) or uploads_space == "knowledge":
            raise ValueError(f"not a name for an uploads space: {uploads_space!r}")
        self.settings = settings
        self.uploads_space = uploads_space
        self._notice = notice
        self._bar = bar
        self._embedder = embedder
        self._multilingual = multilingual
        self._store_factory = store_factory
        self._lock = threading.RLock()
        self._verified: tuple[str | None, ...] | None = None  # the snapshots ensure_index() last found complete
        self._routers: dict[str, Router] = {}

    # -- parts -------------------------------------------------------------------
    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.settings.knowledge_dir)

    @cached_property
    def embedder(self) -> Embedder:
        if self._embedder is not None:
            return self._embedder
        from rag.embeddings import make_embedder

        return make_embedder(self.settings)

    @cached_property
    def multilingual(self) -> Embedder:
        """The embedder for questions in other languages (the English one when it is multilingual itself)."""
        if self._multilingual is not None:
            return self._multilingual
        if self.settings.embeddings != "local":
            return self.embedder
        from rag.multilingual import make_multilingual_encoder

        return make_multilingual_encoder()

    @property
    def has_multilingual(self) -> bool:
        return self.multilingual is not self.embedder

    @cached_property
    def _client(self) -> Any:
        return make_client(self.settings)

    def _store(self, name: str) -> VectorStore:
        if self._store_factory is not None:
            return self._store_factory(name)
        if self.settings.uses_server:
            return ChromaStore(self._client, name, remote=True)
        return ChromaStore(self._client, name, reconnect=lambda: make_client(self.settings, fresh=True))

    def _collection(self, kind: str, embedder: Embedder) -> IndexedCollection:
        name = f"{kind}-{embedder.name}"
        return IndexedCollection(self._store(name), self.settings.data_dir / "index" / name)

    @cached_property
    def knowledge(self) -> IndexedCollection:
        return self._collection("knowledge", self.embedder)

    @cached_property
    def uploads(self) -> IndexedCollection:
        return self._collection(self.uploads_space, self.embedder)

    @cached_property
    def knowledge_ml(self) -> IndexedCollection:
        return self._collection("knowledge", self.multilingual) if self.has_multilingual else self.knowledge

    @cached_property
    def uploads_ml(self) -> IndexedCollection:
        return self._collection(self.uploads_space, self.multilingual) if self.has_multilingual else self.uploads

    def collections(self, kind: str) -> list[tuple[IndexedCollection, Embedder]]:
        """The collection of ``kind`` ("knowledge" or "uploads") for each embedder, with it."""
        english = self.knowledge if kind == "knowledge" else self.uploads
        if not self.has_multilingual:
            return [(english, self.embedder)]
        other = self.knowledge_ml if kind == "knowledge" else self.uploads_ml
        return [(english, self.embedder), (other, self.multilingual)]

    def state(self) -> tuple[str | None, ...]:
        """The published snapshot of every collection an answer reads (the same state, the same evidence)."""
        out: list[str | None] = []
        for kind in ("knowledge", "uploads"):
            for coll, _ in self.collections(kind):
                snap = coll.snapshot()
                out.append(snap.name if snap is not None else None)
        return tuple(out)

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.embedder, {"knowledge": self.knowledge, "uploads": self.uploads})

    @cached_property
    def ml_retriever(self) -> HybridRetriever:
        """Searches the multilingual vectors (dense; BM25 cannot match other languages' words)."""
        if not self.has_multilingual:
            return self.retriever
        return HybridRetriever(self.multilingual, {"knowledge": self.knowledge_ml, "uploads": self.uploads_ml})

    def retriever_for(self, language: str) -> tuple[HybridRetriever, Mode]:
        """The retriever and mode for a question in ``language``."""
        if language == "en" or not self.has_multilingual:
            return self.retriever, "hybrid"
        return self.ml_retriever, "dense"

    # -- routing -----------------------------------------------------------------
    def router_for(self, language: str) -> Router:
        """The trained router for questions in ``language`` (trained now if none is stored)."""
        multi = language != "en" and self.has_multilingual
        embedder = self.multilingual if multi else self.embedder
        with self._lock:
            if embedder.name not in self._routers:
                data, inputs = self._router_inputs(multi)
                which = "multilingual" if multi else "English"
                self._routers[embedder.name] = Router.trained(
                    data,
                    embedder,
                    self.settings.cache_folder / "router",
                    languages=inputs.languages,
                    passages=inputs.passages,
                    passage_ids=inputs.passage_ids,
                    training_embedder=inputs.training_embedder,
                    texts_in=inputs.texts_in,
                    training=self._training_notice(embedder.name, multi, embedder.name in data.strengths),
                    progress=self._bar(f"fitting the {which} router") if self._bar else None,
                )
                if not multi and self.has_multilingual and self.multilingual is not self.embedder:
                    self._routers[embedder.name].partner = self.router_for("zh")
            return self._routers[embedder.name]

    def _router_inputs(self, multi: bool) -> tuple[TrainingData, RouterInputs]:
        """What the English (or, ``multi``, the multilingual) router is trained from."""
        folder = self.settings.router_data  # a folder of one's own (RAG_ROUTER_DATA), else the shipped data
        data = (
            load_training_data(self.catalogue, data_dir=folder, question_files=[])
            if folder is not None
            else load_training_data(self.catalogue)
        )
        embedder = self.multilingual if multi else self.embedder
        cached = StoredVectors(embedder, self.settings.cache_folder / "vectors")
        ids, passages = self._card_vectors(self.knowledge_ml if multi else self.knowledge)
        # training texts' vectors kept on disk; questions' never
        texts_in = ENGLISH_ONLY[0] if not multi and self.has_multilingual else None
        return data, RouterInputs(None if multi else ENGLISH_ONLY, passages, ids, cached, texts_in)

    def choose_router_strengths(self) -> dict[str, dict[str, float]]:
        """Each router model's regularisation strength chosen again by cross-validation on the
        training data, as ``rag/data/strengths.yaml`` stores it (per embedder name; about twenty
        minutes per router; nothing is stored). Run by ``scripts/choose_strengths.py``."""
        chosen = {}
        for multi in (False, True) if self.has_multilingual else (False,):
            data, inputs = self._router_inputs(multi)
            data.strengths = {}
            if inputs.texts_in is not None:
                data = data.written_in(inputs.texts_in)
            fitted = train(data, inputs.training_embedder, languages=inputs.languages, passages=inputs.passages)
            chosen[inputs.training_embedder.name] = fitted.strengths()  # the name strengths are stored under
        return chosen

    def _training_notice(self, name: str, multi: bool, stored: bool) -> Callable[[bool], None] | None:
        """The notice before a router is trained: all of it (``Router.trained`` says True), or its
        pair model alone for the knowledge's edited cards. ``stored``: the models' strengths are
        stored for this embedder (else cross-validated)."""
        notice = self._notice
        if notice is None:
            return None
        asked = "questions in other languages" if multi else "English questions"
        took = ("about five minutes" if multi else "about three minutes") if stored else "twenty minutes or so"

        def say(whole: bool) -> None:
            if whole:
                notice(f"training the router for {asked} ({name}; once per catalogue and model, {took})")
            else:
                notice(f"updating the router for {asked} to the edited knowledge ({name}; seconds)")

        return say

    @staticmethod
    def _card_vectors(coll: IndexedCollection) -> tuple[list[str], list[Passage]]:
        """Ids and passages (domain id, vector, text) of every domain-card passage in ``coll``: a
        domain's richest wording."""
        snap = coll.snapshot()
        if snap is None:
            return [], []
        cards = [c for c in snap.chunks if c.kind == "domain" and c.domains]
        vectors = coll.store.vectors([c.id for c in cards])
        kept = [c for c in cards if c.id in vectors]
        return [c.id for c in kept], [Passage(c.domains[0], vectors[c.id], c.text) for c in kept]

    def train_routers(self) -> None:
        """Load or train every router now (``rag index`` does this, so questions never wait for it)."""
        self.router_for("en")
        if self.has_multilingual:
            self.router_for("zh")

    # -- indexing ----------------------------------------------------------------
    def index_knowledge(self, *, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index knowledge/ incrementally: only new or changed passages are embedded."""
        started = time.perf_counter()
        kdir = self.settings.knowledge_dir
        if not kdir.is_dir():
            raise KnowledgeError(f"knowledge folder not found: {kdir}")
        catalogue = Catalogue(kdir)
        self.__dict__["catalogue"] = catalogue
        self._routers.clear()
        report = IndexReport()
        files: dict[str, dict[str, Any]] = {}
        chunks_by_file: dict[str, list[Chunk]] = {}
        for path in knowledge_files(kdir):
            files[path.relative_to(kdir).as_posix()] = {"sha": file_sha(path), "title": path.stem}
            chunks_by_file[path.relative_to(kdir).as_posix()] = chunks_for_file(path, kdir, catalogue)
        for coll, embedder in self.collections("knowledge"):
            with coll.locked():
                if rebuild:
                    coll.reset()
                previous = coll.snapshot()
                old_files = previous.files if previous else {}
                if coll is self.knowledge:
                    report.files_changed = sum(old_files.get(k, {}).get("sha") != v["sha"] for k, v in files.items())
                    report.files_removed = len(set(old_files) - set(files))
                embedded, deleted = coll.publish(files, chunks_by_file, embedder.embed_batch, progress=progress)
                if coll is self.knowledge:  # passages, counted once (every embedder embeds the same ones)
                    report.embedded, report.deleted = embedded, deleted
        snap = self.knowledge.snapshot()
        report.files = len(files)
        report.chunks = len(snap.chunks) if snap else 0
        self.train_routers()
        report.seconds = time.perf_counter() - started
        return report

    def ensure_index(self, progress: Progress | None = None) -> IndexReport | None:
        """Build the knowledge index when there is none (or it was damaged).

        Runs before every answer, so a snapshot already checked against the store is not
        checked again (that would cost a Chroma round trip per question).
        """
        with self._lock:
            colls = [c for c, _ in self.collections("knowledge")]
            try:
                snaps = [c.snapshot() for c in colls]
            except RagIndexError:  # damaged snapshot files: rebuilt from knowledge/
                report = self.index_knowledge(rebuild=True, progress=progress)
            else:
                names = tuple(s.name if s else None for s in snaps)
                if None not in names and names == self._verified:
                    return None
                if None not in names and all(
                    c.store.count() >= len(s.by_id) for c, s in zip(colls, snaps, strict=True) if s
                ):
                    self._verified = names
                    return None
                report = self.index_knowledge(rebuild=any(s is not None for s in snaps), progress=progress)
            self._verified = tuple(s.name if s else None for s in (c.snapshot() for c in colls))
            return report

    def publish(self, kind: str, files: Any, chunks_by_file: Any, progress: Progress | None = None) -> int:
        """Publish passages of ``kind`` to every embedder's collection; returns how many were embedded.

        The caller holds the English collection's lock (``engine.uploads.locked()``).
        """
        embedded = 0
        for coll, embedder in self.collections(kind):
            done, _ = coll.publish(files, chunks_by_file, embedder.embed_batch, progress=progress)
            embedded = embedded or done  # passages, counted once
        return embedded

    @property
    def uploads_folder(self) -> Path:
        """Where this engine's uploads space keeps its stored files (``rag.uploads.uploads_dir``)."""
        return self.settings.data_dir / self.uploads_space

    def discard_uploads(self) -> None:
        """Delete a private uploads space: its collections, their snapshots and its stored files.
        The shared space (the user's uploads) is never discarded."""
        if self.uploads_space == UPLOADS:
            raise ValueError("the shared uploads space holds the user's documents; it is not discarded")
        with self._lock:
            for coll, _ in self.collections("uploads"):
                with coll.locked():
                    coll.discard()
            for k in ("uploads", "uploads_ml", "retriever", "ml_retriever"):  # used again, it starts empty
                self.__dict__.pop(k, None)
            shutil.rmtree(self.uploads_folder, ignore_errors=True)

    def sibling(self, uploads_space: str) -> Engine:
        """An engine on the same settings, embedders and stores, asking in another uploads space."""
        return Engine(
            self.settings,
            embedder=self.embedder,
            multilingual=self.multilingual,
            store_factory=self._store_factory,
            notice=self._notice,
            bar=self._bar,
            uploads_space=uploads_space,
        )

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
