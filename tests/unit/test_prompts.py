"""Every prompt file renders strictly."""

from __future__ import annotations

import pytest

from rag import prompts
from rag.errors import ConfigError


def test_every_prompt_renders_with_its_variables() -> None:
    templates = prompts.all_templates()
    assert {t.name for t in templates} >= {"system", "answer"}
    for t in templates:
        rendered = t.render(**{v: f"<{v}>" for v in t.variables})
        assert "{" not in rendered.replace("{}", "")


def test_missing_or_unknown_variables_are_errors() -> None:
    t = prompts.load("answer")
    with pytest.raises(ConfigError, match="missing variable"):
        t.render(question="q")
    with pytest.raises(ConfigError, match="unknown variable"):
        t.render(**{v: "x" for v in t.variables}, extra="y")
