"""The full record of one shortcut, for the info page and ``show``.

Built from the stored rows (not by re-parsing ``raw``), so what the page shows is exactly
what search and filters saw. ``raw`` is included for views that need a field we do not
keep in columns (description HTML, stats, licence).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .model_rows import TYPE_LABELS


@dataclass(frozen=True)
class FileInfo:
    id: int
    name: str
    type: str
    size_kb: float | None
    primary: bool
    sha256: str | None
    download_url: str | None


@dataclass(frozen=True)
class ImageInfo:
    url: str
    nsfw_level: int
    width: int | None
    height: int | None
    media_type: str
    local_path: str | None        # absolute path of the cached still, if any
    meta: dict | None


@dataclass(frozen=True)
class VersionInfo:
    id: int
    name: str
    base_model: str
    published_at: str | None
    early_access: bool
    trained_words: list[str]
    download_url: str | None
    files: list[FileInfo]
    images: list[ImageInfo]
    downloaded: bool


@dataclass(frozen=True)
class ShortcutDetail:
    id: int
    name: str
    type: str
    type_label: str
    creator: str
    tags: list[str]
    note: str
    registered_at: float
    updated_at: float
    nsfw_level: int               # model bitmask
    thumbnail: str | None
    thumb_level: int
    early_access: bool
    update_available: bool
    needs_refresh: bool
    selected_version_id: int | None
    latest_version_id: int | None
    description: str              # Civitai HTML, NOT sanitised: the UI must sanitise it
    url: str
    classifications: list[tuple[int, str]]
    recipes: list[tuple[int, str]]
    versions: list[VersionInfo]
    local_files: list[dict[str, Any]] = field(default_factory=list)
    raw: dict | None = None

    @property
    def downloaded(self) -> bool:
        return bool(self.local_files)

    def as_json(self) -> dict[str, Any]:
        """A JSON-able dict (``show --json``)."""
        return asdict(self)


def load_detail(conn: sqlite3.Connection, data_dir: Path, model_id: int, civitai_url: str) -> ShortcutDetail | None:
    """Reads one shortcut with its versions, files, images, memberships and local files."""
    m = conn.execute("SELECT * FROM model WHERE id = ?", (model_id,)).fetchone()
    if m is None:
        return None

    def absolute(relative: str | None) -> str | None:
        return str(data_dir / relative) if relative else None

    local = [dict(r) for r in conn.execute(
        "SELECT path, size, mtime_ns, sha256, version_id FROM local_file WHERE model_id = ? ORDER BY path",
        (model_id,))]
    downloaded_versions = {f["version_id"] for f in local}
    files_by_version: dict[int, list[FileInfo]] = {}
    for f in conn.execute("SELECT * FROM model_file WHERE model_id = ? ORDER BY version_id, position", (model_id,)):
        files_by_version.setdefault(f["version_id"], []).append(FileInfo(
            f["file_id"], f["name"], f["type"], f["size_kb"], bool(f["is_primary"]), f["sha256"], f["download_url"]))
    images_by_version: dict[int, list[ImageInfo]] = {}
    for i in conn.execute("SELECT * FROM image WHERE model_id = ? ORDER BY version_id, position", (model_id,)):
        images_by_version.setdefault(i["version_id"], []).append(ImageInfo(
            i["url"], i["nsfw_level"], i["width"], i["height"], i["media_type"], absolute(i["local_path"]),
            json.loads(i["meta"]) if i["meta"] else None))
    versions = [VersionInfo(
        v["id"], v["name"], v["base_model"], v["published_at"], bool(v["early_access"]),
        json.loads(v["trained_words"] or "[]"), v["download_url"], files_by_version.get(v["id"], []),
        images_by_version.get(v["id"], []), v["id"] in downloaded_versions)
        for v in conn.execute("SELECT * FROM version WHERE model_id = ? ORDER BY position", (model_id,))]
    raw_row = conn.execute("SELECT raw FROM model_raw WHERE model_id = ?", (model_id,)).fetchone()
    raw = json.loads(raw_row[0]) if raw_row else None
    description = raw.get("description") if isinstance(raw, dict) else None
    return ShortcutDetail(
        id=m["id"], name=m["name"], type=m["type"], type_label=TYPE_LABELS.get(m["type"], m["type"]),
        creator=m["creator"],
        tags=[r[0] for r in conn.execute("SELECT tag FROM model_tag WHERE model_id = ? ORDER BY rowid", (model_id,))],
        note=m["note"], registered_at=m["registered_at"], updated_at=m["updated_at"], nsfw_level=m["nsfw_level"],
        thumbnail=absolute(m["thumbnail"]), thumb_level=m["thumb_level"], early_access=bool(m["early_access"]),
        update_available=bool(m["update_available"]), needs_refresh=bool(m["needs_refresh"]),
        selected_version_id=m["selected_version_id"], latest_version_id=m["latest_version_id"],
        description=description if isinstance(description, str) else "",
        url=f"{civitai_url.rstrip('/')}/models/{model_id}",
        classifications=[(r[0], r[1]) for r in conn.execute(
            """SELECT c.id, c.name FROM classification c JOIN classification_member cm ON cm.classification_id = c.id
               WHERE cm.model_id = ? ORDER BY c.name COLLATE NOCASE""", (model_id,))],
        recipes=[(r[0], r[1]) for r in conn.execute(
            """SELECT r.id, r.name FROM recipe r JOIN recipe_model rm ON rm.recipe_id = r.id
               WHERE rm.model_id = ? ORDER BY r.name COLLATE NOCASE""", (model_id,))],
        versions=versions, local_files=local, raw=raw)
