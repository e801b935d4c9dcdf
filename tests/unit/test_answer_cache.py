"""The service's cache of offline answers: a repeated question (same conversation, same index)
costs a lookup; anything that could change the answer is a different key; copies never leak."""

from __future__ import annotations

import pytest

from rag.answer.pipeline import turn_of
from rag.answer.schema import Answer
from rag.config import Settings
from rag.engine import Engine
from rag.errors import ConfigError
from rag.service import Service
from rag.testing import FakeChatModel
from rag.uploads import add_upload, remove_upload

QUESTION = "Could rivals cooperate on compute controls?"
OTHER = "Is incident reporting between rivals feasible?"


def same(a: Answer, b: Answer) -> bool:
    return a.model_dump(exclude={"timings_ms"}) == b.model_dump(exclude={"timings_ms"})


def test_a_repeated_question_is_answered_from_the_cache(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine)
    first = service.ask(QUESTION)
    again = service.ask(QUESTION)
    assert (service.cache.misses, service.cache.hits) == (1, 1)
    assert same(first, again) and first.citations
    assert again.timings_ms["retrieve"] == 0.0 and again.timings_ms["generate"] == 0.0
    assert first.timings_ms["retrieve"] > 0.0


def test_each_caller_gets_its_own_copy(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine)
    first = service.ask(QUESTION)
    first.citations.clear()
    again = service.ask(QUESTION)
    again.domains.append("changed")
    assert again.citations and "changed" not in service.ask(QUESTION).domains


def test_another_conversation_or_question_is_answered_anew(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine)
    first = service.ask(QUESTION)
    service.ask(OTHER)
    service.ask("and who is left out?", [turn_of(first)])
    service.ask("and who is left out?", [turn_of(first), turn_of(service.ask(OTHER))])
    assert service.cache.misses == 4 and service.cache.hits == 1  # the second OTHER only


def test_a_streamed_repeat_gives_the_text_then_the_answer(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine)
    streamed = list(service.ask_stream(QUESTION))
    repeated = list(service.ask_stream(QUESTION))
    assert service.cache.hits == 1
    for items in (streamed, repeated):
        final = items[-1]
        assert isinstance(final, Answer)
        assert "".join(str(i) for i in items[:-1]) == final.answer
    assert same(streamed[-1], repeated[-1])  # type: ignore[arg-type]


def test_a_new_upload_changes_the_key(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine)
    service.ask(QUESTION)
    added = add_upload(
        fake_engine, "cache-brief.md", b"# Brief\n\nChip export controls were tightened again this year.\n"
    )
    assert added.ok and added.key is not None
    try:
        service.ask(QUESTION)
        assert (service.cache.misses, service.cache.hits) == (2, 0)
    finally:
        remove_upload(fake_engine, added.key)


def test_only_the_least_recent_answers_are_let_go(fake_engine: Engine) -> None:
    service = Service(fake_engine.settings, engine=fake_engine, cache_size=1)
    for q in (QUESTION, OTHER, QUESTION, QUESTION):
        service.ask(q)
    assert (service.cache.misses, service.cache.hits) == (3, 1)


def test_nothing_is_cached_when_switched_off_or_for_a_language_model(fake_engine: Engine) -> None:
    off = Service(fake_engine.settings, engine=fake_engine, cache_size=0)
    off.ask(QUESTION)
    off.ask(QUESTION)
    model = FakeChatModel("fake-cache-model")  # replies carefully from the passages it is given
    llm = Service(fake_engine.settings, engine=fake_engine, chat_model=model)
    llm.ask(QUESTION)
    llm.ask(QUESTION)
    assert off.cache.hits == llm.cache.hits == 0
    assert len(model.history) == 2  # the model was asked both times


def test_the_cache_size_is_a_setting(fake_engine: Engine) -> None:
    assert Settings.from_env({}).answer_cache == 256
    settings = Settings.from_env({"RAG_ANSWER_CACHE": "0"})
    assert Service(settings, engine=fake_engine).cache.size == 0
    for bad in ("many", "-1"):
        with pytest.raises(ConfigError, match="RAG_ANSWER_CACHE"):
            Settings.from_env({"RAG_ANSWER_CACHE": bad})
