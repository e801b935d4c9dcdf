"""Process and session state: the cached Service, the feedback store, session keys, the password gate."""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import streamlit as st

from rag.answer.pipeline import turn_of
from rag.answer.schema import Answer
from rag.config import Settings
from rag.errors import RagError
from rag.feedback import FeedbackStore
from rag.service import Service

log = logging.getLogger(__name__)

# Session keys, initialised once per session (see init_session).
MESSAGES = "messages"  # list of {"id", "question", "answer": Answer}
QUEUED = "queued_question"  # a question chosen by a button, answered on the next run
AUTHENTICATED = "authenticated"
UPLOAD_RESULTS = "upload_results"  # messages about the last batch of uploads
UPLOADER_NONCE = "uploader_nonce"  # changes to empty the file uploader after a batch


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


@st.cache_resource(show_spinner="Preparing the knowledge base (the first start builds the index; about a minute)…")
def _service(fingerprint: str, _settings: Settings) -> Service:
    service = Service(_settings)
    service.navigator.warm()
    return service


def settings() -> Settings:
    return Settings.from_env(secrets=secrets())


def get_service() -> Service:
    """The one Service of this process for these settings (loaded and warmed once)."""
    s = settings()
    try:
        return _service(_fingerprint(s), s)
    except RagError as e:
        st.error(f"The knowledge base could not be loaded: {e}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop() ends the run


@st.cache_resource(show_spinner=False)
def _feedback(path: str) -> FeedbackStore:
    from pathlib import Path

    return FeedbackStore(Path(path))


def feedback_store() -> FeedbackStore:
    return _feedback(str(settings().data_dir / "feedback.sqlite3"))


def init_session() -> None:
    """Session keys get their first value once; widgets then own their own keys."""
    defaults: dict[str, Any] = {MESSAGES: [], QUEUED: None, AUTHENTICATED: False, UPLOAD_RESULTS: [],
                                UPLOADER_NONCE: 0}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


def messages() -> list[dict[str, Any]]:
    init_session()
    return st.session_state[MESSAGES]  # type: ignore[no-any-return]


def answers() -> list[Answer]:
    return [m["answer"] for m in messages()]


def history() -> list[dict[str, Any]]:
    """The earlier turns, in the format the engine expects (rag.answer.pipeline.turn_of)."""
    return [turn_of(a) for a in answers() if not a.out_of_scope]


def add_exchange(question: str, answer: Answer) -> str:
    message_id = uuid.uuid4().hex
    messages().append({"id": message_id, "question": question, "answer": answer})
    return message_id


def find_message(message_id: str) -> dict[str, Any] | None:
    return next((m for m in messages() if m["id"] == message_id), None)


def queue_question(question: str) -> None:
    """Button callback: ask ``question`` on this run."""
    st.session_state[QUEUED] = question


def take_queued() -> str | None:
    question = st.session_state.get(QUEUED)
    st.session_state[QUEUED] = None
    return question if isinstance(question, str) else None


def start_over() -> None:
    """Button callback: forget the conversation (feedback already given stays stored)."""
    for m in messages():
        for prefix in ("fb-", "fbc-"):
            st.session_state.pop(f"{prefix}{m['id']}", None)
    st.session_state[MESSAGES] = []
    st.session_state[QUEUED] = None


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
