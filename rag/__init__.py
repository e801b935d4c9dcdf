"""Competitive Cooperation Navigator: the engine, importable without Streamlit."""

__version__ = "0.1.0"
