"""The Streamlit app's pages and components.

``text`` and ``classroom`` are plain Python (the exporter uses them too); every other
module here imports Streamlit and is only imported by ``app.py``.
"""
