"""Schema migrations: an ordered list of plain functions, one transaction each.

``PRAGMA user_version`` holds the number of migrations applied. A migration never edits an
earlier one; it adds a new step.
"""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Executes several statements inside the current transaction.

    ``executescript`` would COMMIT first and break the one-transaction-per-migration rule.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


def _m001_jobs_and_settings(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE job (
            id          INTEGER PRIMARY KEY,
            kind        TEXT NOT NULL,
            title       TEXT NOT NULL DEFAULT '',
            state       TEXT NOT NULL,            -- queued running paused done failed cancelled
            params      TEXT NOT NULL DEFAULT '{}',
            result      TEXT,
            done        REAL NOT NULL DEFAULT 0,
            total       REAL,
            unit        TEXT NOT NULL DEFAULT '',
            rate        REAL,
            message     TEXT NOT NULL DEFAULT '',
            error_code  TEXT,
            error       TEXT,
            created_at  REAL NOT NULL,
            started_at  REAL,
            finished_at REAL,
            updated_at  REAL NOT NULL
        );
        CREATE INDEX job_state ON job(state, id);
        CREATE INDEX job_kind ON job(kind, id);
        CREATE TABLE setting (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


MIGRATIONS = [
    _m001_jobs_and_settings,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Applies every migration newer than the file's ``user_version``; returns the new version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"The library database is from a newer Civitai Shortcut (schema {version}, this "
            f"version knows {len(MIGRATIONS)}). Update the extension."
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(MIGRATIONS)
