"""One answer on screen: verdict, scorecard, text, citations, sources, next questions,
classroom tools and feedback. Every widget key includes the message id, so keys are
stable across reruns and unique per answer."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from rag.answer.schema import Answer
from rag.errors import RagError
from rag.framework import Catalogue
from rag.ui import state
from rag.classroom import discussion_questions, other_side
from rag.ui.components import (
    citation_popovers,
    scorecard,
    sources_list,
    suggestion_buttons,
    verdict_badge,
    verdict_banner,
)
from rag.text import answer_markdown, escape_md

log = logging.getLogger(__name__)


def render_answer(answer: Answer, message_id: str, service: Any) -> None:
    catalogue = service.engine.catalogue
    known = {c.id for c in answer.citations}
    if answer.out_of_scope:
        _refusal(answer, message_id)
        _feedback(message_id)
        return
    if len(answer.comparison) >= 2:
        _comparison(answer, catalogue)
    elif answer.verdict and answer.conditions:
        verdict_banner(answer, catalogue)
        scorecard(answer.conditions)
    for note in answer.notices:
        st.info(escape_md(note), icon=":material/info:")
    st.markdown(answer_markdown(answer.answer, known))
    citation_popovers(answer, catalogue, message_id, service.engine.chunk)
    sources_list(answer, service.engine, message_id)
    suggestion_buttons(answer.suggestions, message_id, state.queue_question)
    _classroom(answer, catalogue, service.engine, message_id)
    _feedback(message_id)


def _refusal(answer: Answer, message_id: str) -> None:
    st.markdown(escape_md(answer.answer))
    for note in answer.notices:
        st.info(escape_md(note), icon=":material/info:")
    st.caption("The Navigator only answers from its curated knowledge base, and never from guesswork.")
    suggestion_buttons(answer.suggestions, message_id, state.queue_question, label="Questions it can answer")


def _comparison(answer: Answer, catalogue: Catalogue) -> None:
    """Side-by-side columns: each compared domain's verdict and ratings."""
    cols = st.columns(len(answer.comparison))
    for col, item in zip(cols, answer.comparison, strict=True):
        with col.container(border=True, height="stretch"):
            st.markdown(f"##### {escape_md(item.name)}")
            st.markdown(f"#### {verdict_badge(item.verdict)}")
            scorecard(item.conditions, compact=True)


def _classroom(answer: Answer, catalogue: Catalogue, engine: Any, message_id: str) -> None:
    questions = discussion_questions(answer, catalogue)
    side = other_side(answer, catalogue, engine.chunk)
    if not questions and side is None:
        return
    known = {c.id for c in answer.citations}
    with st.expander("Classroom tools: discussion questions and the other side", icon=":material/school:"):
        tabs = st.tabs(["Discussion questions", "Argue the other side"])
        with tabs[0]:
            st.markdown("\n".join(f"{i}. {escape_md(q)}" for i, q in enumerate(questions, start=1)))
        with tabs[1]:
            if side is None:
                st.markdown("This answer has no verdict to argue against. Ask about a domain, for example "
                            "*could rivals cooperate on incident reporting?*")
            else:
                st.markdown(f"**{escape_md(side.heading)}**")
                st.caption(escape_md(side.intro) + " Markers point to the passages this answer cited.")
                st.markdown("\n".join(f"- {answer_markdown(p, known)}" for p in side.points))


# -- feedback ------------------------------------------------------------------------
def _save_rating(message_id: str) -> None:
    value = st.session_state.get(f"fb-{message_id}")
    message = state.find_message(message_id)
    if message is None:
        return
    try:
        store = state.feedback_store()
        if value is None:
            store.clear_rating(message_id)
            return
        answer: Answer = message["answer"]
        store.record(message_id, question=message["question"], answer=answer.to_json_dict(),
                     backend=answer.backend, rating="up" if value == 1 else "down")
        st.toast("Thank you: your rating was saved.", icon=":material/thumb_up:")
    except RagError as e:
        log.warning("feedback not saved: %s", e)
        st.toast(f"Your rating could not be saved: {e}", icon=":material/error:")


def _save_comment(message_id: str) -> None:
    text = str(st.session_state.get(f"fbc-{message_id}") or "").strip()
    message = state.find_message(message_id)
    if message is None or not text:
        return
    value = st.session_state.get(f"fb-{message_id}")
    answer: Answer = message["answer"]
    try:
        state.feedback_store().record(
            message_id, question=message["question"], answer=answer.to_json_dict(), backend=answer.backend,
            rating=None if value is None else ("up" if value == 1 else "down"), comment=text,
        )
        st.toast("Thank you: your comment was saved.", icon=":material/chat:")
    except RagError as e:
        log.warning("comment not saved: %s", e)
        st.toast(f"Your comment could not be saved: {e}", icon=":material/error:")


def _feedback(message_id: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption("Was this answer useful?", width="content")
        st.feedback("thumbs", key=f"fb-{message_id}", on_change=_save_rating, args=(message_id,))
    if st.session_state.get(f"fb-{message_id}") is not None:
        with st.form(key=f"fbform-{message_id}", border=False, enter_to_submit=True):
            st.text_input("Add a comment (optional)", key=f"fbc-{message_id}", max_chars=2000,
                          placeholder="What was missing, wrong or especially useful?")
            st.form_submit_button("Send comment", on_click=_save_comment, args=(message_id,))
