"""A real scan stack on temp folders against the fake Civitai: host, library, client, services.

Used by the scan, update and maintenance tests and by ``bench/scan_requests.py``. Previews
are fetched only from the fake server: ``fetch`` refuses any other origin, so a fixture
whose images live on image.civitai.com can never reach the internet.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from civitai_shortcut_core.civitai.client import CivitaiClient
from civitai_shortcut_core.civitai.http import CivitaiHttp, RetryPolicy
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.library.library import Library
from civitai_shortcut_core.services.download_extras import fetch_bytes
from civitai_shortcut_core.services.hash_index import HashIndex
from civitai_shortcut_core.services.scan import ScanService
from civitai_shortcut_core.settings import Settings
from fake_civitai import FIXTURES, scan_routes

PAYLOADS = FIXTURES / "payloads"


class ScanEnv:
    """Everything a scan needs, built like the App builds it, on ``root``."""

    def __init__(self, root: Path, server: Any, *, webui: bool = False, **settings: Any):
        scan_routes.install(server)
        self.server = server
        self.root = Path(root)
        if webui:
            (self.root / "webui" / "models").mkdir(parents=True, exist_ok=True)
            self.host = StandaloneHost(self.root / "data", webui_dir=self.root / "webui")
            self.models = self.root / "webui" / "models"
        else:
            self.models = self.root / "models"
            self.host = StandaloneHost(self.root / "data", models_dir=self.models)
        self.settings = Settings(civitai_url=server.url, **settings)
        self.db = Database(self.root / "data" / "library.sqlite3")
        self.library = Library(self.db, self.root / "data", civitai_url=server.url)
        self.sleeps: list[float] = []
        self.http = CivitaiHttp(lambda: self.settings, sleep=self.sleeps.append, min_interval=0,
                                policy=RetryPolicy(retries=2, base_delay=0.01))
        self.client = CivitaiClient(self.http)
        self.hashes = HashIndex(self.host, self.library.store, settings=lambda: self.settings, workers=2)
        self.scan = ScanService(host=self.host, store=self.library.store, query=self.library.query,
                                hashes=self.hashes, client=lambda: self.client, settings=lambda: self.settings,
                                fetch=self.fetch)

    def fetch(self, url: str) -> bytes:
        """Image bytes from the fake server only."""
        assert url.startswith(self.server.url + "/"), f"a test tried to fetch {url}"
        return fetch_bytes(self.http, url)

    def place(self, folder: str, name: str, data: bytes | str) -> Path:
        """Writes a model file (bytes, or the name of a fixture payload) under the models folder."""
        path = self.models / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            shutil.copyfile(PAYLOADS / data, path)
        else:
            path.write_bytes(data)
        return path

    def api_requests(self) -> list:
        return [r for r in self.server.requests if r.path.startswith("/api/")]

    def close(self) -> None:
        self.db.close()
