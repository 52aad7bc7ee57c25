"""Helpers for the library tests and benches: a library on a temp folder, generated models,
and an image CDN on the fake Civitai server.

Generated models have the current ``/models/{id}`` shape (civitai-api.md §3.1) with image
URLs on the fake server's ``/cdn/`` route, so registration never reaches the internet.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from civitai_shortcut_core.library import Library
from civitai_shortcut_core.library.db import Database
from fake_civitai.cdn_routes import MP4, png_bytes  # noqa: F401  (re-exported for the tests)

BASE_MODELS = ("SD 1.5", "SDXL 1.0", "Pony", "Illustrious", "Flux.1 D", "SD 3.5")
TYPES = ("LORA", "LoCon", "DoRA", "Checkpoint", "TextualInversion", "VAE", "Controlnet")


def make_library(tmp_path: Path) -> Library:
    """A library with its database in ``tmp_path/data``."""
    data = tmp_path / "data"
    return Library(Database(data / "library.sqlite3"), data)


def install_cdn(server) -> None:
    """The fake server serves ``/cdn/`` itself now (fake_civitai/cdn_routes.py); kept for callers."""
    assert any(p.pattern.startswith("/cdn/") for _, p, _ in server.routes), "fake CDN route missing"


def cdn_url(server_url: str, key: str, name: str, params: str = "original=true") -> str:
    return f"{server_url}/cdn/xG1nkqKTMzGDvpLrqFT7WA/{key}/{params}/{name}"


def generated_model(model_id: int, server_url: str, *, name: str | None = None, model_type: str = "LORA",
                    versions: int = 2, images: int = 3, levels: tuple[int, ...] = (4, 1, 2),
                    base_model: str = "SDXL 1.0", creator: str = "maker", tags: tuple[str, ...] = ("style",),
                    video_first: bool = False) -> dict[str, Any]:
    """A ``/models/{id}`` body with ``versions`` versions of ``images`` images each.

    Image levels cycle through ``levels``; ``video_first`` makes each version's first item a
    video whose URL ends in ``.jpeg`` (the 2024 quirk).
    """
    version_list = []
    for v in range(versions):
        version_id = model_id * 100 + v
        items = []
        for i in range(images):
            is_video = video_first and i == 0
            items.append({
                "url": cdn_url(server_url, f"m{model_id}-v{v}-i{i}", f"{'video-' if is_video else ''}{version_id}{i}.jpeg"),
                "nsfwLevel": levels[i % len(levels)], "width": 832, "height": 1216, "hash": "U00000fQfQfQfQfQfQfQfQfQfQfQ",
                "type": "video" if is_video else "image", "minor": False, "poi": False, "hasMeta": True,
                "hasPositivePrompt": True, "onSite": False, "remixOfId": None})
        version_list.append({
            "id": version_id, "index": v, "name": f"v{versions - v}.0", "baseModel": base_model,
            "baseModelType": "Standard", "createdAt": "2025-01-01T00:00:00.000Z",
            "publishedAt": "2025-01-02T00:00:00.000Z", "status": "Published", "availability": "Public",
            "nsfwLevel": 7, "trainedWords": [f"trigger{model_id}"], "covered": False,
            "stats": {"downloadCount": 1, "thumbsUpCount": 1, "thumbsDownCount": 0},
            "files": [{"id": version_id * 10, "sizeKB": 1024.5, "name": f"{(name or f'model{model_id}').replace(' ', '_')}_v{v}.safetensors",
                       "type": "Model", "pickleScanResult": "Success", "virusScanResult": "Success",
                       "scannedAt": "2025-01-02T00:00:00.000Z", "metadata": {"format": "SafeTensor"},
                       "hashes": {"SHA256": hashlib.sha256(str(version_id).encode()).hexdigest().upper()},
                       "downloadUrl": f"{server_url}/api/download/models/{version_id}", "primary": True}],
            "images": items, "downloadUrl": f"{server_url}/api/download/models/{version_id}"})
    return {
        "id": model_id, "name": name or f"Generated model {model_id}", "description": "<p>made for tests</p>",
        "allowNoCredit": True, "allowCommercialUse": "{Image}", "allowDerivatives": True,
        "allowDifferentLicense": True, "type": model_type, "minor": False, "sfwOnly": False, "poi": False,
        "nsfw": False, "nsfwLevel": 7, "availability": "Public", "userId": 1, "cosmetic": None,
        "supportsGeneration": False, "stats": {"downloadCount": 1, "thumbsUpCount": 1, "thumbsDownCount": 0,
                                               "commentCount": 0, "tippedAmountCount": 0},
        "creator": {"username": creator, "image": None}, "tags": list(tags), "modelVersions": version_list}


def localize(raw: dict[str, Any], server_url: str) -> dict[str, Any]:
    """A copy of a fixture model whose image URLs point at the fake server's CDN route."""
    text = json.dumps(raw).replace("https://image.civitai.com/", f"{server_url}/cdn/")
    return json.loads(text)


def dump(library: Library) -> dict[str, Any]:
    """Every row of every library table plus every file under the data folder (with a hash),
    for "a second import changes nothing" comparisons."""
    conn = sqlite3.connect(library.db.path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'model_fts_%' ORDER BY name")]
        rows = {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    finally:
        conn.close()
    files = {str(p.relative_to(library.data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(library.data_dir.rglob("*")) if p.is_file() and not p.name.startswith("library.sqlite3")
             and p.name != "workers.lock"}
    return {"rows": rows, "files": files}
