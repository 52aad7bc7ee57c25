"""Exports: the original's backup-link file, and the whole library as one JSON document.

The backup-link file keeps the original's exact shape (``{"url=https://civitai.com/models/<id>":
"<name>"}``, ``indent=4``, ASCII), so it can be dropped on Register here or in the original.
The JSON export holds everything the user made (notes, dates, classifications, recipes,
local files) plus, optionally, the raw API JSON; it is a backup a person can read.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

from ..files.atomic import write_atomic
from .library import Library

EXPORT_FORMAT = "civitai-shortcut-library"
EXPORT_VERSION = 1


def backup_links(library: Library) -> dict[str, str]:
    """``{"url=<civitai>/models/<id>": name}`` for every shortcut, by id."""
    base = library.civitai_url.rstrip("/")
    rows = library.db.read().execute("SELECT id, name FROM model ORDER BY id")
    return {f"url={base}/models/{r['id']}": r["name"] for r in rows}


def write_backup_links(library: Library, path: str | Path) -> int:
    """Writes the backup-link file atomically; returns how many links it holds."""
    links = backup_links(library)
    write_atomic(path, json.dumps(links, indent=4))
    return len(links)


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).isoformat(timespec="seconds")


def export_library(library: Library, *, include_raw: bool = True) -> dict[str, Any]:
    """The whole library as a JSON-able dict (see the module docstring)."""
    conn = library.db.read()
    names = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM classification")}
    member_of: dict[int, list[str]] = {}
    for r in conn.execute("SELECT classification_id, model_id FROM classification_member ORDER BY added_at"):
        member_of.setdefault(r["model_id"], []).append(names[r["classification_id"]])
    tags: dict[int, list[str]] = {}
    for r in conn.execute("SELECT model_id, tag FROM model_tag ORDER BY rowid"):
        tags.setdefault(r["model_id"], []).append(r["tag"])
    shortcuts = []
    for m in conn.execute("SELECT m.*, r.raw FROM model m LEFT JOIN model_raw r ON r.model_id = m.id ORDER BY m.id"):
        item = {"id": m["id"], "name": m["name"], "type": m["type"], "creator": m["creator"], "note": m["note"],
                "registered_at": _iso(m["registered_at"]), "updated_at": _iso(m["updated_at"]),
                "selected_version_id": m["selected_version_id"], "tags": tags.get(m["id"], []),
                "classifications": member_of.get(m["id"], []), "needs_refresh": bool(m["needs_refresh"]),
                "update_available": bool(m["update_available"]), "thumbnail": m["thumbnail"]}
        if include_raw:
            item["raw"] = json.loads(m["raw"]) if m["raw"] else None
        shortcuts.append(item)
    groups = [{"name": c.name, "description": c.description, "members": library.classifications.members(c.id)}
              for c in library.classifications.list_all()]
    recipes = []
    for r in conn.execute("SELECT * FROM recipe ORDER BY name"):
        refs = [x[0] for x in conn.execute(
            "SELECT model_id FROM recipe_model WHERE recipe_id = ? ORDER BY position", (r["id"],))]
        recipes.append({"name": r["name"], "description": r["description"], "prompt": r["prompt"],
                        "negative_prompt": r["negative_prompt"], "parameters": json.loads(r["parameters"]),
                        "classification": r["classification"], "image": r["image"], "image_info": r["image_info"],
                        "models": refs, "created_at": _iso(r["created_at"]), "updated_at": _iso(r["updated_at"])})
    local = [dict(r) for r in conn.execute(
        "SELECT path, size, mtime_ns, sha256, version_id, model_id FROM local_file ORDER BY path")]
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "exported_at": _iso(_dt.datetime.now(_dt.timezone.utc).timestamp()),
            "shortcuts": shortcuts, "classifications": groups, "recipes": recipes, "local_files": local}


def write_export(library: Library, path: str | Path, *, include_raw: bool = True) -> dict[str, int]:
    """Writes the JSON export atomically; returns counts of what it holds."""
    data = export_library(library, include_raw=include_raw)
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
    return {k: len(data[k]) for k in ("shortcuts", "classifications", "recipes", "local_files")}
