"""LangChain faces of the engine: the hybrid retriever and the offline embedder.

They let the product plug into LangChain pipelines (and pass LangChain's standard
tests); the engine itself does not need LangChain to run.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from rag.retrieve import Hit


def hit_to_document(hit: Hit) -> Document:
    """A search hit as a LangChain Document: the passage text, its metadata, chunk id, score and collection."""
    c = hit.chunk
    return Document(
        id=c.id,
        page_content=c.text,
        metadata={**c.metadata(), "chunk_id": c.id, "score": hit.score, "collection": hit.collection},
    )


class NavigatorRetriever(BaseRetriever):
    """Hybrid (dense + BM25, RRF) retrieval over the indexed knowledge base and uploads.

    ``RAG_*`` settings are read once when no ``engine`` is given.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int = 4
    mode: str = "hybrid"
    engine: Any = Field(default=None, exclude=True)
    _engine: Any = PrivateAttr(default=None)

    def _get_engine(self) -> Any:
        if self._engine is None:
            if self.engine is not None:
                self._engine = self.engine
            else:
                from rag.config import Settings
                from rag.engine import Engine

                self._engine = Engine(Settings.from_env())
            self._engine.ensure_index()
        return self._engine

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        hits = self._get_engine().search(query, k, mode=self.mode)
        return [hit_to_document(h) for h in hits]


class MiniLMEmbeddings(Embeddings):
    """The offline all-MiniLM-L6-v2 (int8 ONNX) embedder as LangChain ``Embeddings``."""

    def __init__(self, *, token_budget: int = 1024) -> None:
        from rag.embeddings import MiniLMEmbedder

        self._model = MiniLMEmbedder(token_budget=token_budget)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors for ``texts``, in order, as lists of floats."""
        return self._model.embed_batch(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """The unit vector of one query, as a list of floats."""
        return self._model.embed_query(text).tolist()
