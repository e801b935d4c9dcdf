"""The validator passes on the shipped knowledge and catches each kind of fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.knowledge_check import check_knowledge
from tests.conftest import KNOWLEDGE


def test_shipped_knowledge_is_valid() -> None:
    assert check_knowledge(KNOWLEDGE) == []


MINI_ONLY = ("fixed domain", "fixed source")  # the mini knowledge base lacks the fixed ids on purpose


def _mini_problems(kdir: Path) -> list[str]:
    return [p for p in check_knowledge(kdir) if not any(m in p for m in MINI_ONLY)]


def test_mini_knowledge_follows_the_attribution_rules(mini_knowledge: Path) -> None:
    assert _mini_problems(mini_knowledge) == []


def test_a_judgement_cited_to_the_talk_alone_is_reported(mini_knowledge: Path) -> None:
    _edit(
        mini_knowledge / "framework" / "mini.md",
        "it asks whether cooperating hands the rival a strategic edge [@note-mini-framework; @talk, slide 1]",
        "it asks whether cooperating hands the rival a strategic edge [@talk, slide 1]",
    )
    assert any("cites talk alone, but the slide does not say this" in p for p in _mini_problems(mini_knowledge))


def test_a_phrase_quoted_from_the_slide_carries_the_sentence(mini_knowledge: Path) -> None:
    path = mini_knowledge / "framework" / "mini.md"
    path.write_text(
        path.read_text()
        + '\n## Quoted\nThe speaker warns, in a word, that "some countries are left out" [@talk, slide 2].\n'
    )
    assert _mini_problems(mini_knowledge) == []
    _edit(path, '"some countries are left out"', '"nobody is left out"')
    assert any("the slide does not say this" in p for p in _mini_problems(mini_knowledge))


def test_a_sentence_without_a_reference_is_reported(mini_knowledge: Path) -> None:
    _edit(
        mini_knowledge / "precedents" / "hotline.md",
        "in 1963 [@talk, slide 3].",
        "in 1963 [@talk, slide 3]. It worked.",
    )
    assert any("sentence without a reference: 'It worked.'" in p for p in _mini_problems(mini_knowledge))


def test_reference_lists_beside_the_text_are_reported(mini_knowledge: Path) -> None:
    _edit(
        mini_knowledge / "domains" / "compute-controls.yaml",
        "precedents: []",
        "verdict_citations: [{source: talk, locator: slide 1}]\nprecedents: []",
    )
    assert any("cite inline, sentence by sentence" in p for p in _mini_problems(mini_knowledge))


def test_notes_and_assessments_must_be_sources_of_their_own(mini_knowledge: Path) -> None:
    _edit(mini_knowledge / "precedents" / "hotline.md", "source_id: note-hotline", "source_id: talk")
    problems = _mini_problems(mini_knowledge)
    assert any("'talk' must be a source of kind note or assessment" in p for p in problems)
    assert any("note-hotline (note) belongs to no knowledge file" in p for p in problems)


def test_paths_outside_the_repository_are_reported(mini_knowledge: Path) -> None:
    path = mini_knowledge / "sources.yaml"
    path.write_text(
        "# written from ../notes/facts.md\n# and /srv/research/facts.md\n# see https://example.org/a/b.md\n"
        + path.read_text()
    )
    problems = _mini_problems(mini_knowledge)
    assert any("sources.yaml:1: refers to a path outside the repository" in p for p in problems)
    assert any("sources.yaml:2: refers to a path outside the repository" in p for p in problems)
    assert not any("sources.yaml:3:" in p for p in problems)  # a URL's path is not one


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_unknown_source_is_reported(kb: Path) -> None:
    _edit(kb / "framework" / "competitive-cooperation.md", "[@tabassi-competitive-cooperation", "[@no-such-source")
    assert any("unknown source 'no-such-source'" in p for p in check_knowledge(kb))


def test_unknown_locator_is_reported(mini_knowledge: Path) -> None:
    _edit(mini_knowledge / "domains" / "compute-controls.yaml", "[@talk, slide 1]", "[@talk, slide 99]")
    assert any("unknown locator 'slide 99'" in p for p in check_knowledge(mini_knowledge))


def test_missing_condition_and_bad_rating_are_reported(kb: Path) -> None:
    path = kb / "domains" / "incident-reporting.yaml"
    import yaml

    data = yaml.safe_load(path.read_text())
    del data["conditions"]["mutual_vulnerability"]
    data["conditions"]["domain_separability"]["rating"] = "sort-of"
    path.write_text(yaml.safe_dump(data))
    problems = check_knowledge(kb)
    assert any("missing condition" in p for p in problems)
    assert any("domain_separability.rating" in p for p in problems)


def test_fixed_verdict_contradicting_its_source_is_reported(kb: Path) -> None:
    _edit(kb / "domains" / "compute-controls.yaml", "verdict: infeasible", "verdict: feasible")
    assert any("contradicts tabassi-competitive-cooperation" in p for p in check_knowledge(kb))


def test_shared_alias_is_reported(kb: Path) -> None:
    import yaml

    a = yaml.safe_load((kb / "domains" / "compute-controls.yaml").read_text())
    path = kb / "domains" / "military-ai.yaml"
    data = yaml.safe_load(path.read_text())
    data["aliases"].append(a["aliases"][0])
    path.write_text(yaml.safe_dump(data))
    assert any("is shared by compute-controls, military-ai" in p for p in check_knowledge(kb))


def test_section_without_citation_is_reported(kb: Path) -> None:
    path = kb / "framework" / "competitive-cooperation.md"
    path.write_text(path.read_text() + "\n## An uncited section\nA claim with no source at all.\n")
    assert any("An uncited section: section has no citation" in p for p in check_knowledge(kb))


def test_s3_fact_without_unconfirmed_flag_is_reported(mini_knowledge: Path) -> None:
    _edit(mini_knowledge / "framework" / "mini.md", "which is unconfirmed", "which is certain")
    assert any("without marking it unconfirmed" in p for p in check_knowledge(mini_knowledge))


def test_lead_naming_no_heading_is_reported(kb: Path) -> None:
    path = kb / "cases" / "deepseek-2025.md"
    _edit(path, "\n---\n", '\nlead: ["A section that does not exist"]\n---\n')
    assert any("lead names 'A section that does not exist'" in p for p in check_knowledge(kb))
