"""Settings, read once at the edge (CLI, app) and passed down.

Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

from rag.errors import ConfigError

Backend = Literal["offline", "openai", "auto"]
EmbeddingsKind = Literal["local", "openai"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_folder(name: str) -> Path:
    """The repository's top-level folder ``name`` (``prompts``, ``knowledge``).

    In a checkout or an editable install it sits beside the package; a wheel carries a copy
    in ``rag/_bundled/`` instead, made by setup.py at build time.
    """
    beside = PROJECT_ROOT / name
    if (PROJECT_ROOT / "pyproject.toml").is_file() and beside.is_dir():
        return beside
    return Path(str(resources.files("rag") / "_bundled" / name))


_NAMES = (
    "RAG_DATA_DIR",
    "RAG_KNOWLEDGE_DIR",
    "CHROMA_HOST",
    "CHROMA_PORT",
    "CHROMA_API_KEY",
    "CHROMA_TENANT",
    "CHROMA_DATABASE",
    "RAG_BACKEND",
    "RAG_EMBEDDINGS",
    "RAG_CHAT_MODEL",
    "RAG_LLM_TIMEOUT",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "RAG_EMBEDDING_MODEL",
    "RAG_CACHE_DIR",
    "RAG_ANSWER_CACHE",
    "RAG_ROUTER_DATA",
)


def _default_data_dir() -> Path:
    """``.rag/`` in the project: beside the package in a checkout, else in the working directory."""
    in_checkout = (PROJECT_ROOT / "pyproject.toml").is_file()
    return (PROJECT_ROOT if in_checkout else Path.cwd()) / ".rag"


def _default_knowledge_dir() -> Path:
    """knowledge/ of the checkout, or the copy a wheel carries."""
    return project_folder("knowledge")


@dataclass(frozen=True)
class Settings:
    """Every setting of the product. Build with :meth:`from_env`."""

    data_dir: Path = field(default_factory=lambda: _default_data_dir())
    knowledge_dir: Path = field(default_factory=_default_knowledge_dir)
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_api_key: str | None = field(default=None, repr=False)
    chroma_tenant: str | None = None
    chroma_database: str | None = None
    backend: Backend = "auto"
    embeddings: EmbeddingsKind = "local"
    chat_model: str = "gpt-4o-mini"
    embedding_model: str = "text-embedding-3-small"
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    llm_timeout_s: float = 30.0
    cache_dir: Path | None = None  # vectors of fixed texts and trained routers; default RAG_DATA_DIR/cache
    answer_cache: int = 256  # offline answers kept for repeated questions (0: none)
    router_data: Path | None = None  # the question router's training files; default: the shipped rag/data

    @property
    def cache_folder(self) -> Path:
        """Where derived data lives (safe to delete: it is rebuilt); shareable between data folders."""
        return self.cache_dir or self.data_dir / "cache"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        secrets: Mapping[str, object] | None = None,
    ) -> Settings:
        """Settings from environment variables, with Streamlit secrets as a fallback."""
        source: dict[str, str] = {}
        for name in _NAMES:
            if secrets is not None and name in secrets and secrets[name] not in (None, ""):
                source[name] = str(secrets[name])
        environ = os.environ if env is None else env
        for name in _NAMES:
            value = environ.get(name)
            if value not in (None, ""):
                source[name] = str(value)
        return cls._from_mapping(source)

    @classmethod
    def _from_mapping(cls, m: Mapping[str, str]) -> Settings:
        defaults = cls()
        backend = m.get("RAG_BACKEND", "auto").strip().lower()
        if backend not in ("offline", "openai", "auto"):
            raise ConfigError(f"RAG_BACKEND must be offline, openai or auto, not {backend!r}")
        embeddings = m.get("RAG_EMBEDDINGS", "local").strip().lower()
        if embeddings not in ("local", "openai"):
            raise ConfigError(f"RAG_EMBEDDINGS must be local or openai, not {embeddings!r}")
        port_text = m.get("CHROMA_PORT", "8000")
        try:
            port = int(port_text)
        except ValueError as e:
            raise ConfigError(f"CHROMA_PORT must be a number, not {port_text!r}") from e
        timeout_text = m.get("RAG_LLM_TIMEOUT", "30")
        try:
            timeout = float(timeout_text)
        except ValueError as e:
            raise ConfigError(f"RAG_LLM_TIMEOUT must be seconds, not {timeout_text!r}") from e
        cache_text = m.get("RAG_ANSWER_CACHE", str(defaults.answer_cache))
        try:
            answer_cache = int(cache_text)
        except ValueError as e:
            raise ConfigError(f"RAG_ANSWER_CACHE must be a number of answers, not {cache_text!r}") from e
        if answer_cache < 0:
            raise ConfigError(f"RAG_ANSWER_CACHE must be 0 (off) or more, not {answer_cache}")
        router_data = Path(m["RAG_ROUTER_DATA"]).expanduser() if "RAG_ROUTER_DATA" in m else None
        if router_data is not None and not router_data.is_dir():
            raise ConfigError(
                f"RAG_ROUTER_DATA must be a folder of router training files; {router_data} is not a folder"
            )
        return cls(
            data_dir=Path(m["RAG_DATA_DIR"]).expanduser() if "RAG_DATA_DIR" in m else defaults.data_dir,
            knowledge_dir=(
                Path(m["RAG_KNOWLEDGE_DIR"]).expanduser() if "RAG_KNOWLEDGE_DIR" in m else defaults.knowledge_dir
            ),
            chroma_host=m.get("CHROMA_HOST"),
            chroma_port=port,
            chroma_api_key=m.get("CHROMA_API_KEY"),
            chroma_tenant=m.get("CHROMA_TENANT"),
            chroma_database=m.get("CHROMA_DATABASE"),
            backend=backend,  # type: ignore[arg-type]
            embeddings=embeddings,  # type: ignore[arg-type]
            chat_model=m.get("RAG_CHAT_MODEL", defaults.chat_model),
            embedding_model=m.get("RAG_EMBEDDING_MODEL", defaults.embedding_model),
            openai_api_key=m.get("OPENAI_API_KEY"),
            openai_base_url=m.get("OPENAI_BASE_URL"),
            llm_timeout_s=timeout,
            cache_dir=Path(m["RAG_CACHE_DIR"]).expanduser() if "RAG_CACHE_DIR" in m else None,
            answer_cache=answer_cache,
            router_data=router_data,
        )

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests, CLI flags)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def effective_backend(self) -> Literal["offline", "openai"]:
        """``auto`` means openai when a key or a base URL is configured."""
        if self.backend == "auto":
            return "openai" if (self.openai_api_key or self.openai_base_url) else "offline"
        return self.backend

    @property
    def uses_server(self) -> bool:
        """Whether a Chroma server is configured (CHROMA_HOST), shared with other processes or hosts."""
        return bool(self.chroma_host)

    def describe_backend(self) -> str:
        """What answers, for the status line; never includes a key."""
        if self.effective_backend == "offline":
            return "offline analyst (no LLM)"
        where = self.openai_base_url or "api.openai.com"
        return f"LLM {self.chat_model} at {where}"
