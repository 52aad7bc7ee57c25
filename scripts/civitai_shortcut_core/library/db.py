"""The one object that owns the library's SQLite file.

Reads use a connection per thread; writes go through :meth:`Database.write`, one
transaction each (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception), so a
crash at any point loses nothing that was committed and leaves nothing half-written.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Database:
    """SQLite in WAL mode: per-thread readers and one serialised writer."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer = _connect(self.path)
        self._all: list[sqlite3.Connection] = [self._writer]
        self._all_lock = threading.Lock()
        from .migrations import migrate  # local: migrations import nothing from here at import time

        migrate(self._writer)

    def read(self) -> sqlite3.Connection:
        """Returns this thread's read connection (autocommit; each query sees committed data)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Runs ``fn(conn)`` in one immediate transaction and returns its result."""
        with self._write_lock:
            conn = self._writer
            if conn.in_transaction:  # nested write from inside fn: join the outer transaction
                return fn(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def close(self) -> None:
        """Closes every connection this object opened."""
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass  # already closed by its thread; nothing to release
            self._all.clear()
