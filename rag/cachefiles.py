"""Files in the cache folder that can be made again (stored vectors, trained routers): a few are kept."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def keep_newest(files: Iterable[Path], keep: int) -> None:
    """Remove all but the ``keep`` most recently modified of ``files``."""
    ranked = sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)
    for old in ranked[keep:]:
        old.unlink(missing_ok=True)
