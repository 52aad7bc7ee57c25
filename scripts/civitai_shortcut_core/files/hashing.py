"""SHA-256 of files, and the hasher a download feeds as it writes, so bytes are read once.

Measured here (1 GiB, page cache warm): 64 KiB to 8 MiB reads all hash at ~1.7 GiB/s,
because SHA-256 itself is the bottleneck; 1 MiB keeps memory small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

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


class StreamHasher:
    """SHA-256 of a download, fed chunk by chunk in the downloading thread, in file order.

    Hashing happens right after each chunk is received, while it is still in the CPU cache.
    A variant that hashed on a helper thread (a bounded queue of chunks) was measured here
    and was *slower*: 610-780 MB/s against 800 MB/s inline for 512 MiB over loopback on a
    2-core machine (the storage server holds the other core, and queued chunks are hashed
    cache-cold). At real network speeds either is far faster than the link.
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self.bytes_hashed = 0

    def update(self, chunk: bytes) -> None:
        """Adds the next chunk of the file."""
        self._digest.update(chunk)
        self.bytes_hashed += len(chunk)

    def feed_file(self, path: str | Path, limit: int, *, cancel: Callable[[], None] | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> None:
        """Hashes the first ``limit`` bytes of ``path`` (the part already on disk, before resuming)."""
        _feed(path, self.update, on_bytes=on_bytes, cancel=cancel, block=BLOCK, limit=limit, copy=False)

    def hexdigest(self) -> str:
        """The upper-case hex digest of everything fed so far (feeding may continue)."""
        return self._digest.hexdigest().upper()
