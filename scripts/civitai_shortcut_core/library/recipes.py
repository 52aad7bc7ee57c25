"""Prompt recipes: a named prompt, negative prompt and parameters, a reference image, and
the shortcuts it uses.

The reference image is kept as the original bytes (``recipes/<uuid>.<ext>`` in the data
folder) and its infotext is read once into ``image_info``, so nothing the image carried is
lost (the original re-saved it through Pillow). References are foreign keys: deleting a
shortcut removes it from every recipe in the same transaction. An empty reference list is
saved like any other (the original silently skipped it).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..files.atomic import write_atomic
from .db import Database
from .image_info import image_extension, read_image_infotext
from .model_rows import fold

log = logging.getLogger(__name__)

RECIPE_IMAGE_DIR = "recipes"
_FIELDS = ("description", "prompt", "negative_prompt", "classification")


class RecipeError(ValueError):
    """A recipe name is empty, taken, or the recipe does not exist; ``str()`` says which."""


@dataclass(frozen=True)
class RecipeModel:
    id: int
    name: str
    type: str
    thumbnail: str | None


@dataclass(frozen=True)
class Recipe:
    id: int
    name: str
    description: str
    prompt: str
    negative_prompt: str
    parameters: dict[str, str]
    classification: str
    image: str | None              # absolute path of the original image bytes
    image_info: str                # infotext the image carried ('' if none)
    created_at: float
    updated_at: float
    models: list[RecipeModel] = field(default_factory=list)


@dataclass(frozen=True)
class RecipeImage:
    """Image bytes to attach: kept verbatim; ``info`` overrides what is read from them."""

    data: bytes
    info: str | None = None


class Recipes:
    """Create, change, list and delete recipes."""

    def __init__(self, db: Database, data_dir: str | Path):
        self.db = db
        self.data_dir = Path(data_dir)

    # -- reads -------------------------------------------------------------------------
    def get(self, ident: int | str) -> Recipe | None:
        """One recipe by id or exact name, with its reference models."""
        column = "id" if isinstance(ident, int) else "name"
        conn = self.db.read()
        row = conn.execute(f"SELECT * FROM recipe WHERE {column} = ?", (ident,)).fetchone()
        return self._make(conn, row) if row else None

    def list_all(self, text: str = "", classification: str | None = None,
                 model_ids: Iterable[int] = ()) -> list[Recipe]:
        """Recipes by name, filtered like the original's recipe browser.

        Plain comma-separated terms match the name, ``#terms`` the description (both
        case-insensitive substrings; OR within a kind, AND across kinds). A classification
        filters exactly; ``model_ids`` keeps recipes that reference all of them.
        """
        names, descriptions = [], []
        for term in (text or "").split(","):
            term = term.strip()
            if term.startswith("#") and term[1:].strip():
                descriptions.append(fold(term[1:].strip()))
            elif term:
                names.append(fold(term))
        wanted = {int(i) for i in model_ids}
        conn = self.db.read()
        out = []
        for row in conn.execute("SELECT * FROM recipe ORDER BY name COLLATE NOCASE, id"):
            if names and not any(n in fold(row["name"]) for n in names):
                continue
            if descriptions and not any(d in fold(row["description"]) for d in descriptions):
                continue
            if classification is not None and row["classification"] != classification:
                continue
            recipe = self._make(conn, row)
            if wanted and not wanted <= {m.id for m in recipe.models}:
                continue
            out.append(recipe)
        return out

    def classifications(self) -> list[str]:
        """Recipe classifications in use (free text, separate from shortcut classifications)."""
        rows = self.db.read().execute(
            "SELECT DISTINCT classification FROM recipe WHERE classification != '' ORDER BY 1 COLLATE NOCASE")
        return [r[0] for r in rows]

    def _make(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Recipe:
        models = [RecipeModel(r["id"], r["name"], r["type"], str(self.data_dir / r["thumbnail"]) if r["thumbnail"] else None)
                  for r in conn.execute(
                      """SELECT m.id, m.name, m.type, m.thumbnail FROM recipe_model rm JOIN model m ON m.id = rm.model_id
                         WHERE rm.recipe_id = ? ORDER BY rm.position""", (row["id"],))]
        return Recipe(row["id"], row["name"], row["description"], row["prompt"], row["negative_prompt"],
                      json.loads(row["parameters"] or "{}"), row["classification"],
                      str(self.data_dir / row["image"]) if row["image"] else None, row["image_info"],
                      row["created_at"], row["updated_at"], models)

    # -- writes ------------------------------------------------------------------------
    def create(self, name: str, *, description: str = "", prompt: str = "", negative_prompt: str = "",
               parameters: Mapping[str, Any] | None = None, classification: str = "",
               image: RecipeImage | None = None, model_ids: Iterable[int] = (),
               created_at: float | None = None, stored_image: tuple[str, str] | None = None) -> int:
        """Creates a recipe; returns its id.

        ``stored_image`` is ``(relative path, infotext)`` of a file already in the data
        folder (the legacy import keeps the old file names); otherwise ``image`` is written.

        Raises:
            RecipeError: the name is empty or already used.
        """
        clean = self._clean_name(name)
        ids = [int(i) for i in model_ids]
        image_path, image_info = stored_image if stored_image else self._store_image(image)
        stamp = time.time() if created_at is None else created_at

        def write(conn: sqlite3.Connection) -> int:
            try:
                rid = conn.execute(
                    """INSERT INTO recipe (name, description, prompt, negative_prompt, parameters, classification,
                       image, image_info, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (clean, description, prompt, negative_prompt, _params_json(parameters), classification.strip(),
                     image_path, image_info, stamp, stamp)).lastrowid
            except sqlite3.IntegrityError:
                raise RecipeError(f"A recipe named {clean!r} already exists.") from None
            self._set_models(conn, rid, ids)
            return rid, None

        return self._write_then_clean(write, on_error=None if stored_image else image_path)

    def update(self, recipe_id: int, **changes: Any) -> None:
        """Changes any of: name, description, prompt, negative_prompt, parameters, classification.

        Raises:
            RecipeError: unknown recipe, unknown field, or a name that is empty or taken.
        """
        unknown = set(changes) - {"name", "parameters", *_FIELDS}
        if unknown:
            raise RecipeError(f"Recipes have no field {', '.join(sorted(unknown))}.")
        values: dict[str, Any] = {k: (v or "") for k, v in changes.items() if k in _FIELDS}
        if "name" in changes:
            values["name"] = self._clean_name(changes["name"])
        if "parameters" in changes:
            values["parameters"] = _params_json(changes["parameters"])
        if "classification" in values:
            values["classification"] = values["classification"].strip()

        def write(conn: sqlite3.Connection) -> None:
            self._require(conn, recipe_id)
            if not values:
                return
            sets = ", ".join(f"{k} = ?" for k in values)
            try:
                conn.execute(f"UPDATE recipe SET {sets}, updated_at = ? WHERE id = ?",
                             (*values.values(), time.time(), recipe_id))
            except sqlite3.IntegrityError:
                raise RecipeError(f"A recipe named {values.get('name')!r} already exists.") from None

        self.db.write(write)

    def rename(self, recipe_id: int, new_name: str) -> None:
        """Renames a recipe (its image and references stay)."""
        self.update(recipe_id, name=new_name)

    def describe(self, recipe_id: int, description: str) -> None:
        """Sets the description."""
        self.update(recipe_id, description=description)

    def set_image(self, recipe_id: int, image: RecipeImage | None) -> None:
        """Replaces (or with None removes) the reference image; the old file goes after the commit."""
        image_path, image_info = self._store_image(image)

        def write(conn: sqlite3.Connection) -> tuple[None, str | None]:
            old = self._require(conn, recipe_id)["image"]
            conn.execute("UPDATE recipe SET image = ?, image_info = ?, updated_at = ? WHERE id = ?",
                         (image_path, image_info, time.time(), recipe_id))
            return None, old

        self._write_then_clean(write, on_error=image_path)

    def delete(self, recipe_id: int) -> bool:
        """Deletes a recipe and its image file (never the shortcuts it references)."""
        def write(conn: sqlite3.Connection) -> tuple[bool, str | None]:
            row = conn.execute("SELECT image FROM recipe WHERE id = ?", (recipe_id,)).fetchone()
            if row is None:
                return False, None
            conn.execute("DELETE FROM recipe WHERE id = ?", (recipe_id,))
            return True, row["image"]

        return self._write_then_clean(write, on_error=None)

    def add_models(self, recipe_id: int, model_ids: Iterable[int]) -> None:
        """Adds reference shortcuts at the end (ids that are not shortcuts are skipped)."""
        ids = [int(i) for i in model_ids]

        def write(conn: sqlite3.Connection) -> None:
            self._require(conn, recipe_id)
            current = [r[0] for r in conn.execute(
                "SELECT model_id FROM recipe_model WHERE recipe_id = ? ORDER BY position", (recipe_id,))]
            self._set_models(conn, recipe_id, current + [i for i in ids if i not in current])

        self.db.write(write)

    def remove_models(self, recipe_id: int, model_ids: Iterable[int]) -> None:
        """Removes reference shortcuts."""
        ids = [int(i) for i in model_ids]

        def write(conn: sqlite3.Connection) -> None:
            self._require(conn, recipe_id)
            conn.executemany("DELETE FROM recipe_model WHERE recipe_id = ? AND model_id = ?",
                             [(recipe_id, i) for i in ids])

        self.db.write(write)

    def set_models(self, recipe_id: int, model_ids: Iterable[int]) -> None:
        """Makes the reference list exactly ``model_ids``, in that order (empty is allowed)."""
        ids = [int(i) for i in model_ids]

        def write(conn: sqlite3.Connection) -> None:
            self._require(conn, recipe_id)
            self._set_models(conn, recipe_id, ids)

        self.db.write(write)

    # -- helpers -----------------------------------------------------------------------
    @staticmethod
    def _clean_name(name: str) -> str:
        clean = (name or "").strip()
        if not clean:
            raise RecipeError("A recipe needs a name.")
        return clean

    @staticmethod
    def _require(conn: sqlite3.Connection, recipe_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM recipe WHERE id = ?", (recipe_id,)).fetchone()
        if row is None:
            raise RecipeError(f"There is no recipe with id {recipe_id}.")
        return row

    @staticmethod
    def _set_models(conn: sqlite3.Connection, recipe_id: int, ids: list[int]) -> None:
        conn.execute("DELETE FROM recipe_model WHERE recipe_id = ?", (recipe_id,))
        position = 0
        for model_id in dict.fromkeys(ids):
            if conn.execute("SELECT 1 FROM model WHERE id = ?", (model_id,)).fetchone() is None:
                continue  # not a shortcut (deleted or never registered)
            conn.execute("INSERT INTO recipe_model (recipe_id, model_id, position) VALUES (?, ?, ?)",
                         (recipe_id, model_id, position))
            position += 1

    def _store_image(self, image: RecipeImage | None) -> tuple[str | None, str]:
        """Writes the original bytes under a new name before the transaction that points at them."""
        if image is None:
            return None, ""
        relative = f"{RECIPE_IMAGE_DIR}/{uuid.uuid4().hex}{image_extension(image.data)}"
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, image.data)
        info = image.info if image.info is not None else read_image_infotext(image.data)
        return relative, info

    def store_image_file(self, relative: str, data: bytes) -> None:
        """Writes image bytes at a chosen relative path (legacy import keeps the old uuid names)."""
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)

    def _write_then_clean(self, write, *, on_error: str | None):
        """Runs ``write`` (returning ``(result, replaced_file)``); removes the new file if it
        failed, or the replaced file once the change committed. Returns ``result``."""
        try:
            result, old = self.db.write(write)
        except BaseException:
            if on_error:
                self._unlink(on_error)
            raise
        if old:
            self._unlink(old)
        return result

    def _unlink(self, relative: str) -> None:
        path = self.data_dir / relative
        try:
            path.unlink()
        except FileNotFoundError:
            pass  # nothing to clean
        except OSError as err:
            log.warning("Could not delete recipe image %s: %s", path, err)


def _params_json(parameters: Mapping[str, Any] | None) -> str:
    clean = {str(k): "" if v is None else str(v) for k, v in (parameters or {}).items()}
    return json.dumps(clean, ensure_ascii=False)
