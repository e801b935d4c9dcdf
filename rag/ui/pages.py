"""The app's pages as st.Page objects (built on demand, so a page can switch to another)."""

from __future__ import annotations

import streamlit as st


def chat_page() -> st.Page:
    from rag.ui import chat

    return st.Page(chat.page, title="Ask", icon=":material/forum:", url_path="ask", default=True)


def all_pages() -> list[st.Page]:
    from rag.ui import documents, evaluation, explorer, sources

    return [
        chat_page(),
        st.Page(explorer.page, title="Framework explorer", icon=":material/grid_view:", url_path="explorer"),
        st.Page(sources.page, title="Sources", icon=":material/menu_book:", url_path="sources"),
        st.Page(documents.page, title="Your documents", icon=":material/upload_file:", url_path="documents"),
        st.Page(evaluation.page, title="Evaluation", icon=":material/analytics:", url_path="evaluation"),
    ]
