"""Your documents: upload, see each file's fate, list and remove. Indexed apart from the curated base."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from rag.errors import RagError
from rag.ingest import ACCEPTED, MAX_FILE_BYTES, MAX_FILES
from rag.text import escape_md
from rag.ui import state
from rag.uploads import add_documents, list_uploads, remove_upload

KIND_ICONS = {
    "markdown": ":material/description:",
    "text": ":material/notes:",
    "pdf": ":material/picture_as_pdf:",
    "html": ":material/language:",
    "docx": ":material/article:",
}


def page() -> None:
    """The documents page: upload files, see what became of each, and list or remove those stored."""
    service = state.get_service()
    state.init_session()
    engine = service.engine
    st.title("Your documents")
    st.markdown(
        "Add your own briefing notes or reports. They are stored on this machine only, searched beside the "
        "curated knowledge base, and cited under **From your documents** when they are relevant. "
        "They never change the curated knowledge base."
    )
    st.caption(
        f"Accepted: {ACCEPTED}. Up to {MAX_FILE_BYTES // (1024 * 1024)} MB per file and "
        f"{MAX_FILES} documents. Web pages are read as text and never displayed."
    )
    nonce = st.session_state[state.UPLOADER_NONCE]
    files = st.file_uploader(
        "Choose files",
        accept_multiple_files=True,
        key=f"uploader-{nonce}",
        max_upload_size=MAX_FILE_BYTES // (1024 * 1024),
    )
    if st.button(
        "Add to my documents", key="add_documents", type="primary", icon=":material/upload:", disabled=not files
    ):
        _add(engine, list(files or []))
    for ok, text in st.session_state[state.UPLOAD_RESULTS]:
        (st.success if ok else st.error)(text, icon=":material/check_circle:" if ok else ":material/error:")
    _listing(engine)


def _add(engine: Any, files: list[Any]) -> None:
    bar = st.progress(0.0, text="Reading your files…")
    items = []
    for n, f in enumerate(files, start=1):
        bar.progress(0.3 * n / len(files), text=f"Reading {f.name} ({n} of {len(files)})")
        items.append((f.name, f.getvalue()))

    def progress(done: int, total: int) -> None:
        if total:
            bar.progress(0.3 + 0.7 * done / total, text=f"Indexing passages: {done} of {total}")

    try:
        results = add_documents(engine, items, progress=progress)
    except RagError as e:
        bar.empty()
        st.session_state[state.UPLOAD_RESULTS] = [(False, f"Your documents could not be indexed: {e}")]
        return
    bar.progress(1.0, text="Done")
    st.session_state[state.UPLOAD_RESULTS] = [(r.ok, escape_md(r.message())) for r in results]
    st.session_state[state.UPLOADER_NONCE] += 1  # a fresh, empty uploader
    st.rerun()


def _remove(engine: Any, key: str) -> None:
    try:
        removed = remove_upload(engine, key)
    except RagError as e:
        st.session_state[state.UPLOAD_RESULTS] = [(False, f"Could not remove {escape_md(key)}: {e}")]
        return
    text = f"Removed {escape_md(key)}." if removed else f"{escape_md(key)} was already gone."
    st.session_state[state.UPLOAD_RESULTS] = [(True, text)]


def _listing(engine: Any) -> None:
    uploads = list_uploads(engine)
    st.subheader(f"In your collection ({len(uploads)} of {MAX_FILES})", anchor=False)
    if not uploads:
        st.caption("No documents yet. Once added, ask about them on the chat page.")
        return
    for u in uploads:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            added = time.strftime("%Y-%m-%d %H:%M", time.localtime(u.added))
            size = f"{u.size / 1024:.0f} KB" if u.size >= 1024 else f"{u.size} bytes"
            passages = f"{u.chunks} passage{'s' if u.chunks != 1 else ''}"
            left.markdown(
                f"{KIND_ICONS.get(u.kind, '')} **{escape_md(u.title)}**  \n"
                f"{u.kind} · {size} · {passages} · added {added}"
            )
            right.button(
                "Remove",
                key=f"remove-{u.key}",
                on_click=_remove,
                args=(engine, u.key),
                icon=":material/delete:",
                help=f"Remove {u.title} and its passages",
            )
