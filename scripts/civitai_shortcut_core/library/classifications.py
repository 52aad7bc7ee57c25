"""Classifications: user-made groups of shortcuts, used as AND filters and download folders.

Names are unique (as they were dict keys in the original). Memberships reference shortcuts
by foreign key, so deleting a shortcut removes it from every classification in the same
transaction; the original left dangling ids behind.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .db import Database


class ClassificationError(ValueError):
    """A classification name is empty, taken, or does not exist; ``str()`` says which."""


@dataclass(frozen=True)
class Classification:
    id: int
    name: str
    description: str
    count: int
    created_at: float
    updated_at: float


def _clean_name(name: str) -> str:
    clean = (name or "").strip()
    if not clean:
        raise ClassificationError("A classification needs a name.")
    return clean


class Classifications:
    """Create, rename, describe, delete classifications and change their members."""

    def __init__(self, db: Database):
        self.db = db

    # -- reads -------------------------------------------------------------------------
    def list_all(self) -> list[Classification]:
        """Every classification by name, with member counts."""
        rows = self.db.read().execute(
            """SELECT c.*, (SELECT COUNT(*) FROM classification_member m WHERE m.classification_id = c.id) AS n
               FROM classification c ORDER BY c.name COLLATE NOCASE, c.id""")
        return [self._make(r) for r in rows]

    def get(self, ident: int | str) -> Classification | None:
        """One classification by id or exact name."""
        column = "id" if isinstance(ident, int) else "name"
        row = self.db.read().execute(
            f"""SELECT c.*, (SELECT COUNT(*) FROM classification_member m WHERE m.classification_id = c.id) AS n
                FROM classification c WHERE c.{column} = ?""", (ident,)).fetchone()
        return self._make(row) if row else None

    def members(self, classification_id: int) -> list[int]:
        """Model ids in a classification, in the order they were added."""
        rows = self.db.read().execute(
            "SELECT model_id FROM classification_member WHERE classification_id = ? ORDER BY added_at, model_id",
            (classification_id,))
        return [r[0] for r in rows]

    def of_model(self, model_id: int) -> list[Classification]:
        """The classifications a shortcut belongs to."""
        rows = self.db.read().execute(
            """SELECT c.*, (SELECT COUNT(*) FROM classification_member m WHERE m.classification_id = c.id) AS n
               FROM classification c JOIN classification_member cm ON cm.classification_id = c.id
               WHERE cm.model_id = ? ORDER BY c.name COLLATE NOCASE""", (model_id,))
        return [self._make(r) for r in rows]

    @staticmethod
    def _make(row: sqlite3.Row) -> Classification:
        return Classification(row["id"], row["name"], row["description"], row["n"], row["created_at"],
                              row["updated_at"])

    # -- writes ------------------------------------------------------------------------
    def create(self, name: str, description: str = "", model_ids: Iterable[int] = ()) -> int:
        """Creates a classification (optionally with members); returns its id.

        Raises:
            ClassificationError: the name is empty or already used.
        """
        clean = _clean_name(name)
        ids = list(model_ids)

        def write(conn: sqlite3.Connection) -> int:
            now = time.time()
            try:
                cid = conn.execute("INSERT INTO classification (name, description, created_at, updated_at) "
                                   "VALUES (?, ?, ?, ?)", (clean, description or "", now, now)).lastrowid
            except sqlite3.IntegrityError:
                raise ClassificationError(f"A classification named {clean!r} already exists.") from None
            self._add(conn, cid, ids, now)
            return cid

        return self.db.write(write)

    def rename(self, classification_id: int, new_name: str) -> None:
        """Renames a classification (names stay unique)."""
        clean = _clean_name(new_name)

        def write(conn: sqlite3.Connection) -> None:
            try:
                changed = conn.execute("UPDATE classification SET name = ?, updated_at = ? WHERE id = ?",
                                       (clean, time.time(), classification_id)).rowcount
            except sqlite3.IntegrityError:
                raise ClassificationError(f"A classification named {clean!r} already exists.") from None
            if not changed:
                raise ClassificationError(f"There is no classification with id {classification_id}.")

        self.db.write(write)

    def describe(self, classification_id: int, description: str) -> None:
        """Sets the description."""
        def write(conn: sqlite3.Connection) -> None:
            if not conn.execute("UPDATE classification SET description = ?, updated_at = ? WHERE id = ?",
                                (description or "", time.time(), classification_id)).rowcount:
                raise ClassificationError(f"There is no classification with id {classification_id}.")

        self.db.write(write)

    def delete(self, classification_id: int) -> bool:
        """Deletes a classification and its memberships (never the shortcuts)."""
        return self.db.write(lambda conn: conn.execute(
            "DELETE FROM classification WHERE id = ?", (classification_id,)).rowcount > 0)

    def add(self, classification_id: int, model_ids: Iterable[int]) -> int:
        """Adds shortcuts; ids that are not shortcuts or already members are skipped. Returns how many were added."""
        ids = list(model_ids)
        return self.db.write(lambda conn: self._add(conn, self._require(conn, classification_id), ids, time.time()))

    def remove(self, classification_id: int, model_ids: Iterable[int]) -> int:
        """Removes shortcuts from a classification; returns how many were members."""
        ids = list(model_ids)

        def write(conn: sqlite3.Connection) -> int:
            return sum(conn.execute("DELETE FROM classification_member WHERE classification_id = ? AND model_id = ?",
                                    (classification_id, int(i))).rowcount for i in ids)

        return self.db.write(write)

    def set_members(self, classification_id: int, model_ids: Iterable[int]) -> None:
        """Makes the member list exactly ``model_ids`` (the classification page's Update)."""
        ids = [int(i) for i in model_ids]

        def write(conn: sqlite3.Connection) -> None:
            self._require(conn, classification_id)
            marks = ",".join("?" * len(ids))
            conn.execute(f"DELETE FROM classification_member WHERE classification_id = ?"
                         f"{f' AND model_id NOT IN ({marks})' if ids else ''}", (classification_id, *ids))
            self._add(conn, classification_id, ids, time.time())

        self.db.write(write)

    def set_for_model(self, model_id: int, classification_ids: Iterable[int]) -> None:
        """Makes a shortcut's classifications exactly these (the info page's Update)."""
        wanted = {int(c) for c in classification_ids}

        def write(conn: sqlite3.Connection) -> None:
            if not conn.execute("SELECT 1 FROM model WHERE id = ?", (model_id,)).fetchone():
                raise KeyError(f"No shortcut with id {model_id}.")
            current = {r[0] for r in conn.execute(
                "SELECT classification_id FROM classification_member WHERE model_id = ?", (model_id,))}
            for cid in current - wanted:
                conn.execute("DELETE FROM classification_member WHERE classification_id = ? AND model_id = ?",
                             (cid, model_id))
            now = time.time()
            for cid in sorted(wanted - current):
                self._add(conn, self._require(conn, cid), [model_id], now)

        self.db.write(write)

    @staticmethod
    def _require(conn: sqlite3.Connection, classification_id: int) -> int:
        if not conn.execute("SELECT 1 FROM classification WHERE id = ?", (classification_id,)).fetchone():
            raise ClassificationError(f"There is no classification with id {classification_id}.")
        return classification_id

    @staticmethod
    def _add(conn: sqlite3.Connection, classification_id: int, model_ids: list[int], now: float) -> int:
        added = 0
        for model_id in model_ids:
            if conn.execute("SELECT 1 FROM model WHERE id = ?", (int(model_id),)).fetchone() is None:
                continue  # not a shortcut: nothing to group
            added += conn.execute(
                "INSERT OR IGNORE INTO classification_member (classification_id, model_id, added_at) VALUES (?, ?, ?)",
                (classification_id, int(model_id), now)).rowcount
        return added
