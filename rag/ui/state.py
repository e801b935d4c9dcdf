"""Process and session state: the cached Service, the feedback store, session keys, the password gate.

A session keeps its conversation as a list of messages ``{"id", "question", "answer", "view"}``:
the Answer and its AnswerView (the strings the page shows, derived once). The list is bounded
(MAX_EXCHANGES); the oldest exchange and its widget state go when a new one would exceed it.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import itertools
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from rag.answer.pipeline import turn_of
from rag.answer.schema import Answer
from rag.config import Settings
from rag.engine import Engine
from rag.errors import RagError
from rag.feedback import FeedbackStore
from rag.service import Service
from rag.ui import preparing
from rag.ui.view import AnswerView

log = logging.getLogger(__name__)

# Session keys, initialised once per session (see init_session).
MESSAGES = "messages"  # list of {"id", "question", "answer": Answer, "view": AnswerView}
QUEUED = "queued_question"  # a question chosen by a button or typed, answered on the next run
AUTHENTICATED = "authenticated"
UPLOAD_RESULTS = "upload_results"  # messages about the last batch of uploads
UPLOADER_NONCE = "uploader_nonce"  # changes to empty the file uploader after a batch
SLOTS_END = "chat_slots_end"  # the chat page's free answer slots (chat.py) end before this index
CHAT_INPUT = "chat_input"
MAX_EXCHANGES = 40  # a session keeps (and shows) at most this many exchanges
# Widget keys that belong to one message: prefix + message id (+ "-" + the source group's number for citations).
MESSAGE_KEY_PREFIXES = ("fb-", "fbc-", "fbform-", "cite-", "src-", "class-", "sug-")


def secrets() -> dict[str, Any]:
    """st.secrets as a plain dict; empty when the app has no secrets file."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets.toml, or one that does not parse
        return {}


def _fingerprint(settings: Settings) -> str:
    """A cache key naming every setting; the key itself only as a short hash."""
    key = settings.openai_api_key or ""
    return repr(settings) + hashlib.sha256(key.encode()).hexdigest()[:12]


FULL_GC_EVERY = 200  # runs between two full garbage collections (see keep_gc_cheap)
_runs = itertools.count(1)


def keep_gc_cheap() -> None:
    """Called at the start of every run and answer fragment: keep Streamlit's collection after the run
    (runner.postScriptGC, a full gc.collect) to the objects this run creates.

    Measured on the classroom benchmark, that collection cost more than the rest of an answer:
    it walks every object alive in the process (all sessions' answers, Streamlit's state), so it
    grows with the class. Objects that already survived a run are frozen out of its reach; every
    FULL_GC_EVERY runs nothing is frozen, so that run's collection is a full one and reclaims any
    reference cycles that became garbage meanwhile.
    """
    if next(_runs) % FULL_GC_EVERY == 0:
        gc.unfreeze()
    else:
        gc.freeze()


READY_WAIT_S = 1.5  # a later start loads in about a second: the page waits that long before showing progress
# Then the progress page runs again this often. Each run costs the server and the browser about
# 50 and 30 ms of CPU (a page polling each second: 3.4 + 3.8 s a minute, against 0.3 + 2.1 s for a
# page that does not change; each 2 s: 2.1 + 3.1 s), taken from the preparation on two cores.
POLL_S = 2.0


def _build(settings: Settings, reporter: preparing.Reporter) -> Service:
    """The service, its index built and its routers trained, reporting each step to ``reporter``."""
    engine = Engine(settings, notice=reporter.notice, bar=reporter.bar)
    service = Service(settings, engine=engine)
    engine.ensure_index(progress=reporter.bar("embedding the knowledge base"))
    service.navigator.warm()
    gc.collect()  # the model, the index and the catalogue live as long as the process: no need to
    gc.freeze()  # walk them in every collection (see keep_gc_cheap)
    return service


@st.cache_resource(show_spinner=False)
def _preparation(fingerprint: str, _settings: Settings) -> preparing.Preparation[Service]:
    return preparing.Preparation(lambda reporter: _build(_settings, reporter))


def settings() -> Settings:
    """The settings from the environment and the app's secrets, read anew on each call."""
    return Settings.from_env(secrets=secrets())


def get_service() -> Service:
    """The one Service of this process for these settings (loaded and warmed once). Until it is
    ready, the run shows how far its preparation got and ends, to run again in POLL_S seconds."""
    s = settings()
    key = _fingerprint(s)
    preparation = _preparation(key, s)
    # Wait out the preparation's first READY_WAIT_S only: a later run draws its page at once (a run
    # that waits before drawing leaves the last run's page greyed out as stale meanwhile). Outside a
    # Streamlit server (`python app.py`, bare mode) there is no page to update: wait for the service.
    bare = not st.runtime.exists()
    service = preparation.result(wait=None if bare else max(0.0, READY_WAIT_S - preparation.seconds))
    if service is not None:
        return service
    status = preparation.status()
    if status.error is not None:
        st.error(f"The knowledge base could not be loaded: {status.error}", icon=":material/error:")
        if st.button("Try again", icon=":material/refresh:"):
            _preparation.clear(key, s)  # this one only: another settings' service stays
            st.rerun()
        st.stop()
        raise RagError(status.error)  # bare mode only: there st.stop() returns
    preparing.show(status)
    preparation.result(wait=POLL_S)
    st.rerun()


@st.cache_resource(show_spinner=False)
def _feedback(path: str) -> FeedbackStore:
    from pathlib import Path

    return FeedbackStore(Path(path))


def feedback_store() -> FeedbackStore:
    """The feedback store in the data folder (one per process and path)."""
    return _feedback(str(settings().data_dir / "feedback.sqlite3"))


def init_session() -> None:
    """Session keys get their first value once; widgets then own their own keys."""
    defaults: dict[str, Any] = {
        MESSAGES: [],
        QUEUED: None,
        AUTHENTICATED: False,
        UPLOAD_RESULTS: [],
        UPLOADER_NONCE: 0,
        SLOTS_END: 0,
    }
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


def messages() -> list[dict[str, Any]]:
    """The conversation; the same list object for the whole session (changed in place)."""
    init_session()
    return st.session_state[MESSAGES]  # type: ignore[no-any-return]


def answers() -> list[Answer]:
    """The answers of the conversation, oldest first."""
    return [m["answer"] for m in messages()]


def history() -> list[dict[str, Any]]:
    """The earlier turns, in the format the engine expects (rag.answer.pipeline.turn_of)."""
    return [turn_of(a) for a in answers() if not a.out_of_scope]


def add_exchange(question: str, answer: Answer, service: Any) -> dict[str, Any]:
    """Store an answered question (dropping the oldest beyond MAX_EXCHANGES) and return its message."""
    engine = service.engine
    message = {
        "id": uuid.uuid4().hex,
        "question": question,
        "answer": answer,
        "view": AnswerView(answer, engine.catalogue, engine.chunk),
    }
    kept = messages()
    kept.append(message)
    while len(kept) > MAX_EXCHANGES:
        _forget_widgets(kept.pop(0)["id"])
    return message


def _forget_widgets(message_id: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(MESSAGE_KEY_PREFIXES)]:
        if message_id in key:
            st.session_state.pop(key, None)


def find_message(message_id: str) -> dict[str, Any] | None:
    """The message with id ``message_id``; None when the conversation no longer holds it."""
    return next((m for m in messages() if m["id"] == message_id), None)


def queue_question(question: str) -> None:
    """Ask ``question`` on the chat page's next run (from a page body, e.g. before switch_page)."""
    st.session_state[QUEUED] = question


def ask(question: str) -> None:
    """Widget callback: ask ``question``, rerunning only the chat page's next free answer slot
    when there is one (chat.py), so the answers already on the page are not rebuilt."""
    st.session_state[QUEUED] = question
    n = len(messages())
    if n >= MAX_EXCHANGES or n >= st.session_state.get(SLOTS_END, 0):
        return  # no free slot: the whole page reruns
    try:
        st.rerun([slot_key(n)] + ([INTRO_KEY, TOOLBAR_KEY] if n == 0 else []))
    except StreamlitAPIException:  # a slot this session never rendered: the whole page reruns
        log.debug("no answer slot %d; full rerun", n)


def submit_chat() -> None:
    """The chat input's on_submit callback."""
    value = st.session_state.get(CHAT_INPUT)
    text = value if isinstance(value, str) else getattr(value, "text", None)
    if text and text.strip():
        ask(text.strip())


def slot_key(n: int) -> str:
    """The fragment key of the chat page's answer slot ``n``."""
    return f"chat-slot-{n}"


INTRO_KEY = "chat-intro"
TOOLBAR_KEY = "chat-toolbar"


def take_queued() -> str | None:
    """The question waiting to be answered, if any; it is no longer queued afterwards."""
    question = st.session_state.get(QUEUED)
    st.session_state[QUEUED] = None
    return question if isinstance(question, str) else None


def start_over() -> None:
    """Button callback: forget the conversation (feedback already given stays stored) and lay the
    whole page out again, so every answer slot is emptied."""
    for m in messages():
        _forget_widgets(m["id"])
    messages().clear()
    st.session_state[QUEUED] = None
    st.rerun()


def require_password(config: Mapping[str, Any]) -> bool:
    """True when the app has no APP_PASSWORD or this session gave it; otherwise shows the sign-in form."""
    expected = config.get("APP_PASSWORD")
    if not expected:
        return True
    init_session()
    if st.session_state[AUTHENTICATED]:
        return True
    st.title("Competitive Cooperation Navigator")
    st.write("This installation is protected. Enter the access password you were given.")
    with st.form("sign_in", border=True):
        entered = st.text_input("Access password", type="password", key="password_input")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if hmac.compare_digest(entered.encode("utf-8"), str(expected).encode("utf-8")):
            st.session_state[AUTHENTICATED] = True
            st.rerun()
        st.error("That password is not correct.", icon=":material/lock:")
    return False
