"""Which files on disk are models: every folder of the host, walked once, each file claimed once.

Several Civitai types share a folder (LORA/LoCon/DoRA use ``Lora`` and ``LyCORIS``;
``UNet`` uses the checkpoint folder), so a file belongs to the first type that lists its
folder: the type decides the WebUI hash-cache title (``lora/<stem>``, ``checkpoint/<rel>``)
and where a "move into the folder rules" would put it. Folders from the settings'
``extra_folders`` are walked too. Hidden entries, empty files and downloads in progress
(``.part``) are skipped; symlinked folders are followed once (a loop cannot hang the walk).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files.folders import parse_extra_folders
from ..host.base import MODEL_EXTENSIONS

log = logging.getLogger(__name__)

#: Types whose Civitai files are archives; elsewhere a .zip is not a model
ARCHIVE_TYPES = ("Poses", "Wildcards", "Workflows", "Other", "AestheticGradient")
_NON_ARCHIVE = tuple(ext for ext in MODEL_EXTENSIONS if ext != ".zip")


@dataclass(frozen=True)
class ModelFile:
    """A model file found on disk, with the type of the folder that holds it."""

    path: Path
    model_type: str
    root: Path          # the type folder it was found under
    size: int
    mtime_ns: int


def extensions_for(model_type: str) -> tuple[str, ...]:
    """The file extensions a scan treats as models of ``model_type``."""
    return MODEL_EXTENSIONS if model_type in ARCHIVE_TYPES else _NON_ARCHIVE


def scan_roots(host: Any, settings: Any = None) -> list[tuple[str, Path]]:
    """(type, folder) pairs to walk: the settings' extra folders first, then the host's, no repeats."""
    roots: list[tuple[str, Path]] = []
    seen: set[str] = set()
    extra = parse_extra_folders(getattr(settings, "extra_folders", "") if settings is not None else "")
    host_folders: Mapping[str, Sequence[Path]] = host.model_folders()
    by_lower = {t.lower(): t for t in host_folders}
    candidates = [(by_lower.get(t, t), p) for t, p in extra.items()]
    candidates += [(t, Path(p)) for t, folders in host_folders.items() for p in folders]
    for model_type, folder in candidates:
        key = os.path.normcase(os.path.abspath(folder))
        if key not in seen:
            seen.add(key)
            roots.append((model_type, Path(os.path.abspath(folder))))
    return roots


def walk_files(root: Path) -> Iterator[os.DirEntry]:
    """Every regular file under ``root``, following symlinked folders once each."""
    visited: set[tuple[int, int]] = set()
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            log.warning("Cannot read folder %s: %s", folder, exc)
            continue
        for entry in items:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=True):
                    yield entry
            except OSError as exc:
                log.warning("Cannot read %s: %s", entry.path, exc)


def find_model_files(roots: Sequence[tuple[str, Path]]) -> list[ModelFile]:
    """Every model file under ``roots``, each claimed by one root.

    A root nested in another (``models/Lora`` inside a walked ``models``) keeps its files:
    deeper roots are walked first so their type wins over the outer folder's; between
    roots of equal depth the one listed first wins.
    """
    order = sorted(range(len(roots)), key=lambda i: (-len(Path(roots[i][1]).parts), i))
    claimed: dict[str, ModelFile] = {}
    for index in order:
        model_type, root = roots[index]
        if not Path(root).is_dir():
            continue
        allowed = extensions_for(model_type)
        for entry in walk_files(Path(root)):
            key = os.path.normcase(entry.path)
            if key in claimed or not entry.name.lower().endswith(allowed):
                continue
            try:
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                log.warning("Cannot read %s: %s", entry.path, exc)
                continue
            if info.st_size == 0:
                continue  # the WebUI skips empty files too; their hash means nothing
            claimed[key] = ModelFile(Path(entry.path), model_type, Path(root), info.st_size, info.st_mtime_ns)
    return sorted(claimed.values(), key=lambda f: str(f.path))
