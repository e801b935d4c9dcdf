"""rag.text: who wrote a cited passage, the project's reading, and right-to-left text."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.schema import CitationOut
from rag.framework import Catalogue
from rag.text import (
    FSI,
    PDI,
    alignment,
    answer_markdown,
    attribution,
    based_on_markdown,
    escape_md,
    is_rtl,
    isolate_lines,
    readable_citations,
)


@pytest.fixture
def catalogue(mini_knowledge: Path) -> Catalogue:
    return Catalogue(mini_knowledge)


def cite(source_id: str, title: str, kind: str = "", based_on: tuple[str, ...] = (), **kw: str) -> CitationOut:
    return CitationOut(
        id="c1",
        source_id=source_id,
        title=title,
        locator=kw.get("locator", "slide 1"),
        chunk_id="k1",
        text="text",
        source_kind=kind,
        based_on=list(based_on),
    )


def titles(catalogue: Catalogue):  # type: ignore[no-untyped-def]
    return lambda sid: catalogue.sources[sid].title if sid in catalogue.sources else None


def kinds(catalogue: Catalogue):  # type: ignore[no-untyped-def]
    return lambda sid: catalogue.sources[sid].kind if sid in catalogue.sources else ""


def test_references_to_the_projects_own_writing_read_as_its_reading(catalogue: Catalogue) -> None:
    text = "Incidents are shared [@talk, slide 2; @note-hotline]. Rated partial [@assessment-compute-controls]."
    shown = readable_citations(text, titles(catalogue), kinds(catalogue))
    assert "(A talk about cooperation, slide 2; the project's reading)" in shown
    assert "Rated partial (the project's reading)." in shown
    assert "Project note" not in shown and "@" not in shown


def test_without_kinds_every_reference_reads_as_its_title(catalogue: Catalogue) -> None:
    shown = readable_citations("x [@note-hotline]", titles(catalogue))
    assert shown == "x (Project note: the hotline)"


@pytest.mark.parametrize(
    ("kind", "source_id", "title", "header"),
    [
        (
            "assessment",
            "assessment-compute-controls",
            "Project assessment: compute controls",
            "Project assessment: compute controls",
        ),
        ("note", "note-hotline", "Project note: the hotline", "Project note: the hotline"),
        ("note", "note-x", "A note without the prefix", "Project note: A note without the prefix"),
        ("user", "upload-brief-md", "brief.md", "Your document: brief.md"),
        ("talk", "talk", "A talk about cooperation", "A talk about cooperation"),
    ],
)
def test_header_says_what_a_citation_is(
    catalogue: Catalogue, kind: str, source_id: str, title: str, header: str
) -> None:
    att = attribution(cite(source_id, title, kind), catalogue.sources)
    assert att.header == header and att.kind == kind
    assert att.own == (kind in ("note", "assessment")) and att.from_user == (kind == "user")


def test_kind_comes_from_the_catalogue_or_the_chunk_when_the_engine_gave_none(catalogue: Catalogue) -> None:
    assert attribution(cite("note-hotline", "Project note: the hotline"), catalogue.sources).kind == "note"

    class Chunk:
        kind = "user"

    assert attribution(cite("upload-x-md", "x.md"), catalogue.sources, Chunk()).header == "Your document: x.md"
    assert attribution(cite("upload-x-md", "x.md"), catalogue.sources).kind == ""  # never by the id's prefix


def test_based_on_lists_catalogue_titles_linked_when_the_catalogue_has_a_url(catalogue: Catalogue) -> None:
    att = attribution(
        cite("note-hotline", "Project note: the hotline", "note", ("chips-rule", "talk", "nowhere")), catalogue.sources
    )
    assert att.based_on == (
        ("A rule on chip exports", "https://example.org/chips"),
        ("A talk about cooperation", None),
        ("nowhere", None),
    )
    line = based_on_markdown(att)
    assert line.startswith("Based on: [A rule on chip exports](https://example.org/chips), A talk about cooperation")
    assert based_on_markdown(attribution(cite("talk", "A talk about cooperation", "talk"), catalogue.sources)) == ""


def test_based_on_titles_are_escaped() -> None:
    class Source:
        title = "Evil [link](http://x) *bold*"
        link = "javascript:alert(1)"

    att = attribution(cite("n", "Project note: n", "note", ("evil",)), {"evil": Source()})
    line = based_on_markdown(att)
    assert "](javascript" not in line and "\\[link\\]" in line


ARABIC = "هل يمكن للدول المتنافسة التعاون في ضوابط الحوسبة؟"
HEBREW = "האם יריבות יכולות לשתף פעולה?"


def test_right_to_left_text_is_recognised() -> None:
    assert is_rtl(ARABIC) and is_rtl(HEBREW) and is_rtl("لماذا AI؟")
    assert not is_rtl("could rivals cooperate?") and not is_rtl("中国和美国能合作吗？")
    assert not is_rtl("An English sentence quoting one word: التعاون.")
    assert alignment(ARABIC) == "right" and alignment("hello") == "left"


def test_right_to_left_lines_are_isolated_after_their_markdown_markers() -> None:
    md = f"#### {ARABIC}\n- {HEBREW}\nplain English line\n| {ARABIC} | x |"
    lines = isolate_lines(md).split("\n")
    assert lines[0] == f"#### {FSI}{ARABIC}{PDI}"
    assert lines[1] == f"- {FSI}{HEBREW}{PDI}"
    assert lines[2] == "plain English line"  # left alone
    assert lines[3] == f"| {ARABIC} | x |"  # tables keep their cell syntax
    assert isolate_lines("no rtl here") == "no rtl here"


def test_escaped_user_text_keeps_its_isolates_and_a_hard_break_stays_outside() -> None:
    shown = isolate_lines(escape_md(ARABIC + " (1)") + "  ")
    assert shown.startswith(FSI) and shown.endswith(PDI + "  ") and "\\(1\\)" in shown


def test_answer_markdown_isolates_right_to_left_lines_and_keeps_badges() -> None:
    md = answer_markdown(f"{ARABIC} [c1]\n\nEnglish [c1]", {"c1"})
    first, _, last = md.split("\n")
    assert first.startswith(FSI + ARABIC) and first.endswith(":blue-badge[c1]" + PDI)
    assert last.startswith("English") and last.endswith(":blue-badge[c1]") and md.count(FSI) == 1


def test_kind_and_based_on_come_from_the_chunk_when_the_citation_lacks_them(catalogue: Catalogue) -> None:
    class Chunk:
        kind = "precedent"
        source_kind = "note"
        based_on = ("talk",)

    att = attribution(cite("note-hotline", "Project note: the hotline"), catalogue.sources, Chunk())
    assert att.kind == "note" and att.based_on == (("A talk about cooperation", None),)
    given = cite("note-hotline", "Project note: the hotline", "note", ("chips-rule",))
    assert attribution(given, catalogue.sources, Chunk()).based_on[0][0] == "A rule on chip exports"
