"""The WebUI's SHA-256 cache (``<data>/cache/hashes``, a diskcache SQLite store), read and written
without the WebUI running. Only the ``hashes`` subsection holds full-file SHA-256.

Being written for the scan issue (#6); until then it reports no cached hashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable


class WebUIHashCache:
    def __init__(self, cache_dir: Path, folders: Callable[[], dict[str, list[Path]]]):
        self.cache_dir = Path(cache_dir)
        self._folders = folders

    def get(self, path: Path, model_type: str) -> str | None:
        return None

    def put(self, path: Path, model_type: str, sha256: str) -> None:
        return None
