"""Shared fixtures. The network guard is on for every test in the session."""

from __future__ import annotations

import gc
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import netguard

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KNOWLEDGE = ROOT / "knowledge"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "RAG_BACKEND", "RAG_DATA_DIR"):
    os.environ.pop(name, None)


def pytest_sessionstart(session: pytest.Session) -> None:
    import tempfile

    netguard.install()
    SESSION_CACHE.append(Path(tempfile.mkdtemp(prefix="rag-test-cache-")))
    # Servers and CLIs the tests start inherit it: the routers are trained once per session.
    os.environ["RAG_CACHE_DIR"] = str(SESSION_CACHE[0])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    netguard.uninstall()


@pytest.fixture
def mini_knowledge(tmp_path: Path) -> Path:
    """A writable copy of the small fixture knowledge base."""
    dest = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "mini", dest)
    return dest


SESSION_CACHE: list[Path] = []  # one cache folder for the whole session: routers are trained once


@pytest.fixture
def leave_the_process_as_found() -> Iterator[None]:
    """For tests that run the app with Streamlit's AppTest. A Streamlit run installs its script as
    ``__main__``: a later test that spawns a process would run that script in it (the app, in bare
    mode). The app also freezes objects out of the garbage collector's reach
    (``rag.ui.state.keep_gc_cheap``). Undo both."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
    gc.unfreeze()


def make_settings(knowledge: Path, data: Path, **extra: object):
    from rag.config import Settings

    extra.setdefault("cache_dir", SESSION_CACHE[0] if SESSION_CACHE else None)
    return Settings(knowledge_dir=knowledge, data_dir=data).with_(backend="offline", **extra)


ROUTER_FIXTURES = FIXTURES / "router"


@pytest.fixture(scope="module")
def fake_engine(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """The mini knowledge base indexed on the fakes with one (English) router, one per test module.

    The English and multilingual embedders are the same object, so no second router is trained;
    the router's weights are shared through the session cache with every engine like it.
    """
    from rag.engine import Engine
    from rag.testing import FakeEmbedder, memory_store_factory

    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    shutil.copytree(FIXTURES / "mini", root / "knowledge")
    embedder = FakeEmbedder()
    engine = Engine(
        make_settings(root / "knowledge", root / "data", router_data=ROUTER_FIXTURES),
        embedder=embedder,
        multilingual=embedder,
        store_factory=memory_store_factory(),
    )
    engine.index_knowledge()
    return engine


@pytest.fixture
def fake_seams() -> dict[str, object]:
    """The in-process fakes of every seam: no model, no Chroma (the small router training set is a
    setting: ``make_settings(..., router_data=ROUTER_FIXTURES)``)."""
    from rag.testing import FakeEmbedder, memory_store_factory

    return {
        "embedder": FakeEmbedder(),
        "multilingual": FakeEmbedder("fake-ml"),
        "store_factory": memory_store_factory(),
    }


@pytest.fixture
def mini_engine(mini_knowledge: Path, tmp_path: Path, fake_seams: dict[str, object]):
    """The mini knowledge base indexed with the fakes (fast)."""
    from rag.engine import Engine

    engine = Engine(make_settings(mini_knowledge, tmp_path / "data", router_data=ROUTER_FIXTURES), **fake_seams)  # type: ignore[arg-type]
    engine.index_knowledge()
    return engine


@pytest.fixture
def real_mini_engine(mini_knowledge: Path, tmp_path: Path):
    """The mini knowledge base with the real embedders and Chroma (integration tier)."""
    from rag.engine import Engine

    engine = Engine(make_settings(mini_knowledge, tmp_path / "data", router_data=ROUTER_FIXTURES))
    engine.index_knowledge()
    return engine


@pytest.fixture(scope="session")
def shipped_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The real knowledge base, indexed once for the session, answered offline."""
    from rag.service import Service

    data = tmp_path_factory.mktemp("shipped-data")
    service = Service(make_settings(KNOWLEDGE, data))
    service.navigator.warm()
    yield service


@pytest.fixture(scope="session")
def embedder():
    from rag.embeddings import MiniLMEmbedder

    return MiniLMEmbedder()
