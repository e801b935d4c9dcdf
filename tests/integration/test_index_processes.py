"""A running process finds what another process indexed into the same embedded Chroma.

Embedded Chroma keeps its vector index in the memory of the process that opened it,
so a reader that had searched before another process (``rag index`` beside the app)
added vectors would not find them by vector. The collection notices the foreign
publish and searches the new snapshot exactly.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from rag.engine import Engine
from rag.testing import FakeEmbedder
from tests.conftest import ROUTER_FIXTURES, make_settings

NEW = "## Glacier pact\nThe Glacier Pact pooled ice-core data between two rival polar powers [@talk, slide 2].\n"


def _index_elsewhere(knowledge: str, data: str) -> None:
    engine = Engine(
        make_settings(Path(knowledge), Path(data), router_data=ROUTER_FIXTURES),
        embedder=FakeEmbedder(),
        multilingual=FakeEmbedder("fake-ml"),
    )
    engine.index_knowledge()


def test_a_reader_finds_passages_another_process_indexed(mini_knowledge: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    reader = Engine(
        make_settings(mini_knowledge, data, router_data=ROUTER_FIXTURES),
        embedder=FakeEmbedder(),
        multilingual=FakeEmbedder("fake-ml"),
    )
    reader.index_knowledge()
    query = reader.embedder.embed_query("Glacier Pact pooled ice-core data between rival polar powers")
    before = reader.retriever.nearest(query, 3)  # the reader's Chroma has loaded its vector index
    assert before and all("Glacier" not in c.text for c, _, _ in before)

    page = mini_knowledge / "framework" / "mini.md"
    page.write_text(page.read_text() + "\n" + NEW)
    proc = multiprocessing.get_context("spawn").Process(target=_index_elsewhere, args=(str(mini_knowledge), str(data)))
    proc.start()
    proc.join(300)
    assert proc.exitcode == 0

    reader.knowledge._forget_pointer()  # as after POINTER_CHECK_S
    after = reader.retriever.nearest(query, 3)
    assert "Glacier Pact" in after[0][0].text
