"""The user-documents collection: files under ``RAG_DATA_DIR/uploads``, indexed apart from knowledge/.

Each change (add, remove) copies or deletes files in the uploads folder and then
publishes the full set of current upload files as one snapshot of ``engine.uploads``,
holding that collection's writer lock, so the app and ``rag index PATH...`` can share
it. Unchanged files reuse their chunks (and vectors); the curated knowledge base is
never touched. An evaluation asks in a private space of its own instead (``private_uploads``).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rag.corpus import Chunk, chunk_id
from rag.errors import IndexBusyError, IngestError, RagError, RagIndexError
from rag.index import Progress, file_sha
from rag.ingest import KINDS, MAX_FILES, Document, read_document
from rag.locks import file_lock

Status = Literal["added", "replaced", "unchanged", "rejected"]


@dataclass(frozen=True)
class UploadResult:
    """What happened to one file."""

    name: str
    status: Status
    key: str | None = None
    reason: str = ""
    chunks: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file is in the collection (added, replaced or unchanged)."""
        return self.status != "rejected"

    def message(self) -> str:
        """One line for the user: the file name and what happened to it."""
        if self.status == "rejected":
            return f"{self.name}: not added, {self.reason}"
        if self.status == "unchanged":
            return f"{self.name}: already in your documents, unchanged"
        verb = "replaced the earlier version" if self.status == "replaced" else "added"
        return f"{self.name}: {verb} ({self.chunks} passage{'s' if self.chunks != 1 else ''})"


@dataclass
class UploadReport:
    """The fate of every file given to ``index_paths`` (the CLI prints it)."""

    results: list[UploadResult] = field(default_factory=list)
    files: int = 0  # documents in the collection afterwards
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """(name, reason) of every file that was rejected."""
        return [(r.name, r.reason) for r in self.results if r.status == "rejected"]

    def summary(self) -> str:
        """One line of counts: files added, replaced, unchanged, skipped; the collection's size; the time taken."""
        counts = {s: sum(1 for r in self.results if r.status == s) for s in ("added", "replaced", "unchanged")}
        return (
            f"{counts['added']} added, {counts['replaced']} replaced, {counts['unchanged']} unchanged, "
            f"{len(self.skipped)} skipped; {self.files} documents, {self.chunks} passages "
            f"({self.embedded} embedded) in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class UploadInfo:
    """One document of the collection, for listing."""

    key: str  # the stored file name, also the handle for remove_upload
    title: str  # the name the user gave it
    kind: str
    size: int
    chunks: int
    added: float  # file modification time


def uploads_dir(engine: Any) -> Path:
    """The folder of stored uploads under the data folder (created when missing): the engine's
    uploads space (``uploads``, unless it asks in a private one)."""
    folder: Path = engine.uploads_folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_key(name: str) -> str:
    """A stored file name: lower-case letters, digits and hyphens, the original extension."""
    base = Path(name.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60] or "document"
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    return f"{slug}.{ext}" if ext else slug


def source_id_of(key: str) -> str:
    """The source id of an uploaded file's passages: ``upload-`` and a slug of its stored name."""
    return "upload-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def document_chunks(key: str, doc: Document, title: str | None = None) -> list[Chunk]:
    """The chunks of one user document (kind "user"; locator "page N" for PDFs, else the section)."""
    sid = source_id_of(key)
    shown = title or doc.name
    return [
        Chunk(
            id=chunk_id(sid, s.locator, s.text, f"{shown} - {s.heading}"),
            text=s.text,
            source_id=sid,
            locator=s.locator,
            doc_id=sid,
            doc_title=shown,
            section=s.heading,
            kind="user",
            path=f"uploads/{key}",
            title=shown,
        )
        for s in doc.sections
    ]


def _stored_files(folder: Path) -> dict[str, Path]:
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in KINDS
    }


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _publish(engine: Any, new: dict[str, Document], progress: Progress | None) -> tuple[int, int, int]:
    """Publish every stored file (the caller holds the lock). Returns (files, chunks, embedded).

    Chunks of unchanged files come from the current snapshot; new ones from ``new``;
    a stored file that can no longer be read is left out of the index.
    """
    coll = engine.uploads
    snap = coll.snapshot()
    previous = snap.files if snap else {}
    files: dict[str, dict[str, Any]] = {}
    chunks_by_file: dict[str, list[Chunk]] = {}
    for key, path in _stored_files(uploads_dir(engine)).items():
        sha = file_sha(path)
        before = previous.get(key, {})
        if key in new:
            title = new[key].name
            chunks = document_chunks(key, new[key], title)
        elif snap is not None and before.get("sha") == sha and all(i in snap.by_id for i in before.get("ids", [])):
            title = str(before.get("title") or key)
            chunks = [snap.by_id[i] for i in before.get("ids", [])]
        else:
            title = str(before.get("title") or key)
            try:
                chunks = document_chunks(key, read_document(key, path.read_bytes()), title)
            except (IngestError, OSError):
                continue
        files[key] = {"sha": sha, "title": title}
        chunks_by_file[key] = chunks
    embedded = engine.publish("uploads", files, chunks_by_file, progress=progress)
    return len(files), sum(len(c) for c in chunks_by_file.values()), embedded


def _store(
    engine: Any, docs: Sequence[tuple[Document, bytes]], *, strict: bool, progress: Progress | None
) -> tuple[list[UploadResult], tuple[int, int, int]]:
    """Copy documents into the uploads folder and publish (the caller holds the lock).

    ``strict`` (the app): a duplicate is rejected and the file-count limit applies.
    Otherwise (``rag index PATH``) a file already stored is "unchanged", not an error.
    """
    folder = uploads_dir(engine)
    stored = _stored_files(folder)
    snap = engine.uploads.snapshot()
    titles = {k: str(v.get("title") or k) for k, v in (snap.files if snap else {}).items()}
    by_sha = {file_sha(p): k for k, p in stored.items()}
    results: list[UploadResult] = []
    new: dict[str, Document] = {}
    for doc, data in docs:
        key = safe_key(doc.name)
        same = by_sha.get(doc.sha)
        if same is not None:
            if strict:
                shown = titles.get(same, same)
                results.append(UploadResult(doc.name, "rejected", same, f"it duplicates {shown}, already uploaded"))
            else:
                results.append(UploadResult(doc.name, "unchanged", same))
            continue
        replaces = key in stored and titles.get(key, key) == doc.name
        if key in stored and not replaces:  # another file with the same safe name: keep both
            n = 2
            while f"{Path(key).stem}-{n}{Path(key).suffix}" in stored:
                n += 1
            key = f"{Path(key).stem}-{n}{Path(key).suffix}"
        if strict and not replaces and len(stored) >= MAX_FILES:
            results.append(
                UploadResult(
                    doc.name, "rejected", None, f"the limit of {MAX_FILES} documents is reached; remove one first"
                )
            )
            continue
        _write_atomic(folder / key, data)
        stored[key] = folder / key
        by_sha[doc.sha] = key
        new[key] = doc
        results.append(UploadResult(doc.name, "replaced" if replaces else "added", key, chunks=len(doc.sections)))
    counts = _publish(engine, new, progress) if new or snap is None else _counts(engine)
    return results, counts


def _counts(engine: Any) -> tuple[int, int, int]:
    snap = engine.uploads.snapshot()
    return (len(snap.files), len(snap.chunks), 0) if snap else (0, 0, 0)


def add_documents(
    engine: Any, items: Sequence[tuple[str, bytes]], progress: Progress | None = None
) -> list[UploadResult]:
    """Validate and add files from the app; one result per file, in order."""
    results: list[UploadResult | None] = []
    docs: list[tuple[Document, bytes]] = []
    for name, data in items:
        try:
            docs.append((read_document(name, data), data))
            results.append(None)
        except IngestError as e:
            results.append(UploadResult(name, "rejected", reason=str(e)))
    with engine.uploads.locked():
        stored, _ = _store(engine, docs, strict=True, progress=progress)
    it = iter(stored)
    return [r if r is not None else next(it) for r in results]


def add_upload(engine: Any, name: str, data: bytes, progress: Progress | None = None) -> UploadResult:
    """Validate and add one file (see ``add_documents``)."""
    return add_documents(engine, [(name, data)], progress)[0]


def _expand(paths: Iterable[Path]) -> Iterable[tuple[str, Path | None, str]]:
    """(shown name, file, reason it cannot be used) for each path; folders are searched."""
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if not p.is_file():
                    continue
                if any(part.startswith(".") for part in p.relative_to(path).parts):
                    yield str(p), None, "hidden file"
                elif p.suffix.lower() not in KINDS:
                    kinds = ", ".join(sorted(k.lstrip(".") for k in KINDS))
                    yield str(p), None, f"unsupported type {p.suffix or '(none)'} (supported: {kinds})"
                else:
                    yield str(p), p, ""
        elif path.is_file():
            yield str(path), path, ""
        else:
            yield str(path), None, "not found"


def index_paths(engine: Any, paths: list[Path], progress: Progress | None = None) -> UploadReport:
    """Add the documents found at ``paths`` (files or folders) to the user collection."""
    started = time.perf_counter()
    report = UploadReport()
    rejected: list[UploadResult] = []
    docs: list[tuple[Document, bytes]] = []
    for shown, path, reason in _expand(paths):
        if path is None:
            rejected.append(UploadResult(shown, "rejected", reason=reason))
            continue
        try:
            data = path.read_bytes()
            docs.append((read_document(path.name, data), data))
        except OSError as e:
            rejected.append(UploadResult(shown, "rejected", reason=f"cannot be read ({e.strerror or e})"))
        except IngestError as e:
            rejected.append(UploadResult(shown, "rejected", reason=str(e)))
    with engine.uploads.locked():
        stored, (files, chunks, embedded) = _store(engine, docs, strict=False, progress=progress)
    report.results = stored + rejected
    report.files, report.chunks, report.embedded = files, chunks, embedded
    report.seconds = time.perf_counter() - started
    return report


def list_uploads(engine: Any) -> list[UploadInfo]:
    """The documents of the collection, newest first."""
    snap = engine.uploads.snapshot()
    manifest = snap.files if snap else {}
    out = []
    for key, path in _stored_files(uploads_dir(engine)).items():
        info = manifest.get(key, {})
        stat = path.stat()
        out.append(
            UploadInfo(
                key=key,
                title=str(info.get("title") or key),
                kind=KINDS[path.suffix.lower()],
                size=stat.st_size,
                chunks=len(info.get("ids", [])),
                added=stat.st_mtime,
            )
        )
    return sorted(out, key=lambda u: u.added, reverse=True)


def remove_upload(engine: Any, key: str, progress: Progress | None = None) -> bool:
    """Delete one document and its passages; False when there was no such document."""
    with engine.uploads.locked():
        path = _stored_files(uploads_dir(engine)).get(key)
        if path is None:
            return False
        path.unlink()
        _publish(engine, {}, progress)
    return True


# -- private spaces ------------------------------------------------------------------
PRIVATE_PREFIX = "eval-"


@contextmanager
def private_uploads(engine: Any) -> Iterator[Any]:
    """An engine like ``engine`` asking in an uploads space of its own, deleted when the block ends
    (``rag eval``: a case's documents are uploaded there for the time of the case, and no case
    sees the user's uploads or another run's).

    A live space is held by a lock on ``.<space>.lock`` in the data folder. Spaces whose lock
    nobody holds belong to runs that died without deleting theirs (killed outright): they are
    deleted first. The lock file is locked before it takes its name, so no other run ever finds it
    unheld while this one lives.
    """
    data = Path(engine.settings.data_dir)
    space = f"{PRIVATE_PREFIX}{secrets.token_hex(4)}"
    lock, fresh = data / f".{space}.lock", data / f".{space}.lock.new"
    with ExitStack() as held:
        try:
            data.mkdir(parents=True, exist_ok=True)
            held.enter_context(file_lock(fresh, 0, IndexBusyError(f"{fresh} is held by another process")))
            os.replace(fresh, lock)
        except OSError as e:
            raise RagIndexError(f"cannot use the data folder {data} (RAG_DATA_DIR): {e.strerror or e}") from e
        own = engine.sibling(space)
        try:
            _sweep_abandoned(engine, data, keep=lock)
            yield own
        finally:
            own.discard_uploads()
            lock.unlink(missing_ok=True)


def _sweep_abandoned(engine: Any, data: Path, keep: Path) -> None:
    """Delete every private space of ``data`` whose run is gone (nobody holds its lock). Cleaning up
    after others never stops this run: a space that cannot be deleted now is tried again next time."""
    for lock in sorted(data.glob(f".{PRIVATE_PREFIX}*.lock")):
        if lock == keep or not re.fullmatch(rf"\.{PRIVATE_PREFIX}[0-9a-f]{{8}}\.lock", lock.name):
            continue
        try:
            with file_lock(lock, 0, IndexBusyError("in use")):
                engine.sibling(lock.name[1 : -len(".lock")]).discard_uploads()
                lock.unlink(missing_ok=True)
        except (RagError, OSError):
            continue  # a live run's (IndexBusyError), or one to try again
