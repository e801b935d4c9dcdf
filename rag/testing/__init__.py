"""Test doubles shipped with the product (like httpx's MockTransport): use them in your own tests.

``FakeEmbedder``, ``InMemoryVectorStore`` (with ``memory_store_factory``) and ``FakeChatModel``
are in-process fakes of the three seams; ``rag.testing.fake_openai`` is a real HTTP server on
127.0.0.1 that speaks the OpenAI protocol.
"""

from rag.testing.fakes import FakeChatModel, FakeEmbedder, InMemoryVectorStore, careful_reply, memory_store_factory

__all__ = ["FakeChatModel", "FakeEmbedder", "InMemoryVectorStore", "careful_reply", "memory_store_factory"]
