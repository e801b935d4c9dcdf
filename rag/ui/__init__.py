"""The Streamlit app's pages and components; imported only by ``app.py`` (they all import Streamlit).

The plain-Python helpers they share with the exporter live in the engine: ``rag.text`` and
``rag.classroom``.
"""
