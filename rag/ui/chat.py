"""The chat page: ask, read the streamed answer, follow up, export, start over.

Why the page is built from fragments: every rerun of a Streamlit page rebuilds every element
on it, so a page that shows ten answers pays for ten answers on every question. Here a full
run lays out the answers so far, then FREE_SLOTS empty *answer slots* (keyed fragments). A
question (typed, an example, a suggestion) is taken by a widget callback that reruns only the
next free slot (``state.ask``): that slot answers the question and shows it, and nothing else
on the page runs. Each answer is itself a fragment (answer_view.py), so opening a passage,
rating an answer or opening its classroom tools reruns that one answer. When the slots run
out, the conversation reaches MAX_EXCHANGES, or the page is reloaded, one full run lays
everything out again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from rag.answer.schema import Answer
from rag.errors import RagError
from rag.export import conversation_html, conversation_markdown
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITIONS
from rag.text import answer_markdown
from rag.ui import state
from rag.ui.answer_view import answer_fragment
from rag.ui.view import text_block

log = logging.getLogger(__name__)

EXAMPLES = (
    "Could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "Compare technical standards and military AI",
    "What did the DeepSeek case reveal about US-China competition?",
    "Is feasible cooperation always fair?",
    "What does verification feasibility mean?",
)
FREE_SLOTS = 20  # questions answered without a full run of the page
PREVIEW_EVERY_S = 0.1  # the streamed preview is redrawn at most this often


def page() -> None:
    """The chat page: the answers so far, empty answer slots for the next questions, the toolbar and the chat input."""
    service = state.get_service()
    state.init_session()
    st.title("Ask the Navigator")
    st.markdown(
        "When can geopolitical rivals cooperate on AI governance? Each answer weighs three conditions "
        "and cites the exact passages it rests on."
    )
    _intro()
    exchanges = state.messages()
    for m in exchanges:
        _exchange(m)
    first_free = len(exchanges)
    end = min(first_free + FREE_SLOTS, state.MAX_EXCHANGES)
    for n in range(first_free, max(end, first_free + 1)):
        _slot(n)
    st.session_state[state.SLOTS_END] = end
    _toolbar(service)
    st.chat_input(
        "Ask about cooperation between rivals, e.g. could rivals cooperate on compute controls?",
        key=state.CHAT_INPUT,
        max_chars=2000,
        on_submit=state.submit_chat,
    )


@st.fragment(key=state.INTRO_KEY)
def _intro() -> None:
    """The empty state: the three conditions and example questions (gone once a question is asked)."""
    if state.messages():
        return
    cols = st.columns(len(CONDITIONS))
    for n, (col, cid) in enumerate(zip(cols, CONDITIONS, strict=True), start=1):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{n}. {CONDITION_NAMES[cid]}**")
            st.caption(CONDITION_QUESTIONS[cid])
    st.markdown("#### Try a question")
    pair = st.columns(2)
    for i, q in enumerate(EXAMPLES):
        pair[i % 2].button(
            q, key=f"example-{i}", on_click=state.ask, args=(q,), icon=":material/chat_bubble:", width="stretch"
        )
    st.caption(
        "Works offline. Your questions stay on this machine unless an LLM endpoint is configured "
        "(see the sidebar). Questions may be in any language."
    )


_SLOTS: dict[int, Callable[[], None]] = {}


def _slot(n: int) -> None:
    """Answer slot ``n``: a fragment keyed ``chat-slot-n`` (one wrapper per index, shared by all sessions)."""
    run = _SLOTS.get(n)
    if run is None:
        run = _SLOTS.setdefault(n, st.fragment(lambda: _fill_slot(n), key=state.slot_key(n)))
    run()


def _fill_slot(n: int) -> None:
    """Show exchange ``n`` if it exists; if it is the next one and a question waits, answer it here."""
    state.keep_gc_cheap()
    exchanges = state.messages()
    if n < len(exchanges):
        _exchange(exchanges[n])
        return
    if n != len(exchanges):
        return
    question = state.take_queued()
    if question and question.strip():
        _ask(question.strip(), state.get_service())


def _exchange(m: dict[str, Any]) -> None:
    body, align = m["view"].question
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(body, text_alignment=align)
    with st.chat_message("assistant", avatar=":material/explore:"):
        answer_fragment(m["id"])


@st.fragment(key=state.TOOLBAR_KEY)
def _toolbar(service: Any) -> None:
    """Start over and the two downloads; the files are built when a button is pressed, from the
    conversation as it is then (the list object is the session's own, changed in place)."""
    exchanges = state.messages()
    if not exchanges:
        return
    engine = service.engine

    def markdown_file() -> str:
        return conversation_markdown([m["answer"] for m in list(exchanges)], engine.catalogue, engine.chunk)

    def html_file() -> str:
        return conversation_html([m["answer"] for m in list(exchanges)], engine.catalogue, engine.chunk)

    st.divider()
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button("Start over", key="start_over", on_click=state.start_over, icon=":material/restart_alt:")
        st.download_button(
            "Download as Markdown",
            data=markdown_file,
            file_name="navigator-conversation.md",
            mime="text/markdown",
            key="export_md",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "Download printable handout",
            data=html_file,
            file_name="navigator-handout.html",
            mime="text/html",
            key="export_html",
            on_click="ignore",
            icon=":material/print:",
        )


def _ask(question: str, service: Any) -> None:
    """Show the question, stream the answer as a preview, store it, and show it in place."""
    shown, align = text_block(question)
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(shown, text_alignment=align)
    final: Answer | None = None
    with st.chat_message("assistant", avatar=":material/explore:"):
        preview = st.empty()
        preview.markdown("*Reading the knowledge base and weighing the three conditions…*")
        text = ""
        started = last_drawn = time.perf_counter()
        try:
            for item in service.ask_stream(question, state.history()):
                if isinstance(item, str):
                    text += item
                    if time.perf_counter() - last_drawn >= PREVIEW_EVERY_S:  # offline answers come at once
                        preview.markdown(answer_markdown(text) + " ▌")
                        last_drawn = time.perf_counter()
                else:  # the final Answer (not checked by class: a code reload in development makes a new one)
                    final = item
        except RagError as e:
            preview.empty()
            st.error(f"This question could not be answered: {e}", icon=":material/error:")
            return
        except Exception:
            log.exception("answering failed")
            preview.empty()
            st.error(
                "Something went wrong while answering. Please try again or rephrase the question.",
                icon=":material/error:",
            )
            return
        log.info("answered in %.0f ms", (time.perf_counter() - started) * 1000)
        if final is None:
            preview.empty()
            st.error("No answer came back. Please try again.", icon=":material/error:")
            return
        before = len(state.messages())
        message = state.add_exchange(question, final, service)
        if len(state.messages()) <= before:  # the oldest exchange was let go: lay the page out again
            st.rerun()
        with preview.container():
            answer_fragment(message["id"])
