"""Small pieces every page uses: verdict and rating badges, passages, citation markers, source lists.

Colour is never the only signal: every badge has an icon of its own shape and words.
Document and passage text is always escaped (rag.text); links are only drawn for
http(s) addresses that come from the curated catalogue. Passages and expanders whose
content is long are lazy: their content is built only while they are selected or open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import streamlit as st

from rag.answer.schema import Answer, CitationOut
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITIONS, Catalogue
from rag.text import escape_md, phrase, readable_refs, safe_link, short
from rag.ui.view import AnswerView, text_block

__all__ = [
    "KIND_WORDS",
    "citation_chips",
    "citation_detail",
    "passage_body",
    "rating_badge",
    "safe_link",
    "scorecard",
    "sources_list",
    "suggestion_buttons",
    "verdict_badge",
    "verdict_banner",
]

# (Streamlit colour, Material icon, words)
VERDICT_STYLE: dict[str, tuple[str, str, str]] = {
    "feasible": ("green", ":material/check_circle:", "Feasible"),
    "mixed": ("orange", ":material/contrast:", "Mixed"),
    "infeasible": ("red", ":material/block:", "Not feasible"),
}
RATING_STYLE: dict[str, tuple[str, str, str]] = {
    "met": ("green", ":material/check_circle:", "Met"),
    "partial": ("orange", ":material/contrast:", "Partly met"),
    "not_met": ("red", ":material/cancel:", "Not met"),
    "unknown": ("gray", ":material/help:", "Unknown"),
}
NOT_ASSESSED = ("gray", ":material/help:", "Not assessed")
KIND_WORDS = {
    "framework": "framework",
    "case": "case study",
    "research": "research",
    "precedent": "precedent",
    "domain": "domain catalogue",
    "user": "your document",
    "quotation": "quotation",
}


def verdict_badge(verdict: str) -> str:
    """Markdown for a verdict label, e.g. ``:red-background[:material/block: Not feasible]``."""
    colour, icon, words = VERDICT_STYLE[verdict]
    return f":{colour}-background[{icon} {words}]"


def rating_badge(rating: str, *, not_assessed: bool = False) -> str:
    """Markdown for a rating label: colour, an icon of its own shape, and words.

    ``not_assessed``: an area the catalogue does not assess, whose "unknown" reads "Not assessed".
    """
    colour, icon, words = NOT_ASSESSED if not_assessed and rating == "unknown" else RATING_STYLE[rating]
    return f"**:{colour}-background[{icon} {words}]**"


def verdict_banner(answer: Answer, catalogue: Catalogue) -> None:
    """The overall verdict for the answer's domain: badge, domain name and what it means."""
    if not answer.verdict or not answer.domains:
        return
    domain = catalogue.domains.get(answer.domains[0])
    name = domain.name if domain else answer.domains[0]
    with st.container(border=True, horizontal=True, vertical_alignment="center", gap="medium"):
        st.markdown(f"### {verdict_badge(answer.verdict)}", width="content")
        st.markdown(
            f"**Verdict on cooperation between rivals: {escape_md(phrase(name))}**  \n"
            "Reached condition by condition from the cited passages, below."
        )


def not_assessed_banner() -> None:
    """The banner of an area the catalogue does not assess: no verdict, evidence per condition."""
    with st.container(border=True, horizontal=True, vertical_alignment="center", gap="medium"):
        st.markdown(f"### :gray-background[{NOT_ASSESSED[1]} No verdict]", width="content")
        st.markdown(
            "**The catalogue does not assess this area.**  \nEach condition below lays out the evidence "
            "found for it; no verdict is given, and no other area's ratings are borrowed."
        )


def scorecard(conditions: Mapping[Any, Any], *, compact: bool = False, not_assessed: bool = False) -> None:
    """The three conditions: rating (colour, icon, words) and the question each asks."""
    if compact:
        lines = [
            f"{CONDITION_NAMES[c]}: {rating_badge(conditions[c].rating, not_assessed=not_assessed)}"
            for c in CONDITIONS
            if c in conditions
        ]
        st.markdown("  \n".join(lines))
        return
    with st.container(horizontal=True, gap="small"):
        for cid in CONDITIONS:
            cond = conditions.get(cid)
            if cond is None:
                continue
            marks = " ".join(f":blue-badge[{m}]" for m in cond.citations)
            evidence = f"  \n:small[:gray[Evidence:]] {marks}" if marks else ""
            with st.container(border=True, height="stretch"):
                st.markdown(
                    f"**{CONDITION_NAMES[cid]}**  \n{rating_badge(cond.rating, not_assessed=not_assessed)}  \n"
                    f":small[:gray[{CONDITION_QUESTIONS[cid]}]]{evidence}"
                )


def passage_body(text: str, catalogue: Catalogue, *, from_user: bool) -> None:
    """A passage, escaped; inline citations of the curated base shown as (title, locator), the
    project's own writing as "the project's reading"; right-to-left text in its own direction."""
    body, align = text_block(text if from_user else readable_refs(text, catalogue.sources))
    with st.container(border=True):
        st.markdown(body, text_alignment=align)


def _chip_label(by_id: Mapping[str, Any], cid: str) -> str:
    return f"{cid} · {short(by_id[cid].locator, 28)}"


def citation_chips(view: AnswerView, key: str) -> None:
    """The cited passages grouped by source: per source, its header and its markers as one row of
    pills (one widget, however many markers), and under it the passage of the selected marker.
    A passage is built only while its marker is selected (selecting reruns just this answer)."""
    if not view.answer.citations:
        return
    st.markdown("**Cited passages** · select a marker to read the exact passage")
    with st.container(border=True, gap="small"):
        for n, group in enumerate(view.groups):
            by_id = {c.id: c for c in group.citations}
            chosen = st.pills(
                group.header,
                list(by_id),
                format_func=partial(_chip_label, by_id),
                key=f"cite-{key}-{n}",
            )
            if chosen in by_id:
                with st.container(border=True, key=f"passage-{key}-{n}"):
                    citation_detail(view, by_id[chosen])


def citation_detail(view: AnswerView, c: CitationOut) -> None:
    """The cited passage in full: what it is (an external source, the project's note or assessment,
    your document), what it is based on, where in it, the text, and a link to the source when known."""
    att = view.attributions[c.id]
    st.markdown(f"**[{c.id}] {escape_md(att.header)}**")
    if att.based_on:
        st.markdown(based_on_line(view, c))
    chunk = view.chunk(c)
    if chunk is not None and chunk.doc_title:
        st.caption(escape_md(f"In: {chunk.doc_title} › {chunk.section}"))
    source = view.catalogue.sources.get(c.source_id)
    where = [escape_md(c.locator)]
    if att.from_user:
        where.append("from your documents")
    elif att.own:
        where.append("the project's own writing" if att.kind == "note" else "the project's own assessment")
    elif source is not None:
        where.append(escape_md(source.kind))
        if source.confidence == "S3":
            where.append(":orange-badge[unconfirmed source]")
    st.caption(" · ".join(where))
    body, align = view.passage(c)
    with st.container(border=True):
        st.markdown(body, text_alignment=align)
    link = None if att.from_user else safe_link(c.url)
    if link:
        st.markdown(f"[Open the source]({link})")


def based_on_line(view: AnswerView, c: CitationOut) -> str:
    """The citation's "Based on: ..." line (the sources the project's writing draws on), in small type."""
    from rag.text import based_on_markdown

    return ":small[" + based_on_markdown(view.attributions[c.id]) + "]"


def sources_list(view: AnswerView, key: str) -> None:
    """Everything the answer retrieved: what it cited, then what it also retrieved but did not use
    (the list is built when the expander is first opened, and kept)."""
    answer = view.answer
    cited_ids = {c.chunk_id for c in answer.citations}
    also_n = len([i for i in answer.retrieved if i not in cited_ids])
    label = f"Sources: {len(answer.citations)} cited, {also_n} also retrieved"
    with st.expander(label, icon=":material/menu_book:", key=f"src-{key}", on_change="rerun") as box:
        if not box.open:
            return
        cited, also = view.sources_lines
        if cited:
            st.markdown("**Cited in this answer**\n\n" + "\n".join(cited))
        if also:
            st.markdown("**Also retrieved, not cited**\n\n" + "\n".join(also))


def suggestion_buttons(suggestions: Sequence[str], key: str, on_pick: Any, label: str) -> None:
    """One button per suggested question under ``label`` (nothing when there are none); a click calls
    ``on_pick`` with the question."""
    if not suggestions:
        return
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.markdown(f"**{label}**", width="content")
        for i, s in enumerate(suggestions):
            st.button(s, key=f"sug-{key}-{i}", on_click=on_pick, args=(s,), icon=":material/arrow_forward:")
