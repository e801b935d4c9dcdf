"""The app's pages as st.Page objects, in the order of the sidebar."""

from __future__ import annotations

import streamlit as st

from rag.ui import documents, evaluation, explorer, sources
from rag.ui.nav import chat_page


def all_pages() -> list[st.Page]:
    """Every page of the app, in sidebar order (the chat page first and default)."""
    return [
        chat_page(),
        st.Page(explorer.page, title="Framework explorer", icon=":material/grid_view:", url_path="explorer"),
        st.Page(sources.page, title="Sources", icon=":material/menu_book:", url_path="sources"),
        st.Page(documents.page, title="Your documents", icon=":material/upload_file:", url_path="documents"),
        st.Page(evaluation.page, title="Evaluation", icon=":material/analytics:", url_path="evaluation"),
    ]
