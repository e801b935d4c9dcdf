"""Files in the cache folder that can be made again (stored vectors, trained routers): a few are kept."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def newest_first(files: Iterable[Path]) -> list[Path]:
    """``files``, the most recently modified first (one removed meanwhile counts as the oldest)."""

    def modified(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(files, key=modified, reverse=True)


def keep_newest(files: Iterable[Path], keep: int) -> None:
    """Remove all but the ``keep`` most recently modified of ``files``."""
    for old in newest_first(files)[keep:]:
        old.unlink(missing_ok=True)
