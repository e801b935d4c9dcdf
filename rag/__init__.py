"""Competitive Cooperation Navigator: the engine, importable without Streamlit.

The public surface: build ``Settings`` at the edge, an ``Engine`` (with its seams) and a
``Service``, and ask. Everything else is internal and may change.

    from rag import Service, Settings
    answer = Service(Settings.from_env()).ask("could rivals cooperate on compute controls?")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "ChatModel",
    "Composer",
    "Embedder",
    "Engine",
    "Navigator",
    "RagError",
    "Service",
    "Settings",
    "VectorStore",
    "__version__",
]

# Imported on first use, so `import rag` stays light (no model, no Chroma, no Streamlit).
_WHERE = {
    "Answer": "rag.answer.schema",
    "ChatModel": "rag.chat",
    "Composer": "rag.answer.compose",
    "Embedder": "rag.embeddings",
    "Engine": "rag.engine",
    "Navigator": "rag.answer.pipeline",
    "RagError": "rag.errors",
    "Service": "rag.service",
    "Settings": "rag.config",
    "VectorStore": "rag.store",
}

if TYPE_CHECKING:
    from rag.answer.compose import Composer
    from rag.answer.pipeline import Navigator
    from rag.answer.schema import Answer
    from rag.chat import ChatModel
    from rag.config import Settings
    from rag.embeddings import Embedder
    from rag.engine import Engine
    from rag.errors import RagError
    from rag.service import Service
    from rag.store import VectorStore


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
