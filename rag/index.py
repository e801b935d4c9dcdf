"""The index: a Chroma collection (dense) and a BM25 snapshot (lexical) that agree.

How it stays consistent and crash-safe:

* Chunk ids are content hashes, so an unchanged passage keeps its id and is never
  embedded twice; Chroma is written first (upsert of new ids only).
* The published state is a snapshot folder (chunk records, manifest, BM25 files)
  named by the file ``CURRENT``, switched with an atomic rename. Readers only trust
  ids in the snapshot, so a crash before the switch leaves the previous index usable,
  and the next run finds the vectors already stored and completes quickly.
* Vectors no longer in the snapshot are deleted after the switch.
* A file lock serialises writers (a second ``rag index`` waits its turn).
* When another process publishes (``rag index`` while the app runs), a reader reopens
  its store once, so that an embedded Chroma shows that process's vectors.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.corpus import Chunk
from rag.errors import IndexBusyError, RagIndexError
from rag.lexical import TOKENIZER, LexicalIndex
from rag.locks import file_lock
from rag.store import VectorStore

Progress = Callable[[int, int], None]  # (done, total)
SERVER_CHECK_S = 2.0  # how often a reader asks a Chroma server which snapshot is current
POINTER_CHECK_S = 0.5  # how stale another process's publish may look to a reader
LOAD_TRIES = 3  # snapshots tried when each one read is removed by a newer publish before it loads


@dataclass
class IndexReport:
    """What one indexing run did: files and chunks published, embedded and removed, and how long it took."""

    files: int = 0
    files_changed: int = 0
    files_removed: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    seconds: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def summary(self) -> str:
        """The report as one line of counts and seconds."""
        return (
            f"{self.files} files, {self.chunks} chunks ({self.embedded} embedded, "
            f"{self.deleted} removed, {self.files_changed} files changed, "
            f"{self.files_removed} files gone) in {self.seconds:.1f} s"
        )


@dataclass
class Snapshot:
    """One published version of a collection: its chunks and their BM25 index."""

    name: str
    chunks: list[Chunk]
    files: dict[str, dict[str, Any]]  # file key -> {"sha": ..., "ids": [...], "title": ...}
    lexical: LexicalIndex
    by_id: dict[str, Chunk] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.chunks}


def file_sha(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class IndexedCollection:
    """A dense store plus the published snapshot folder that describes it."""

    def __init__(self, store: VectorStore, folder: Path) -> None:
        self.store = store
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_path = folder / "write.lock"
        self._snapshot: Snapshot | None = None
        self._snapshot_name: str | None = None
        self._own: set[str | None] = set()  # snapshots this process published, or saw when it first looked
        self._checked = -math.inf  # never checked: the first read asks
        self._pointer: str | None = None
        self._pointer_read_at = -math.inf  # never read (monotonic time starts near 0 at boot)
        self.pointer_check_s = POINTER_CHECK_S  # how long a read of CURRENT is trusted

    # -- reading -----------------------------------------------------------------
    def current_name(self) -> str | None:
        """The published snapshot's name (re-read from disk at most every POINTER_CHECK_S)."""
        now = time.monotonic()
        if now - self._pointer_read_at < self.pointer_check_s:
            return self._pointer
        pointer = self.folder / "CURRENT"
        try:
            name: str | None = pointer.read_text(encoding="utf-8").strip()
        except OSError:
            name = None
        if name and not (self.folder / name / "manifest.json").exists():
            name = None
        self._pointer, self._pointer_read_at = name, now
        return name

    def _forget_pointer(self) -> None:
        self._pointer_read_at = -math.inf

    def snapshot(self) -> Snapshot | None:
        """The published snapshot, reloaded when another writer published a new one.

        With a Chroma server, the server is the authority: when the version it names
        differs from ours (another host indexed), the BM25 side is rebuilt from the
        server's own documents, so every replica searches the same passages.
        """
        name = self.current_name()
        if self.store.remote and time.monotonic() - self._checked >= SERVER_CHECK_S:
            self._checked = time.monotonic()
            served = self.store.version()
            if served and served != name:
                self._sync_from_server(served)
                name = self.current_name()
        if not self._own:
            self._own.add(name)
        if name is None:
            return None
        if name != self._snapshot_name:
            if name not in self._own and not self.store.remote:
                self.store.reopen()  # another process published: its new vectors are not in our memory
                self._own.add(name)
            self._snapshot = self._load_published(name)
            self._snapshot_name = self._snapshot.name
        return self._snapshot

    def _load_published(self, name: str) -> Snapshot:
        """Snapshot ``name``, or the one published since: another process that publishes removes
        the older folders, maybe between our reading CURRENT and our loading what it named."""
        for _ in range(LOAD_TRIES - 1):
            try:
                return self._load(name)
            except RagIndexError:
                self._forget_pointer()
                newer = self.current_name()
                if newer is None or newer == name:
                    raise  # what CURRENT names is itself unreadable
                name = newer
        return self._load(name)

    def _load(self, name: str) -> Snapshot:
        folder = self.folder / name
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            chunks = []
            with (folder / "chunks.jsonl").open(encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    chunks.append(Chunk.from_record(rec["id"], rec["text"], rec["meta"]))
            if manifest.get("tokenizer") == TOKENIZER:
                lexical = LexicalIndex.load(folder / "bm25", [c.id for c in chunks])
            else:  # made with an older tokenizer: its words are not the ones queries are cut into
                lexical = _lexical(chunks)
        except (OSError, ValueError, KeyError) as e:
            raise RagIndexError(f"the index snapshot {folder} is damaged ({e}); run `rag index --rebuild`") from e
        return Snapshot(name=name, chunks=chunks, files=manifest["files"], lexical=lexical)

    def _sync_from_server(self, version: str) -> None:
        """Rebuild the local snapshot (records + BM25) from the server's documents."""
        ids, docs, metas = self.store.get_records()
        chunks = [Chunk.from_record(i, d, m or {}) for i, d, m in zip(ids, docs, metas, strict=True)]
        files: dict[str, dict[str, Any]] = {}
        for c in chunks:
            files.setdefault(c.path or "server", {"sha": "server", "ids": []})["ids"].append(c.id)
        with self.locked():
            self._write_snapshot(version, chunks, files)

    def _write_snapshot(self, name: str, chunks: Sequence[Chunk], manifest: Mapping[str, Any]) -> None:
        """Write a snapshot folder beside the others and point CURRENT at it (atomically)."""
        folder = self.folder / name
        tmp = self.folder / (name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps({"id": c.id, "text": c.text, "meta": c.metadata()}, ensure_ascii=False) + "\n")
        lexical = _lexical(chunks)
        (tmp / "bm25").mkdir()
        lexical.save(tmp / "bm25")
        _write_json(
            tmp / "manifest.json",
            {"files": dict(manifest), "chunks": len(chunks), "tokenizer": TOKENIZER, "created": time.time()},
        )
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
        pointer = self.folder / "CURRENT.tmp"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, self.folder / "CURRENT")
        self._forget_pointer()

    # -- writing -----------------------------------------------------------------
    @contextmanager
    def locked(self, timeout: float = 600.0) -> Iterator[None]:
        """Hold the writer lock; IndexBusyError when it cannot be had in ``timeout`` s."""
        busy = IndexBusyError(f"another process is writing the index in {self.folder}; try again when it ends")
        with file_lock(self._lock_path, timeout, busy):
            yield

    def publish(
        self,
        files: Mapping[str, dict[str, Any]],
        chunks_by_file: Mapping[str, Sequence[Chunk]],
        embed: Callable[[Sequence[str]], Any],
        *,
        progress: Progress | None = None,
        batch: int = 64,
        before_switch: Callable[[], None] | None = None,
    ) -> tuple[int, int]:
        """Store missing vectors, then publish ``files`` as the new snapshot.

        ``files`` maps a file key to ``{"sha": ..., "title": ...}``; the caller holds the lock.
        Returns (embedded, deleted).
        """
        chunks: list[Chunk] = []
        seen: set[str] = set()
        manifest: dict[str, dict[str, Any]] = {}
        for key, info in files.items():
            ids = []
            for c in chunks_by_file.get(key, ()):
                ids.append(c.id)
                if c.id not in seen:
                    seen.add(c.id)
                    chunks.append(c)
            manifest[key] = {**info, "ids": ids}
        stored = self.store.metadatas([c.id for c in chunks])
        missing = [c for c in chunks if c.id not in stored]
        # Metadata can change while the embedded text does not (a document's domains, a source's
        # url): filters run on the stored copy, so bring it up to date without re-embedding.
        drifted = [c for c in chunks if c.id in stored and stored[c.id] != c.metadata()]
        self.store.update_metadata([c.id for c in drifted], [c.metadata() for c in drifted])
        done = 0
        if progress:
            progress(0, len(missing))
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            vectors = embed([c.embedding_content() for c in part])
            self.store.upsert([c.id for c in part], vectors, [c.text for c in part], [c.metadata() for c in part])
            done += len(part)
            if progress:
                progress(done, len(missing))
        # Unique per publish: readers cache a snapshot (and its filter masks) by name, so a
        # republished index must never reuse one, even with the same ids in the same second.
        digest = hashlib.sha256(f"{time.time_ns()}\x1f{os.getpid()}\x1f{sorted(seen)}".encode()).hexdigest()[:12]
        name = f"snap-{time.strftime('%Y%m%d-%H%M%S')}-{digest}"
        if before_switch:
            before_switch()
        self._own.add(name)
        self._write_snapshot(name, chunks, manifest)
        self.store.set_version(name)  # other replicas of a shared server follow this version
        # Garbage: vectors no snapshot refers to any more, and old snapshot folders.
        stale = [i for i in self.store.all_ids() if i not in seen]
        self.store.delete(stale)
        for old in self.folder.iterdir():
            if old.is_dir() and old.name != name and old.name.startswith("snap-"):
                shutil.rmtree(old, ignore_errors=True)
        return len(missing), len(stale)

    def reset(self) -> None:
        """Forget the published snapshot (used by ``--rebuild``); vectors are reused."""
        (self.folder / "CURRENT").unlink(missing_ok=True)
        self._forget_pointer()
        self._snapshot = None
        self._snapshot_name = None

    def discard(self) -> None:
        """Delete the collection: its store and every snapshot folder (nothing can read it afterwards)."""
        self.store.drop()
        self.reset()
        shutil.rmtree(self.folder, ignore_errors=True)


def _lexical(chunks: Sequence[Chunk]) -> LexicalIndex:
    """The BM25 index of ``chunks``, over the text their vectors were made from."""
    return LexicalIndex.build([c.id for c in chunks], [c.embedding_content() for c in chunks])
