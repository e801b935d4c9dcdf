"""Small pieces every page uses: verdict and rating badges, passages, citation popovers, source lists.

Colour is never the only signal: every badge has an icon of its own shape and words.
Document and passage text is always escaped (rag.text); links are only drawn for
http(s) addresses that come from the curated catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from rag.answer.schema import Answer, CitationOut
from rag.framework import CONDITION_NAMES, CONDITION_QUESTIONS, CONDITIONS, Catalogue
from rag.text import escape_md, passage_text, phrase, short

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
KIND_WORDS = {
    "framework": "framework", "case": "case study", "research": "research", "precedent": "precedent",
    "domain": "domain catalogue", "user": "your document",
}


def verdict_badge(verdict: str) -> str:
    """Markdown for a verdict label, e.g. ``:red-background[:material/block: Not feasible]``."""
    colour, icon, words = VERDICT_STYLE[verdict]
    return f":{colour}-background[{icon} {words}]"


def rating_badge(rating: str) -> str:
    """Markdown for a rating label: colour, an icon of its own shape, and words."""
    colour, icon, words = RATING_STYLE[rating]
    return f"**:{colour}-background[{icon} {words}]**"


def title_lookup(catalogue: Catalogue) -> Any:
    return lambda sid: catalogue.sources[sid].title if sid in catalogue.sources else None


def safe_link(url: str | None) -> str | None:
    return url if url and url.startswith(("https://", "http://")) and " " not in url else None


def verdict_banner(answer: Answer, catalogue: Catalogue) -> None:
    """The overall verdict for the answer's domain: badge, domain name and what it means."""
    if not answer.verdict or not answer.domains:
        return
    domain = catalogue.domains.get(answer.domains[0])
    name = domain.name if domain else answer.domains[0]
    with st.container(border=True):
        left, right = st.columns([2, 5], vertical_alignment="center")
        left.markdown(f"### {verdict_badge(answer.verdict)}")
        right.markdown(f"**Verdict on cooperation between rivals: {escape_md(phrase(name))}**  \n"
                       "Reached condition by condition from the cited passages, below.")


def scorecard(conditions: Mapping[Any, Any], *, compact: bool = False) -> None:
    """The three conditions: rating (colour, icon, words) and the question each asks."""
    if compact:
        for cid in CONDITIONS:
            if cid in conditions:
                st.markdown(f"{CONDITION_NAMES[cid]}: {rating_badge(conditions[cid].rating)}")
        return
    cols = st.columns(len(CONDITIONS))
    for col, cid in zip(cols, CONDITIONS, strict=True):
        cond = conditions.get(cid)
        if cond is None:
            continue
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{CONDITION_NAMES[cid]}**")
            st.markdown(rating_badge(cond.rating))
            marks = " ".join(f":blue-badge[{m}]" for m in cond.citations)
            st.caption(CONDITION_QUESTIONS[cid] + (f"  \nEvidence: {marks}" if marks else ""))


def passage_body(text: str, source_id: str, catalogue: Catalogue) -> None:
    """A passage, escaped; inline citations of the curated base shown as (title, locator)."""
    shown = passage_text(text, title_lookup(catalogue), from_user=source_id.startswith("upload-"))
    with st.container(border=True):
        st.markdown(escape_md(shown).replace("\n", "  \n"))


def citation_popovers(answer: Answer, catalogue: Catalogue, key: str, lookup: Any = None) -> None:
    """One popover per citation: click a marker to read the passage it stands for."""
    if not answer.citations:
        return
    st.markdown("**Cited passages** · select a marker to read the exact passage")
    groups: dict[str, list[CitationOut]] = {}
    for c in answer.citations:
        groups.setdefault(c.source_id, []).append(c)
    with st.container(border=True, gap="small"):
        for cites in groups.values():
            title, chips = st.columns([2, 5], vertical_alignment="center")
            mine = " · *your document*" if cites[0].source_id.startswith("upload-") else ""
            title.markdown(f"{escape_md(short(cites[0].title, 60))}{mine}")
            with chips.container(horizontal=True, gap="small"):
                for c in cites:
                    with st.popover(f"{c.id} · {short(c.locator, 28)}", key=f"pop-{key}-{c.id}"):
                        citation_detail(c, catalogue, lookup(c.chunk_id) if lookup else None)


def citation_detail(c: CitationOut, catalogue: Catalogue, chunk: Any = None) -> None:
    """The cited passage in full: source, where in it, the text, and a link to the source when known."""
    from_user = c.source_id.startswith("upload-")
    st.markdown(f"**[{c.id}] {escape_md(c.title)}**")
    if chunk is not None and chunk.doc_title:
        st.caption(escape_md(f"In: {chunk.doc_title} › {chunk.section}"))
    source = catalogue.sources.get(c.source_id)
    where = [escape_md(c.locator)]
    if from_user:
        where.append("from your documents")
    elif source is not None:
        where.append(escape_md(source.kind))
        if source.confidence == "S3":
            where.append(":orange-badge[unconfirmed source]")
    st.caption(" · ".join(where))
    passage_body(c.text, c.source_id, catalogue)
    link = safe_link(c.url) if not from_user else None
    if link:
        st.markdown(f"[Open the source]({link})")


def sources_list(answer: Answer, engine: Any, key: str) -> None:
    """Everything the answer retrieved: what it cited, then what it also retrieved but did not use."""
    cited_ids = {c.chunk_id for c in answer.citations}
    also = [engine.chunk(i) for i in answer.retrieved if i not in cited_ids]
    also = [c for c in also if c is not None]
    label = f"Sources: {len(answer.citations)} cited, {len(also)} also retrieved"
    with st.expander(label, icon=":material/menu_book:"):
        if answer.citations:
            st.markdown("**Cited in this answer**")
            st.markdown("\n".join(_source_line(f"[{c.id}]", c.title, c.locator, c.url, c.source_id)
                                  for c in answer.citations))
        if also:
            st.markdown("**Also retrieved, not cited**")
            st.markdown("\n".join(_source_line("", c.title or c.source_id, c.locator, c.url, c.source_id,
                                               section=c.section) for c in also))


def _source_line(mark: str, title: str, locator: str, url: str | None, source_id: str, section: str = "") -> str:
    head = f"{escape_md(mark)} **{escape_md(title)}**" if mark else f"**{escape_md(title)}**"
    parts = [f"- {head}", escape_md(locator)]
    if section and section != locator:
        parts.append(escape_md(section))
    if source_id.startswith("upload-"):
        parts.append("your document")
    line = ", ".join(parts)
    link = safe_link(url) if not source_id.startswith("upload-") else None
    return line + (f" · [link]({link})" if link else "")


def suggestion_buttons(suggestions: Sequence[str], key: str, on_pick: Any, label: str = "Ask next") -> None:
    if not suggestions:
        return
    st.markdown(f"**{label}**")
    with st.container(horizontal=True, gap="small"):
        for i, s in enumerate(suggestions):
            st.button(s, key=f"sug-{key}-{i}", on_click=on_pick, args=(s,), icon=":material/arrow_forward:")
