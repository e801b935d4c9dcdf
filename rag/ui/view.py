"""What one answer shows, derived once: the app keeps an ``AnswerView`` beside each answer.

Plain Python (no Streamlit), so a rerun of the page only lays out strings computed when the
answer first appeared (or when a part was first opened), never recomputes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rag.answer.schema import Answer, CitationOut, DomainAssessmentOut, overview_groups
from rag.classroom import OtherSide, discussion_questions, other_side
from rag.framework import Catalogue
from rag.text import (
    Align,
    Attribution,
    alignment,
    answer_markdown,
    attribution,
    based_on_markdown,
    escape_md,
    isolate_lines,
    readable_refs,
    safe_link,
    short,
)

ChunkLookup = Callable[[str], Any]  # chunk id -> Chunk | None
ORIGIN_WORDS = {"talk": "named in the talk", "paper": "FAccT 2025 paper", "project": "the project's reading"}


@dataclass(frozen=True)
class CitationGroup:
    """Citations of one source, shown together under one header."""

    header: str  # Markdown, escaped
    based_on: str  # Markdown ("Based on: ..."), or ""
    citations: tuple[CitationOut, ...]


def text_block(text: str) -> tuple[str, Align]:
    """User or document text as (escaped Markdown with isolated right-to-left lines, alignment)."""
    return isolate_lines(escape_md(text).replace("\n", "  \n")), alignment(text)


class AnswerView:
    """Everything the page shows for one answer, each part computed on first use and kept."""

    def __init__(self, answer: Answer, catalogue: Catalogue, lookup: ChunkLookup) -> None:
        self.answer = answer
        self.catalogue = catalogue
        self.lookup = lookup

    @cached_property
    def known(self) -> set[str]:
        """The ids of the answer's citations (the markers the text may show)."""
        return {c.id for c in self.answer.citations}

    @cached_property
    def question(self) -> tuple[str, Align]:
        """The question as (escaped Markdown, alignment)."""
        return text_block(self.answer.question)

    @cached_property
    def body(self) -> tuple[str, Align]:
        """The answer text (Markdown, alignment); a refusal is shown as escaped plain text."""
        if self.answer.out_of_scope:
            return text_block(self.answer.answer)
        text = readable_refs(self.answer.answer, self.catalogue.sources)  # any [@source] left in the text
        return answer_markdown(text, self.known), alignment(text)

    @cached_property
    def notices(self) -> list[str]:
        """The answer's notices as escaped Markdown, right-to-left lines isolated."""
        return [isolate_lines(escape_md(n)) for n in self.answer.notices]

    @cached_property
    def not_assessed(self) -> bool:
        """An area the catalogue does not assess: its conditions are evidence, not ratings."""
        return self.answer.question_type == "apply_framework" or (
            self.answer.unknown_domain and not self.answer.verdict
        )

    def chunk(self, c: CitationOut) -> Any:
        """The passage a citation points to, or None when the index no longer holds it."""
        return self.lookup(c.chunk_id)

    @cached_property
    def attributions(self) -> dict[str, Attribution]:
        """Who wrote each cited passage and what it is based on, by citation id."""
        sources = self.catalogue.sources
        return {c.id: attribution(c, sources, self.chunk(c)) for c in self.answer.citations}

    @cached_property
    def groups(self) -> list[CitationGroup]:
        """The citations grouped by source, in order of first citation, each under one header."""
        by_source: dict[str, list[CitationOut]] = {}
        for c in self.answer.citations:
            by_source.setdefault(c.source_id, []).append(c)
        out = []
        for cites in by_source.values():
            att = self.attributions[cites[0].id]
            head = escape_md(short(att.header, 90))
            out.append(CitationGroup(head, based_on_markdown(att), tuple(cites)))
        return out

    def passage(self, c: CitationOut) -> tuple[str, Align]:
        """A cited passage as (escaped Markdown, alignment): inline references made readable,
        the project's own writing named as such, uploads shown exactly as written."""
        text = c.text if self.attributions[c.id].from_user else readable_refs(c.text, self.catalogue.sources)
        return text_block(text)

    @cached_property
    def sources_lines(self) -> tuple[list[str], list[str]]:
        """Markdown list lines: what the answer cited, then what it retrieved but did not cite."""
        cited_ids = {c.chunk_id for c in self.answer.citations}
        cited = []
        for c in self.answer.citations:
            att = self.attributions[c.id]
            link = None if att.from_user else safe_link(c.url)
            line = f"- {escape_md(f'[{c.id}]')} **{escape_md(att.header)}**, {escape_md(c.locator)}"
            line += f" · [link]({link})" if link else ""
            if att.based_on:
                line += " · " + based_on_markdown(att).replace("Based on:", "based on:", 1)
            cited.append(line)
        also = []
        for cid in self.answer.retrieved:
            if cid in cited_ids:
                continue
            ch = self.lookup(cid)
            if ch is None:
                continue
            parts = [f"- **{escape_md(ch.title or ch.source_id)}**", escape_md(ch.locator)]
            if ch.section and ch.section != ch.locator:
                parts.append(escape_md(ch.section))
            if ch.kind == "user":
                parts.append("your document")
            link = None if ch.kind == "user" else safe_link(ch.url)
            also.append(", ".join(parts) + (f" · [link]({link})" if link else ""))
        return cited, also

    @cached_property
    def discussion(self) -> list[str]:
        """Questions for a class discussion of this answer (empty for a refusal)."""
        return discussion_questions(self.answer, self.catalogue)

    @cached_property
    def other_side(self) -> OtherSide | None:
        """The strongest case against the verdict, or None when the answer has no verdict."""
        return other_side(self.answer, self.catalogue, self.lookup)

    @cached_property
    def has_classroom(self) -> bool:
        """Whether the classroom tools have something to show (this builds both of them)."""
        return bool(self.discussion) or self.other_side is not None

    @cached_property
    def overview_groups(self) -> list[tuple[str, list[DomainAssessmentOut]]]:
        """The overview's domains by verdict, the group asked about first; the talk's first in each."""
        return overview_groups(self.answer.overview)
