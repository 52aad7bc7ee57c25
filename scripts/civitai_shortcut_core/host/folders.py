"""Model folders per Civitai type, from a models root laid out like the WebUI's ``models/``."""

from __future__ import annotations

from pathlib import Path

from .base import DEFAULT_SUBFOLDERS, OTHER_FOLDER


def folder_for(folders: dict[str, list[Path]], models_root: Path, model_type: str) -> Path:
    """The download folder for ``model_type``; unknown types get ``<models>/Other/<type>``."""
    known = folders.get(model_type)
    if known:
        return known[0]
    safe = "".join(ch for ch in str(model_type) if ch.isalnum() or ch in "-_ ") or "Unknown"
    return models_root / OTHER_FOLDER / safe


def default_folders(models_root: Path, embeddings: Path | None = None) -> dict[str, list[Path]]:
    """A1111-style folders under ``models_root`` (embeddings beside it unless given)."""
    folders: dict[str, list[Path]] = {}
    for model_type, sub in DEFAULT_SUBFOLDERS.items():
        if model_type == "TextualInversion":
            folders[model_type] = [embeddings or (models_root.parent / "embeddings")]
        else:
            folders[model_type] = [models_root / sub]
    for lora_type in ("LORA", "LoCon", "DoRA"):
        folders[lora_type].append(models_root / "LyCORIS")
    return folders
