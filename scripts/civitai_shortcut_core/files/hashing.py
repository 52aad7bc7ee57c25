"""SHA-256 of files, and a hasher that runs beside a download so the bytes are read once.

Measured here (1 GiB, page cache warm): 64 KiB to 8 MiB reads all hash at ~1.7 GiB/s,
because SHA-256 itself is the bottleneck; 1 MiB keeps memory small. ``hashlib`` releases
the GIL on large buffers, which is what lets :class:`PipelinedHasher` hash one chunk while
the downloader receives and writes the next.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Callable

BLOCK = 1024 * 1024


def _feed(path: str | Path, update: Callable[[bytes], None], *, on_bytes, cancel, block: int,
          limit: int | None, copy: bool) -> None:
    """Reads ``path`` in ``block``-sized pieces into ``update`` (copies when the consumer keeps them)."""
    buf = bytearray(block)
    view = memoryview(buf)
    remaining = limit
    with open(path, "rb", buffering=0) as handle:
        while remaining is None or remaining > 0:
            want = block if remaining is None else min(block, remaining)
            n = handle.readinto(view[:want])
            if not n:
                break
            update(bytes(view[:n]) if copy else view[:n])
            if remaining is not None:
                remaining -= n
            if on_bytes is not None:
                on_bytes(n)
            if cancel is not None:
                cancel()


def sha256_file(path: str | Path, *, on_bytes: Callable[[int], None] | None = None,
                cancel: Callable[[], None] | None = None, block: int = BLOCK,
                limit: int | None = None) -> str:
    """Returns the upper-case hex SHA-256 of a file, streamed in ``block``-sized reads.

    Args:
        path: the file.
        on_bytes: called with the number of bytes read after each block (progress).
        cancel: called between blocks; raise from it to stop (e.g. a job's ``check``).
        block: read size.
        limit: hash only the first ``limit`` bytes (a ``.part`` being resumed).
    """
    digest = hashlib.sha256()
    _feed(path, digest.update, on_bytes=on_bytes, cancel=cancel, block=block, limit=limit, copy=False)
    return digest.hexdigest().upper()


class PipelinedHasher:
    """SHA-256 fed chunk by chunk, hashed on a helper thread while the caller does I/O.

    ``update`` hands an immutable ``bytes`` chunk to the thread through a small bounded queue
    (``depth`` chunks, so memory stays bounded and a slow hash slows the download instead of
    growing RAM). ``hexdigest`` waits for the queue to drain. ``close`` stops the thread
    without a digest (a cancelled download). Use as a context manager.
    """

    def __init__(self, *, depth: int = 8):
        self._digest = hashlib.sha256()
        self._queue: "queue.Queue[bytes | None]" = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._closed = False
        self.bytes_hashed = 0
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            try:
                self._digest.update(chunk)
            except BaseException as exc:  # surfaced by hexdigest(); the thread must not die silently
                self._error = exc
                return

    def update(self, chunk: bytes) -> None:
        """Queues ``chunk`` (must not be mutated afterwards) for hashing."""
        if self._closed:
            raise RuntimeError("hasher already finished")
        if chunk:
            self.bytes_hashed += len(chunk)
            self._queue.put(bytes(chunk) if not isinstance(chunk, bytes) else chunk)

    def feed_file(self, path: str | Path, limit: int, *, cancel: Callable[[], None] | None = None) -> None:
        """Hashes the first ``limit`` bytes of ``path`` (the part already on disk, before resuming)."""
        _feed(path, self.update, on_bytes=None, cancel=cancel, block=BLOCK, limit=limit, copy=True)

    def _finish(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def hexdigest(self) -> str:
        """Waits for every queued chunk and returns the upper-case hex digest."""
        self._finish()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest().upper()

    def close(self) -> None:
        """Stops the helper thread, dropping the digest."""
        if not self._closed:
            # drain so the put(None) cannot block on a full queue
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        self._finish()

    def __enter__(self) -> "PipelinedHasher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
