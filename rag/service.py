"""The service the CLI and the app call: picks the composer and never lets a failure escape.

The offline analyst is the default; with ``RAG_BACKEND=openai`` (or ``auto`` and a key or
base URL) a chat model composes the answer, and any failure of it falls back to the
offline analyst, from the same evidence, with a notice in the answer.

Offline answers are a function of the question, the conversation before it and the
published index, so the service keeps the latest ones (``AnswerCache``): in a classroom the
same question (an example button, the teacher's prompt) is asked by many students, and each
repeat costs a lookup instead of a retrieval. A new index or upload changes the key.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from functools import cached_property

from rag.answer.pipeline import Navigator
from rag.answer.schema import Answer
from rag.chat import ChatModel
from rag.config import Settings
from rag.engine import Engine
from rag.errors import RagError
from rag.understand import Turn


class AnswerCache:
    """The latest answers by key (least recently used go first); each caller gets its own copy."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Answer | None:
        started = time.perf_counter()
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                self.misses += 1
                return None
            self._answers.move_to_end(key)
            self.hits += 1
        copy = found.model_copy(deep=True)
        # Nothing was retrieved or composed for this answer: its timings say so.
        copy.timings_ms = {"retrieve": 0.0, "generate": 0.0, "total": round((time.perf_counter() - started) * 1000, 2)}
        return copy

    def put(self, key: Hashable, answer: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._answers[key] = answer.model_copy(deep=True)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)


class Service:
    """One per process (the app caches it): an engine and the navigator that answers with it."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        chat_model: ChatModel | None = None,
        cache_size: int | None = None,
    ) -> None:
        """``cache_size``: offline answers kept for repeated questions (0: none; default ``settings.answer_cache``)."""
        self.settings = settings
        self.engine = engine or Engine(settings)
        self._chat_model = chat_model
        self.cache = AnswerCache(settings.answer_cache if cache_size is None else cache_size)

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
        key, cached = self._lookup(question, history)
        if cached is not None:
            return cached
        answer = self.navigator.ask(question, history)
        if key is not None:
            self.cache.put(key, answer)
        return answer

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final validated Answer (last item)."""
        key, cached = self._lookup(question, history)
        if cached is not None:
            yield from cached.answer.splitlines(keepends=True)
            yield cached
            return
        for item in self.navigator.ask_stream(question, history):
            if key is not None and isinstance(item, Answer):
                self.cache.put(key, item)
            yield item

    def _lookup(self, question: str, history: Sequence[Turn]) -> tuple[Hashable | None, Answer | None]:
        """The cache key of this question (None when not cached) and the answer kept under it, if any."""
        key = self._key(question, history)
        return key, (self.cache.get(key) if key is not None else None)

    def _key(self, question: str, history: Sequence[Turn]) -> Hashable | None:
        """What fixes an offline answer: the question, the conversation, the index and the retrieval mode.

        None (not cached) for a language model's answers, which differ from call to call.
        """
        if self.backend != "offline" or self.cache.size <= 0:
            return None
        try:
            state = self.engine.state()
        except RagError:  # a damaged index: answering rebuilds it, nothing is cached meanwhile
            return None
        conversation = json.dumps(list(history), sort_keys=True, ensure_ascii=False, default=str)
        return (question, conversation, state, self.navigator.mode)
