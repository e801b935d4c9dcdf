"""User files (md, txt, pdf, html, docx) -> validated text sections.

Every failure is an ``IngestError`` whose message is one plain sentence a user can act
on (empty, too big, wrong type, binary content, encrypted or corrupt PDF, ...). The
caller names the file. HTML is parsed to text with the standard library and never
rendered; nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePath

from rag.errors import IngestError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
MAX_SECTION_CHARS = 1200
KINDS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}
ACCEPTED = "Markdown (.md), text (.txt), PDF (.pdf), web page (.html) or Word (.docx)"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive or Office file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "a legacy or password-protected Office file"),
)
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    """One passage of a user document: where it is (``locator``) and what it says."""

    heading: str
    locator: str
    text: str


@dataclass(frozen=True)
class Document:
    """One user file read and validated: its name, kind, content hash, size and text sections."""

    name: str  # the file name as the user gave it
    kind: str  # markdown | text | pdf | html | docx
    sha: str  # of the file's bytes
    size: int
    sections: tuple[Section, ...]


def kind_of(name: str) -> str:
    """The document kind for a file name, or IngestError for an unsupported type."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in KINDS:
        shown = suffix or "no extension"
        raise IngestError(f"unsupported file type ({shown}); use {ACCEPTED}")
    return KINDS[suffix]


def read_document(name: str, data: bytes) -> Document:
    """Validate one file and extract its text sections (IngestError says why it cannot be)."""
    kind = kind_of(name)
    if not data:
        raise IngestError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(
            f"the file is too big ({len(data) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB)"
        )
    reader = {"markdown": _markdown, "text": _text, "pdf": _pdf, "html": _html, "docx": _docx}[kind]
    raw_sections = reader(data)
    sections = tuple(s for raw in raw_sections for s in _split(raw))
    if not sections:
        raise IngestError("no readable text was found in the file")
    return Document(name=name, kind=kind, sha=hashlib.sha256(data).hexdigest(), size=len(data), sections=sections)


# -- text ------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    """Text of a file that claims to be text; IngestError for binary content."""
    head = data[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise IngestError(f"the content is binary ({what}), not text, although the name says text")
    if b"\x00" in head:
        raise IngestError("the content is binary, not text, although the name says text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:4096]) // 50) or text.count("\ufffd") > max(8, len(text) // 50):
        raise IngestError("the content is binary or in an unknown encoding, not readable text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _tidy(text: str) -> str:
    """Collapse runs of spaces; keep paragraph breaks."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _markdown(data: bytes) -> list[Section]:
    text = _decode(data)
    if text.startswith("---\n"):  # front matter is metadata, not content
        end = text.find("\n---", 4)
        if end != -1:
            text = text[end + 4 :].lstrip("-\n")
    sections: list[Section] = []
    heading, fenced = "Introduction", False
    lines: list[str] = []

    def flush() -> None:
        body = _tidy("\n".join(lines))
        if body:
            sections.append(Section(heading, heading, body))

    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        m = None if fenced else _HEADING_RE.match(line)
        if m:
            flush()
            heading, lines = m.group(2).strip() or heading, []
        else:
            lines.append(line)
    flush()
    return sections


def _text(data: bytes) -> list[Section]:
    paragraphs = [p for p in _tidy(_decode(data)).split("\n\n") if p]
    sections: list[Section] = []
    group: list[str] = []
    first = 1
    for i, p in enumerate(paragraphs, start=1):
        if group and sum(len(g) for g in group) + len(p) > MAX_SECTION_CHARS:
            sections.append(_paragraph_section(group, first))
            group, first = [], i
        group.append(p)
    if group:
        sections.append(_paragraph_section(group, first))
    return sections


def _paragraph_section(group: list[str], first: int) -> Section:
    last = first + len(group) - 1
    where = f"paragraph {first}" if last == first else f"paragraphs {first}-{last}"
    return Section(where, where, "\n\n".join(group))


# -- html ------------------------------------------------------------------------
class _HTMLText(HTMLParser):
    """Visible text by heading; scripts, styles and other invisible parts are dropped."""

    SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
    BLOCK = frozenset({"p", "div", "br", "li", "tr", "section", "article", "blockquote", "pre", "table", "ul", "ol"})
    HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, list[str]]] = [("Introduction", [])]
        self._skip = 0
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.HEADINGS and not self._skip:
            self._heading = []
        elif tag in self.BLOCK:
            self.sections[-1][1].append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.HEADINGS and self._heading is not None:
            title = " ".join("".join(self._heading).split())
            self._heading = None
            if title:
                self.sections.append((title, []))
        elif tag in self.BLOCK:
            self.sections[-1][1].append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading.append(data)
        else:
            self.sections[-1][1].append(data)


def _html(data: bytes) -> list[Section]:
    parser = _HTMLText()
    try:
        parser.feed(_decode(data))
        parser.close()
    except (ValueError, AssertionError) as e:
        raise IngestError(f"the web page could not be parsed ({e})") from e
    out = []
    for heading, parts in parser.sections:
        body = _tidy("".join(parts))
        if body:
            out.append(Section(heading, heading, body))
    return out


# -- pdf -------------------------------------------------------------------------
def _pdf(data: bytes) -> list[Section]:
    from pypdf import PdfReader

    if b"%PDF-" not in data[:1024]:
        raise IngestError("this is not a valid PDF (it may be corrupt or mislabelled)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is encrypted (password protected); save an unprotected copy and upload that")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except Exception as e:  # pypdf raises assorted errors on damaged files; any of them means "corrupt"
        raise IngestError(f"the PDF is corrupt and cannot be read ({type(e).__name__})") from e
    sections = [Section(f"page {n}", f"page {n}", _tidy(text)) for n, text in enumerate(pages, start=1)]
    sections = [s for s in sections if s.text]
    if not sections:
        raise IngestError("the PDF has no extractable text (a scanned PDF needs OCR first)")
    return sections


# -- docx ------------------------------------------------------------------------
def _docx(data: bytes) -> list[Section]:
    """Sections of a Word file: its paragraphs and tables in document order, cut at its headings."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("this is a password-protected or old-format Word file; save it as an unprotected .docx")
    if not data.startswith(b"PK"):
        raise IngestError("this is not a valid Word .docx file (it may be corrupt or mislabelled)")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        from docx.table import Table

        blocks: list[tuple[str, str]] = []  # (style name, text), in document order
        for item in document.iter_inner_content():
            if isinstance(item, Table):  # a table stays under the heading it follows
                blocks.extend(("", " | ".join(cell.text.strip() for cell in row.cells)) for row in item.rows)
            else:
                blocks.append(((item.style.name if item.style is not None else "") or "", item.text))
    except Exception as e:  # python-docx raises its own PackageNotFoundError and XML errors
        raise IngestError(f"the Word file is corrupt and cannot be read ({type(e).__name__})") from e
    sections: list[Section] = []
    heading, lines = "Introduction", list[str]()
    for style, text in blocks:
        if style.lower().startswith(("heading", "title")) and text.strip():
            if _tidy("\n\n".join(lines)):
                sections.append(Section(heading, heading, _tidy("\n\n".join(lines))))
            heading, lines = " ".join(text.split()), []
        else:
            lines.append(text)
    if _tidy("\n\n".join(lines)):
        sections.append(Section(heading, heading, _tidy("\n\n".join(lines))))
    return sections


# -- splitting -------------------------------------------------------------------
def _split(section: Section) -> list[Section]:
    """Long sections in passages of at most MAX_SECTION_CHARS, at paragraph or sentence ends."""
    if len(section.text) <= MAX_SECTION_CHARS:
        return [section]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=MAX_SECTION_CHARS, chunk_overlap=120, separators=["\n\n", "\n", ". ", " ", ""]
    )
    parts = [p.strip() for p in splitter.split_text(section.text)]
    return [Section(section.heading, section.locator, p) for p in parts if p]
