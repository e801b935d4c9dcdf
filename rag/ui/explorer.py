"""The framework explorer: every domain against the three conditions, and one domain's full card."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from rag.framework import (
    CONDITION_NAMES,
    CONDITION_QUESTIONS,
    CONDITIONS,
    RATING_WORDS,
    RISK_TEST_NAMES,
    VERDICT_WORDS,
    Catalogue,
    Domain,
    Ref,
)
from rag.text import escape_md, phrase
from rag.ui import state
from rag.ui.components import rating_badge, verdict_badge
from rag.ui.nav import chat_page

# Light fills so black text stays readable; the words and symbols carry the meaning.
LEVEL_FILL = {"good": "#a8dcc1", "middle": "#fbd98d", "bad": "#f4b4a8", "unknown": "#dddddd"}
LEVEL = {
    "met": "good",
    "feasible": "good",
    "partial": "middle",
    "mixed": "middle",
    "not_met": "bad",
    "infeasible": "bad",
    "unknown": "unknown",
}
SYMBOL = {"good": "✔", "middle": "◐", "bad": "✖", "unknown": "?"}
VERDICT_ORDER = {"feasible": 0, "mixed": 1, "infeasible": 2}
VERDICT_COLUMN = "Verdict"
# Short column heads so they fit the matrix; the full names are in the tooltips and the cards.
SHORT = {
    "domain_separability": "Separability",
    "mutual_vulnerability": "Vulnerability",
    "verification_feasibility": "Verification",
}
ORIGIN_WORDS = {
    "talk": "the competitive cooperation talk",
    "paper": "the FAccT 2025 paper",
    "project": "this project's reading of the sources",
}
RISK_WORDS = {"high": "▲ high", "medium": "◆ medium", "low": "▼ low", "unknown": "? unknown"}


def ordered_domains(catalogue: Catalogue) -> list[Domain]:
    """The catalogue's domains, feasible first, then mixed, then infeasible; by name within each."""
    return sorted(catalogue.domains.values(), key=lambda d: (VERDICT_ORDER[d.verdict], d.name.lower()))


def matrix_frame(domains: Sequence[Domain]) -> pd.DataFrame:
    """Long table for the matrix: one row per domain and condition, plus one for its verdict."""
    rows = []
    for d in domains:
        for cid in CONDITIONS:
            r = d.conditions[cid].rating
            rows.append(
                {
                    "domain_id": d.id,
                    "domain": d.name,
                    "column": SHORT[cid],
                    "condition": CONDITION_NAMES[cid],
                    "level": LEVEL[r],
                    "label": f"{SYMBOL[LEVEL[r]]} {RATING_WORDS[r]}",
                }
            )
        rows.append(
            {
                "domain_id": d.id,
                "domain": d.name,
                "column": VERDICT_COLUMN,
                "condition": "Overall verdict",
                "level": LEVEL[d.verdict],
                "label": f"{SYMBOL[LEVEL[d.verdict]]} {VERDICT_WORDS[d.verdict]}",
            }
        )
    return pd.DataFrame(rows)


def matrix_chart(domains: Sequence[Domain]) -> alt.LayerChart:
    """The domains-by-conditions matrix as a chart; clicking a row selects its domain (selection "pick")."""
    frame = matrix_frame(domains)
    columns = [SHORT[c] for c in CONDITIONS] + [VERDICT_COLUMN]
    pick = alt.selection_point(fields=["domain_id"], name="pick", on="click", clear=False)
    base = alt.Chart(frame).encode(
        x=alt.X(
            "column:N",
            sort=columns,
            title=None,
            axis=alt.Axis(
                orient="top",
                labelAngle=0,
                labelFontSize=14,
                labelFontWeight="bold",
                ticks=False,
                labelColor="#111",
                domain=False,
                labelOverlap=False,
                labelPadding=8,
            ),
        ),
        y=alt.Y(
            "domain:N",
            sort=[d.name for d in domains],
            title=None,
            axis=alt.Axis(labelFontSize=14, labelLimit=320, ticks=False, labelColor="#111", domain=False),
        ),
    )
    fills = alt.Scale(domain=list(LEVEL_FILL), range=list(LEVEL_FILL.values()))
    cells = (
        base.mark_rect(stroke="white", strokeWidth=3, cornerRadius=4)
        .encode(
            color=alt.Color("level:N", scale=fills, legend=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.55)),
            tooltip=[
                alt.Tooltip("domain:N", title="Domain"),
                alt.Tooltip("condition:N", title="Condition"),
                alt.Tooltip("label:N", title="Rating"),
            ],
        )
        .add_params(pick)
    )
    labels = base.mark_text(fontSize=14, color="black").encode(text="label:N")
    return (cells + labels).properties(height=36 * len(domains) + 30)


def page() -> None:
    """The explorer page: the matrix of every domain, then the full card of the domain picked or chosen."""
    service = state.get_service()
    catalogue: Catalogue = service.engine.catalogue
    domains = ordered_domains(catalogue)
    st.title("Framework explorer")
    st.markdown(
        "Every domain in the catalogue, rated on the three conditions, with its overall verdict. "
        "Select a row, or choose a domain below, to read its full card with reasons and sources."
    )
    st.caption(
        "Columns: domain separability, mutual vulnerability, verification feasibility, overall verdict. "
        "Key: ✔ met / feasible · ◐ partly met / mixed · ✖ not met / not feasible · ? unknown"
    )
    event: Any = st.altair_chart(
        matrix_chart(domains),
        key="heatmap",
        on_select="rerun",
        selection_mode="pick",
        width="stretch",
        alt="A table of every domain against the three conditions and the overall verdict.",
    )
    picked = _picked(event)
    ids = [d.id for d in domains]
    if picked in ids and picked != st.session_state.get("explorer_last_pick"):
        st.session_state["explorer_last_pick"] = picked
        st.session_state["explorer_domain"] = picked
    if st.session_state.get("explorer_domain") not in ids:
        st.session_state["explorer_domain"] = ids[0]
    chosen = st.selectbox("Domain", ids, key="explorer_domain", format_func=lambda i: catalogue.domains[i].name)
    domain_card(catalogue.domains[chosen], catalogue)


def _picked(event: Any) -> str | None:
    try:
        points = event.selection["pick"]
    except (AttributeError, KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        value = points[0].get("domain_id")
        return value if isinstance(value, str) else None
    return None


def refs_text(refs: Sequence[Ref], catalogue: Catalogue) -> str:
    """``(Title, locator); (Title)`` for a list of catalogue references, escaped."""
    seen: list[str] = []
    for r in refs:
        title = catalogue.source_title(r.source)
        item = f"{title}, {r.locator}" if r.locator else title
        if item not in seen:
            seen.append(item)
    return "; ".join(escape_md(s) for s in seen)


def _sources_caption(refs: Sequence[Ref], catalogue: Catalogue) -> None:
    if refs:
        st.caption(f"Sources: {refs_text(refs, catalogue)}")


def domain_card(d: Domain, catalogue: Catalogue) -> None:
    """One domain's full card: verdict, conditions, who is left out, precedents, what would change it, risk tests."""
    st.header(escape_md(d.name), anchor=False)
    st.markdown(f"#### {verdict_badge(d.verdict)}")
    st.caption(f"Assessment from {ORIGIN_WORDS.get(d.origin, escape_md(d.origin))}.")
    st.markdown(escape_md(d.summary.strip()))
    st.markdown("**Why this verdict.** " + escape_md(d.verdict_basis.strip()))
    _sources_caption(d.verdict_citations, catalogue)
    if st.button(f"Ask the Navigator about {phrase(d.name)}", key=f"ask-{d.id}", icon=":material/chat:"):
        state.queue_question(f"Could rivals cooperate on {phrase(d.name)}?")
        st.switch_page(chat_page())
    st.subheader("The three conditions", anchor=False)
    for cid in CONDITIONS:
        a = d.conditions[cid]
        with st.container(border=True):
            st.markdown(f"**{CONDITION_NAMES[cid]}** {rating_badge(a.rating)}")
            st.caption(CONDITION_QUESTIONS[cid])
            st.markdown(escape_md(a.reasoning.strip()))
            _sources_caption(a.citations, catalogue)
    left, right = st.columns(2)
    with left:
        st.subheader("Who may be left out", anchor=False)
        if d.left_out:
            st.markdown(escape_md(d.left_out.text.strip()))
            _sources_caption(d.left_out.citations, catalogue)
        else:
            st.caption("The catalogue records no one in particular for this domain.")
        st.subheader("Precedents", anchor=False)
        names = _precedent_names(d.precedents)
        st.markdown("\n".join(f"- {escape_md(n)}" for n in names) if names else "None recorded.")
    with right:
        st.subheader("What would change the assessment", anchor=False)
        for w in d.would_change:
            st.markdown(f"- {escape_md(w.text.strip())}")
            _sources_caption(w.citations, catalogue)
        if not d.would_change:
            st.caption("Nothing recorded.")
    if d.risk_tests:
        st.subheader("Risk tests (FAccT 2025)", anchor=False)
        frame = pd.DataFrame(
            [
                {"Test": RISK_TEST_NAMES[t], "Risk": RISK_WORDS[r.level], "Note": r.note.strip()}
                for t, r in d.risk_tests.items()
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")


def _precedent_names(doc_ids: Sequence[str]) -> list[str]:
    """Titles of precedent documents, from the indexed passages (the id when not indexed)."""
    if not doc_ids:
        return []
    titles = _precedent_titles(state.get_service())
    return [titles.get(i, i) for i in doc_ids]


def _precedent_titles(service: Any) -> dict[str, str]:
    return {c.doc_id: c.doc_title for c in service.engine.all_chunks(("knowledge",)) if c.kind == "precedent"}
