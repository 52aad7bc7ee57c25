"""Titles the WebUI uses as keys in its ``hashes`` cache (modules/hashes.py callers)."""

from __future__ import annotations

from pathlib import Path


def webui_title(path: Path, model_type: str, folders: dict[str, list[Path]]) -> str:
    """``checkpoint/<relative path>``, ``lora/<stem>``, ``textual_inversion/<stem>``, ``hypernet/<stem>``."""
    path = Path(path)
    if model_type in ("Checkpoint", "UNet"):
        for folder in folders.get("Checkpoint", []):
            try:
                return "checkpoint/" + path.relative_to(folder).as_posix()
            except ValueError:
                continue
        return "checkpoint/" + path.name
    if model_type in ("LORA", "LoCon", "DoRA"):
        return "lora/" + path.stem
    if model_type == "TextualInversion":
        return "textual_inversion/" + path.stem
    if model_type == "Hypernetwork":
        return "hypernet/" + path.stem
    return f"civitai_shortcut/{model_type}/{path.name}"
