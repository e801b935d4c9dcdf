"""The chat page: ask, read the streamed answer, follow up, export, start over."""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st

from rag.answer.schema import Answer
from rag.errors import RagError
from rag.export import conversation_html, conversation_markdown
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITIONS
from rag.ui import state
from rag.ui.answer_view import render_answer
from rag.text import answer_markdown, escape_md

log = logging.getLogger(__name__)

EXAMPLES = (
    "Could rivals cooperate on compute controls?",
    "Is incident reporting between rival states feasible?",
    "Compare technical standards and military AI",
    "What did the DeepSeek case reveal about US-China competition?",
    "Is feasible cooperation always fair?",
    "What does verification feasibility mean?",
)


def page() -> None:
    service = state.get_service()
    state.init_session()
    st.title("Ask the Navigator")
    st.markdown("When can geopolitical rivals cooperate on AI governance? Each answer weighs three conditions "
                "and cites the exact passages it rests on.")
    exchanges = state.messages()
    if not exchanges:
        _empty_state()
    for m in exchanges:
        _exchange(m, service)
    if exchanges:
        _toolbar(service)
    typed = st.chat_input("Ask about cooperation between rivals, e.g. could rivals cooperate on compute controls?",
                          key="chat_input", max_chars=2000)
    question = typed or state.take_queued()
    if question and question.strip():
        _ask(question.strip(), service)


def _empty_state() -> None:
    cols = st.columns(len(CONDITIONS))
    for n, (col, cid) in enumerate(zip(cols, CONDITIONS, strict=True), start=1):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{n}. {CONDITION_NAMES[cid]}**")
            st.caption(CONDITION_QUESTIONS[cid])
    st.markdown("#### Try a question")
    pair = st.columns(2)
    for i, q in enumerate(EXAMPLES):
        pair[i % 2].button(q, key=f"example-{i}", on_click=state.queue_question, args=(q,),
                           icon=":material/chat_bubble:", width="stretch")
    st.caption("Works offline. Your questions stay on this machine unless an LLM endpoint is configured "
               "(see the sidebar).")


def _exchange(m: dict[str, Any], service: Any) -> None:
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(escape_md(m["question"]))
    with st.chat_message("assistant", avatar=":material/explore:"):
        render_answer(m["answer"], m["id"], service)


def _toolbar(service: Any) -> None:
    engine = service.engine
    answers = state.answers()
    st.divider()
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button("Start over", key="start_over", on_click=state.start_over, icon=":material/restart_alt:")
        st.download_button(
            "Download as Markdown", data=conversation_markdown(answers, engine.catalogue, engine.chunk),
            file_name="navigator-conversation.md", mime="text/markdown", key="export_md", on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "Download printable handout", data=conversation_html(answers, engine.catalogue, engine.chunk),
            file_name="navigator-handout.html", mime="text/html", key="export_html", on_click="ignore",
            icon=":material/print:",
        )


def _ask(question: str, service: Any) -> None:
    """Show the question, stream the answer as a preview, store it, and rerun to render it fully."""
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(escape_md(question))
    final: Answer | None = None
    with st.chat_message("assistant", avatar=":material/explore:"):
        preview = st.empty()
        preview.markdown("*Reading the knowledge base and weighing the three conditions…*")
        text = ""
        started = time.perf_counter()
        try:
            for item in service.ask_stream(question, state.history()):
                if isinstance(item, str):
                    text += item
                    preview.markdown(answer_markdown(text) + " ▌")
                else:  # the final Answer (not checked by class: a code reload in development makes a new one)
                    final = item
        except RagError as e:
            preview.empty()
            st.error(f"This question could not be answered: {e}", icon=":material/error:")
            return
        except Exception:
            log.exception("answering failed")
            preview.empty()
            st.error("Something went wrong while answering. Please try again or rephrase the question.",
                     icon=":material/error:")
            return
        log.info("answered in %.0f ms", (time.perf_counter() - started) * 1000)
    if final is None:
        st.error("No answer came back. Please try again.", icon=":material/error:")
        return
    state.add_exchange(question, final)
    st.rerun()
