"""YAML reading with libyaml's C parser when PyYAML has it (about ten times faster), else the pure one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of a YAML document (safe types only)."""
    return yaml.load(text, Loader=_LOADER)


def read_yaml(path: Path) -> Any:
    """The data of a UTF-8 YAML file (safe types only)."""
    return load_yaml(path.read_text(encoding="utf-8"))
