"""A real `streamlit run app.py` on 127.0.0.1, offline, for browser and load tests.

The server gets its own data folder and no LLM or Chroma-server settings, so it answers with
the offline analyst from an embedded index, exactly as the app does on a fresh install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def artifacts() -> Path:
    """Where tests leave screenshots, logs and measured timings ($RAG_TEST_ARTIFACTS, default test-artifacts/)."""
    folder = Path(os.environ.get("RAG_TEST_ARTIFACTS", "test-artifacts"))
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class StreamlitServer:
    """Start with `start()` (or `with`), read `url`, stop with `stop()`; its output goes to `log_path`."""

    def __init__(self, data_dir: Path, log_path: Path, extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self, timeout: float = 300.0) -> StreamlitServer:
        env = {**os.environ, "RAG_DATA_DIR": str(self.data_dir), "RAG_BACKEND": "offline",
               "ANONYMIZED_TELEMETRY": "False"}
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST"):
            env.pop(name, None)
        log = self.log_path.open("wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *self.extra_args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"streamlit did not become healthy in {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> StreamlitServer:
        return self.start() if self.proc is None else self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
