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


def _m002_library(conn: sqlite3.Connection) -> None:
    """The shortcut library (issue 4): models as shortcuts, their versions, files, images and
    tags; classifications; recipes; local files; and the text index.

    A ``model`` row *is* a shortcut: registering creates it, deleting removes it and (by
    ``ON DELETE CASCADE``) its versions, files, images, tags, memberships and recipe
    references in the same transaction. ``model_raw`` keeps the API JSON exactly as
    received, so a later version of this code can re-derive columns without asking Civitai
    again; it is a table of its own because kilobytes of JSON inside ``model`` rows made
    every scan of ``model`` (notes, the LIKE fallback) several times slower.
    ``*_fold`` columns hold ``str.casefold()`` text written by Python (SQLite's ``lower()``
    only folds ASCII). Times are Unix seconds (REAL). Paths of thumbnails and cached images
    are relative to the data folder, so the folder can move.
    ``local_file`` is not tied to ``model``: a scanned file may belong to a model that is
    not a shortcut.
    """
    run_script(
        conn,
        """
        CREATE TABLE model (
            id                  INTEGER PRIMARY KEY,      -- Civitai model id
            name                TEXT NOT NULL DEFAULT '',
            name_fold           TEXT NOT NULL DEFAULT '',
            type                TEXT NOT NULL DEFAULT '', -- Civitai ModelType as sent
            type_group          TEXT NOT NULL DEFAULT '', -- LORA/LoCon/DoRA -> LoRA, else type
            creator             TEXT NOT NULL DEFAULT '',
            nsfw                INTEGER NOT NULL DEFAULT 0, -- legacy boolean flag
            nsfw_level          INTEGER NOT NULL DEFAULT 0, -- bitmask of levels present
            thumb_level         INTEGER NOT NULL DEFAULT 0, -- level of the thumbnail image
            thumbnail           TEXT,                       -- relative to the data folder
            thumb_url           TEXT,
            early_access        INTEGER NOT NULL DEFAULT 0,
            selected_version_id INTEGER,
            latest_version_id   INTEGER,
            note                TEXT NOT NULL DEFAULT '',
            note_fold           TEXT NOT NULL DEFAULT '',
            search_text         TEXT NOT NULL DEFAULT '',   -- folded name, creator, file names
            registered_at       REAL NOT NULL,
            updated_at          REAL NOT NULL,
            needs_refresh       INTEGER NOT NULL DEFAULT 0, -- no info yet (legacy stub)
            update_available    INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX model_by_name ON model(name_fold, id);
        CREATE INDEX model_by_registered ON model(registered_at, id);
        CREATE INDEX model_by_updated ON model(updated_at, id);
        CREATE INDEX model_by_type ON model(type_group, type);
        CREATE INDEX model_by_update ON model(update_available) WHERE update_available = 1;
        -- the API JSON lives apart so that scans of model (notes, LIKE fallback) stay small
        CREATE TABLE model_raw (
            model_id INTEGER PRIMARY KEY REFERENCES model(id) ON DELETE CASCADE,
            raw      TEXT NOT NULL
        );

        CREATE TABLE version (
            id            INTEGER PRIMARY KEY,
            model_id      INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
            position      INTEGER NOT NULL,               -- 0 = newest, as Civitai orders them
            name          TEXT NOT NULL DEFAULT '',
            base_model    TEXT NOT NULL DEFAULT '',
            published_at  TEXT,
            nsfw_level    INTEGER NOT NULL DEFAULT 0,
            early_access  INTEGER NOT NULL DEFAULT 0,
            trained_words TEXT NOT NULL DEFAULT '[]',     -- JSON list
            download_url  TEXT
        );
        CREATE INDEX version_by_model ON version(model_id, position);
        CREATE INDEX version_by_base ON version(base_model, model_id);

        CREATE TABLE model_file (
            version_id   INTEGER NOT NULL REFERENCES version(id) ON DELETE CASCADE,
            file_id      INTEGER NOT NULL,
            model_id     INTEGER NOT NULL,
            position     INTEGER NOT NULL,
            name         TEXT NOT NULL DEFAULT '',
            type         TEXT NOT NULL DEFAULT '',
            size_kb      REAL,
            is_primary   INTEGER NOT NULL DEFAULT 0,
            sha256       TEXT,                            -- upper-case hex, as Civitai sends
            download_url TEXT,
            PRIMARY KEY (version_id, file_id)
        );
        CREATE INDEX model_file_by_sha ON model_file(sha256);
        CREATE INDEX model_file_by_model ON model_file(model_id);

        CREATE TABLE image (
            id          INTEGER PRIMARY KEY,
            version_id  INTEGER NOT NULL REFERENCES version(id) ON DELETE CASCADE,
            model_id    INTEGER NOT NULL,
            position    INTEGER NOT NULL,
            url         TEXT NOT NULL,
            nsfw_level  INTEGER NOT NULL DEFAULT 0,       -- single level bit; 0 = unknown
            width       INTEGER,
            height      INTEGER,
            media_type  TEXT NOT NULL DEFAULT 'image',    -- image | video | audio
            local_path  TEXT,                             -- cached still, relative
            meta        TEXT,                             -- generation meta JSON when known
            UNIQUE (version_id, position)
        );
        CREATE INDEX image_by_model ON image(model_id);

        CREATE TABLE model_tag (
            model_id INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
            tag      TEXT NOT NULL,
            tag_fold TEXT NOT NULL,
            PRIMARY KEY (model_id, tag_fold)
        );
        CREATE INDEX model_tag_by_tag ON model_tag(tag_fold, model_id);

        CREATE TABLE classification (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created_at  REAL NOT NULL,
            updated_at  REAL NOT NULL
        );
        CREATE TABLE classification_member (
            classification_id INTEGER NOT NULL REFERENCES classification(id) ON DELETE CASCADE,
            model_id          INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
            added_at          REAL NOT NULL,
            PRIMARY KEY (classification_id, model_id)
        );
        CREATE INDEX member_by_model ON classification_member(model_id);

        CREATE TABLE recipe (
            id              INTEGER PRIMARY KEY,
            name            TEXT NOT NULL UNIQUE,
            description     TEXT NOT NULL DEFAULT '',
            prompt          TEXT NOT NULL DEFAULT '',
            negative_prompt TEXT NOT NULL DEFAULT '',
            parameters      TEXT NOT NULL DEFAULT '{}',   -- JSON object, infotext order kept
            classification  TEXT NOT NULL DEFAULT '',     -- free text, as in the original
            image           TEXT,                         -- original bytes, relative path
            image_info      TEXT NOT NULL DEFAULT '',     -- infotext read from that image
            created_at      REAL NOT NULL,
            updated_at      REAL NOT NULL
        );
        CREATE INDEX recipe_by_classification ON recipe(classification);
        CREATE TABLE recipe_model (
            recipe_id INTEGER NOT NULL REFERENCES recipe(id) ON DELETE CASCADE,
            model_id  INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,
            position  INTEGER NOT NULL,
            PRIMARY KEY (recipe_id, model_id)
        );
        CREATE INDEX recipe_model_by_model ON recipe_model(model_id);

        CREATE TABLE local_file (
            path        TEXT PRIMARY KEY,                 -- absolute, as the scanner saw it
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            sha256      TEXT,                             -- upper-case hex
            version_id  INTEGER,
            model_id    INTEGER,
            recorded_at REAL NOT NULL
        );
        CREATE INDEX local_file_by_model ON local_file(model_id);
        CREATE INDEX local_file_by_version ON local_file(version_id);
        CREATE INDEX local_file_by_sha ON local_file(sha256);
        """,
    )
    # FTS5 with the trigram tokenizer (SQLite >= 3.34) indexes substrings; older SQLite in
    # some WebUI Pythons lacks it, and query.py then falls back to LIKE on search_text.
    try:
        conn.execute("CREATE VIRTUAL TABLE model_fts USING fts5(text, tokenize='trigram')")
    except sqlite3.OperationalError:
        pass  # capability absent: query.has_fts() answers False and LIKE is used


MIGRATIONS = [
    _m001_jobs_and_settings,
    _m002_library,
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
