"""Sidecar files beside a verified model file: ``.civitai.info``, ``.preview.png``, ``.json``.

    models/Lora/
        foo.safetensors
        foo.civitai.info     the version JSON, as Civitai Helper writes it (other tools read it)
        foo.preview.png      a real PNG re-encoded from a still image (never video bytes)
        foo.json             the WebUI's extra-networks user metadata (host-gradio.md §1.9)

They are written only after the model file is verified, always through ``write_atomic``.
The ``.json`` belongs to the user once it exists (the WebUI's card editor writes it): we
only fill keys that are missing or empty, and never touch a file we cannot parse. The
functions take data, not services, so scans can write sidecars for files found on disk.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .stills import to_png

log = logging.getLogger(__name__)

INFO_SUFFIX = ".civitai.info"
PREVIEW_SUFFIX = ".preview.png"
META_SUFFIX = ".json"
#: model types whose WebUI card editor has activation text, sd version and weight
LORA_TYPES = ("LORA", "LoCon", "DoRA", "LyCORIS")
_DESCRIPTION_CHARS = 1000


def sidecar_paths(model_file: str | Path) -> dict[str, Path]:
    """The sidecar paths of a model file: ``info``, ``preview``, ``meta``."""
    path = Path(model_file)
    stem = path.with_suffix("") if path.suffix else path
    return {
        "info": stem.with_name(stem.name + INFO_SUFFIX),
        "preview": stem.with_name(stem.name + PREVIEW_SUFFIX),
        "meta": stem.with_name(stem.name + META_SUFFIX),
    }


def info_json(version: Mapping[str, Any], *, local_names: Mapping[int, str] | None = None) -> str:
    """The ``.civitai.info`` text: the version JSON with ``files[].name`` set to the local names.

    Civitai Helper and the original extension write the raw ``/model-versions/{id}`` body
    (indent 4, UTF-8); renamed downloads keep the name they have on disk so other tools can
    match the file.
    """
    data = json.loads(json.dumps(dict(version)))  # deep copy of plain JSON
    if local_names:
        for item in data.get("files") or []:
            if isinstance(item, dict) and item.get("id") in local_names:
                item["name"] = local_names[item["id"]]
    return json.dumps(data, indent=4, ensure_ascii=False)


def write_info(model_file: str | Path, version: Mapping[str, Any], *,
               local_names: Mapping[int, str] | None = None) -> Path:
    """Writes (replaces) ``<stem>.civitai.info`` atomically."""
    return write_atomic(sidecar_paths(model_file)["info"], info_json(version, local_names=local_names))


def write_preview(model_file: str | Path, image_bytes: bytes) -> Path:
    """Writes ``<stem>.preview.png`` as a real PNG re-encoded from a still image.

    Raises:
        NotAnImage: the bytes are a video, a web page or not decodable; nothing is written.
    """
    return write_atomic(sidecar_paths(model_file)["preview"], to_png(image_bytes))


def sd_version(base_model: str | None) -> str:
    """Maps a Civitai base model to the WebUI's ``sd version`` choice (SD1, SD2, SDXL, Flux, Unknown).

    SDXL-derived families (Pony, Illustrious, NoobAI) load as SDXL, so they are SDXL here;
    the original wrote "Pony", which the WebUI's dropdown does not know.
    """
    text = (base_model or "").strip().lower()
    if text.startswith("sd 1"):
        return "SD1"
    if text.startswith("sd 2"):
        return "SD2"
    if text.startswith("sdxl") or text.split(" ")[0] in ("pony", "illustrious", "noobai"):
        return "SDXL"
    if text.startswith("flux.1"):
        return "Flux"
    return "Unknown"


def _plain_text(description: str | None) -> str:
    text = re.sub(r"<(br|/p|/li|/h\d|/div)\s*/?>", "\n", description or "", flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return text if len(text) <= _DESCRIPTION_CHARS else text[: _DESCRIPTION_CHARS - 3].rstrip() + "..."


def webui_metadata(*, model_type: str, model_url: str, base_model: str | None = None,
                   trained_words: list[str] | None = None, description: str | None = None) -> dict[str, Any]:
    """Builds our values for the WebUI's ``<stem>.json`` (what a card shows and uses).

    Args:
        model_type: the Civitai model type; LoRA-like types get activation text, sd version
            and preferred weight (0 = the WebUI's default multiplier).
        model_url: the model page, written to ``notes``.
        base_model: the version's base model (``sd version``).
        trained_words: joined with ", " into ``activation text``.
        description: HTML from Civitai; stored as plain text.
    """
    data: dict[str, Any] = {"description": _plain_text(description), "notes": model_url}
    if model_type in LORA_TYPES:
        words = [w.strip() for w in trained_words or [] if isinstance(w, str) and w.strip()]
        data["sd version"] = sd_version(base_model)
        data["activation text"] = ", ".join(words)
        data["preferred weight"] = 0
    return data


def merge_metadata(existing: Mapping[str, Any] | None, ours: Mapping[str, Any]) -> dict[str, Any]:
    """Returns ``existing`` with our values filled in only where a key is missing or empty."""
    merged = dict(existing or {})
    for key, value in ours.items():
        current = merged.get(key)
        if key not in merged or current is None or (isinstance(current, str) and not current.strip()):
            merged[key] = value
    return merged


def write_webui_metadata(model_file: str | Path, ours: Mapping[str, Any]) -> Path | None:
    """Creates ``<stem>.json``, or fills its missing/empty keys; returns None if left alone.

    A file that is not a JSON object (the user broke it, or another tool owns it) is never
    rewritten: that would destroy what the user typed.
    """
    path = sidecar_paths(model_file)["meta"]
    existing: dict[str, Any] | None = None
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning("Leaving %s alone: it is not readable JSON (%s)", path, exc)
            return None
        if not isinstance(loaded, dict):
            log.warning("Leaving %s alone: it is not a JSON object", path)
            return None
        existing = loaded
    merged = merge_metadata(existing, ours)
    if existing is not None and merged == existing:
        return path
    # the WebUI's editors write indent=4 and ensure_ascii=False; match them
    return write_atomic(path, json.dumps(merged, indent=4, ensure_ascii=False))
