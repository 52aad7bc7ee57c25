"""SHA-256 of every local model file, computed at most once per file version.

A hash is looked up, cheapest first:

1. the library's ``local_file`` row, trusted while the file's (path, size, mtime_ns) are
   unchanged: a warm rescan of a big library costs one ``stat`` per file;
2. the host's WebUI cache (``host.cached_sha256``, the ``hashes`` subsection only), so
   files the WebUI already hashed are never read again;
3. reading the file: ``files.hashing.sha256_file`` with large reads, several files at once
   on a thread pool sized to the CPU count (``hashlib`` releases the GIL on big updates, so
   threads scale on fast disks). Largest files go first so the pool ends together.

New hashes are written to the library at once (a cancelled or crashed scan keeps what it
hashed) and back to the WebUI cache (``host.store_sha256``) so the WebUI skips them too.
Peers re-hash everything on each run, 30-60 minutes for big libraries (peers.md §3-5).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..files.hashing import sha256_file
from ..host.hash_titles import webui_title
from .model_files import ModelFile, find_model_files, scan_roots

log = logging.getLogger(__name__)

READ_BLOCK = 4 * 1024 * 1024
MAX_WORKERS = 8

Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class HashedFile:
    """A model file and its SHA-256, with where the hash came from."""

    path: Path
    model_type: str
    size: int
    mtime_ns: int
    sha256: str | None           # upper-case hex; None when ``error`` is set
    source: str                  # "library", "webui", "hashed" or "error"
    error: str | None = None
    version_id: int | None = None  # Civitai ids already known for this exact file
    model_id: int | None = None
    root: Path | None = None


class FileChanged(OSError):
    """The file changed while it was being hashed (still being written?)."""


def default_workers() -> int:
    """One hashing thread per CPU, at most MAX_WORKERS (more only thrashes a disk)."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


class HashIndex:
    """Finds the SHA-256 of local model files through the library, the WebUI cache, or hashing."""

    def __init__(self, host: Any, store: Any, *, settings: Callable[[], Any] | None = None,
                 workers: int | None = None, block: int = READ_BLOCK):
        self.host = host
        self.store = store
        self._settings = settings or (lambda: None)
        self.workers = workers or default_workers()
        self.block = block

    # -- discovery ---------------------------------------------------------------------
    def model_files(self) -> list[ModelFile]:
        """Every model file in the host's folders (and the settings' extra folders)."""
        return find_model_files(scan_roots(self.host, self._settings()))

    # -- hashing -------------------------------------------------------------------------
    def hash_files(self, files: Sequence[ModelFile], *, progress: Progress | None = None,
                   check: Callable[[], None] | None = None) -> list[HashedFile]:
        """Returns the SHA-256 of each file (in input order), hashing only what no cache knows.

        Args:
            files: files from :meth:`model_files` (their stat is what the cache is keyed by).
            progress: ``progress(done_bytes, total_bytes, message)`` while reading files.
            check: called between blocks; raising from it (a job's cancel) stops every thread.

        Per-file read errors become results with ``source="error"``; only ``check`` stops.
        """
        check = check or (lambda: None)
        known = {lf.path: lf for lf in self.store.local_files()}
        results: dict[Path, HashedFile] = {}
        pending: list[ModelFile] = []
        for item in files:
            row = known.get(str(item.path))
            if row is not None and row.sha256 and row.size == item.size and row.mtime_ns == item.mtime_ns:
                results[item.path] = _result(item, row.sha256, "library", row)
            else:
                pending.append(item)
        to_read: list[ModelFile] = []
        for item in pending:
            check()
            cached = self._webui_hash(item)
            if cached is None:
                to_read.append(item)
                continue
            results[item.path] = self._record(item, cached, "webui", known.get(str(item.path)))
        for result in self._read_all(to_read, known, progress, check):
            results[result.path] = result
        return [results[item.path] for item in files]

    def _has_webui_title(self, path: Path, model_type: str) -> bool:
        """Only types the WebUI itself hashes have an entry in its cache (VAE, ControlNet... do not)."""
        return webui_title(path, model_type, self.host.model_folders()) is not None

    def _webui_hash(self, item: ModelFile) -> str | None:
        if not self._has_webui_title(item.path, item.model_type):
            return None
        try:
            value = self.host.cached_sha256(item.path, item.model_type)
        except (OSError, sqlite3.Error) as exc:  # a locked or broken WebUI cache costs a re-hash, not the scan
            log.warning("Could not read the WebUI hash cache for %s: %s", item.path, exc)
            return None
        return value.upper() if value else None

    def _record(self, item: ModelFile, sha256: str, source: str, row: Any) -> HashedFile:
        """Stores a new hash in the library, keeping a known Civitai mapping of the same content."""
        keep = row is not None and (row.sha256 or "").upper() == sha256
        self.store.record_local_file(item.path, size=item.size, mtime_ns=item.mtime_ns, sha256=sha256,
                                     version_id=row.version_id if keep else None,
                                     model_id=row.model_id if keep else None)
        return _result(item, sha256, source, row if keep else None)

    def _read_all(self, items: list[ModelFile], known: dict, progress: Progress | None,
                  check: Callable[[], None]) -> list[HashedFile]:
        """Hashes ``items`` on the pool; the first stop request (``check`` raising) stops all threads."""
        if not items:
            return []
        items = sorted(items, key=lambda f: -f.size)
        total = float(sum(f.size for f in items))
        done = [0.0]
        lock = threading.Lock()
        stop = threading.Event()
        failure: list[BaseException] = []

        def on_bytes(n: int) -> None:
            with lock:
                done[0] += n
                if progress is not None:
                    progress(done[0], total, "")

        def between_blocks() -> None:
            if stop.is_set():
                raise _Stopped()
            check()

        out: list[HashedFile] = []
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items)), thread_name_prefix="sha256") as pool:
            futures = {pool.submit(self._read_one, item, on_bytes, between_blocks): item for item in items}
            for future in as_completed(futures):
                item = futures[future]
                try:
                    sha256, size, mtime_ns = future.result()
                except OSError as exc:
                    out.append(_error(item, exc))
                    continue
                except _Stopped:
                    continue
                except BaseException as exc:  # noqa: BLE001 - the job's cancel/pause: stop the others, re-raised below
                    if not failure:
                        failure.append(exc)
                    stop.set()
                    continue
                fresh = replace(item, size=size, mtime_ns=mtime_ns)
                out.append(self._record(fresh, sha256, "hashed", known.get(str(item.path))))
                self.store_webui(fresh.path, fresh.model_type, sha256)
        if failure:
            raise failure[0]
        return out

    def _read_one(self, item: ModelFile, on_bytes: Callable[[int], None],
                  between_blocks: Callable[[], None]) -> tuple[str, int, int]:
        before = os.stat(item.path)
        sha256 = sha256_file(item.path, on_bytes=on_bytes, cancel=between_blocks, block=self.block)
        after = os.stat(item.path)
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
            raise FileChanged(f"{item.path} changed while it was being hashed; scan again when it is complete")
        return sha256, after.st_size, after.st_mtime_ns

    def store_webui(self, path: Path, model_type: str, sha256: str) -> None:
        """Adds a hash to the host's WebUI cache when the WebUI has a title for the file's type."""
        if not self._has_webui_title(path, model_type):
            return
        try:
            self.host.store_sha256(path, model_type, sha256)
        except (OSError, sqlite3.Error) as exc:  # the WebUI will hash it itself; our library has it
            log.warning("Could not add %s to the WebUI hash cache: %s", path, exc)

    # -- job -----------------------------------------------------------------------------
    def run_job(self, ctx: Any) -> dict:
        """Job kind "hash": hashes every model file of the host; the result counts where hashes came from."""
        ctx.report(done=0, total=None, message="Looking for model files", unit="files")
        files = self.model_files()
        ctx.report(message=f"Hashing {len(files)} model files", unit="bytes")
        results = self.hash_files(files, check=ctx.check,
                                  progress=lambda d, t, m: ctx.report(done=d, total=t))
        return summarize(results)


class _Stopped(Exception):
    """Raised in the other hashing threads once one of them was asked to stop."""


def _result(item: ModelFile, sha256: str, source: str, row: Any) -> HashedFile:
    return HashedFile(item.path, item.model_type, item.size, item.mtime_ns, sha256.upper(), source,
                      version_id=getattr(row, "version_id", None), model_id=getattr(row, "model_id", None),
                      root=item.root)


def _error(item: ModelFile, exc: OSError) -> HashedFile:
    text = str(exc) if isinstance(exc, FileChanged) else f"{exc.strerror or exc} ({item.path})"
    return HashedFile(item.path, item.model_type, item.size, item.mtime_ns, None, "error", error=text,
                      root=item.root)


def summarize(results: Sequence[HashedFile]) -> dict:
    """Counts per source and the errors, for job results and the CLI."""
    counts = {"library": 0, "webui": 0, "hashed": 0, "error": 0}
    for result in results:
        counts[result.source] = counts.get(result.source, 0) + 1
    return {
        "files": len(results),
        "from_library": counts["library"],
        "from_webui": counts["webui"],
        "hashed": counts["hashed"],
        "bytes_hashed": sum(r.size for r in results if r.source == "hashed"),
        "errors": [{"path": str(r.path), "error": r.error} for r in results if r.source == "error"],
    }
