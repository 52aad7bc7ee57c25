"""The one search behind the browser, the classification and recipe pickers, and the CLI.

Search syntax (original-extension.md §1.11, with its bugs fixed):

* The text is split on commas into terms. ``#tag`` terms match a tag exactly
  (case-insensitive); ``@text`` terms match the personal note as a substring
  (case-insensitive, which the original got wrong); any other term matches the name, the
  creator or a file name as a substring. A term of several words needs all of them.
* Terms of one kind are OR-ed; kinds, and every filter, are AND-ed. Several
  classifications are AND-ed (a shortcut must be in all of them).

Plain terms use the FTS5 trigram index when the database has it (three characters or more)
and a scan of the folded ``search_text`` column otherwise; both are case-insensitive
because the text is stored folded. Everything else is indexed SQL with a COUNT for the
total, so a page of a 20,000-shortcut library comes back in a few milliseconds
(``bench/search_20k.py``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model_rows import LORA_FAMILY, TYPE_LABELS, fold
from .store import has_fts

SORTS = {
    "name": "m.name_fold ASC, m.id ASC",
    "registered": "m.registered_at DESC, m.id DESC",
    "updated": "m.updated_at DESC, m.id DESC",
}
#: filter groups offered to users; any raw Civitai type is accepted as well
TYPE_GROUPS = {"LoRA": LORA_FAMILY}
MAX_PER_PAGE = 500
#: seconds a search may run before it is stopped (DESIGN: a typed error, never a frozen page)
TIME_LIMIT = 3.0


class SearchTooSlow(TimeoutError):
    """A search ran past its time limit and was stopped."""

    code = "search_too_slow"

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"The search took longer than {seconds:g} s and was stopped. "
                         "Use longer words or add a filter.")


@contextmanager
def _time_limit(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupts the queries run inside after ``seconds`` (SQLite's progress handler)."""
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    except sqlite3.OperationalError as err:
        if "interrupted" in str(err):
            raise SearchTooSlow(seconds) from None
        raise
    finally:
        conn.set_progress_handler(None, 0)


@dataclass(frozen=True)
class Query:
    """What to show. Every field is optional; the default lists everything by name.

    ``types`` takes group names (``LoRA`` = LORA, LoCon, DoRA) or raw Civitai types.
    ``classifications`` takes ids or names. ``downloaded`` is None (all), True or False.
    ``max_nsfw`` is a browsing-level mask (``Settings.max_browsing_level``): a shortcut is
    shown when its thumbnail's level is inside it (unknown levels count as shown).
    """

    text: str = ""
    types: Sequence[str] = ()
    base_models: Sequence[str] = ()
    classifications: Sequence[int | str] = ()
    downloaded: bool | None = None
    update_available: bool | None = None
    max_nsfw: int | None = None
    exclude_classification: int | None = None   # "not already in this classification"
    sort: str = "name"
    page: int = 1
    per_page: int = 24


@dataclass(frozen=True)
class ShortcutRow:
    """One thumbnail in a browser: light, built from indexed columns only."""

    id: int
    name: str
    type: str
    type_label: str
    creator: str
    thumbnail: str | None          # absolute path, or None for the placeholder
    nsfw_level: int                # level of the thumbnail image (0 = unknown)
    downloaded: bool
    update_available: bool
    early_access: bool
    needs_refresh: bool


@dataclass(frozen=True)
class Page:
    items: list[ShortcutRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class ParsedText:
    words: list[list[str]] = field(default_factory=list)   # OR of AND-groups
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_text(text: str) -> ParsedText:
    """Splits search text into plain terms, ``#tags`` and ``@notes`` (all folded)."""
    parsed = ParsedText()
    for raw in (text or "").split(","):
        term = raw.strip()
        if term.startswith("#") and term[1:].strip():
            parsed.tags.append(fold(term[1:].strip()))
        elif term.startswith("@") and term[1:].strip():
            parsed.notes.append(fold(term[1:].strip()))
        elif term and term not in ("#", "@"):
            parsed.words.append([fold(w) for w in term.split()])
    return parsed


def expand_types(names: Sequence[str]) -> list[str]:
    """Group names -> their Civitai types; raw types pass through (case-insensitive groups)."""
    groups = {k.casefold(): v for k, v in TYPE_GROUPS.items()}
    out: list[str] = []
    for name in names:
        for value in groups.get(str(name).casefold(), (str(name),)):
            if value not in out:
                out.append(value)
    return out


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _Where:
    def __init__(self) -> None:
        self.sql: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> None:
        self.sql.append(sql)
        self.params.extend(params)

    def text(self) -> str:
        return " AND ".join(self.sql) if self.sql else "1"


class LibraryQuery:
    """Read side of the library: search, detail, and the choices filters offer."""

    def __init__(self, conn_factory, data_dir: str | Path):
        self._conn = conn_factory
        self.data_dir = Path(data_dir)
        self._fts = has_fts(conn_factory())
        self.time_limit = TIME_LIMIT

    # -- search ----------------------------------------------------------------------
    def search(self, query: Query) -> Page:
        """Returns one page of shortcuts matching ``query`` and the total count.

        Raises:
            ValueError: unknown sort.
            SearchTooSlow: the search ran past ``time_limit`` seconds.
        """
        if query.sort not in SORTS:
            raise ValueError(f"Unknown sort {query.sort!r}; use one of {', '.join(SORTS)}.")
        per_page = max(1, min(int(query.per_page), MAX_PER_PAGE))
        page = max(1, int(query.page))
        conn = self._conn()
        where = self._where(conn, query)
        if where is None:
            return Page([], 0, page, per_page)
        with _time_limit(conn, self.time_limit):
            return self._page(conn, where, query.sort, page, per_page)

    def _page(self, conn: sqlite3.Connection, where: "_Where", sort: str, page: int, per_page: int) -> Page:
        total = conn.execute(f"SELECT COUNT(*) FROM model m WHERE {where.text()}", where.params).fetchone()[0]
        rows = conn.execute(
            f"""SELECT m.id, m.name, m.type, m.creator, m.thumbnail, m.thumb_level, m.update_available,
                m.early_access, m.needs_refresh,
                EXISTS (SELECT 1 FROM local_file lf WHERE lf.model_id = m.id) AS downloaded
                FROM model m WHERE {where.text()} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?""",
            [*where.params, per_page, (page - 1) * per_page]).fetchall()
        return Page([self._row(r) for r in rows], total, page, per_page)

    def _where(self, conn: sqlite3.Connection, query: Query) -> _Where | None:
        where = _Where()
        parsed = parse_text(query.text)
        if parsed.words:
            where.add("(" + " OR ".join(self._word_group(where, group) for group in parsed.words) + ")")
        if parsed.tags:
            marks = ",".join("?" * len(parsed.tags))
            where.add(f"m.id IN (SELECT model_id FROM model_tag WHERE tag_fold IN ({marks}))", *parsed.tags)
        if parsed.notes:
            where.add("(" + " OR ".join(["m.note_fold LIKE ? ESCAPE '\\'"] * len(parsed.notes)) + ")",
                      *[_like(n) for n in parsed.notes])
        if query.types:
            types = expand_types(query.types)
            where.add(f"m.type IN ({','.join('?' * len(types))})", *types)
        if query.base_models:
            marks = ",".join("?" * len(query.base_models))
            where.add(f"m.id IN (SELECT model_id FROM version WHERE base_model IN ({marks}))", *query.base_models)
        for ident in query.classifications:
            cid = self._classification_id(conn, ident)
            if cid is None:
                return None  # AND with an unknown classification matches nothing
            where.add("m.id IN (SELECT model_id FROM classification_member WHERE classification_id = ?)", cid)
        if query.exclude_classification is not None:
            where.add("m.id NOT IN (SELECT model_id FROM classification_member WHERE classification_id = ?)",
                      query.exclude_classification)
        if query.downloaded is not None:
            where.add(("" if query.downloaded else "NOT ") +
                      "EXISTS (SELECT 1 FROM local_file lf WHERE lf.model_id = m.id)")
        if query.update_available is not None:
            where.add("m.update_available = ?", int(query.update_available))
        if query.max_nsfw is not None:
            where.add("(m.thumb_level & ~?) = 0", int(query.max_nsfw))
        return where

    def _word_group(self, where: _Where, words: list[str]) -> str:
        parts = []
        for word in words:
            if self._fts and len(word) >= 3:
                parts.append("m.id IN (SELECT rowid FROM model_fts WHERE model_fts MATCH ?)")
                where.params.append('"' + word.replace('"', '""') + '"')
            else:
                parts.append("m.search_text LIKE ? ESCAPE '\\'")
                where.params.append(_like(word))
        return "(" + " AND ".join(parts) + ")"

    @staticmethod
    def _classification_id(conn: sqlite3.Connection, ident: int | str) -> int | None:
        """Ids are ints; strings are names (a digit string that names nothing is an id)."""
        if isinstance(ident, str):
            row = conn.execute("SELECT id FROM classification WHERE name = ?", (ident,)).fetchone()
            if row is not None or not ident.strip().isdigit():
                return row[0] if row else None
        row = conn.execute("SELECT id FROM classification WHERE id = ?", (int(ident),)).fetchone()
        return row[0] if row else None

    def _row(self, r: sqlite3.Row) -> ShortcutRow:
        return ShortcutRow(
            id=r["id"], name=r["name"], type=r["type"], type_label=TYPE_LABELS.get(r["type"], r["type"]),
            creator=r["creator"], thumbnail=self._abs(r["thumbnail"]), nsfw_level=r["thumb_level"],
            downloaded=bool(r["downloaded"]), update_available=bool(r["update_available"]),
            early_access=bool(r["early_access"]), needs_refresh=bool(r["needs_refresh"]))

    def _abs(self, relative: str | None) -> str | None:
        return str(self.data_dir / relative) if relative else None

    # -- choices for the filter widgets --------------------------------------------
    def base_models(self) -> list[str]:
        """Base models present in the library (from the data, never a hard-coded list)."""
        rows = self._conn().execute(
            "SELECT DISTINCT base_model FROM version WHERE base_model != '' ORDER BY base_model COLLATE NOCASE")
        return [r[0] for r in rows]

    def types(self) -> list[tuple[str, str, int]]:
        """(value, label, count) for each type group present, LoRA family collapsed."""
        rows = self._conn().execute(
            "SELECT type_group, MIN(type), COUNT(*) FROM model WHERE type != '' GROUP BY type_group ORDER BY type_group")
        out = []
        for group, one_type, count in rows:
            label = group if group in TYPE_GROUPS else TYPE_LABELS.get(one_type, one_type)
            out.append((group, label, count))
        return out

    def tags(self, limit: int = 200) -> list[tuple[str, int]]:
        """The most used tags, for suggestions."""
        rows = self._conn().execute(
            "SELECT MIN(tag), COUNT(*) AS n FROM model_tag GROUP BY tag_fold ORDER BY n DESC, 1 LIMIT ?", (limit,))
        return [(r[0], r[1]) for r in rows]

    def count(self) -> int:
        """How many shortcuts there are."""
        return self._conn().execute("SELECT COUNT(*) FROM model").fetchone()[0]

    def ids(self) -> list[int]:
        """Every shortcut id (for update checks and exports)."""
        return [r[0] for r in self._conn().execute("SELECT id FROM model ORDER BY id")]

    def exists(self, model_id: int) -> bool:
        return self._conn().execute("SELECT 1 FROM model WHERE id = ?", (model_id,)).fetchone() is not None

    def raw_model(self, model_id: int) -> dict | None:
        """The stored API JSON of a shortcut (None for stubs and unknown ids)."""
        row = self._conn().execute("SELECT raw FROM model_raw WHERE model_id = ?", (model_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None
