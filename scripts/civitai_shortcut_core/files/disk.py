"""Free-space check before a download writes its first byte.

A download that fills the disk fails half-way and can break other programs writing to the
same disk, so the remaining size (expected size minus the ``.part`` already there) plus a
small margin must be free before we start.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from .errors import DiskFull

#: kept free beyond the download, so the disk is never filled to the last byte
MARGIN = 16 * 1024 * 1024


def free_bytes(folder: str | Path) -> int:
    """Free bytes for the current user on the filesystem holding ``folder`` (or its nearest existing parent)."""
    path = Path(folder)
    while not path.exists() and path.parent != path:
        path = path.parent
    return shutil.disk_usage(path).free


def ensure_free_space(folder: str | Path, needed: int, *, margin: int = MARGIN,
                      free: Callable[[str | Path], int] = free_bytes) -> None:
    """Raises :class:`DiskFull` unless ``needed`` bytes (plus ``margin``) are free in ``folder``."""
    if needed <= 0:
        return
    available = free(folder)
    if available < needed + margin:
        raise DiskFull(folder, needed, available)
