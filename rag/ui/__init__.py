"""The Streamlit app's pages and components, imported only by ``app.py`` and each other.

``view.py`` is plain Python (what one answer shows, derived once); the helpers the exporter
shares with the app live in the engine: ``rag.text`` and ``rag.classroom``.
"""
