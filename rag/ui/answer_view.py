"""One answer on screen: verdict (or overview, or the framework applied to an unassessed area),
scorecard, text, citations, sources, next questions, classroom tools and feedback.

Each answer is a fragment: opening a passage, the sources, the classroom tools, or rating the
answer reruns this answer alone. Every widget key includes the message id, so keys are stable
across reruns and unique per answer. What is shown comes from the message's AnswerView, derived
once per answer (view.py).
"""

from __future__ import annotations

import logging

import streamlit as st

from rag.answer.schema import Answer
from rag.errors import RagError
from rag.export import FOLLOW_UP_WORDS, follow_up_reading
from rag.multilingual import string_table
from rag.text import answer_markdown, escape_md
from rag.ui import state
from rag.ui.components import (
    citation_chips,
    not_assessed_banner,
    scorecard,
    sources_list,
    suggestion_buttons,
    verdict_badge,
    verdict_banner,
)
from rag.ui.view import ORIGIN_WORDS, AnswerView

log = logging.getLogger(__name__)


@st.fragment
def answer_fragment(message_id: str) -> None:
    """The answer of message ``message_id`` (nothing when the conversation no longer holds it)."""
    state.keep_gc_cheap()
    message = state.find_message(message_id)
    if message is None:
        return
    render_answer(message["view"], message_id)


def render_answer(view: AnswerView, message_id: str) -> None:
    """One answer in full: a refusal, or the verdict (or overview, or comparison), text, sources, tools, feedback."""
    answer = view.answer
    if answer.out_of_scope:
        _refusal(view, message_id)
        _feedback(message_id)
        return
    if (read_as := follow_up_reading(answer)) is not None:
        # how a follow-up was understood: "why?" alone says nothing, the conversation says what
        st.caption(f"{FOLLOW_UP_WORDS} {escape_md(read_as)}")
    if answer.overview:
        overview(view)
    elif len(answer.comparison) >= 2:
        _comparison(answer)
    elif answer.verdict and answer.conditions:
        verdict_banner(answer, view.catalogue)
        scorecard(answer.conditions)
    elif answer.conditions and view.not_assessed:
        not_assessed_banner()
        scorecard(answer.conditions, not_assessed=True)
    if answer.analogies:
        analogies(view)
    for note in view.notices:
        st.info(note, icon=":material/info:")
    body, align = view.body
    st.markdown(body, text_alignment=align)
    citation_chips(view, message_id)
    sources_list(view, message_id)
    suggestion_buttons(
        answer.suggestions, message_id, state.ask, string_table().get(answer.language, "headings.ask_next")
    )
    _classroom(view, message_id)
    _feedback(message_id)


def _refusal(view: AnswerView, message_id: str) -> None:
    body, align = view.body
    st.markdown(body, text_alignment=align)
    for note in view.notices:
        st.info(note, icon=":material/info:")
    st.caption("The Navigator only answers from its curated knowledge base, and never from guesswork.")
    label = string_table().get(view.answer.language, "headings.can_answer")
    suggestion_buttons(view.answer.suggestions, message_id, state.ask, label)


def _comparison(answer: Answer) -> None:
    """Side-by-side columns: each compared domain's verdict and ratings."""
    cols = st.columns(len(answer.comparison))
    for col, item in zip(cols, answer.comparison, strict=True):
        with col.container(border=True, height="stretch"):
            st.markdown(f"##### {escape_md(item.name)}\n#### {verdict_badge(item.verdict)}")
            scorecard(item.conditions, compact=True)


def overview(view: AnswerView) -> None:
    """The areas an overview puts forward, grouped by verdict; in each group the talk's lists first."""
    groups = view.overview_groups
    if not groups:
        return
    st.caption("The areas this answer puts forward, grouped by verdict (the talk's own lists first).")
    with st.container(horizontal=True, gap="small"):
        for verdict, items in groups:
            lines = [
                f"- **{escape_md(d.name)}** :small[:gray[{ORIGIN_WORDS.get(d.origin, escape_md(d.origin))}]]"
                if d.origin
                else f"- **{escape_md(d.name)}**"
                for d in items
            ]
            with st.container(border=True, height="stretch"):
                st.markdown(f"#### {verdict_badge(verdict)}\n\n" + "\n".join(lines))


def analogies(view: AnswerView) -> None:
    """The nearest assessed areas, labelled as analogies: their verdicts are not this area's."""
    lines = [
        f"- {escape_md(a.name)}: {verdict_badge(a.verdict)} :small[:gray[similarity {a.similarity:.2f}]]"
        for a in view.answer.analogies
    ]
    st.markdown(
        "**Nearest assessed areas (analogies only)**\n\n" + "\n".join(lines) + "\n\n"
        ":small[:gray[Verdicts on other areas, shown for comparison: they are not a verdict on this one.]]"
    )


def _classroom(view: AnswerView, message_id: str) -> None:
    """Discussion questions and "argue the other side", built when the expander is first opened."""
    if not view.has_classroom:
        return
    with st.expander(
        "Classroom tools: discussion questions and the other side",
        icon=":material/school:",
        key=f"class-{message_id}",
        on_change="rerun",
    ) as box:
        if not box.open:
            return
        questions, side = view.discussion, view.other_side
        tabs = st.tabs(["Discussion questions", "Argue the other side"])
        with tabs[0]:
            st.markdown("\n".join(f"{i}. {escape_md(q)}" for i, q in enumerate(questions, start=1)))
        with tabs[1]:
            if side is None:
                st.markdown(
                    "This answer has no verdict to argue against. Ask about a domain, for example "
                    "*could rivals cooperate on incident reporting?*"
                )
            else:
                st.markdown(f"**{escape_md(side.heading)}**")
                st.caption(escape_md(side.intro) + " Markers point to the passages this answer cited.")
                st.markdown("\n".join(f"- {answer_markdown(p, view.known)}" for p in side.points))


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
        store.record(
            message_id,
            question=message["question"],
            answer=answer.to_json_dict(),
            backend=answer.backend,
            rating="up" if value == 1 else "down",
        )
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
            message_id,
            question=message["question"],
            answer=answer.to_json_dict(),
            backend=answer.backend,
            rating=None if value is None else ("up" if value == 1 else "down"),
            comment=text,
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
            st.text_input(
                "Add a comment (optional)",
                key=f"fbc-{message_id}",
                max_chars=2000,
                placeholder="What was missing, wrong or especially useful?",
            )
            st.form_submit_button("Send comment", on_click=_save_comment, args=(message_id,))


__all__ = ["analogies", "answer_fragment", "overview", "render_answer"]
