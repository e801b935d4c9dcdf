"""The sources page: a search over all passages, the bibliography (the project's own writing apart from
external sources), and each source's passages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from rag.framework import OWN_KINDS, Catalogue, Source
from rag.text import escape_md
from rag.ui import state
from rag.ui.components import KIND_WORDS, passage_body, safe_link

CONFIDENCE_WORDS = {"S1": "S1 · confirmed", "S2": "S2 · secondary", "S3": "⚠ S3 · unconfirmed"}
PER_PAGE = 10


def bibliography_frame(catalogue: Catalogue, counts: dict[str, int], *, own: bool = False) -> pd.DataFrame:
    """The external sources (or, with ``own``, the project's notes and assessments), most passages first."""
    rows = []
    for s in catalogue.sources.values():
        if (s.kind in OWN_KINDS) != own:
            continue
        rows.append(
            {
                "Title": s.title,
                "Kind": s.kind,
                "Confidence": CONFIDENCE_WORDS.get(s.confidence or "", "not rated"),
                "Passages": counts.get(s.id, 0),
                "Link": safe_link(s.link),
                "By": s.byline,
            }
        )
    columns = ["Title", "Kind", "Confidence", "Passages", "Link", "By"]
    return pd.DataFrame(rows, columns=columns).sort_values(["Passages", "Title"], ascending=[False, True])


COLUMNS = {
    "Title": st.column_config.TextColumn("Title", width="large"),
    "Kind": st.column_config.TextColumn("Kind", width="small"),
    "Confidence": st.column_config.TextColumn("Confidence", width="small"),
    "Link": st.column_config.LinkColumn("Link", display_text="open", width="small"),
    "Passages": st.column_config.NumberColumn("Passages", width="small"),
    "By": st.column_config.TextColumn("By", width="medium"),
}


def page() -> None:
    """The sources page: passage search, external sources, the project's own writing, one chosen source's passages."""
    service = state.get_service()
    engine = service.engine
    catalogue: Catalogue = engine.catalogue
    chunks = engine.all_chunks(("knowledge",))
    counts: dict[str, int] = {}
    for c in chunks:
        counts[c.source_id] = counts.get(c.source_id, 0) + 1
    st.title("Sources")
    st.markdown(
        f"The knowledge base rests on **{len(catalogue.sources)} sources**, split into "
        f"**{len(chunks)} passages**. Answers cite passages, never whole documents."
    )
    _search(engine, catalogue)
    st.subheader("External sources", anchor=False)
    st.caption(
        "Talks, papers, articles and official documents, quoted or summarised in the passages. "
        "Confidence: S1 confirmed in the source itself; S2 seen through a secondary report; "
        "S3 unconfirmed (treat with care)."
    )
    st.dataframe(bibliography_frame(catalogue, counts), hide_index=True, width="stretch", column_config=COLUMNS)
    own = bibliography_frame(catalogue, counts, own=True)
    if not own.empty:
        st.subheader("The project's own writing", anchor=False)
        st.caption(
            "Notes and domain assessments written for this project. They draw on the external sources "
            'above and say which ones ("based on"); their judgements are the project\'s reading, '
            "not the sources' own words."
        )
        st.dataframe(own.drop(columns=["Confidence", "Link"]), hide_index=True, width="stretch", column_config=COLUMNS)
    st.subheader("Read a source's passages", anchor=False)
    ids = sorted(
        catalogue.sources,
        key=lambda i: (catalogue.sources[i].kind in OWN_KINDS, -counts.get(i, 0), catalogue.sources[i].title.lower()),
    )
    chosen = st.selectbox("Source", ids, key="sources_pick", format_func=lambda i: _pick_label(catalogue, i, counts))
    _source_card(catalogue.sources[chosen], [c for c in chunks if c.source_id == chosen], catalogue)


def _pick_label(catalogue: Catalogue, sid: str, counts: dict[str, int]) -> str:
    s = catalogue.sources[sid]
    mine = "" if s.kind not in OWN_KINDS else " · the project's own writing"
    return f"{s.title} ({counts.get(sid, 0)} passages){mine}"


def _search(engine: Any, catalogue: Catalogue) -> None:
    st.subheader("Search the passages", anchor=False)
    query = st.text_input(
        "Search",
        key="sources_query",
        placeholder="e.g. chip export restrictions, hotline, IAEA",
        label_visibility="collapsed",
    )
    if not query.strip():
        return
    hits = engine.search(query.strip(), 8)
    if not hits:
        st.info("No passage matched. Try other words.", icon=":material/search_off:")
        return
    st.caption(f"{len(hits)} best passages (hybrid search: meaning and keywords)")
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        where = KIND_WORDS.get(c.kind, c.kind)
        with st.expander(
            f"{rank}. {escape_md(c.title or c.source_id)}, {escape_md(c.locator)} ({where})", expanded=rank <= 2
        ):
            st.caption(escape_md(f"{c.doc_title} › {c.section}"))
            passage_body(c.text, catalogue, from_user=c.kind == "user")


def _source_card(s: Source, passages: list[Any], catalogue: Catalogue) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_md(s.title)}**")
        meta = [escape_md(s.byline)] if s.byline else []
        meta.append("the project's own writing" if s.kind in OWN_KINDS else escape_md(s.kind))
        if s.confidence == "S3":
            meta.append(":orange-badge[:material/warning: unconfirmed]")
        elif s.confidence:
            meta.append(escape_md(CONFIDENCE_WORDS[s.confidence]))
        st.markdown(" · ".join(meta))
        if s.note:
            st.caption(escape_md(s.note))
        link = safe_link(s.link)
        if link:
            st.markdown(f"[Open the source]({link})")
    if not passages:
        st.caption("No passage is filed under this source; other passages may still cite it inline.")
        return
    pages = (len(passages) + PER_PAGE - 1) // PER_PAGE
    page_no = 1
    if pages > 1:
        st.caption(f"{len(passages)} passages, {PER_PAGE} per page")
        page_no = st.pagination(pages, key=f"sources_page_{s.id}")
    for c in passages[(page_no - 1) * PER_PAGE : page_no * PER_PAGE]:
        st.markdown(f"**{escape_md(c.locator)}** · {escape_md(c.doc_title)} › {escape_md(c.section)}")
        passage_body(c.text, catalogue, from_user=c.kind == "user")
