"""The service the CLI and the app call: picks the backend and never lets a failure escape.

The offline analyst is the default; with ``RAG_BACKEND=openai`` (or ``auto`` and a key)
the LLM composes the answer, and any failure of it falls back to the offline analyst
with a notice in the answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

from rag.answer.pipeline import Navigator, Turn
from rag.answer.schema import Answer
from rag.config import Settings
from rag.engine import Engine


class Service:
    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or Engine(settings)

    @cached_property
    def navigator(self) -> Navigator:
        return Navigator(self.engine)

    @cached_property
    def llm(self) -> Any:
        from rag.answer.llm import LLMComposer

        return LLMComposer(self.settings, self.engine.catalogue)

    @property
    def backend(self) -> str:
        return self.settings.effective_backend

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        if self.backend == "offline":
            return self.navigator.ask(question, history)
        return self.llm.ask(self.navigator, question, history)

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final validated Answer (last item).

        The final Answer is what to store and render; the pieces are for a live preview
        (with the LLM they arrive as the model writes; offline they come at once).
        """
        if self.backend == "offline":
            answer = self.navigator.ask(question, history)
            yield from self.navigator.stream_answer(answer)
            yield answer
            return
        yield from self.llm.ask_stream(self.navigator, question, history)
