"""LangChain's own standard test suites (langchain-tests) run against our classes."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from rag.lc import MiniLMEmbeddings, NavigatorRetriever


@pytest.fixture(scope="module")
def _engine(shipped_service):
    return shipped_service.engine


class TestNavigatorRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _bind(self, _engine) -> None:
        type(self)._bound_engine = _engine

    @property
    def retriever_constructor(self) -> type[NavigatorRetriever]:
        return NavigatorRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"k": 2, "engine": type(self)._bound_engine}

    @property
    def retriever_query_example(self) -> str:
        return "chip export restrictions"


class TestMiniLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[MiniLMEmbeddings]:
        return MiniLMEmbeddings


class TestMiniLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[MiniLMEmbeddings]:
        return MiniLMEmbeddings
