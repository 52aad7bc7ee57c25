"""Titles the WebUI uses as keys in its ``hashes`` cache (host-gradio.md §1.8).

Both adapters compute titles here: ``webui.py`` hands them to ``modules.hashes`` and
``standalone.py`` to :mod:`.webui_hash_cache`. A title that differs from the WebUI's by one
character is a silent cache miss (the file is hashed again and the WebUI never sees our
entry), so this mirrors the WebUI's own naming:

    checkpoint/<path relative to the checkpoint folder, with extension>   sd_models.CheckpointInfo
    lora/<file name without extension>                                    Lora network.NetworkOnDisk
    textual_inversion/<file name without extension>                       textual_inversion.py
    hypernet/<file name without extension>                                hypernetwork.py

Other types (VAE, ControlNet, upscalers...) have no per-file title in the WebUI (the loaded
VAE is keyed plain ``vae``), so they get ``None`` and are cached only in our library.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

CHECKPOINT_TYPES = ("Checkpoint", "UNet")
LORA_TYPES = ("LORA", "LoCon", "DoRA", "LyCORIS")


def _checkpoint_name(path: Path, folders: Sequence[Path]) -> str:
    """The WebUI's checkpoint name: relative to the first checkpoint folder holding it, else the basename.

    The WebUI uses ``os.path.abspath`` (symlinks kept) and native separators, so we do too.
    """
    absolute = os.path.abspath(path)
    for folder in folders:
        base = os.path.abspath(folder)
        if absolute.startswith(base.rstrip(os.sep) + os.sep):
            return absolute[len(base.rstrip(os.sep)) + 1:]
    return os.path.basename(absolute)


def webui_title(path: str | Path, model_type: str, folders: Mapping[str, Sequence[Path]]) -> str | None:
    """Returns the WebUI cache title for a model file, or None when the WebUI has none for its type.

    Args:
        path: the model file.
        model_type: the type of the folder it was found in (a Civitai type: ``Checkpoint``,
            ``LORA``, ``TextualInversion``...).
        folders: the host's model folders; checkpoints are named relative to ``Checkpoint``'s.
    """
    path = Path(path)
    if model_type in CHECKPOINT_TYPES:
        return "checkpoint/" + _checkpoint_name(path, folders.get("Checkpoint", ()))
    stem = os.path.splitext(path.name)[0]
    if model_type in LORA_TYPES:
        return "lora/" + stem
    if model_type == "TextualInversion":
        return "textual_inversion/" + stem
    if model_type == "Hypernetwork":
        return "hypernet/" + stem
    return None
