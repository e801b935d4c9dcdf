"""The default path (the real embedders, embedded Chroma, the offline analyst) never leaves the machine."""

from __future__ import annotations

import socket

import pytest

from rag.engine import Engine
from tests import netguard


def test_guard_blocks_outbound_connections() -> None:
    with pytest.raises(netguard.OutboundConnectionBlockedError):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


def test_indexing_searching_and_answering_make_no_outbound_attempt(real_mini_engine: Engine) -> None:
    from rag.answer.pipeline import Navigator

    with netguard.recording() as attempts:
        real_mini_engine.index_knowledge(rebuild=True)
        real_mini_engine.search("chip export restrictions", 5)
        Navigator(real_mini_engine).ask("Could rivals cooperate on chip export restrictions?")
    assert attempts == []


def test_chroma_telemetry_is_off() -> None:
    from rag.store import chroma_settings

    assert chroma_settings().anonymized_telemetry is False
