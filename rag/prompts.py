"""Prompt templates are files in prompts/, validated on load and rendered strictly.

The folder is the checkout's top-level prompts/, or the copy a wheel carries (see ``project_folder``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from rag.config import project_folder
from rag.errors import ConfigError


def prompts_dir() -> Path:
    """Where the templates are: prompts/ of the checkout, or the wheel's bundled copy."""
    return project_folder("prompts")


@dataclass(frozen=True)
class Template:
    """One prompt file: its name and text, whose ``{name}`` fields are the variables to fill."""

    name: str
    text: str

    @property
    def variables(self) -> set[str]:
        """The names of the ``{fields}`` in the text."""
        return {f for _, f, _, _ in string.Formatter().parse(self.text) if f}

    def render(self, **values: str) -> str:
        """The template with every variable filled; unknown or missing names are errors."""
        missing = self.variables - set(values)
        if missing:
            raise ConfigError(f"prompt {self.name}: missing variable(s) {', '.join(sorted(missing))}")
        extra = set(values) - self.variables
        if extra:
            raise ConfigError(f"prompt {self.name}: unknown variable(s) {', '.join(sorted(extra))}")
        return self.text.format(**values)


def load(name: str, folder: Path | None = None) -> Template:
    """The template ``name`` from ``folder`` (default :func:`prompts_dir`), its braces checked."""
    path = (folder or prompts_dir()) / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"prompt file missing: {path}") from e
    try:
        list(string.Formatter().parse(text))
    except ValueError as e:
        raise ConfigError(f"prompt {name}: malformed braces: {e}") from e
    return Template(name, text)


def all_templates(folder: Path | None = None) -> list[Template]:
    """Every template in ``folder`` (default :func:`prompts_dir`)."""
    where = folder or prompts_dir()
    return [load(p.stem, where) for p in sorted(where.glob("*.md"))]
