"""The WebUI's SHA-256 cache, read and written without the WebUI (or the diskcache package).

Since A1111 1.9 the WebUI keeps hashes in a ``diskcache.Cache`` per subsection
(host-gradio.md §1.8)::

    <webui>/cache/                      SD_WEBUI_CACHE_DIR
        hashes/cache.db                 full-file SHA-256: the only subsection we use
        hashes-addnet/cache.db          A1111: a hash of the tensor data, NOT the file: never read
    <webui>/cache.json                  1.8 and older (read only, when cache/ has no store)

diskcache 5 stores each item as a row of the ``Cache`` table (checked against diskcache
5.6.3; ``tests/fixtures/webui_cache`` holds a store made by that library)::

    key          TEXT   the title, e.g. "lora/foo" (raw = 1 for str keys)
    raw          1
    store_time, access_time   time.time() at write; expire_time NULL; access_count 0
    tag NULL, size 0, filename NULL      small values live in the row, not in a file
    mode         4 (MODE_PICKLE)
    value        pickle.dumps({"mtime": <getmtime float>, "sha256": "<lower hex>"}, protocol=5)

Triggers inside the store keep the ``Settings`` count/size rows right on our INSERTs. We
unpickle with an Unpickler that refuses every global, so a crafted store cannot run code:
the WebUI's values are a dict of a float and a str, which need none. An entry is fresh
while the file's current mtime is <= the cached one (``modules.hashes.sha256_from_cache``).

We never create a store: the WebUI makes it, with its size limit and pragmas, on its next
start. Without one, ``put`` does nothing and the hash lives in our library only.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .hash_titles import webui_title

log = logging.getLogger(__name__)

SUBSECTION = "hashes"
MODE_PICKLE = 4
_PICKLE_PROTOCOL = min(5, pickle.HIGHEST_PROTOCOL)
_TIMEOUT = 10.0  # seconds to wait for the WebUI's own writer


class UnsafePickle(pickle.UnpicklingError):
    """A cache value asked to load a class or function; the WebUI never writes those."""


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles only plain data (dict, list, str, float, int...): every global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise UnsafePickle(f"refusing to load {module}.{name} from the WebUI hash cache")


def loads_plain(data: bytes) -> Any:
    """Unpickles ``data`` without importing anything; raises UnpicklingError for anything else."""
    return _PlainUnpickler(io.BytesIO(data)).load()


def _valid_entry(entry: Any) -> dict | None:
    """The entry when it has a float-like mtime and a 64-hex sha256, else None."""
    if not isinstance(entry, dict):
        return None
    sha, mtime = entry.get("sha256"), entry.get("mtime", 0)
    if not isinstance(sha, str) or len(sha) != 64 or not isinstance(mtime, (int, float)):
        return None
    try:
        int(sha, 16)
    except ValueError:
        return None
    return entry


def _connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db_path), timeout=_TIMEOUT, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(_TIMEOUT * 1000)}")
    return conn


def read_entry(db_path: Path, title: str) -> dict | None:
    """The ``{"mtime", "sha256"}`` entry stored under ``title`` in a diskcache store, or None.

    Values that are not plain pickled dicts (or live in side files) are logged and ignored.
    """
    conn = _connect(db_path)
    try:
        row = conn.execute(
            "SELECT mode, filename, value FROM Cache WHERE key = ? AND raw = 1"
            " AND (expire_time IS NULL OR expire_time > ?)", (title, time.time())).fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    mode, filename, value = row
    if mode != MODE_PICKLE or filename is not None or value is None:
        log.warning("Ignoring WebUI hash cache entry %r: stored as mode %s, not a small pickle", title, mode)
        return None
    try:
        entry = loads_plain(bytes(value))
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        log.warning("Ignoring WebUI hash cache entry %r: %s", title, exc)
        return None
    return _valid_entry(entry)


def write_entry(db_path: Path, title: str, entry: dict) -> None:
    """Stores ``entry`` under ``title`` the way ``diskcache.Cache.__setitem__`` does."""
    conn = _connect(db_path)
    try:
        protocol = _PICKLE_PROTOCOL
        row = conn.execute("SELECT value FROM Settings WHERE key = 'disk_pickle_protocol'").fetchone()
        if row and isinstance(row[0], int):
            protocol = min(row[0], pickle.HIGHEST_PROTOCOL)
        value = sqlite3.Binary(pickle.dumps(entry, protocol=protocol))
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute("SELECT rowid, filename FROM Cache WHERE key = ? AND raw = 1", (title,)).fetchone()
            if found is not None and found[1] is not None:
                # an old value kept in a side file: leave it to diskcache, which knows how to remove it
                conn.execute("ROLLBACK")
                log.warning("Not updating WebUI hash cache entry %r: its old value is a side file", title)
                return
            if found is not None:
                conn.execute(
                    "UPDATE Cache SET store_time = ?, expire_time = NULL, access_time = ?, access_count = 0,"
                    " tag = NULL, size = 0, mode = ?, filename = NULL, value = ? WHERE rowid = ?",
                    (now, now, MODE_PICKLE, value, found[0]))
            else:
                conn.execute(
                    "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size,"
                    " mode, filename, value) VALUES (?, 1, ?, NULL, ?, 0, NULL, 0, ?, NULL, ?)",
                    (title, now, now, MODE_PICKLE, value))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


class WebUIHashCache:
    """The ``hashes`` subsection of one WebUI install's cache folder."""

    def __init__(self, cache_dir: Path, folders: Callable[[], dict[str, list[Path]]]):
        self.cache_dir = Path(cache_dir)
        self._folders = folders

    @property
    def db_path(self) -> Path:
        return self.cache_dir / SUBSECTION / "cache.db"

    @property
    def legacy_path(self) -> Path:
        """``cache.json`` of WebUI 1.8 and older, beside the cache folder."""
        return self.cache_dir.parent / "cache.json"

    def title(self, path: Path, model_type: str) -> str | None:
        """The WebUI's title for ``path`` (None: the WebUI caches no hash for this type)."""
        return webui_title(path, model_type, self._folders())

    def entry(self, title: str) -> dict | None:
        """The raw cached entry for ``title`` from the store, else from the legacy ``cache.json``."""
        if self.db_path.is_file():
            return read_entry(self.db_path, title)
        if self.legacy_path.is_file():
            return self._legacy_entry(title)
        return None

    def _legacy_entry(self, title: str) -> dict | None:
        try:
            data = json.loads(self.legacy_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            log.warning("Ignoring the WebUI's %s: %s", self.legacy_path, exc)
            return None
        section = data.get(SUBSECTION) if isinstance(data, dict) else None
        return _valid_entry(section.get(title)) if isinstance(section, dict) else None

    def get(self, path: Path, model_type: str) -> str | None:
        """The upper-case SHA-256 the WebUI cached for ``path``, if the file has not changed since."""
        title = self.title(path, model_type)
        if title is None:
            return None
        entry = self.entry(title)
        if entry is None:
            return None
        try:
            on_disk = os.path.getmtime(path)
        except FileNotFoundError:
            return None
        if on_disk > entry.get("mtime", 0):
            return None
        return entry["sha256"].upper()

    def put(self, path: Path, model_type: str, sha256: str) -> bool:
        """Records ``sha256`` for ``path`` as the WebUI would; False when there is no store or title."""
        title = self.title(path, model_type)
        if title is None or not self.db_path.is_file():
            return False
        entry = {"mtime": os.path.getmtime(path), "sha256": sha256.lower()}
        write_entry(self.db_path, title, entry)
        return True
