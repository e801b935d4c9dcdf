"""Competitive Cooperation Navigator: the Streamlit app (page wiring only).

Run with `rag serve` or `streamlit run app.py`. The pages live in rag/ui/.
"""

import streamlit as st

from rag.ui import pages, sidebar, state

state.keep_gc_cheap()
st.set_page_config(page_title="Competitive Cooperation Navigator", page_icon=":material/explore:", layout="wide")
if state.require_password(state.secrets()):
    navigation = st.navigation(pages.all_pages())
    sidebar.render(state.get_service())
    navigation.run()
