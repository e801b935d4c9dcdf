"""A real `streamlit run app.py` on 127.0.0.1, offline, for browser and load tests.

The server is rag.bench_app.AppServer (the one `rag bench` measures): its own data folder and
no LLM or Chroma-server settings, so it answers with the offline analyst from an embedded
index, exactly as the app does on a fresh install.
"""

from __future__ import annotations

import os
from pathlib import Path

from rag.bench_app import AppServer

ROOT = Path(__file__).resolve().parents[1]
StreamlitServer = AppServer

__all__ = ["ROOT", "StreamlitServer", "artifacts"]


def artifacts() -> Path:
    """Where tests leave screenshots, logs and measured timings ($RAG_TEST_ARTIFACTS, default test-artifacts/)."""
    folder = Path(os.environ.get("RAG_TEST_ARTIFACTS", "test-artifacts"))
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder
