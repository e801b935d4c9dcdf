"""Build hook: the wheel carries the top-level prompts/ and knowledge/ as rag/_bundled/.

The top-level folders stay the source of truth and nothing under rag/_bundled is committed;
``rag.config.project_folder`` reads the checkout's folders when they exist, else the bundled copy.
Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("prompts", "knowledge")


class BuildPyWithData(build_py):
    """``build_py`` that also copies the top-level data folders into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the folders in place
            return
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing, the wheel would have no {name}/")
            target = Path(self.build_lib, "rag", "_bundled", name)
            shutil.rmtree(target, ignore_errors=True)  # a reused build/ must not keep deleted files
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]", ".*"))


setup(cmdclass={"build_py": BuildPyWithData})
