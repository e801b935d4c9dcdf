"""A conversation as a Markdown file and as a printable HTML handout.

Both carry, for each answer: the question, the verdict and the three ratings, the
answer, every cited passage in full, and the classroom tools. In the HTML every piece
of text is escaped (answers are rendered from Markdown with raw HTML, links and images
disabled), so nothing a document or a question contains can run in the reader's browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from rag.answer.schema import Answer
from rag.framework import CONDITION_NAMES, CONDITIONS, RATING_WORDS, VERDICT_WORDS, Catalogue
from rag.classroom import ChunkLookup, discussion_questions, other_side
from rag.text import layout, neutralise, passage_text

TITLE = "Competitive Cooperation Navigator"
VERDICT_MARKS = {"feasible": "✔", "mixed": "◐", "infeasible": "✖"}
RATING_MARKS = {"met": "✔", "partial": "◐", "not_met": "✖", "unknown": "?"}
_MARKER = re.compile(r"\[(c\d+)\]")


def _title_of(catalogue: Catalogue) -> Callable[[str], str | None]:
    return lambda sid: catalogue.sources[sid].title if sid in catalogue.sources else None


def _passage(answer: Answer, cid: str, catalogue: Catalogue) -> str:
    c = next(c for c in answer.citations if c.id == cid)
    return passage_text(c.text, _title_of(catalogue), from_user=c.source_id.startswith("upload-"))


def _stamp(generated: datetime | None) -> str:
    return (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")


# -- Markdown --------------------------------------------------------------------
def _md_text(text: str) -> str:
    """User or document text for a Markdown file: no HTML, no links."""
    return neutralise(text).replace("\u200b", "")


def conversation_markdown(
    answers: Sequence[Answer], catalogue: Catalogue, lookup: ChunkLookup, *, generated: datetime | None = None
) -> str:
    out = [f"# {TITLE}: conversation", "", f"Exported {_stamp(generated)}. Markers such as [c1] refer to the "
           "passages quoted under each answer.", ""]
    for n, a in enumerate(answers, start=1):
        out += [f"## {n}. {_md_text(a.question)}", ""]
        if a.verdict:
            out += [f"**Verdict:** {VERDICT_MARKS[a.verdict]} {VERDICT_WORDS[a.verdict]}", ""]
        if a.conditions:
            out += ["| Condition | Rating |", "|---|---|"]
            out += [f"| {CONDITION_NAMES[c]} | {RATING_MARKS[a.conditions[c].rating]} "
                    f"{RATING_WORDS[a.conditions[c].rating]} |" for c in CONDITIONS if c in a.conditions]
            out.append("")
        out += [_md_text(layout(a.answer)), ""]
        for note in a.notices:
            out += [f"> Note: {_md_text(note)}", ""]
        if a.citations:
            out += ["### Cited passages", ""]
            for c in a.citations:
                where = f"{_md_text(c.title)}, {_md_text(c.locator)}"
                out.append(f"- **[{c.id}]** {where}" + (f" <{c.url}>" if c.url and c.url.startswith("http") else ""))
                quoted = _md_text(_passage(a, c.id, catalogue)).replace("\n", "\n  > ")
                out += [f"  > {quoted}", ""]
        questions = discussion_questions(a, catalogue)
        if questions:
            out += ["### Discussion questions", ""] + [f"{i}. {q}" for i, q in enumerate(questions, start=1)] + [""]
        side = other_side(a, catalogue, lookup)
        if side:
            out += [f"### Argue the other side: {side.heading}", "", side.intro, ""]
            out += [f"- {p}" for p in side.points] + [""]
    return "\n".join(out).rstrip() + "\n"


# -- HTML ------------------------------------------------------------------------
def _markdown_renderer():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable(
        ["image", "link", "autolink"]
    )


def _answer_html(text: str, prefix: str, known: set[str]) -> str:
    rendered = _markdown_renderer().render(text)

    def cite(m: re.Match[str]) -> str:
        cid = m.group(1)
        if cid not in known:
            return ""
        return f'<sup class="cite"><a href="#{prefix}-{cid}">[{cid}]</a></sup>'

    return _MARKER.sub(cite, rendered)


_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font: 12pt/1.5 Georgia, "Times New Roman", serif; color: #111; max-width: 48em; margin: 2em auto;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.3em; border-top: 2px solid #333; padding-top: 0.6em; }
h3 { font-size: 1.05em; margin-top: 1.4em; } h4 { font-size: 1em; }
.meta { color: #444; font-size: 0.9em; }
.verdict { display: inline-block; border: 2px solid #333; border-radius: 4px; padding: 0.15em 0.6em;
           font-weight: bold; }
.feasible { background: #e3f4ec; } .mixed { background: #fdf1d8; } .infeasible { background: #fbe3dc; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #777; padding: 0.25em 0.6em; text-align: left; }
blockquote { margin: 0.3em 0 0.9em 0; padding: 0.3em 0.8em; border-left: 4px solid #777; background: #f5f5f5; }
.passage { page-break-inside: avoid; } sup.cite a { text-decoration: none; font-size: 0.8em; }
.qa { page-break-before: auto; } .notice { border: 1px dashed #777; padding: 0.3em 0.6em; }
@media print { body { margin: 0; max-width: none; } a { color: #111; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def conversation_html(
    answers: Sequence[Answer], catalogue: Catalogue, lookup: ChunkLookup, *, generated: datetime | None = None
) -> str:
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(TITLE)}: handout</title>", f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="meta">Handout exported {_e(_stamp(generated))}. When can geopolitical rivals cooperate on AI '
        "governance? Each answer is judged on three conditions: domain separability, mutual vulnerability and "
        "verification feasibility. Superscript markers point to the quoted passages.</p>",
    ]
    for n, a in enumerate(answers, start=1):
        prefix = f"a{n}"
        known = {c.id for c in a.citations}
        parts.append(f'<section class="qa"><h2>{n}. {_e(a.question)}</h2>')
        if a.verdict:
            parts.append(f'<p><span class="verdict {_e(a.verdict)}">{VERDICT_MARKS[a.verdict]} Verdict: '
                         f"{_e(VERDICT_WORDS[a.verdict])}</span></p>")
        if a.conditions:
            rows = "".join(
                f"<tr><td>{_e(CONDITION_NAMES[c])}</td><td>{RATING_MARKS[a.conditions[c].rating]} "
                f"{_e(RATING_WORDS[a.conditions[c].rating])}</td></tr>"
                for c in CONDITIONS if c in a.conditions
            )
            parts.append(f"<table><tr><th>Condition</th><th>Rating</th></tr>{rows}</table>")
        parts.append(_answer_html(layout(a.answer), prefix, known))
        parts += [f'<p class="notice">Note: {_e(note)}</p>' for note in a.notices]
        if a.citations:
            parts.append("<h3>Cited passages</h3>")
            for c in a.citations:
                link = f" &lt;{_e(c.url)}&gt;" if c.url else ""
                parts.append(
                    f'<div class="passage" id="{prefix}-{_e(c.id)}"><p><strong>[{_e(c.id)}]</strong> '
                    f"{_e(c.title)}, {_e(c.locator)}{link}</p>"
                    f"<blockquote>{_e(_passage(a, c.id, catalogue))}</blockquote></div>"
                )
        questions = discussion_questions(a, catalogue)
        if questions:
            parts.append("<h3>Discussion questions</h3><ol>" + "".join(f"<li>{_e(q)}</li>" for q in questions)
                         + "</ol>")
        side = other_side(a, catalogue, lookup)
        if side:
            items = "".join(f"<li>{_answer_html(p, prefix, known).strip()}</li>" for p in side.points)
            parts.append(f"<h3>Argue the other side: {_e(side.heading)}</h3><p>{_e(side.intro)}</p><ul>{items}</ul>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
