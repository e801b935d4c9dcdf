"""Navigation targets a page may switch to (kept apart from pages.py, which imports every page)."""

from __future__ import annotations

import streamlit as st

from rag.ui import chat


def chat_page() -> st.Page:
    """The chat page as an st.Page (the one ``st.navigation`` knows, so ``st.switch_page`` finds it)."""
    return st.Page(chat.page, title="Ask", icon=":material/forum:", url_path="ask", default=True)
