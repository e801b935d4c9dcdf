"""The app's first start: the Service prepared on a thread of its own, and the page that shows how far it got.

A first start builds the index of knowledge/ and trains both question routers (`rag index` on an
empty cache: 499 s on a 2-core machine, Dec 2026); later starts load them in about a second. The
work runs on a :class:`Preparation`'s thread, so every session that opens the app meanwhile sees
the same steps advance (:func:`show`) instead of a spinner, and none of them waits on a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import streamlit as st

from rag.errors import RagError
from rag.index import Progress

log = logging.getLogger(__name__)

T = TypeVar("T")

ORDINALS = ("", " (second pass)", " (third pass)")


@dataclass(frozen=True)
class Step:
    """One part of the work: ``total`` 0 while it does not count its steps (a notice); ``seconds``
    it took, or has taken so far."""

    what: str
    done: int = 0
    total: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Status:
    """How far a preparation got: its steps in the order they began (the last is under way)."""

    steps: tuple[Step, ...]
    seconds: float  # since the preparation began
    error: str | None = None  # why it failed, in a sentence


class Reporter:
    """What the work calls back with (an engine's ``notice`` and ``bar``), kept for the page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self._began: list[float] = []  # when each step began (a step ends when the next begins)

    def _begin(self, step: Step) -> None:
        self._steps.append(step)
        self._began.append(time.monotonic())

    def notice(self, text: str) -> None:
        """Slow work begins that does not count its steps."""
        with self._lock:
            self._begin(Step(text))

    def bar(self, what: str) -> Progress:
        """A bar for work that counts its steps; each time it starts again after reaching its total
        is a pass of its own (the knowledge base is embedded once per embedder)."""
        passes: list[int] = []  # where this bar's passes are among the steps

        def update(done: int, total: int) -> None:
            if total == 0:
                return
            with self._lock:
                at = passes[-1] if passes else None
                if at is None or self._steps[at].done >= self._steps[at].total:
                    passes.append(len(self._steps))
                    self._begin(Step(what + ORDINALS[min(len(passes), len(ORDINALS)) - 1], done, total))
                else:
                    self._steps[at] = replace(self._steps[at], done=done, total=total)

        return update

    def steps(self) -> tuple[Step, ...]:
        """The steps so far, each with the seconds it took (the last: so far)."""
        with self._lock:
            if not self._steps:
                return ()
            ends = [*self._began[1:], time.monotonic()]
            return tuple(replace(s, seconds=b - a) for s, a, b in zip(self._steps, self._began, ends, strict=True))


class Preparation(Generic[T]):
    """``build(reporter)`` run once on a thread of its own; its result, or why it failed."""

    def __init__(self, build: Callable[[Reporter], T]) -> None:
        self.reporter = Reporter()
        self._began = time.monotonic()
        self._result: T | None = None
        self._error: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(build,), name="prepare-service", daemon=True)
        self._thread.start()

    def _run(self, build: Callable[[Reporter], T]) -> None:
        try:
            self._result = build(self.reporter)
        except RagError as e:
            self._error = str(e)
        except Exception as e:  # the page says it failed; the log keeps the traceback
            log.exception("preparing the service failed")
            self._error = f"an unexpected {type(e).__name__} ({e}); the server's log has the details"
        finally:
            self._done.set()

    def result(self, wait: float | None = 0.0) -> T | None:
        """The result once ready (waiting up to ``wait`` seconds for it; None: until the work ends), else None."""
        self._done.wait(wait)
        return self._result

    @property
    def seconds(self) -> float:
        """Since the work began."""
        return time.monotonic() - self._began

    def status(self) -> Status:
        return Status(self.reporter.steps(), self.seconds, self._error)


PREPARING = (
    "Preparing the knowledge base. The first start builds the index and trains the question routers: "
    "about nine minutes on two cores. Later starts take a second or two."
)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def show(status: Status) -> None:
    """The page while the service is prepared: each step done and how long it took, the step under
    way (a bar when it counts its steps) and its time so far, and the time in all."""
    st.title("Competitive Cooperation Navigator")
    st.info(PREPARING, icon=":material/hourglass_top:")
    *finished, current = status.steps or (Step("starting", seconds=status.seconds),)
    for step in finished:
        counted = f": {step.total} of {step.total}" if step.total else ""
        st.markdown(f":material/check: {step.what}{counted} · {_duration(step.seconds)}")
    counted = f": {current.done} of {current.total}" if current.total else "…"
    fraction = current.done / current.total if current.total else 0.0
    st.progress(fraction, text=f"{current.what}{counted} · {_duration(current.seconds)}")
    st.caption(f"{_duration(status.seconds)} in all so far. This page updates by itself; you can leave it open.")
