"""A conversation as a Markdown file and as a printable HTML handout.

Both carry, for each answer: the question, the verdict and the three ratings (or the
overview's groups, or "not assessed" for an area the catalogue does not assess, with its
analogies), the answer and its notices, every cited passage in full under a header saying
what it is (an external source, the project's note or assessment, your document) with the
sources it is based on, and the classroom tools. In the HTML every piece of text is escaped
(answers are rendered from Markdown with raw HTML, links and images disabled), so nothing a
document or a question contains can run in the reader's browser; text blocks carry
``dir="auto"`` so right-to-left questions and notices read in their own direction.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

from rag.answer.schema import Answer, CitationOut, overview_groups
from rag.classroom import ChunkLookup, discussion_questions, other_side
from rag.framework import CONDITION_NAMES, CONDITIONS, RATING_WORDS, VERDICT_WORDS, Catalogue
from rag.text import Attribution, attribution, layout, neutralise, readable_refs, safe_link

__all__ = ["conversation_html", "conversation_markdown"]

TITLE = "Competitive Cooperation Navigator"
VERDICT_MARKS = {"feasible": "✔", "mixed": "◐", "infeasible": "✖"}
RATING_MARKS = {"met": "✔", "partial": "◐", "not_met": "✖", "unknown": "?"}
NOT_ASSESSED = "not assessed"
ORIGIN_WORDS = {"talk": "named in the talk", "paper": "FAccT 2025 paper", "project": "the project's reading"}
_MARKER = re.compile(r"\[(c\d+)\]")
FOLLOW_UP_WORDS = "Follow-up, read with the conversation as:"


class _Reader:
    """Lookups an export needs for one answer: who wrote each cited passage, and its readable text."""

    def __init__(self, answer: Answer, catalogue: Catalogue, lookup: ChunkLookup) -> None:
        self.answer = answer
        self.catalogue = catalogue
        self.lookup = lookup

    def attribution(self, c: CitationOut) -> Attribution:
        return attribution(c, self.catalogue.sources, self.lookup(c.chunk_id))

    def passage(self, c: CitationOut, att: Attribution) -> str:
        return c.text if att.from_user else readable_refs(c.text, self.catalogue.sources)

    def text(self, markdown: str) -> str:
        """Answer Markdown with any inline [@source] reference made readable."""
        return readable_refs(markdown, self.catalogue.sources)

    @property
    def not_assessed(self) -> bool:
        a = self.answer
        return a.question_type == "apply_framework" or (a.unknown_domain and not a.verdict)

    def rating(self, rating: str) -> tuple[str, str]:
        """(mark, words) of a rating; "unknown" reads "not assessed" for an unassessed area."""
        if rating == "unknown" and self.not_assessed:
            return RATING_MARKS[rating], NOT_ASSESSED
        return RATING_MARKS[rating], RATING_WORDS[rating]

    def overview_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(verdict, [(name, origin words)]) by verdict, the group asked about first; the talk's own
        lists first in each group."""
        return [
            (verdict, [(d.name, ORIGIN_WORDS.get(d.origin, d.origin)) for d in items])
            for verdict, items in overview_groups(self.answer.overview)
        ]


def follow_up_reading(a: Answer) -> str | None:
    """How a follow-up was understood (the question rewritten with the conversation), if it was one."""
    return a.standalone_question if a.standalone_question and a.standalone_question != a.question else None


def _stamp(generated: datetime | None) -> str:
    return (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")


# -- Markdown --------------------------------------------------------------------
def _md_text(text: str) -> str:
    """User or document text for a Markdown file: no HTML, no links."""
    return neutralise(text).replace("\u200b", "")


def _md_based_on(att: Attribution) -> str:
    items = [f"{_md_text(t)} <{url}>" if url else _md_text(t) for t, url in att.based_on]
    return "Based on: " + "; ".join(items)


def _md_answer(r: _Reader) -> list[str]:  # noqa: C901 - lays out every optional part of an answer in reading order
    a = r.answer
    out: list[str] = []
    if a.verdict:
        out += [f"**Verdict:** {VERDICT_MARKS[a.verdict]} {VERDICT_WORDS[a.verdict]}", ""]
    elif a.conditions and r.not_assessed:
        out += [
            "**No verdict:** the catalogue does not assess this area; the conditions below lay out the "
            "evidence found for each.",
            "",
        ]
    for verdict, items in r.overview_groups():
        out += [
            f"**{VERDICT_MARKS[verdict]} {VERDICT_WORDS[verdict].capitalize()}:** "
            + "; ".join(f"{_md_text(name)} ({origin})" if origin else _md_text(name) for name, origin in items),
            "",
        ]
    if a.conditions:
        out += ["| Condition | Rating |", "|---|---|"]
        for cid in CONDITIONS:
            if cid in a.conditions:
                mark, words = r.rating(a.conditions[cid].rating)
                out.append(f"| {CONDITION_NAMES[cid]} | {mark} {words} |")
        out.append("")
    if a.analogies:
        out += [
            "**Nearest assessed areas (analogies only):** "
            + "; ".join(
                f"{_md_text(x.name)} ({VERDICT_WORDS[x.verdict]}, similarity {x.similarity:.2f})" for x in a.analogies
            ),
            "",
        ]
    out += [_md_text(layout(r.text(a.answer))), ""]
    for note in a.notices:
        out += [f"> Note: {_md_text(note)}", ""]
    if a.citations:
        out += ["### Cited passages", ""]
        for c in a.citations:
            att = r.attribution(c)
            link = None if att.from_user else safe_link(c.url)
            out.append(f"- **[{c.id}]** {_md_text(att.header)}, {_md_text(c.locator)}" + (f" <{link}>" if link else ""))
            if att.based_on:
                out.append(f"  {_md_based_on(att)}")
            quoted = _md_text(r.passage(c, att)).replace("\n", "\n  > ")
            out += [f"  > {quoted}", ""]
    return out


def conversation_markdown(
    answers: Sequence[Answer], catalogue: Catalogue, lookup: ChunkLookup, *, generated: datetime | None = None
) -> str:
    """The conversation as one Markdown file: each question, its answer, cited passages and classroom tools."""
    out = [
        f"# {TITLE}: conversation",
        "",
        f"Exported {_stamp(generated)}. Markers such as [c1] refer to the passages quoted under each answer.",
        "",
    ]
    for n, a in enumerate(answers, start=1):
        out += [f"## {n}. {_md_text(a.question)}", ""]
        if (read_as := follow_up_reading(a)) is not None:
            out += [f"*{FOLLOW_UP_WORDS} {_md_text(read_as)}*", ""]
        out += _md_answer(_Reader(a, catalogue, lookup))
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

    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .disable(["image", "link", "autolink"])
    )


_BLOCK_TAG = re.compile(r"<(p|li|h[1-6]|td|th|blockquote)>")


def _answer_html(text: str, prefix: str, known: set[str]) -> str:
    rendered = _BLOCK_TAG.sub(r'<\1 dir="auto">', _markdown_renderer().render(text))

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
.meta { color: #444; font-size: 0.9em; } .based { color: #333; font-size: 0.9em; margin: 0 0 0.2em 0; }
.verdict { display: inline-block; border: 2px solid #333; border-radius: 4px; padding: 0.15em 0.6em;
           font-weight: bold; }
.feasible { background: #e3f4ec; } .mixed { background: #fdf1d8; } .infeasible { background: #fbe3dc; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #777; padding: 0.25em 0.6em; text-align: start; }
blockquote { margin: 0.3em 0 0.9em 0; padding: 0.3em 0.8em; border-inline-start: 4px solid #777; background: #f5f5f5; }
.passage { page-break-inside: avoid; } sup.cite a { text-decoration: none; font-size: 0.8em; }
.qa { page-break-before: auto; } .notice { border: 1px dashed #777; padding: 0.3em 0.6em; }
@media print { body { margin: 0; max-width: none; } a { color: #111; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_answer(r: _Reader, prefix: str) -> list[str]:
    a = r.answer
    known = {c.id for c in a.citations}
    parts: list[str] = []
    if a.verdict:
        parts.append(
            f'<p><span class="verdict {_e(a.verdict)}">{VERDICT_MARKS[a.verdict]} Verdict: '
            f"{_e(VERDICT_WORDS[a.verdict])}</span></p>"
        )
    elif a.conditions and r.not_assessed:
        parts.append(
            '<p><span class="verdict">? No verdict</span> The catalogue does not assess this area; the '
            "conditions below lay out the evidence found for each.</p>"
        )
    for verdict, group in r.overview_groups():
        names = "".join(f"<li>{_e(name)}{f' ({_e(origin)})' if origin else ''}</li>" for name, origin in group)
        parts.append(
            f'<p><span class="verdict {_e(verdict)}">{VERDICT_MARKS[verdict]} '
            f"{_e(VERDICT_WORDS[verdict].capitalize())}</span></p><ul>{names}</ul>"
        )
    if a.conditions:
        rows = "".join(
            f"<tr><td>{_e(CONDITION_NAMES[c])}</td><td>{' '.join(map(_e, r.rating(a.conditions[c].rating)))}</td></tr>"
            for c in CONDITIONS
            if c in a.conditions
        )
        parts.append(f"<table><tr><th>Condition</th><th>Rating</th></tr>{rows}</table>")
    if a.analogies:
        analogies = "".join(
            f"<li>{_e(x.name)}: {_e(VERDICT_WORDS[x.verdict])} (similarity {x.similarity:.2f})</li>"
            for x in a.analogies
        )
        parts.append(f"<h3>Nearest assessed areas (analogies only)</h3><ul>{analogies}</ul>")
    parts.append(_answer_html(layout(r.text(a.answer)), prefix, known))
    parts += [f'<p class="notice" dir="auto">Note: {_e(note)}</p>' for note in a.notices]
    if a.citations:
        parts.append("<h3>Cited passages</h3>")
        for c in a.citations:
            att = r.attribution(c)
            link = None if att.from_user else safe_link(c.url)
            based = ""
            if att.based_on:
                sources = "; ".join(f"{_e(t)} &lt;{_e(u)}&gt;" if u else _e(t) for t, u in att.based_on)
                based = f'<p class="based">Based on: {sources}</p>'
            parts.append(
                f'<div class="passage" id="{prefix}-{_e(c.id)}"><p dir="auto"><strong>[{_e(c.id)}]</strong> '
                f"{_e(att.header)}, {_e(c.locator)}{f' &lt;{_e(link)}&gt;' if link else ''}</p>{based}"
                f'<blockquote dir="auto">{_e(r.passage(c, att))}</blockquote></div>'
            )
    return parts


def conversation_html(
    answers: Sequence[Answer], catalogue: Catalogue, lookup: ChunkLookup, *, generated: datetime | None = None
) -> str:
    """The conversation as a printable, self-contained HTML handout, every piece of text escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(TITLE)}: handout</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(TITLE)}</h1>",
        f'<p class="meta">Handout exported {_e(_stamp(generated))}. When can geopolitical rivals cooperate on AI '
        "governance? Each answer is judged on three conditions: domain separability, mutual vulnerability and "
        "verification feasibility. Superscript markers point to the quoted passages.</p>",
    ]
    for n, a in enumerate(answers, start=1):
        prefix = f"a{n}"
        known = {c.id for c in a.citations}
        lang = a.language if re.fullmatch(r"[a-z]{2,3}", a.language or "") else "en"
        parts.append(f'<section class="qa"><h2 dir="auto" lang="{lang}">{n}. {_e(a.question)}</h2>')
        if (read_as := follow_up_reading(a)) is not None:
            parts.append(f'<p class="followup" dir="auto"><em>{FOLLOW_UP_WORDS} {_e(read_as)}</em></p>')
        parts += _html_answer(_Reader(a, catalogue, lookup), prefix)
        questions = discussion_questions(a, catalogue)
        if questions:
            parts.append(
                "<h3>Discussion questions</h3><ol>" + "".join(f"<li>{_e(q)}</li>" for q in questions) + "</ol>"
            )
        side = other_side(a, catalogue, lookup)
        if side:
            items = "".join(f"<li>{_answer_html(p, prefix, known).strip()}</li>" for p in side.points)
            parts.append(f"<h3>Argue the other side: {_e(side.heading)}</h3><p>{_e(side.intro)}</p><ul>{items}</ul>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
