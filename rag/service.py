"""The service the CLI and the app call: picks the composer and never lets a failure escape.

The offline analyst is the default; with ``RAG_BACKEND=openai`` (or ``auto`` and a key or
base URL) a chat model composes the answer, and any failure of it falls back to the
offline analyst, from the same evidence, with a notice in the answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property

from rag.answer.pipeline import Navigator
from rag.answer.schema import Answer
from rag.chat import ChatModel
from rag.config import Settings
from rag.engine import Engine
from rag.understand import Turn


class Service:
    """One per process (the app caches it): an engine and the navigator that answers with it."""

    def __init__(
        self, settings: Settings, *, engine: Engine | None = None, chat_model: ChatModel | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine or Engine(settings)
        self._chat_model = chat_model

    @property
    def backend(self) -> str:
        return "openai" if self._chat_model is not None else self.settings.effective_backend

    @cached_property
    def navigator(self) -> Navigator:
        if self.backend == "offline":
            return Navigator(self.engine)
        from rag.answer.llm import LLMComposer

        model = self._chat_model
        if model is None:
            from rag.providers.openai_chat import OpenAIChatModel

            model = OpenAIChatModel(self.settings)
        return Navigator(self.engine, composer=LLMComposer(model, self.engine.catalogue))

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        return self.navigator.ask(question, history)

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final validated Answer (last item)."""
        yield from self.navigator.ask_stream(question, history)
