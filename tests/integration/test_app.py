"""The Streamlit app, driven by streamlit.testing (AppTest) against the real shipped knowledge base.

One data folder per module: the index is built once (the cached Service is keyed on the
settings), and every test reuses it. Offline backend; the network guard is on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.answer.citations import check_answer
from rag.config import Settings
from rag.export import conversation_html, conversation_markdown
from rag.feedback import FeedbackStore
from rag.framework import CONDITION_NAMES, Catalogue
from rag.ingest import read_document
from rag.uploads import document_chunks

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
FIRST_RUN_S = 300  # the first run builds the index of knowledge/

# ``shipped_service`` trains the question routers into the session's cache first (fixtures are not
# timed): on an empty cache that takes about nine minutes, longer than an app's first run may wait (in
# the whole suite the browser tests have trained them already, and this only loads them).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("leave_the_process_as_found", "shipped_service")]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-data")


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RAG_DATA_DIR", str(data_dir))
    monkeypatch.setenv("RAG_BACKEND", "offline")
    yield data_dir


@pytest.fixture
def app(env: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run(timeout=FIRST_RUN_S)
    assert not at.exception, at.exception
    return at


def page_app(name: str) -> AppTest:
    """One page of the app on its own (AppTest switches only between file pages)."""

    def script(page_name: str) -> None:
        import importlib

        importlib.import_module(f"rag.ui.{page_name}").page()

    at = AppTest.from_function(script, args=(name,), default_timeout=60)
    at.run(timeout=FIRST_RUN_S)
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    """Submit a question, then run the whole page once more.

    The chat input reruns only the next answer slot (a fragment, see rag/ui/chat.py), and AppTest
    keeps only what the last run drew; the plain run afterwards shows the whole page again.
    """
    at.chat_input(key="chat_input").set_value(question).run()
    assert not at.exception, at.exception
    at.run()
    assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """Shown text without Markdown escapes."""
    return markdown.replace("\\", "")


def all_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_empty_state_offers_example_questions(app: AppTest) -> None:
    assert app.title[0].value == "Ask the Navigator"
    examples = [b for b in app.button if b.key and b.key.startswith("example-")]
    assert len(examples) == 6
    examples[0].click().run()
    assert not app.exception, app.exception
    [message] = app.session_state["messages"]
    assert message["question"] == examples[0].label
    assert message["answer"].verdict == "infeasible"


def test_ask_then_follow_up_passes_history(app: AppTest) -> None:
    ask(app, "could rivals cooperate on compute controls?")
    [first] = app.session_state["messages"]
    answer = first["answer"]
    assert answer.domains[0] == "compute-controls" and answer.verdict == "infeasible"
    assert check_answer(answer) == []
    text = all_markdown(app)
    assert "Not feasible" in text
    for name in CONDITION_NAMES.values():
        assert name in text
    assert "Cited passages" in text
    assert any(e.label.startswith("Sources:") and "cited" in e.label for e in app.expander)
    suggestions = [b for b in app.button if b.key and b.key.startswith(f"sug-{first['id']}")]
    assert suggestions, "suggested next questions are buttons"

    ask(app, "and what about military AI?")
    second = app.session_state["messages"][1]["answer"]
    assert "military-ai" in second.domains
    assert second.standalone_question and "follow-up" in second.standalone_question
    shown = [c.value for c in app.caption if "read with the conversation as" in c.value]
    assert shown and "military AI" in shown[0], "the user sees how the follow-up was understood"

    app.button(key="start_over").click().run()
    assert app.session_state["messages"] == []
    app.run()
    assert [b for b in app.button if b.key and b.key.startswith("example-")], "the empty state is back"


def test_a_new_question_reruns_only_its_answer_slot(app: AppTest) -> None:
    ask(app, "could rivals cooperate on compute controls?")
    app.chat_input(key="chat_input").set_value("Is incident reporting between rival states feasible?").run()
    assert not app.exception, app.exception
    # This run drew the new exchange only: the first answer was left as it was on the page.
    assert [m.name for m in app.chat_message] == ["user", "assistant"]
    assert len(app.session_state["messages"]) == 2
    app.run()  # a full run lays out both
    assert [m.name for m in app.chat_message] == ["user", "assistant", "user", "assistant"]


def test_feedback_is_stored_in_sqlite(app: AppTest, env: Path) -> None:
    ask(app, "is incident reporting between rival states feasible?")
    message_id = app.session_state["messages"][0]["id"]
    app.feedback(key=f"fb-{message_id}").set_value(0).run()
    app.text_input(key=f"fbc-{message_id}").set_value("Needs the 2024 statement")
    next(b for b in app.button if b.label == "Send comment").click().run()
    assert not app.exception, app.exception
    row = FeedbackStore.in_data_dir(env).get(message_id)
    assert row is not None and row.rating == "down" and row.comment == "Needs the 2024 statement"
    assert row.question == "is incident reporting between rival states feasible?"
    assert row.backend == "offline" and row.answer["verdict"] == "feasible"


def test_export_contains_the_conversation_and_passages(app: AppTest) -> None:
    ask(app, "could rivals cooperate on compute controls?")
    assert {b.key for b in app.download_button} >= {"export_md", "export_html"}
    answers = [m["answer"] for m in app.session_state["messages"]]
    catalogue = Catalogue(Settings.from_env().knowledge_dir)
    md = conversation_markdown(answers, catalogue, lambda _id: None)
    assert "## 1. could rivals cooperate on compute controls?" in md
    first_passage = answers[0].citations[0].text.split("[@")[0].strip()[:60]
    assert first_passage in md
    html = conversation_html(answers, catalogue, lambda _id: None)
    assert "<script" not in html and "Verdict: not feasible" in html


def test_upload_is_indexed_and_retrieved(env: Path) -> None:
    docs = page_app("documents")
    assert docs.title[0].value == "Your documents"
    phrase = b"# The Zorblat Accord\n\nThe Zorblat Accord commits rival states to a quindecim ledger of AI incidents."
    docs.file_uploader[0].set_value([("zorblat.md", phrase, "text/markdown"), ("empty.txt", b"", "text/plain")])
    docs.run()
    docs.button(key="add_documents").click().run()
    assert not docs.exception, docs.exception
    assert any("zorblat.md: added" in plain(s.value) for s in docs.success)
    assert any("empty.txt: not added, the file is empty" in plain(e.value) for e in docs.error)
    assert any("zorblat.md" in plain(m.value) for m in docs.markdown)
    assert (env / "uploads" / "zorblat.md").is_file()

    app = AppTest.from_file(APP, default_timeout=60).run(timeout=FIRST_RUN_S)
    ask(app, "What does the Zorblat Accord say?")
    answer = app.session_state["messages"][0]["answer"]
    upload_ids = {c.id for c in document_chunks("zorblat.md", read_document("zorblat.md", phrase))}
    assert upload_ids & set(answer.retrieved), "the uploaded passage was retrieved for the question"

    docs.button(key="remove-zorblat.md").click().run()
    assert not (env / "uploads" / "zorblat.md").exists()


def test_explorer_shows_every_domain_and_a_card(env: Path) -> None:
    at = page_app("explorer")
    assert at.title[0].value == "Framework explorer"
    box = at.selectbox(key="explorer_domain")
    assert "military-ai" in box.options or "Military AI" in box.options
    box.select("military-ai").run()
    assert at.header[0].value == "Military AI"
    subheaders = [s.value for s in at.subheader]
    assert "The three conditions" in subheaders and "What would change the assessment" in subheaders


def test_sources_page_searches_passages(env: Path) -> None:
    at = page_app("sources")
    assert at.title[0].value == "Sources"
    assert {"External sources", "The project's own writing"} <= {s.value for s in at.subheader}
    at.text_input(key="sources_query").set_value("hotline crisis communication").run()
    assert not at.exception, at.exception
    assert len(at.expander) >= 3


def test_evaluation_page_empty_then_with_a_report(env: Path) -> None:
    report = env / "eval" / "latest.json"
    report.unlink(missing_ok=True)
    at = page_app("evaluation")
    assert any(c.value == "rag eval" for c in at.code)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        json.dumps(
            {
                "n": 2,
                "backend": "offline",
                "verdict_accuracy": 1.0,
                "condition_accuracy": 0.5,
                "citation_validity": 1.0,
                "latency_ms_p50": 12.0,
                "false_refusal_rate": None,
                "gate_passed": True,
                "per_domain": {"compute-controls": {"n": 1, "verdict_accuracy": 1.0}},
                "questions": [{"id": "q1", "question": "q?", "checks": {"verdict": False}}],
            }
        )
    )
    at = page_app("evaluation")
    assert [m.value for m in at.metric][:2] == ["100%", "50%"]
    assert len(at.dataframe) == 2


def test_password_gate(env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["APP_PASSWORD"] = "s3cret"
    at.run(timeout=FIRST_RUN_S)
    assert not at.chat_input
    at.text_input(key="password_input").set_value("wrong")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert any("not correct" in e.value for e in at.error)
    at.text_input(key="password_input").set_value("s3cret")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert at.chat_input, "signed in: the chat is shown"


def test_a_knowledge_base_that_cannot_be_loaded_is_told_with_a_way_to_try_again(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-knowledge"
    monkeypatch.setenv("RAG_KNOWLEDGE_DIR", str(missing))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run(timeout=120)
    assert not at.exception, at.exception  # a sentence, not a traceback
    # What is missing first depends on the data folder: the folder (no index yet) or its sources.yaml
    # (an index built by the module's other tests is loaded first).
    told = [e.value for e in at.error]
    assert len(told) == 1 and told[0].startswith("The knowledge base could not be loaded: ")
    assert str(missing) in told[0]
    assert not at.chat_input
    next(b for b in at.button if b.label == "Try again").click().run(timeout=120)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == told  # still missing: told again
