"""The dense side: the :class:`VectorStore` seam and its Chroma implementation.

Chroma runs embedded (PersistentClient) or as a server (HttpClient). Vectors are always
computed by our embedder and passed in, so Chroma's own default embedding function (which
downloads a model) never runs. Telemetry is off. Chroma's ``where`` syntax lives here only:
callers pass a :class:`rag.filters.Filter`.

Another store is one new module implementing :class:`VectorStore`, handed to the engine
as ``Engine(settings, store_factory=...)``; ``rag.testing.InMemoryVectorStore`` is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import StoreUnavailableError
from rag.filters import Filter

if TYPE_CHECKING:
    from rag.config import Settings

__all__ = ["ChromaStore", "StoreFactory", "VectorStore", "chroma_where", "make_client"]


@runtime_checkable
class VectorStore(Protocol):
    """One collection of passage vectors with their text and flat metadata (cosine similarity)."""

    name: str
    remote: bool  # shared with other processes or hosts: the published version lives in the store

    def reopen(self) -> None:
        """Drop what this process cached of the store, so writes by other processes show."""
        ...

    def upsert(
        self, ids: Sequence[str], vectors: np.ndarray, documents: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        """Store, or replace, the vector, text and metadata of each of ``ids``."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove the records of ``ids``."""
        ...

    def query(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the ``k`` nearest vectors, best first (``where`` may be applied only in part)."""
        ...

    def count(self) -> int:
        """How many records the collection holds."""
        ...

    def all_ids(self) -> Iterator[str]:
        """Every stored id."""
        ...

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of ``ids`` that exist."""
        ...

    def metadatas(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored metadata of those of ``ids`` that exist."""
        ...

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Replace the metadata of stored records, keeping their vectors."""
        ...

    def get_records(self, ids: Sequence[str] | None = None) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """ids, documents and metadatas (all, or the given ids)."""
        ...

    def version(self) -> str | None:
        """The snapshot a writer last published to this collection, or None."""
        ...

    def set_version(self, name: str) -> None:
        """Record ``name`` as the published snapshot (what ``version`` returns)."""
        ...

    def drop(self) -> None:
        """Delete the collection with every record in it (opening it again makes an empty one)."""
        ...


class StoreFactory(Protocol):
    """Opens (or creates) the store of one collection by name."""

    def __call__(self, name: str) -> VectorStore:
        """The store of collection ``name``, created when missing."""
        ...


def chroma_where(where: Filter | None) -> dict[str, Any] | None:
    """A Filter in Chroma's ``where`` syntax (its scalar clauses; list-valued ones are checked after)."""
    if where is None:
        return None
    parts: list[dict[str, Any]] = [{key: {"$in": list(values)}} for key, values in where.scalar_clauses()]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


_PAGE = 5000


def _pages(items: Sequence[Any]) -> Iterator[list[Any]]:
    """``items`` in lists of at most _PAGE, the most one Chroma request carries here."""
    for start in range(0, len(items), _PAGE):
        yield list(items[start : start + _PAGE])


def chroma_settings() -> Any:
    """Chroma client settings: telemetry off, reset not allowed."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(settings: Settings, *, fresh: bool = False) -> Any:
    """A Chroma client for the configured deployment.

    ``fresh``: for the embedded store, a new Chroma system rather than the one this process
    already shares for that folder (clients made before keep theirs, and keep working).
    """
    import chromadb

    try:
        if settings.chroma_api_key and settings.chroma_tenant:
            return chromadb.CloudClient(
                tenant=settings.chroma_tenant,
                database=settings.chroma_database or "default_database",
                api_key=settings.chroma_api_key,
            )
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings())
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        if fresh:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # forgets the shared systems; it stops none of them
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    except Exception as e:  # chromadb raises ValueError/ConnectionError/httpx errors
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "disk"
        raise StoreUnavailableError(f"cannot open the Chroma store ({where}): {e}") from e


VERSION_KEY = "rag_snapshot"


class ChromaStore:
    """One Chroma collection of chunk vectors (cosine space)."""

    def __init__(
        self, client: Any, name: str, *, remote: bool = False, reconnect: Callable[[], Any] | None = None
    ) -> None:
        """``reconnect`` makes a fresh client of the same store (embedded: see ``reopen``)."""
        self.name = name
        self.remote = remote  # a server shared with other processes (or hosts)
        self._reconnect = reconnect
        self._open(client)

    def _open(self, client: Any) -> None:
        try:
            collection = client.get_or_create_collection(
                name=self.name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as e:
            raise StoreUnavailableError(f"cannot open Chroma collection {self.name!r}: {e}") from e
        self._client, self._collection = client, collection

    def reopen(self) -> None:
        """Open the collection again through a fresh client.

        Embedded Chroma keeps a collection's vector index in the memory of the process that
        loaded it: vectors another process added later are not found by ``query``, and ids it
        deleted can fail ``get``. A server needs none of this.
        """
        if self._reconnect is not None:
            self._open(self._reconnect())

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise StoreUnavailableError(f"Chroma {what} failed on {self.name!r}: {e}") from e

    def version(self) -> str | None:
        """The snapshot a writer last published to this collection (server mode)."""
        meta = self._call("get_collection", self._client.get_collection, self.name).metadata or {}
        value = meta.get(VERSION_KEY)
        return str(value) if value else None

    def set_version(self, name: str) -> None:
        """Record ``name`` as the published snapshot, in the collection's metadata."""
        self._call("modify", self._collection.modify, metadata={VERSION_KEY: name})

    def drop(self) -> None:
        """Delete the collection from Chroma."""
        self._call("delete_collection", self._client.delete_collection, self.name)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (those that exist), read a page at a time: a filter over
        a large upload collection may want tens of thousands, more than one request should carry."""
        found: dict[str, np.ndarray] = {}
        for page in _pages(ids):
            got = self._call("get", self._collection.get, ids=page, include=["embeddings"])
            found.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        return found

    def count(self) -> int:
        """How many records the collection holds."""
        return int(self._call("count", self._collection.count))

    def metadatas(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored metadata of those of ``ids`` that exist."""
        found: dict[str, dict[str, Any]] = {}
        for page in _pages(ids):
            got = self._call("get", self._collection.get, ids=page, include=["metadatas"])
            found.update({i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)})
        return found

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Replace the metadata of stored records, keeping their vectors."""
        for page, metas in zip(_pages(ids), _pages(metadatas), strict=True):
            self._call("update", self._collection.update, ids=page, metadatas=metas)

    def all_ids(self) -> Iterator[str]:
        """Every stored id, read a page at a time."""
        total = self.count()
        for offset in range(0, total, _PAGE):
            got = self._call("get", self._collection.get, include=[], limit=_PAGE, offset=offset)
            yield from got["ids"]

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Store, or replace, the vector, text and metadata of each of ``ids`` (nothing for no ids)."""
        if not ids:
            return
        self._call(
            "upsert",
            self._collection.upsert,
            ids=list(ids),
            embeddings=vectors.astype(np.float32),
            documents=list(documents),
            metadatas=list(metadatas),
        )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove the records of ``ids``, a page at a time."""
        for page in _pages(ids):
            self._call("delete", self._collection.delete, ids=page)

    def query(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the ``k`` nearest stored vectors passing ``where``'s scalar clauses."""
        if k <= 0:
            return []
        got = self._call(
            "query",
            self._collection.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=chroma_where(where),
            include=["distances"],
        )
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def get_records(self, ids: Sequence[str] | None = None) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """ids, documents and metadatas (all, or the given ids)."""
        out_ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, Any]] = []
        pages: list[dict[str, Any]]
        if ids is None:
            total = self.count()
            pages = [{"limit": _PAGE, "offset": o} for o in range(0, total, _PAGE)]
        else:
            pages = [{"ids": page} for page in _pages(ids)]
        for page in pages:
            got = self._call("get", self._collection.get, include=["documents", "metadatas"], **page)
            out_ids.extend(got["ids"])
            docs.extend(got["documents"] or [])
            metas.extend(got["metadatas"] or [])
        return out_ids, docs, metas
