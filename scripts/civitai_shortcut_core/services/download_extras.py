"""What happens after a download is verified: sidecars, the preview, optional images.

Nothing here can break the model file: it is already verified and in place. A failure
(the CDN is down, an image is a video) becomes a warning in the job's result and a log
line, and the download still counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ..civitai.errors import CivitaiError, NetworkError
from ..civitai.images import still_url
from ..civitai.responses import raise_for_civitai
from ..civitai.views import Model, Version
from ..files.atomic import write_atomic
from ..files.errors import FilesError, NotAnImage
from ..files.names import resolve_inside, safe_dirname, safe_filename
from ..files.sidecars import (
    sidecar_paths,
    webui_metadata,
    write_info,
    write_preview,
    write_webui_metadata,
)
from ..files.stills import open_still, sniff_kind

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 40 * 1024 * 1024
PREVIEW_CANDIDATES = 3
#: preview files the WebUI already shows for a model (host-gradio.md §1.9); we never add a second one
_PREVIEW_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif")


def sidecar_plan(model: Model, version: Version, *, settings: Any, file_id: int | None,
                 final_name: str) -> dict[str, Any]:
    """The data the sidecars of a primary file need, stored in the job so a restart can write them."""
    max_level = settings.max_browsing_level
    images = [i for i in version.images if i.url and i.allowed(max_level)]
    base = (settings.civitai_url or "https://civitai.com").rstrip("/")
    model_url = f"{base}/models/{model.id}?modelVersionId={version.id}"
    return {
        "info": dict(version.raw),
        "local_names": {str(file_id): final_name} if file_id is not None else {},
        "meta": webui_metadata(model_type=model.type, model_url=model_url, base_model=version.base_model,
                               trained_words=list(version.trained_words),
                               description=version.description or model.description),
        "preview_urls": [still_url(i) for i in images[:PREVIEW_CANDIDATES]],
        "image_urls": [(i.id, still_url(i)) for i in images],
    }


def has_preview(model_file: Path) -> bool:
    """True when the WebUI already finds a preview image for ``model_file``."""
    stem = model_file.with_suffix("") if model_file.suffix else model_file
    return any(stem.with_name(f"{stem.name}{middle}.{ext}").exists()
               for ext in _PREVIEW_EXTENSIONS for middle in ("", ".preview"))


class ExtrasWriter:
    """Writes the sidecars and images of one verified file; collects warnings instead of failing."""

    def __init__(self, fetch: Callable[[str], bytes], settings: Any):
        self.fetch, self.settings = fetch, settings
        self.written: list[str] = []
        self.warnings: list[str] = []

    def write_all(self, model_file: Path, plan: dict[str, Any]) -> None:
        s = self.settings
        if s.write_info_sidecar and plan.get("info"):
            self._try("the .civitai.info file", lambda: self._info(model_file, plan))
        if s.write_webui_metadata and plan.get("meta"):
            self._try("the WebUI metadata file", lambda: self._meta(model_file, plan))
        if s.write_preview_sidecar and plan.get("preview_urls") and not has_preview(model_file):
            self._try("the preview image", lambda: self._preview(model_file, plan["preview_urls"]))
        if s.download_images and plan.get("image_urls"):
            self._try("the version's images", lambda: self._images(model_file, plan["image_urls"]))

    def _try(self, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except (CivitaiError, FilesError, OSError) as exc:
            log.warning("Could not write %s: %s", what, exc)
            self.warnings.append(f"Could not write {what}: {exc}")

    def _info(self, model_file: Path, plan: dict[str, Any]) -> None:
        names = {int(k): v for k, v in (plan.get("local_names") or {}).items()}
        self.written.append(str(write_info(model_file, plan["info"], local_names=names)))

    def _meta(self, model_file: Path, plan: dict[str, Any]) -> None:
        path = write_webui_metadata(model_file, plan["meta"])
        if path is None:
            self.warnings.append(f"Left {sidecar_paths(model_file)['meta'].name} alone: it is not a JSON object.")
        else:
            self.written.append(str(path))

    def _preview(self, model_file: Path, urls: list[str]) -> None:
        problems = []
        for url in urls:
            try:
                self.written.append(str(write_preview(model_file, self.fetch(url))))
                return
            except (NotAnImage, CivitaiError) as exc:
                problems.append(str(exc))
        raise NotAnImage("no usable preview image (" + "; ".join(problems) + ")")

    def _images(self, model_file: Path, items: list[Any]) -> None:
        stem = model_file.with_suffix("").name if model_file.suffix else model_file.name
        folder = resolve_inside(model_file.parent, "images", safe_dirname(stem, fallback="model"))
        folder.mkdir(parents=True, exist_ok=True)
        for index, (image_id, url) in enumerate(items, 1):
            data = self.fetch(url)
            open_still(data)  # verify before it lands beside the model
            kind = sniff_kind(data)
            ext = {"jpeg": "jpg"}.get(kind, kind)
            name = safe_filename(f"{image_id or index}.{ext}", fallback=f"{index}.{ext}")
            path = resolve_inside(folder, name)
            if not path.exists():
                write_atomic(path, data)
                self.written.append(str(path))


def fetch_bytes(http: Any, url: str) -> bytes:
    """GETs an image (no key: CDN hosts are not Civitai API hosts), capped at ``MAX_IMAGE_BYTES``.

    Raises:
        CivitaiError: the request failed (typed by ``raise_for_civitai``).
        NotAnImage: the body is larger than the cap.
    """
    with http.send("GET", url, stream=True, allow_redirects=True) as response:
        raise_for_civitai(response, what="an image")
        data = bytearray()
        try:
            for chunk in response.iter_content(256 * 1024):
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:
                    raise NotAnImage(f"more than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
        except requests.RequestException as exc:
            host = urlsplit(url).netloc
            raise NetworkError(host, "the connection broke while reading an image", http.redact(str(exc))) from None
    return bytes(data)


__all__ = ["ExtrasWriter", "fetch_bytes", "has_preview", "sidecar_plan"]
