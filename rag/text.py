"""Text made safe to show: Markdown escaping, neutralised links, readable inline citations.

Nothing here imports Streamlit. Document and passage text is escaped completely;
answer Markdown keeps its structure (headings, bold, lists, tables) but loses images,
links and raw HTML, which a document or a model could otherwise smuggle in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.corpus import CITATION_RE

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
_DIRECTIVE = re.compile(r":(?=[A-Za-z/])")  # Streamlit's :red[...], :material/x:, :emoji:
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_WWW = re.compile(r"(?i)\b(www)(\\?\.)")  # GFM links bare www. addresses; "://" is broken by _DIRECTIVE
MARKER_RE = re.compile(r"\[(c\d+)\]")
ZWSP = "\u200b"
# Emoji need a colour-emoji font (often missing on locked-down machines); these symbols do not.
SYMBOLS = {"🟢": "✔", "🟡": "◐", "🔴": "✖", "✅": "✔", "❌": "✖", "⚠️": "⚠"}


def escape_md(text: str) -> str:
    """Text shown literally by st.markdown: no formatting, links, HTML, maths or directives."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _unlink(_DIRECTIVE.sub(":" + ZWSP, escaped))


def _unlink(text: str) -> str:
    """Bare addresses stay readable but are no longer turned into links."""
    return _WWW.sub(lambda m: m.group(1) + ZWSP + m.group(2), text)


def readable_citations(text: str, title_of: Callable[[str], str | None]) -> str:
    """``[@source-id, slide 5; @other]`` -> ``(Source title, slide 5; Other title)``."""

    def one(m: re.Match[str]) -> str:
        parts = []
        for part in m.group(1).split(";"):
            part = part.strip()
            if not part.startswith("@"):
                continue
            sid, _, loc = part[1:].partition(",")
            title = short_title(title_of(sid.strip()) or sid.strip())
            parts.append(f"{title}, {loc.strip()}" if loc.strip() else title)
        return f"({'; '.join(parts)})" if parts else m.group(0)

    return CITATION_RE.sub(one, text)


def passage_text(text: str, title_of: Callable[[str], str | None], *, from_user: bool) -> str:
    """A passage as plain text; citations of the curated base made readable (never in user files)."""
    return text if from_user else readable_citations(text, title_of)


def neutralise(markdown: str) -> str:
    """Answer Markdown without images, links, reference definitions, raw HTML, maths or directives."""
    text = _IMAGE.sub(r"\1", markdown)
    text = _LINK.sub(r"\1", text)
    text = _REF_DEF.sub("", text)
    text = text.replace("<", "&lt;").replace("$", r"\$")
    return _unlink(_DIRECTIVE.sub(":" + ZWSP, text))


def layout(markdown: str, *, shift_headings: bool = False) -> str:
    """Each line its own paragraph (the engine writes one statement per line), emoji as plain
    symbols, and optionally headings one level down. Tables and lists keep their line structure."""
    out: list[str] = []
    for line in markdown.split("\n"):
        for emoji, symbol in SYMBOLS.items():
            line = line.replace(emoji, symbol)
        if shift_headings and re.match(r"^#{1,5} ", line):
            line = "#" + line
        prev = out[-1] if out else ""
        structured = re.match(r"^\s*(\||[-*+] |\d+[.)] )", line)
        if prev.strip() and line.strip() and not structured and not prev.lstrip().startswith("|"):
            out.append("")
        out.append(line)
    return "\n".join(out)


def answer_markdown(markdown: str, known: set[str] | None = None) -> str:
    """Answer Markdown for st.markdown: neutralised, with ``[cN]`` markers shown as small badges."""
    safe = neutralise(layout(markdown, shift_headings=True))

    def badge(m: re.Match[str]) -> str:
        if known is not None and m.group(1) not in known:
            return ""  # a marker that names no citation is dropped, never shown as a dead number
        return f" :blue-badge[{m.group(1)}]"

    return MARKER_RE.sub(badge, safe)


def phrase(name: str) -> str:
    """A domain name inside a sentence: "Compute controls" -> "compute controls", "AI incident ..." kept."""
    first = name.split(" ", 1)[0]
    return name if len(first) > 1 and first[:2].isupper() else name[:1].lower() + name[1:]


def short_title(title: str) -> str:
    """A long title by its part before the colon ("Competitive Cooperation: AI Governance ..." ->
    "Competitive Cooperation"), else cut at 60 characters."""
    head = title.split(":", 1)[0].strip()
    if len(title) > 40 and ":" in title and len(head) >= 12:
        return head
    return short(title, 60)


def short(text: str, limit: int = 48) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"
