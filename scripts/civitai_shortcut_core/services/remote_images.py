"""Thumbnails of images that live on Civitai's CDN, cached in the data folder for galleries.

The Civitai gallery shows a page of someone else's images; they are not part of the library.
Gradio 3.41 would send a ``HEAD`` request without a timeout for every URL handed to a
gallery, one after another, from the request thread; here a page's thumbnails are fetched in
parallel through the app's HTTP layer (timeouts, retries, no API key to the CDN) and kept as
files, so paging back is free. A thumbnail that cannot be fetched becomes ``None`` and the
caller shows a placeholder and says how many failed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..civitai.errors import CivitaiError
from ..files.atomic import write_atomic
from ..files.errors import NotAnImage
from ..files.stills import sniff_kind
from .download_extras import fetch_bytes

log = logging.getLogger(__name__)

WORKERS = 4
KEEP_FILES = 3000          # the cache is trimmed to this many files, oldest first
_EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp", "avif": ".avif", "bmp": ".bmp"}


class RemoteThumbnails:
    """Fetches image URLs into ``cache_dir`` and returns local paths."""

    def __init__(self, http, cache_dir: str | Path, *, fetch: Callable[[str], bytes] | None = None,
                 workers: int = WORKERS):
        self.cache_dir = Path(cache_dir)
        self._fetch = fetch or (lambda url: fetch_bytes(http, url))
        self._workers = workers

    def _stem(self, url: str) -> Path:
        return self.cache_dir / hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]

    def cached(self, url: str) -> str | None:
        """The cached file for ``url``, if any."""
        stem = self._stem(url)
        for ext in _EXTENSIONS.values():
            path = stem.with_suffix(ext)
            if path.is_file():
                return str(path)
        return None

    def _one(self, url: str) -> str | None:
        found = self.cached(url)
        if found:
            return found
        try:
            data = self._fetch(url)
        except (CivitaiError, NotAnImage) as exc:
            log.info("Thumbnail %s not fetched: %s", url, exc)
            return None
        ext = _EXTENSIONS.get(sniff_kind(data) or "")
        if ext is None:
            log.info("Thumbnail %s is not an image; not shown", url)
            return None
        path = self._stem(url).with_suffix(ext)
        write_atomic(path, data)
        return str(path)

    def local_paths(self, urls: Sequence[str]) -> list[str | None]:
        """Local files for ``urls`` in order (None where a fetch failed)."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        if not urls:
            return []
        with ThreadPoolExecutor(max_workers=min(self._workers, len(urls)),
                                thread_name_prefix="cs-thumbs") as pool:
            paths = list(pool.map(self._one, urls))
        self._trim()
        return paths

    def _trim(self) -> None:
        entries = [e for e in os.scandir(self.cache_dir) if e.is_file()]
        if len(entries) <= KEEP_FILES:
            return
        entries.sort(key=lambda e: e.stat().st_mtime)
        for entry in entries[: len(entries) - KEEP_FILES]:
            Path(entry.path).unlink(missing_ok=True)
