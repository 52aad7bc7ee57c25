"""Moving a model file into the folder rules together with every sidecar it has.

The original extension moved only the model, so previews, ``.civitai.info`` and the user's
``.json`` stayed behind as orphans. Here the file and all its sidecars move as one unit:
nothing moves if any destination name is taken, and if a move fails half-way the ones
already moved are moved back. Nothing is ever overwritten.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from .local_sidecars import existing_sidecars, stem_of

log = logging.getLogger(__name__)


class MoveRefused(Exception):
    """The file cannot be moved without overwriting or orphaning something."""

    code = "move_refused"

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"Did not move {Path(path).name}: {reason}. It stays where it is.")


def _other_models_sharing_stem(model_file: Path, extensions: Sequence[str]) -> list[Path]:
    stem = stem_of(model_file)
    return [stem.with_name(stem.name + ext) for ext in extensions
            if ext != model_file.suffix.lower() and stem.with_name(stem.name + ext).is_file()]


def move_with_sidecars(model_file: Path, target_dir: Path, *, model_extensions: Sequence[str] = ()) -> Path:
    """Moves ``model_file`` and its sidecars into ``target_dir``; returns the model's new path.

    Args:
        model_file: the model.
        target_dir: the folder the rules chose (created when missing).
        model_extensions: extensions of model files; another model with the same stem shares
            the sidecars, so moving them would take them away from it.

    Raises:
        MoveRefused: a destination exists, or another model shares the sidecars.
        OSError: the move failed (what was moved is moved back first).
    """
    model_file, target_dir = Path(model_file), Path(target_dir)
    if model_file.parent.resolve() == target_dir.resolve():
        return model_file
    sharing = _other_models_sharing_stem(model_file, model_extensions)
    if sharing:
        raise MoveRefused(model_file, f"{sharing[0].name} shares its preview and info files")
    moves = [(src, target_dir / src.name) for src in [model_file, *existing_sidecars(model_file)]]
    taken = [dst for _, dst in moves if dst.exists()]
    if taken:
        raise MoveRefused(model_file, f"{taken[0]} already exists")
    target_dir.mkdir(parents=True, exist_ok=True)
    done: list[tuple[Path, Path]] = []
    try:
        for src, dst in moves:
            shutil.move(str(src), str(dst))  # a rename on one drive; copy and delete across drives
            done.append((src, dst))
    except OSError:
        for src, dst in reversed(done):
            shutil.move(str(dst), str(src))
        raise
    return target_dir / model_file.name
