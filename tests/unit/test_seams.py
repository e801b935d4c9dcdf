"""The three seams swapped for their fakes: the whole question pipeline runs on FakeEmbedder,
the in-memory store and FakeChatModel driving the LLM composer, with no model file and no Chroma."""

from __future__ import annotations

import json

import pytest

from rag.answer.citations import CitationBook
from rag.answer.compose import Composed, Preview
from rag.answer.evidence import Evidence
from rag.answer.excerpts import plain
from rag.answer.pipeline import KnownText, Navigator, turn_of, unknown_names_notice
from rag.answer.schema import Answer
from rag.chat import OUTPUT_MODES, OutputMode
from rag.engine import Engine
from rag.errors import BackendRateLimitError
from rag.multilingual import string_table
from rag.service import Service
from rag.testing import FakeChatModel, FakeEmbedder, InMemoryVectorStore, careful_reply
from rag.understand import Understanding
from rag.uploads import add_upload
from tests.helpers import assert_sound

DOMAIN = "compute-controls"
QUESTION = "Could rivals cooperate on compute controls?"


def service(fake_engine: Engine, model: FakeChatModel) -> Service:
    return Service(fake_engine.settings, engine=fake_engine, chat_model=model)


def assert_cites_only_retrieved(answer: Answer, fake_engine: Engine) -> None:
    """Sound markers, and every citation is a retrieved passage shown with its own text."""
    assert_sound(answer)
    assert answer.citations
    retrieved = set(answer.retrieved)
    for c in answer.citations:
        assert c.chunk_id in retrieved
        chunk = fake_engine.chunk(c.chunk_id)
        assert chunk is not None and c.text == chunk.text and c.source_id == chunk.source_id


def invented() -> str:  # ZZ00, QQ11, WW10: label_for never uses 0 or 1, so no prompt holds them
    """A reply whose every claim fails validation: labels naming no passage, quotes no passage holds."""
    bad = {"text": "Rivals signed a chip treaty in 1999.", "labels": ["ZZ00"], "quote": "a treaty nobody signed"}
    summary = [bad, {**bad, "labels": ["QQ11", "WW10"]}]
    return json.dumps({"supported": True, "summary": summary, "conditions": [], "left_out": [bad]})


def test_the_engine_runs_on_the_fakes(fake_engine: Engine) -> None:
    assert isinstance(fake_engine.embedder, FakeEmbedder)
    assert isinstance(fake_engine.knowledge.store, InMemoryVectorStore)
    assert fake_engine.knowledge.store.count() == fake_engine.status().chunks > 0


def test_the_fake_model_composes_the_answer(fake_engine: Engine) -> None:
    model = FakeChatModel("fake-seams-model")
    answer = service(fake_engine, model).ask(QUESTION)
    assert answer.backend == "fake-seams-model"
    assert not answer.out_of_scope and answer.notices == []
    assert answer.domains == [DOMAIN]
    assert answer.verdict == fake_engine.catalogue.domains[DOMAIN].verdict  # always the catalogue's
    assert answer.validation["claims_dropped"] == 0
    assert_cites_only_retrieved(answer, fake_engine)
    (call,) = model.history
    assert call.mode == "json_schema" and call.schema is not None
    assert [m.role for m in call.messages] == ["system", "user"]
    assert QUESTION in call.messages[-1].content
    # the fake cites the prompt's first passage: it is the answer's first citation
    first_passage = call.messages[-1].content.split("<passage ", 2)[1]
    assert plain(answer.citations[0].text) in first_passage


def test_a_reply_failing_validation_wholesale_falls_back_to_the_analyst_with_a_notice(fake_engine: Engine) -> None:
    offline = Service(fake_engine.settings, engine=fake_engine).ask(QUESTION)  # the analyst alone
    model = FakeChatModel("fake-seams-model").enqueue(invented())
    answer = service(fake_engine, model).ask(QUESTION)
    assert len(model.history) == 1  # the model was asked, once
    assert not answer.out_of_scope  # not a refusal
    assert answer.backend == "offline"
    assert any("could not be used" in n and "offline analyst" in n for n in answer.notices)
    assert answer.validation["unknown_labels_removed"] == 3
    assert answer.validation["claims_dropped"] == 2
    assert "1999" not in answer.answer
    # the analyst's answer over the same evidence, nothing of the failed reply carried over
    assert answer.retrieved == offline.retrieved
    assert answer.answer == offline.answer
    assert answer.citations == offline.citations
    assert answer.verdict == offline.verdict == fake_engine.catalogue.domains[DOMAIN].verdict
    assert answer.conditions == offline.conditions
    assert_cites_only_retrieved(answer, fake_engine)


def test_invented_quotes_alone_also_fall_back(fake_engine: Engine) -> None:
    model = FakeChatModel()
    first = service(fake_engine, model).ask(QUESTION)  # learn the prompt's labels from a careful run
    prompt = model.history[-1].messages
    reply = json.loads(careful_reply(prompt))
    for c in reply["summary"]:
        c["quote"] = "words that appear in no passage at all"
    model.enqueue(json.dumps(reply))
    answer = service(fake_engine, model).ask(QUESTION)
    assert answer.backend == "offline"
    assert answer.validation["quotes_dropped"] == len(reply["summary"])
    assert answer.retrieved == first.retrieved
    assert_cites_only_retrieved(answer, fake_engine)


def test_a_failing_endpoint_falls_back_with_its_reason(fake_engine: Engine) -> None:
    model = FakeChatModel().enqueue(BackendRateLimitError("slow down"))
    answer = service(fake_engine, model).ask(QUESTION)
    assert answer.backend == "offline" and not answer.out_of_scope
    assert any("was not used" in n and BackendRateLimitError.reason in n for n in answer.notices)
    assert_cites_only_retrieved(answer, fake_engine)


@pytest.mark.parametrize(
    ("declared", "used"),
    [(OUTPUT_MODES, "json_schema"), (("json_object", "prompt"), "json_object"), (("prompt",), "prompt")],
)
def test_the_strongest_declared_output_mode_is_used(
    fake_engine: Engine, declared: tuple[OutputMode, ...], used: OutputMode
) -> None:
    model = FakeChatModel("fake-seams-model", output_modes=declared)
    answer = service(fake_engine, model).ask(QUESTION)
    assert [c.mode for c in model.history] == [used]
    assert answer.backend == "fake-seams-model"
    assert_cites_only_retrieved(answer, fake_engine)


@pytest.mark.parametrize(
    ("rejects", "tried"),
    [
        (("json_schema",), ["json_schema", "json_object"]),
        (("json_schema", "json_object"), ["json_schema", "json_object", "prompt"]),
    ],
)
def test_rejected_modes_fall_to_the_next_and_the_working_one_is_remembered(
    fake_engine: Engine, rejects: tuple[OutputMode, ...], tried: list[OutputMode]
) -> None:
    model = FakeChatModel("fake-seams-model", rejects=rejects)
    svc = service(fake_engine, model)
    first = svc.ask(QUESTION)
    assert [c.mode for c in model.history] == tried
    assert first.backend == "fake-seams-model"
    svc.ask("Could rivals cooperate on incident reporting?")
    assert [c.mode for c in model.history[len(tried) :]] == [tried[-1]]


def test_an_endpoint_rejecting_every_mode_falls_back(fake_engine: Engine) -> None:
    model = FakeChatModel(rejects=OUTPUT_MODES)
    answer = service(fake_engine, model).ask(QUESTION)
    assert [c.mode for c in model.history] == list(OUTPUT_MODES)
    assert answer.backend == "offline"
    assert any("was not used" in n for n in answer.notices)


def test_a_streamed_answer_yields_the_summary_then_the_answer(fake_engine: Engine) -> None:
    model = FakeChatModel("fake-seams-model")
    items = list(service(fake_engine, model).ask_stream(QUESTION))
    answer = items[-1]
    pieces = [p for p in items[:-1] if isinstance(p, str)]
    assert isinstance(answer, Answer) and answer.backend == "fake-seams-model"
    assert pieces and len(pieces) == len(items) - 1
    assert "".join(pieces).strip() in answer.answer
    assert model.history[-1].stream is True


def test_a_refused_question_never_reaches_the_model(fake_engine: Engine) -> None:
    model = FakeChatModel()
    answer = service(fake_engine, model).ask("What is the capital of France?")
    assert answer.out_of_scope and answer.citations == []
    assert model.history == []


def test_a_question_in_a_language_it_does_not_read_is_declined_before_any_model(fake_engine: Engine) -> None:
    model = FakeChatModel()
    hindi = "क्या अमेरिका और चीन मिलकर विकासशील देशों को अपनी AI क्षमता बनाने में मदद कर सकते हैं?"
    answer = service(fake_engine, model).ask(hindi)
    assert answer.out_of_scope and answer.question_type == "unsupported_language"
    assert "cannot read questions in this language" in answer.answer and "中文" in answer.answer
    assert answer.citations == [] and answer.retrieved == [] and model.history == []
    # the same question in a language it reads is answered
    assert (
        not service(fake_engine, model)
        .ask("Could the US and China help developing countries build AI capacity?")
        .out_of_scope
    )


class CitesNothing:
    """A composer whose answer cites no passage: the Navigator must not pass it on as an answer."""

    name = "cites-nothing"

    def compose(
        self, u: Understanding, ev: Evidence, book: CitationBook, *, preview: Preview | None = None
    ) -> Composed:
        return Composed(answer="Nothing retrieved bears on this.")


def test_a_question_nothing_can_be_cited_for_is_declined_in_its_language_and_keeps_its_type(
    fake_engine: Engine,
) -> None:
    navigator = Navigator(fake_engine, composer=CitesNothing(), fallback=CitesNothing())
    english = navigator.ask(QUESTION)
    assert english.out_of_scope and english.citations == [] and english.verdict is None
    assert english.question_type == "feasibility"  # as it was understood, not "off_topic"
    assert english.answer == string_table().get("en", "refusals.nothing_found")
    french = navigator.ask("Les rivaux pourraient-ils coopérer sur le contrôle des exportations de puces ?")
    assert french.out_of_scope and french.language == "fr"
    assert french.answer == string_table().get("fr", "refusals.nothing_found")


def test_a_suggestion_the_navigator_would_misread_is_offered_in_english_instead(fake_engine: Engine) -> None:
    """Suggestions are offered in the question's language only where the Navigator, asked them,
    reads them as meant. The fakes' router reads no Chinese, so after a Chinese question the
    Chinese suggestions would be misread: their English forms, read as meant, are offered instead."""
    navigator = Navigator(fake_engine)
    answer = navigator.ask("竞争对手国家能否在算力管控方面开展合作？")
    assert answer.language == "zh" and answer.suggestions
    assert all(s.isascii() for s in answer.suggestions), answer.suggestions
    for suggested in answer.suggestions:
        u, _ = navigator.understand(suggested)
        assert not u.refused, suggested
    area = [s for s in answer.suggestions if s.startswith("Could rivals cooperate on ")]
    assert area and all(navigator.understand(s)[0].domains for s in area)


def test_a_name_the_knowledge_base_never_mentions_is_said_to_be_unknown(fake_engine: Engine) -> None:
    """An answered English question naming someone the knowledge base says nothing about gets a
    notice naming them; a name it holds (here in the talk's slide) gets none."""
    navigator = Navigator(fake_engine)
    unknown = navigator.ask("Could rivals cooperate on compute controls, as Quentin Zorbaugh urged?")
    assert not unknown.out_of_scope
    assert any("says nothing about Quentin Zorbaugh" in n for n in unknown.notices), unknown.notices
    known = navigator.ask("Could rivals cooperate on compute controls, given Domain Separability?")
    assert not known.out_of_scope
    assert not any("says nothing about" in n for n in known.notices), known.notices


def test_a_name_in_an_uploaded_document_is_not_said_to_be_unknown(fake_engine: Engine) -> None:
    """The user's documents count as known: once a briefing naming the person is uploaded, the
    notice goes (asked in an uploads space of its own, so the module's other tests see none)."""
    engine = fake_engine.sibling("names-upload")
    navigator = Navigator(engine)
    question = "Could rivals cooperate on compute controls, as Quentin Zorbaugh urged?"
    assert any("Quentin Zorbaugh" in n for n in navigator.ask(question).notices)
    assert add_upload(engine, "brief.md", b"# Brief\n\nQuentin Zorbaugh urged joint audits of chip exports.\n").ok
    answer = navigator.ask(question)
    assert not answer.out_of_scope
    assert not any("says nothing about" in n for n in answer.notices), answer.notices


def test_a_name_is_looked_up_whole_its_last_word_running_on_and_only_in_english() -> None:
    known = KnownText.of(["Chip smuggling through Southeast Asian intermediaries does worry Jensen Huang."])
    assert unknown_names_notice("What about smuggling via Southeast Asia?", "en", known) == []
    (notice,) = unknown_names_notice("Did Quentin Zorbaugh and Southeast Asia matter?", "en", known)
    assert "Quentin Zorbaugh" in notice and "Southeast Asia" not in notice
    assert unknown_names_notice("Qui est Quentin Zorbaugh ?", "fr", known) == []  # the knowledge base is English


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Does Jensen Huang agree?", None),  # held without the question's first word
        ("Does Quentin Zorbaugh agree?", "Quentin Zorbaugh"),  # "Does" is an ordinary word: left out
        ("Quentin Zorbaugh argued so. Is he right?", "Quentin Zorbaugh"),  # "Quentin" is no ordinary word
        ("Does Zorbaugh agree?", None),  # one word is no name
    ],
)
def test_a_name_opening_the_question_keeps_its_first_word_unless_that_is_an_ordinary_word(
    question: str, named: str | None
) -> None:
    known = KnownText.of(["Chip smuggling through Southeast Asian intermediaries does worry Jensen Huang."])
    notices = unknown_names_notice(question, "en", known)
    if named is None:
        assert notices == []
    else:
        (notice,) = notices
        assert f"says nothing about {named};" in notice


def test_words_questions_write_in_lowercase_are_ordinary_words_not_names(fake_engine: Engine) -> None:
    """A question may open with a word the knowledge base's formal prose never uses ("Suppose"):
    the routers' training questions count as ordinary English too."""
    known = KnownText.of(["Washington and Beijing talk."])
    assert unknown_names_notice("Suppose Washington agrees?", "en", known)  # "suppose": never seen
    ordinary = KnownText.of(["Washington and Beijing talk."], frozenset({"suppose"}))
    assert unknown_names_notice("Suppose Washington agrees?", "en", ordinary) == []
    words = Navigator(fake_engine).question_words
    assert {"rivals", "cooperate"} <= words and "China" not in words


def test_a_follow_up_on_an_area_outside_the_catalogue_names_that_areas_analogies(fake_engine: Engine) -> None:
    """ "Why?" after an answer on an area the catalogue does not assess is the framework applied to
    that area again: its analogies are the assessed areas nearest that area, not those nearest the
    follow-up's one word."""
    earlier = "Apply the framework to AI in dairy farming."
    turn = {"question": earlier, "standalone": earlier, "qtype": "apply_framework", "domains": [],
            "analogies": ["incident-reporting"], "language": "en"}  # fmt: skip
    router = fake_engine.router_for("en")
    u, _ = Navigator(fake_engine).understand("Why?", [turn])
    assert (u.qtype, u.domains, u.is_followup) == ("apply_framework", [], True)
    assert u.route.nearest == router.route(earlier).nearest != router.route("Why?").nearest


def test_asked_which_assessed_area_a_new_area_is_nearest_the_answer_leads_with_them(fake_engine: Engine) -> None:
    """After an answer on an area outside the catalogue, "which of your areas is it closest to?" is
    that area's answer again, its analogies (the first answer's) before the three conditions."""
    navigator = Navigator(fake_engine)
    first = navigator.ask("Apply the framework to AI in dairy farming.")
    assert first.question_type == "apply_framework" and first.analogies
    nearest = navigator.ask("Which of your areas does it come nearest to?", [turn_of(first)])
    assert (nearest.question_type, nearest.domains) == ("apply_framework", [])
    assert [a.domain for a in nearest.analogies] == [a.domain for a in first.analogies]
    text = nearest.answer
    assert text.index("Nearest assessed areas") < text.index("The three conditions")
    assert first.answer.index("The three conditions") < first.answer.index("Nearest assessed areas")
