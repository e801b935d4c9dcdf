"""The sidebar: what answers (offline or which model), the index, and how to read an answer."""

from __future__ import annotations

from typing import Any

import streamlit as st

from rag.text import escape_md

HOW_TO_READ = """\
1. **Verdict**: can rivals cooperate in this area? *Feasible*, *mixed* or *not feasible*.
2. **Three conditions**: each is *met*, *partly met*, *not met* or *unknown*, with its reasons.
3. **Markers** such as `c1` stand for passages: select one to read the exact text it rests on.
4. **Sources** separate what the answer cited from what was retrieved but not used.
5. *Feasible is not fair*: read who may be left out.
"""


def render(service: Any) -> None:
    """The sidebar: which backend answers, the state of the index, and how to read an answer."""
    settings = service.settings
    with st.sidebar:
        st.markdown("### Status")
        if settings.effective_backend == "offline":
            st.markdown(":green-badge[:material/wifi_off: Offline] answers by the offline analyst (no LLM)")
        else:
            st.markdown(":blue-badge[:material/cloud: LLM] " + escape_md(settings.describe_backend()))
        try:
            status = service.engine.status()
        except Exception:  # the sidebar must never break a page
            status = None
        if status is not None and status.built:
            uploads = f", {status.uploads} of your documents" if status.uploads else ""
            st.caption(
                f"Knowledge base: {status.chunks} passages from {status.files} files{uploads}. "
                f"Embeddings: {status.embedder}."
            )
        else:
            st.caption("Knowledge base: not indexed yet.")
        st.markdown("### How to read an answer")
        st.markdown(HOW_TO_READ)
