"""User files -> sections: every supported type, and a clear reason for every bad file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.errors import IndexBusyError, IngestError, RagIndexError
from rag.ingest import MAX_FILE_BYTES, read_document
from rag.locks import file_lock
from rag.uploads import (
    add_documents,
    add_upload,
    index_paths,
    list_uploads,
    private_uploads,
    remove_upload,
    safe_key,
)
from tests.helpers import data_folder_names


def make_pdf(pages: list[str]) -> bytes:
    """A small valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_docx(heading: str, body: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    document.add_paragraph(body)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# -- each supported type -----------------------------------------------------------
def test_markdown_is_split_at_headings() -> None:
    doc = read_document("notes.md", b"# Title\n\nIntro line.\n\n## Hotlines\n\nA direct link.\n\n## Costs\n\nCheap.\n")
    assert [(s.heading, s.locator) for s in doc.sections] == [
        ("Title", "Title"),
        ("Hotlines", "Hotlines"),
        ("Costs", "Costs"),
    ]
    assert doc.sections[1].text == "A direct link."


def test_text_sections_name_their_paragraphs() -> None:
    doc = read_document("notes.txt", "First paragraph.\n\nSecond one, with é.".encode())
    assert doc.sections[0].locator == "paragraphs 1-2"
    assert "é" in doc.sections[0].text


def test_pdf_pages_are_located_by_page_number() -> None:
    doc = read_document("report.pdf", make_pdf(["Rivals share incident reports", "Verification by sampling"]))
    assert [s.locator for s in doc.sections] == ["page 1", "page 2"]
    assert "incident reports" in doc.sections[0].text


def test_html_is_text_only_without_scripts_or_styles() -> None:
    page = (
        b"<html><head><title>T</title><style>p{color:red}</style></head><body>"
        b"<h1>Hotline</h1><p>Direct <b>link</b> for crises.</p><script>alert('x')</script>"
        b"<h2>Costs</h2><p>Cheap &amp; quick.</p></body></html>"
    )
    doc = read_document("page.html", page)
    text = " ".join(s.text for s in doc.sections)
    assert [s.heading for s in doc.sections] == ["Hotline", "Costs"]
    assert "Direct link for crises." in text and "Cheap & quick." in text
    assert "alert" not in text and "color" not in text


def test_docx_headings_become_sections() -> None:
    doc = read_document("brief.docx", make_docx("Verification", "Sampling without disclosure."))
    assert doc.sections[0].heading == "Verification"
    assert doc.sections[0].text == "Sampling without disclosure."


def test_a_docx_table_stays_under_the_heading_it_follows() -> None:
    import docx

    document = docx.Document()
    document.add_heading("Results", level=1)
    document.add_paragraph("The trial checked two sites.")
    table = document.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Site", "Outcome"), ("Hsinchu", "passed")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    document.add_heading("Next steps", level=1)
    document.add_paragraph("Repeat the trial in a year.")
    buf = io.BytesIO()
    document.save(buf)
    doc = read_document("trial.docx", buf.getvalue())
    by_heading = {s.heading: s.text for s in doc.sections}
    assert "Hsinchu | passed" in by_heading["Results"]
    assert "Hsinchu" not in by_heading["Next steps"]


def test_long_sections_are_split_into_passages() -> None:
    body = "\n\n".join(f"Paragraph {i} about verification between rival states." * 4 for i in range(30))
    doc = read_document("long.md", f"## Long\n\n{body}".encode())
    assert len(doc.sections) > 3
    assert all(len(s.text) <= 1200 and s.locator == "Long" for s in doc.sections)


# -- every bad file says why ---------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "no readable text"),
        ("huge.txt", b"a" * (MAX_FILE_BYTES + 1), "too big"),
        ("image.png", b"\x89PNG....", "unsupported file type (.png)"),
        ("archive", b"data", "unsupported file type (no extension)"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary (a PNG image)"),
        ("nul.md", b"text\x00\x00\x01\x02 more", "binary"),
        ("fake.pdf", b"this is not a pdf at all", "not a valid PDF"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "corrupt"),
        ("fake.docx", b"plain text, not a zip", "not a valid Word .docx"),
        ("broken.docx", b"PK\x03\x04 not really a zip archive", "corrupt"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "password-protected or old-format"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(IngestError, match=None) as info:
        read_document(name, data)
    assert reason in str(info.value)


def test_encrypted_pdf_is_rejected() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["secret text"]))))
    writer.encrypt(user_password="letmein", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(IngestError, match="encrypted"):
        read_document("locked.pdf", buf.getvalue())


def test_pdf_without_text_needs_ocr() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(IngestError, match="OCR"):
        read_document("scan.pdf", buf.getvalue())


def test_safe_keys_drop_paths_and_odd_characters() -> None:
    assert safe_key("../../etc/My Notes (v2).MD") == "my-notes-v2.md"
    assert safe_key("C:\\Users\\x\\Brief.docx") == "brief.docx"
    assert safe_key("???.txt") == "document.txt"


# -- the uploads collection ------------------------------------------------------------
def test_duplicate_upload_is_rejected_and_removal_forgets_the_passages(mini_engine: Engine) -> None:
    text = b"# Zorblat Accord\n\nThe Zorblat Accord sets up a quindecim ledger for incident reports.\n"
    first = add_upload(mini_engine, "zorblat.md", text)
    assert first.status == "added" and first.chunks == 1
    again = add_upload(mini_engine, "copy of zorblat.md", text)
    assert again.status == "rejected" and "duplicates zorblat.md" in again.reason
    [info] = list_uploads(mini_engine)
    assert (info.key, info.title, info.chunks) == ("zorblat.md", "zorblat.md", 1)
    hits = mini_engine.search("quindecim ledger", 3)
    assert hits[0].collection == "uploads" and hits[0].chunk.kind == "user"
    assert hits[0].chunk.source_id == "upload-zorblat-md" and hits[0].chunk.locator == "Zorblat Accord"
    knowledge_before = mini_engine.knowledge.snapshot().name  # type: ignore[union-attr]
    assert remove_upload(mini_engine, "zorblat.md") is True
    assert list_uploads(mini_engine) == []
    assert all(h.collection != "uploads" for h in mini_engine.search("quindecim ledger", 3))
    assert mini_engine.knowledge.snapshot().name == knowledge_before  # type: ignore[union-attr]


def test_a_private_uploads_space_is_apart_from_the_users_and_leaves_nothing_behind(
    mini_engine: Engine, fake_seams: dict[str, object]
) -> None:
    """What `rag eval` asks in: the user's documents are not seen there, its own are not seen outside,
    and at the end its collections, snapshots, files and lock are gone, never the user's."""
    add_upload(mini_engine, "zorblat.md", b"# Zorblat Accord\n\nThe Zorblat Accord sets up a quindecim ledger.\n")
    data = mini_engine.settings.data_dir
    before = data_folder_names(data)
    with private_uploads(mini_engine) as private:
        space = private.uploads_space
        assert "upload-zorblat-md" not in {h.chunk.source_id for h in private.search("quindecim ledger", 3)}
        assert add_upload(private, "memo.md", b"# Memo\n\nThe Frobnitz memo sets a vellichor deadline.\n").ok
        assert private.search("vellichor deadline", 3)[0].chunk.source_id == "upload-memo-md"
        assert "upload-memo-md" not in {h.chunk.source_id for h in mini_engine.search("vellichor deadline", 3)}
        assert (data / space / "memo.md").is_file()
    assert data_folder_names(data) == before
    stores = fake_seams["store_factory"]
    assert stores(f"{space}-fake").count() == 0 and stores(f"{space}-fake-ml").count() == 0  # type: ignore[operator]
    assert [u.key for u in list_uploads(mini_engine)] == ["zorblat.md"]
    assert mini_engine.search("quindecim ledger", 3)[0].chunk.source_id == "upload-zorblat-md"
    with pytest.raises(ValueError, match="not discarded"):
        mini_engine.discard_uploads()
    for bad in ("../uploads", "knowledge", "Eval", ""):
        with pytest.raises(ValueError, match="not a name"):
            Engine(mini_engine.settings, uploads_space=bad)


def test_a_private_space_in_a_data_folder_that_cannot_be_one_is_a_clear_error(
    mini_engine: Engine, tmp_path: Path, fake_seams: dict[str, object]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    engine = Engine(mini_engine.settings.with_(data_dir=tmp_path / "a-file" / "data"), **fake_seams)  # type: ignore[arg-type]
    with (
        pytest.raises(RagIndexError, match=r"cannot use the data folder .*a-file/data \(RAG_DATA_DIR\)"),
        private_uploads(engine),
    ):
        pass


def test_a_private_space_left_by_a_killed_run_is_deleted_by_the_next_one_a_live_ones_is_not(
    mini_engine: Engine,
) -> None:
    data = mini_engine.settings.data_dir
    for space in ("eval-0000dead", "eval-0000a11e"):
        (data / f".{space}.lock").touch()
        assert add_upload(mini_engine.sibling(space), "memo.md", b"# Memo\n\nA memo.\n").ok
    (data / ".eval-0000beef.lock").touch()  # a dead run's space that cannot be deleted now ...
    (data / "index" / "eval-0000beef-fake").write_text("a file where its collection's folder would be")
    busy = IndexBusyError("busy")
    with file_lock(data / ".eval-0000a11e.lock", 0, busy), private_uploads(mini_engine):  # a live run
        pass
    assert (data / ".eval-0000beef.lock").exists()  # ... is left to try again, and stops no run
    assert not (data / "eval-0000dead").exists() and not (data / ".eval-0000dead.lock").exists()
    assert not [p for p in (data / "index").iterdir() if p.name.startswith("eval-0000dead")]
    assert list_uploads(mini_engine.sibling("eval-0000a11e"))[0].key == "memo.md"


def test_batch_reports_each_file_in_order(mini_engine: Engine) -> None:
    results = add_documents(
        mini_engine, [("a.md", b"# A\n\nAlpha text."), ("empty.txt", b""), ("b.txt", b"Beta text.")]
    )
    assert [r.status for r in results] == ["added", "rejected", "added"]
    assert "empty" in results[1].message()


def test_index_paths_reports_skipped_files_and_is_idempotent(mini_engine: Engine, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Good\n\nA passage about hotlines.\n")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "ignored.png").write_bytes(b"\x89PNG")
    report = index_paths(mini_engine, [docs, tmp_path / "missing.md"])
    assert sorted(report.skipped) == sorted(
        [
            (str(docs / "empty.txt"), "the file is empty"),
            (str(docs / "ignored.png"), "unsupported type .png (supported: docx, htm, html, markdown, md, pdf, txt)"),
            (str(tmp_path / "missing.md"), "not found"),
        ]
    )
    assert report.files == 1 and report.chunks == 1 and "1 added" in report.summary()
    again = index_paths(mini_engine, [docs / "good.md"])
    assert again.skipped == [] and "1 unchanged" in again.summary() and again.embedded == 0
