"""Sidecars of model files found on disk: which exist, which are missing, and writing the missing ones.

A model ``foo.safetensors`` may have, beside it (host-gradio.md §1.9; Civitai Helper)::

    foo.civitai.info                     version JSON (ours, Civitai Helper, the original)
    foo.preview.png / foo.png / .jpg...  the card's preview (the WebUI tries both forms)
    foo.json                             the WebUI card's user metadata: the user's file
    foo.txt / foo.description.txt        the card's description
    foo.yaml                             a checkpoint's config

The scan only *adds* files that are missing; an existing sidecar is never rewritten, because
the user (or another tool) may have edited it. The JSON written into ``.civitai.info`` is
built offline from the model JSON ``/models?ids=`` returned, in the ``/model-versions/{id}``
shape other tools expect, so matching a library costs no request per file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..civitai.errors import CivitaiError
from ..civitai.images import still_url
from ..civitai.views import Model, Version
from ..files import sidecars
from .download_extras import has_preview

log = logging.getLogger(__name__)

PREVIEW_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif")
#: every sidecar a model file can have, longest first so ``.preview.png`` wins over ``.png``
SIDECAR_SUFFIXES = tuple(sorted({
    sidecars.INFO_SUFFIX, sidecars.META_SUFFIX, ".txt", ".description.txt", ".yaml", ".mp4", ".webm",
    *PREVIEW_EXTENSIONS, *(".preview" + ext for ext in PREVIEW_EXTENSIONS), ".preview.mp4", ".preview.webm",
}, key=lambda s: (-len(s), s)))


def stem_of(model_file: Path) -> Path:
    """``folder/foo`` for ``folder/foo.safetensors``: the prefix every sidecar shares."""
    return model_file.with_suffix("") if model_file.suffix else model_file


def existing_sidecars(model_file: Path) -> list[Path]:
    """The sidecar files present beside ``model_file``."""
    stem = stem_of(Path(model_file))
    return [p for p in (stem.with_name(stem.name + s) for s in SIDECAR_SUFFIXES) if p.is_file()]


def version_info(model_raw: Mapping[str, Any], version_raw: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/model-versions/{id}`` body of a version, built from its model's JSON (no request)."""
    body = {k: v for k, v in version_raw.items() if k != "index"}
    body.setdefault("modelId", model_raw.get("id"))
    body.setdefault("model", {"name": model_raw.get("name"), "type": model_raw.get("type"),
                              "nsfw": model_raw.get("nsfw", False), "poi": model_raw.get("poi", False)})
    return body


@dataclass
class SidecarResult:
    """What happened to one model file's sidecars."""

    written: list[str] = field(default_factory=list)   # "info", "preview", "meta"
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SidecarWants:
    """Which missing sidecars to write, and how to get a preview."""

    info: bool = True
    preview: bool = True
    meta: bool = True
    max_level: int = 3                                   # browsing-level mask allowed for previews
    civitai_url: str = "https://civitai.com"
    fetch: Callable[[str], bytes] | None = None          # URL -> image bytes; None: no previews


def _local_names(version: Version, model_file: Path, sha256: str | None) -> dict[int, str]:
    for item in version.files:
        if item.id is not None and sha256 and item.sha256 == sha256.upper():
            return {item.id: model_file.name}
    return {}


def pick_preview(version: Version, max_level: int) -> str | None:
    """The still URL of the version's first image allowed at ``max_level``."""
    for image in version.images:
        if image.url and image.allowed(max_level) and image.type in ("image", "video"):
            return still_url(image)
    return None


def write_missing(model_file: Path, model: Model, version: Version, sha256: str | None,
                  wants: SidecarWants) -> SidecarResult:
    """Writes the sidecars of ``model_file`` that do not exist yet; existing ones are left alone."""
    result = SidecarResult()
    paths = sidecars.sidecar_paths(model_file)
    if wants.info and not paths["info"].exists():
        _attempt(result, "info", lambda: sidecars.write_info(
            model_file, version_info(model.raw, version.raw), local_names=_local_names(version, model_file, sha256)))
    if wants.meta and not paths["meta"].exists():
        url = f"{wants.civitai_url.rstrip('/')}/models/{model.id}?modelVersionId={version.id}"
        ours = sidecars.webui_metadata(model_type=model.type, model_url=url, base_model=version.base_model,
                                       trained_words=list(version.trained_words), description=model.description)
        _attempt(result, "meta", lambda: sidecars.write_webui_metadata(model_file, ours))
    if wants.preview and wants.fetch is not None and not has_preview(model_file):
        url = pick_preview(version, wants.max_level)
        if url is not None:
            _attempt(result, "preview", lambda: sidecars.write_preview(model_file, wants.fetch(url)))
    return result


def _attempt(result: SidecarResult, kind: str, action: Callable[[], Any]) -> None:
    """Runs one sidecar write; a failure is reported for this file and the scan goes on."""
    try:
        action()
    except (OSError, ValueError, CivitaiError) as exc:  # disk, NotAnImage, or the preview's fetch
        result.errors.append(f"{kind}: {exc}")
        return
    result.written.append(kind)
