"""The validator passes on the shipped knowledge and catches each kind of fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.knowledge_check import check_knowledge
from tests.conftest import KNOWLEDGE


def test_shipped_knowledge_is_valid() -> None:
    assert check_knowledge(KNOWLEDGE) == []


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


def test_unknown_locator_is_reported(kb: Path) -> None:
    _edit(kb / "domains" / "military-ai.yaml", "locator: slide 5", "locator: slide 99")
    assert any("unknown locator 'slide 99'" in p for p in check_knowledge(kb))


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
