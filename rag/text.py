"""Text made safe to show: Markdown escaping, neutralised links, readable inline citations,
who wrote a cited passage, and the direction of right-to-left text.

Nothing here imports Streamlit: the app and the exporter share it. Document and passage text
is escaped completely; answer Markdown keeps its structure (headings, bold, lists, tables) but
loses images, links and raw HTML, which a document or a model could otherwise smuggle in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rag.corpus import CITATION_RE
from rag.framework import OWN_KINDS

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
PROJECT_READING = "the project's reading"
Align = Literal["left", "right"]
_OWN_PREFIXES = ("Project note:", "Project assessment:")


def escape_md(text: str) -> str:
    """Text shown literally by st.markdown: no formatting, links, HTML, maths or directives."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _unlink(_DIRECTIVE.sub(":" + ZWSP, escaped))


def _unlink(text: str) -> str:
    """Bare addresses stay readable but are no longer turned into links."""
    return _WWW.sub(lambda m: m.group(1) + ZWSP + m.group(2), text)


def readable_citations(
    text: str, title_of: Callable[[str], str | None], kind_of: Callable[[str], str] | None = None
) -> str:
    """``[@source-id, slide 5; @other]`` -> ``(Source title, slide 5; Other title)``.

    A reference to the project's own writing (a note or an assessment, per ``kind_of``) reads
    "the project's reading": it is not a source the reader could look up elsewhere.
    """

    def one(m: re.Match[str]) -> str:
        parts: list[str] = []
        for part in m.group(1).split(";"):
            part = part.strip()
            if not part.startswith("@"):
                continue
            sid, _, loc = part[1:].partition(",")
            sid = sid.strip()
            if kind_of is not None and kind_of(sid) in OWN_KINDS:
                item = PROJECT_READING
            else:
                title = short_title(title_of(sid) or sid)
                item = f"{title}, {loc.strip()}" if loc.strip() else title
            if item not in parts:
                parts.append(item)
        return f"({'; '.join(parts)})" if parts else m.group(0)

    return CITATION_RE.sub(one, text)


def readable_refs(text: str, sources: Mapping[str, Any]) -> str:
    """``readable_citations`` with titles and kinds from the catalogue's sources."""
    return readable_citations(
        text,
        lambda sid: sources[sid].title if sid in sources else None,
        lambda sid: sources[sid].kind if sid in sources else "",
    )


def passage_text(
    text: str,
    title_of: Callable[[str], str | None],
    *,
    from_user: bool,
    kind_of: Callable[[str], str] | None = None,
) -> str:
    """A passage as plain text; citations of the curated base made readable (never in user files)."""
    return text if from_user else readable_citations(text, title_of, kind_of)


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
    """Answer Markdown for st.markdown: neutralised, with ``[cN]`` markers shown as small badges,
    and right-to-left lines isolated so they read in their own direction."""
    safe = neutralise(layout(markdown, shift_headings=True))

    def badge(m: re.Match[str]) -> str:
        if known is not None and m.group(1) not in known:
            return ""  # a marker that names no citation is dropped, never shown as a dead number
        return f" :blue-badge[{m.group(1)}]"

    return isolate_lines(MARKER_RE.sub(badge, safe))


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


# -- who wrote a cited passage ----------------------------------------------------------
@dataclass(frozen=True)
class Attribution:
    """What a cited passage is, in words a reader can check: its header and what it is based on.

    ``header`` is "Project assessment: …", "Project note: …", "Your document: …" or the external
    source's title; ``where`` its locator; ``based_on`` the external sources (title, link or None)
    the project's writing cites; ``kind`` the source kind (``user`` for uploads).
    """

    kind: str
    header: str
    where: str
    based_on: tuple[tuple[str, str | None], ...] = ()

    @property
    def own(self) -> bool:
        """Whether the passage is the project's own writing (a note or an assessment)."""
        return self.kind in OWN_KINDS

    @property
    def from_user(self) -> bool:
        """Whether the passage comes from one of the user's uploaded documents."""
        return self.kind == "user"


def safe_link(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) address, else None."""
    return url if url and url.startswith(("https://", "http://")) and " " not in url else None


def source_kind(citation: Any, sources: Mapping[str, Any], chunk: Any = None) -> str:
    """A citation's source kind: the engine's ``source_kind`` (on the citation, else on its chunk),
    else ``user`` for a passage of an uploaded document, else the catalogue's kind of its source
    ("" when the source is not catalogued)."""
    for kind in (citation.source_kind, getattr(chunk, "source_kind", "")):
        if kind:
            return str(kind)
    if chunk is not None and getattr(chunk, "kind", "") == "user":
        return "user"
    source = sources.get(citation.source_id)
    return str(source.kind) if source is not None else ""


def _without_prefix(title: str) -> str:
    for prefix in _OWN_PREFIXES:
        if title.startswith(prefix):
            return title[len(prefix) :].strip()
    return title


def attribution(citation: Any, sources: Mapping[str, Any], chunk: Any = None) -> Attribution:
    """The header, locator and "based on" sources of one citation (``sources``: the catalogue's;
    ``chunk``: the cited passage, when known, for what the citation itself does not say)."""
    kind = source_kind(citation, sources, chunk)
    title = _without_prefix(citation.title)
    if kind == "assessment":
        header = f"Project assessment: {title}" if title else "Project assessment"
    elif kind == "note":
        header = f"Project note: {title}"
    elif kind == "user":
        header = f"Your document: {title}"
    else:
        header = citation.title
    based: list[tuple[str, str | None]] = []
    for sid in citation.based_on or getattr(chunk, "based_on", ()) or ():
        source = sources.get(sid)
        item = (source.title, safe_link(source.link)) if source is not None else (sid, None)
        if item not in based:
            based.append(item)
    return Attribution(kind=kind, header=header, where=citation.locator, based_on=tuple(based))


def based_on_markdown(att: Attribution) -> str:
    """``Based on: [Title](link), Other title`` for st.markdown (titles escaped), or "" when none."""
    if not att.based_on:
        return ""
    items = [f"[{escape_md(t)}]({url})" if url else escape_md(t) for t, url in att.based_on]
    return "Based on: " + ", ".join(items)


# -- right-to-left text -------------------------------------------------------------------
# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic extended and presentation
# forms, and the right-to-left supplementary blocks.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate
_BLOCK = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)*)(.*)$")


def has_rtl(text: str) -> bool:
    """Does ``text`` hold any right-to-left letter?"""
    return _RTL.search(text) is not None


def is_rtl(text: str) -> bool:
    """Do right-to-left letters (Arabic, Hebrew, Persian, ...) outnumber left-to-right ones?"""
    if not has_rtl(text):
        return False
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    return rtl > ltr


def isolate_lines(markdown: str) -> str:
    """Each line holding right-to-left letters gets its text (after any list or heading marker)
    wrapped in Unicode first-strong isolates, so it is laid out in its own direction inside a
    left-to-right page. Lines without such letters, tables and code are left as they are."""
    if not has_rtl(markdown):
        return markdown
    out: list[str] = []
    fenced = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or not has_rtl(line) or line.lstrip().startswith("|"):
            out.append(line)
            continue
        m = _BLOCK.match(line)
        head, body = (m.group(1), m.group(2)) if m else ("", line)
        trail = "  " if body.endswith("  ") else ""  # a Markdown hard break stays outside
        out.append(f"{head}{FSI}{body.rstrip(' ') if trail else body}{PDI}{trail}")
    return "\n".join(out)


def alignment(text: str) -> Align:
    """``text_alignment`` for st.markdown: "right" for mostly right-to-left text, else "left"."""
    return "right" if is_rtl(text) else "left"
