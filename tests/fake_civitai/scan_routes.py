"""Extras for scan tests and benches: generated models whose files are real local bytes, and
preview images served by the fake server itself (so no test ever reaches a real CDN).

    install(server)                               adds GET /img/<name>.png (idempotent)
    generated_model(origin, model_id, files=...)  a /models/{id} body; add it with api_routes.add_model
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any

from .server import FakeCivitai, Request, Response


def png_bytes(seed: int = 0) -> bytes:
    """A small real PNG (the scan re-encodes previews, so they must decode)."""
    from PIL import Image

    image = Image.new("RGB", (16, 16), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def install(server: FakeCivitai) -> None:
    """Serves ``/img/<n>.png`` as a PNG and ``/img/broken.png`` as an HTML page."""
    if getattr(server, "_scan_routes", False):
        return
    server._scan_routes = True

    @server.route("GET", r"/img/(?P<name>[^/]+)")
    def image(req: Request, match) -> Response:
        name = match.group("name")
        if name.startswith("broken"):
            return Response(200, b"<html>login</html>", {"Content-Type": "text/html"})
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:4], 16)
        return Response(200, png_bytes(seed), {"Content-Type": "image/png"})


def generated_model(origin: str, model_id: int, *, versions: Sequence[Sequence[tuple[int, str, str]]],
                    model_type: str = "LORA", name: str | None = None, version_ids: Sequence[int] | None = None,
                    image: str | None = "", mode: str | None = None) -> dict[str, Any]:
    """A model body in the ``/models/{id}`` shape, newest version first.

    Args:
        origin: the fake server's URL (preview images point at it).
        versions: per version, its files as ``(file_id, file_name, sha256)``; the first is primary.
        version_ids: ids of the versions (default ``model_id * 10 + index``, newest highest).
        image: the preview file name under ``/img/`` ("" = ``<version id>.png``, None = no images).
        mode: ``"Archived"`` to hide the model from ``/models`` lists.
    """
    count = len(versions)
    ids = list(version_ids) if version_ids else [model_id * 10 + (count - i) for i in range(count)]
    body_versions = []
    for index, (version_id, files) in enumerate(zip(ids, versions)):
        picture = f"{version_id}.png" if image == "" else image
        body_versions.append({
            "id": version_id, "index": index, "name": f"v{count - index}", "baseModel": "SDXL 1.0",
            "status": "Published", "availability": "Public", "nsfwLevel": 1,
            "publishedAt": f"2024-0{1 + (count - index) % 9}-01T00:00:00.000Z",
            "trainedWords": [f"word{model_id}"], "description": "<p>version notes</p>",
            "files": [{
                "id": file_id, "name": file_name, "sizeKB": 1.0, "type": "Model", "primary": pos == 0,
                "metadata": {"format": "SafeTensor"}, "hashes": {"SHA256": sha256.upper(), "AutoV2": sha256[:10].upper()},
                "downloadUrl": f"https://civitai.com/api/download/models/{version_id}",
                "pickleScanResult": "Success", "virusScanResult": "Success",
            } for pos, (file_id, file_name, sha256) in enumerate(files)],
            "images": [] if picture is None else [{
                "url": f"{origin}/img/{picture}", "nsfwLevel": 1, "width": 16, "height": 16,
                "type": "image", "hash": "U00000fQfQfQfQfQfQfQfQfQfQfQ",
            }],
            "downloadUrl": f"https://civitai.com/api/download/models/{version_id}",
        })
    raw = {
        "id": model_id, "name": name or f"Generated {model_type} {model_id}", "type": model_type,
        "description": "<p>A generated model.</p>", "nsfw": False, "nsfwLevel": 1, "poi": False,
        "availability": "Public", "creator": {"username": "maker"}, "tags": ["style"],
        "stats": {"downloadCount": model_id}, "modelVersions": body_versions,
    }
    if mode:
        raw["mode"] = mode
    return raw
