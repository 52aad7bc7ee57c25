"""Writes to the shortcut library: models from API JSON, notes, deletes, local files, flags.

Every public method is one transaction (``Database.write``). Re-registering a model
replaces what Civitai owns (versions, files, images, tags, raw JSON) and keeps what the user
owns (note, registration date, classifications, recipe references); the original extension
lost the note and date here. Files on disk (thumbnails, cached images) are written by the
caller *before* the transaction and removed only *after* a delete commits, so a crash
leaves at worst an orphan file, never a row pointing at nothing that matters.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .db import Database
from .model_rows import ModelRows, fold, parse_model, type_group

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thumbnail:
    """The thumbnail chosen for a model: a file in the data folder and where it came from."""

    path: str            # relative to the data folder
    url: str = ""
    nsfw_level: int = 0


@dataclass(frozen=True)
class UpsertResult:
    model_id: int
    created: bool        # False: an existing shortcut was refreshed


@dataclass(frozen=True)
class LocalFile:
    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    version_id: int | None
    model_id: int | None
    recorded_at: float


def has_fts(conn: sqlite3.Connection) -> bool:
    """True when this database has the FTS5 trigram index (see migration 2)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='model_fts'").fetchone()
    return row is not None


class ShortcutStore:
    """The write side of the library; ``query.py`` is the read side."""

    def __init__(self, db: Database, data_dir: str | Path):
        self.db = db
        self.data_dir = Path(data_dir)
        self._fts = has_fts(db.read())

    # -- models ----------------------------------------------------------------------
    def upsert_model(self, raw: Mapping[str, Any], *, selected_version_id: int | None = None,
                     thumbnail: Thumbnail | None = None, image_paths: Mapping[str, str] | None = None,
                     now: float | None = None, registered_at: float | None = None,
                     note: str | None = None) -> UpsertResult:
        """Stores a model body as a shortcut, creating it or refreshing it.

        Args:
            raw: the ``/api/v1/models/{id}`` JSON, kept verbatim in ``model_raw``.
            selected_version_id: the version a version link pointed at (else the newest).
            thumbnail: the still chosen for the browser; ``None`` keeps the current one.
            image_paths: image URL -> cached file (relative); URLs not listed keep the file
                they had, so an info-only refresh does not forget downloaded images.
            now: the "updated" time (default: the clock).
            registered_at, note: only used when the shortcut is new (imports pass them).

        Raises:
            model_rows.NotModelJson: ``raw`` is not a model.
        """
        rows = parse_model(raw)
        stamp = time.time() if now is None else now
        raw_text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))

        def write(conn: sqlite3.Connection) -> UpsertResult:
            existing = conn.execute("SELECT selected_version_id FROM model WHERE id = ?", (rows.id,)).fetchone()
            kept_paths = {r["url"]: r["local_path"] for r in conn.execute(
                "SELECT url, local_path FROM image WHERE model_id = ? AND local_path IS NOT NULL", (rows.id,))}
            kept_paths.update(image_paths or {})
            version_ids = {v.id for v in rows.versions}
            selected = selected_version_id if selected_version_id in version_ids else None
            if selected is None and existing is not None and existing["selected_version_id"] in version_ids:
                selected = existing["selected_version_id"]
            if selected is None and rows.versions:
                selected = rows.versions[0].id
            if existing is None:
                conn.execute(
                    "INSERT INTO model (id, registered_at, updated_at, note, note_fold) VALUES (?, ?, ?, ?, ?)",
                    (rows.id, stamp if registered_at is None else registered_at, stamp, note or "", fold(note or "")))
            self._write_model_columns(conn, rows, raw_text, selected, stamp)
            if thumbnail is not None:
                conn.execute("UPDATE model SET thumbnail = ?, thumb_url = ?, thumb_level = ? WHERE id = ?",
                             (thumbnail.path, thumbnail.url, thumbnail.nsfw_level, rows.id))
            self._replace_children(conn, rows, kept_paths)
            return UpsertResult(rows.id, existing is None)

        return self.db.write(write)

    def _write_model_columns(self, conn: sqlite3.Connection, rows: ModelRows, raw_text: str,
                             selected: int | None, stamp: float) -> None:
        conn.execute(
            """UPDATE model SET name = ?, name_fold = ?, type = ?, type_group = ?, creator = ?, nsfw = ?,
               nsfw_level = ?, early_access = ?, selected_version_id = ?, latest_version_id = ?,
               search_text = ?, updated_at = ?, needs_refresh = 0 WHERE id = ?""",
            (rows.name, fold(rows.name), rows.type, type_group(rows.type), rows.creator, int(rows.nsfw),
             rows.nsfw_level, int(rows.early_access), selected, rows.versions[0].id if rows.versions else None,
             rows.search_text(), stamp, rows.id))
        conn.execute("INSERT OR REPLACE INTO model_raw (model_id, raw) VALUES (?, ?)", (rows.id, raw_text))
        self._index_text(conn, rows.id, rows.search_text())

    def _index_text(self, conn: sqlite3.Connection, model_id: int, text: str | None) -> None:
        if not self._fts:
            return
        conn.execute("DELETE FROM model_fts WHERE rowid = ?", (model_id,))
        if text is not None:
            conn.execute("INSERT INTO model_fts (rowid, text) VALUES (?, ?)", (model_id, text))

    @staticmethod
    def _replace_children(conn: sqlite3.Connection, rows: ModelRows, paths: Mapping[str, str]) -> None:
        conn.execute("DELETE FROM version WHERE model_id = ?", (rows.id,))  # cascades files, images
        conn.execute("DELETE FROM model_tag WHERE model_id = ?", (rows.id,))
        for v in rows.versions:
            # a version id seen under another model moves here (Civitai re-parenting is rare)
            conn.execute("DELETE FROM version WHERE id = ?", (v.id,))
            conn.execute(
                """INSERT INTO version (id, model_id, position, name, base_model, published_at, nsfw_level,
                   early_access, trained_words, download_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (v.id, rows.id, v.position, v.name, v.base_model, v.published_at, v.nsfw_level,
                 int(v.early_access), json.dumps(v.trained_words, ensure_ascii=False), v.download_url))
            conn.executemany(
                """INSERT OR IGNORE INTO model_file (version_id, file_id, model_id, position, name, type, size_kb,
                   is_primary, sha256, download_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(v.id, f.file_id, rows.id, f.position, f.name, f.type, f.size_kb, int(f.is_primary), f.sha256,
                  f.download_url) for f in v.files])
            conn.executemany(
                """INSERT INTO image (version_id, model_id, position, url, nsfw_level, width, height, media_type,
                   local_path, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(v.id, rows.id, i.position, i.url, i.nsfw_level, i.width, i.height, i.media_type,
                  paths.get(i.url), json.dumps(i.meta, ensure_ascii=False) if i.meta is not None else None)
                 for i in v.images])
        conn.executemany("INSERT OR IGNORE INTO model_tag (model_id, tag, tag_fold) VALUES (?, ?, ?)",
                         [(rows.id, t, fold(t)) for t in rows.tags])

    def add_stub(self, model_id: int, *, name: str = "", model_type: str = "", tags: Iterable[str] = (),
                 nsfw: bool = False, note: str = "", registered_at: float | None = None,
                 thumbnail: Thumbnail | None = None) -> bool:
        """Registers a shortcut known only by id (and what an old file said about it).

        It is marked ``needs_refresh`` so the UI can offer to fetch its info. Returns False
        (and changes nothing) when the shortcut already exists.
        """
        stamp = time.time() if registered_at is None else registered_at
        title = name.strip() or f"Model {model_id}"

        def write(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM model WHERE id = ?", (model_id,)).fetchone():
                return False
            conn.execute(
                """INSERT INTO model (id, name, name_fold, type, type_group, nsfw, note, note_fold, search_text,
                   registered_at, updated_at, needs_refresh, thumbnail, thumb_url, thumb_level)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)""",
                (model_id, title, fold(title), model_type, type_group(model_type), int(nsfw), note, fold(note),
                 fold(title), stamp, stamp, thumbnail.path if thumbnail else None,
                 thumbnail.url if thumbnail else None, thumbnail.nsfw_level if thumbnail else 0))
            conn.executemany("INSERT OR IGNORE INTO model_tag (model_id, tag, tag_fold) VALUES (?, ?, ?)",
                             [(model_id, t.strip(), fold(t.strip())) for t in tags if t and t.strip()])
            self._index_text(conn, model_id, fold(title))
            return True

        return self.db.write(write)

    def merge_user_data(self, model_id: int, *, note: str = "", registered_at: float | None = None) -> bool:
        """Brings an imported note and date into an existing shortcut without losing ours.

        The note is taken only when ours is empty; the earlier registration date wins.
        Returns whether anything changed (a second import changes nothing).
        """
        def write(conn: sqlite3.Connection) -> bool:
            changed = 0
            if note:
                changed += conn.execute("UPDATE model SET note = ?, note_fold = ? WHERE id = ? AND note = ''",
                                        (note, fold(note), model_id)).rowcount
            if registered_at is not None:
                changed += conn.execute("UPDATE model SET registered_at = ? WHERE id = ? AND registered_at > ?",
                                        (registered_at, model_id, registered_at)).rowcount
            return changed > 0

        return self.db.write(write)

    def set_note(self, model_id: int, note: str) -> None:
        """Saves the personal note (searched with ``@``)."""
        self._update_existing(model_id, "UPDATE model SET note = ?, note_fold = ? WHERE id = ?",
                              (note, fold(note), model_id))

    def set_thumbnail(self, model_id: int, thumbnail: Thumbnail) -> None:
        """Points the shortcut at a new thumbnail file (already written by the caller)."""
        self._update_existing(model_id, "UPDATE model SET thumbnail = ?, thumb_url = ?, thumb_level = ? WHERE id = ?",
                              (thumbnail.path, thumbnail.url, thumbnail.nsfw_level, model_id))

    def select_version(self, model_id: int, version_id: int) -> None:
        """Remembers which version the info page opens on."""
        self._update_existing(model_id, "UPDATE model SET selected_version_id = ? WHERE id = ?",
                              (version_id, model_id))

    def set_image_path(self, model_id: int, url: str, local_path: str | None) -> None:
        """Records (or clears) the cached file of one image of a model."""
        self.db.write(lambda conn: conn.execute(
            "UPDATE image SET local_path = ? WHERE model_id = ? AND url = ?", (local_path, model_id, url)))

    def set_update_available(self, model_id: int, available: bool) -> None:
        """Sets the badge the update check computes (it does not touch anything else)."""
        self.set_update_flags({model_id: available})

    def set_update_flags(self, flags: Mapping[int, bool]) -> int:
        """Sets many update badges in one transaction; returns how many shortcuts exist among them."""
        def write(conn: sqlite3.Connection) -> int:
            changed = 0
            for model_id, available in flags.items():
                changed += conn.execute("UPDATE model SET update_available = ? WHERE id = ?",
                                        (int(bool(available)), int(model_id))).rowcount
            return changed

        return self.db.write(write)

    def delete_shortcut(self, model_id: int) -> bool:
        """Deletes a shortcut with its memberships and recipe references, then its cached files.

        Returns False when there was no such shortcut.
        """
        def write(conn: sqlite3.Connection) -> list[str] | None:
            row = conn.execute("SELECT thumbnail FROM model WHERE id = ?", (model_id,)).fetchone()
            if row is None:
                return None
            files = [r["local_path"] for r in conn.execute(
                "SELECT local_path FROM image WHERE model_id = ? AND local_path IS NOT NULL", (model_id,))]
            if row["thumbnail"]:
                files.append(row["thumbnail"])
            # explicit deletes document intent; the foreign keys would cascade them too
            conn.execute("DELETE FROM classification_member WHERE model_id = ?", (model_id,))
            conn.execute("DELETE FROM recipe_model WHERE model_id = ?", (model_id,))
            conn.execute("DELETE FROM model WHERE id = ?", (model_id,))
            self._index_text(conn, model_id, None)
            return files

        files = self.db.write(write)
        if files is None:
            return False
        for relative in files:
            self._remove_data_file(relative)
        return True

    def _remove_data_file(self, relative: str) -> None:
        path = (self.data_dir / relative).resolve()
        if self.data_dir.resolve() not in path.parents:
            log.warning("Not deleting %s: outside the data folder", path)
            return
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # already gone: nothing to clean
        except OSError as err:
            log.warning("Could not delete cached file %s: %s", path, err)

    def _update_existing(self, model_id: int, sql: str, params: tuple) -> None:
        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(sql, params).rowcount == 0:
                raise KeyError(f"No shortcut with id {model_id}.")

        self.db.write(write)

    def cached_image_paths(self, model_id: int) -> dict[str, str]:
        """Image URL -> cached file (relative) for a shortcut's images that have one."""
        rows = self.db.read().execute(
            "SELECT url, local_path FROM image WHERE model_id = ? AND local_path IS NOT NULL", (model_id,))
        return {r["url"]: r["local_path"] for r in rows}

    def thumbnail_of(self, model_id: int) -> str | None:
        """The thumbnail file (relative) of a shortcut, if it has one."""
        row = self.db.read().execute("SELECT thumbnail FROM model WHERE id = ?", (model_id,)).fetchone()
        return row["thumbnail"] if row else None

    # -- local files (downloads and scans record what is on disk) --------------------
    def record_local_file(self, path: str | Path, *, size: int, mtime_ns: int, sha256: str | None = None,
                          version_id: int | None = None, model_id: int | None = None) -> None:
        """Records (or replaces) what is known about a model file on disk.

        The downloads engine calls it after a verified rename; the scanner after hashing
        or matching a sidecar. A known ``version_id`` without ``model_id`` takes the model
        from the library when the version is there.
        """
        key = str(Path(path))
        digest = sha256.upper() if sha256 else None

        def write(conn: sqlite3.Connection) -> None:
            owner = model_id
            if owner is None and version_id is not None:
                row = conn.execute("SELECT model_id FROM version WHERE id = ?", (version_id,)).fetchone()
                owner = row["model_id"] if row else None
            conn.execute(
                """INSERT INTO local_file (path, size, mtime_ns, sha256, version_id, model_id, recorded_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size,
                   mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, version_id = excluded.version_id,
                   model_id = excluded.model_id, recorded_at = excluded.recorded_at""",
                (key, int(size), int(mtime_ns), digest, version_id, owner, time.time()))

        self.db.write(write)

    def forget_local_file(self, path: str | Path) -> bool:
        """Forgets a file that was deleted or moved; returns whether it was known."""
        return self.db.write(lambda conn: conn.execute(
            "DELETE FROM local_file WHERE path = ?", (str(Path(path)),)).rowcount > 0)

    def local_file(self, path: str | Path) -> LocalFile | None:
        """What is recorded for one path (the scanner compares size and mtime to trust the hash)."""
        row = self.db.read().execute("SELECT * FROM local_file WHERE path = ?", (str(Path(path)),)).fetchone()
        return LocalFile(**dict(row)) if row else None

    def local_files_for_model(self, model_id: int) -> list[LocalFile]:
        """Every recorded file of a model, by version then path."""
        rows = self.db.read().execute(
            "SELECT * FROM local_file WHERE model_id = ? ORDER BY version_id, path", (model_id,))
        return [LocalFile(**dict(r)) for r in rows]

    def local_files(self) -> list[LocalFile]:
        """Every recorded file (for scans that prune entries whose files are gone)."""
        return [LocalFile(**dict(r)) for r in self.db.read().execute("SELECT * FROM local_file ORDER BY path")]

    def downloaded_version_ids(self, model_id: int) -> set[int]:
        """Versions of a model with at least one file on disk."""
        rows = self.db.read().execute(
            "SELECT DISTINCT version_id FROM local_file WHERE model_id = ? AND version_id IS NOT NULL", (model_id,))
        return {r[0] for r in rows}
