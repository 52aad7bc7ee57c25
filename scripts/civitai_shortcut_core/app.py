"""Composition root: builds every service once from a Host and its Settings.

No logic lives here. Both entry points (the WebUI script and ``main.py``) build one
``App``; the UI and the CLI only talk to its services.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from .civitai.client import CivitaiClient
from .civitai.http import CivitaiHttp
from .host.base import Host
from .library import Library
from .library.db import Database
from .services.downloads import DownloadService
from .services.exporting import ExportService
from .services.jobs import JobManager
from .services.legacy_import import LegacyImportService
from .services.registration import RegistrationService
from .services.scan_setup import ScanServices
from .settings import Settings

log = logging.getLogger(__name__)


class App:
    """Everything a handler or command needs, built from ``host``."""

    def __init__(self, host: Host, *, start_workers: bool = True):
        self.host = host
        self._settings_lock = threading.Lock()
        self._settings = self._load_settings()
        self.data_dir = Path(host.data_dir())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.data_dir / "library.sqlite3")
        self.jobs = JobManager(self.db)
        settings = lambda: self.settings  # noqa: E731  (services read settings on each use)
        self.http = CivitaiHttp(settings)
        self.civitai = CivitaiClient(self.http)
        self.library = Library(self.db, self.data_dir, civitai_url=lambda: self.settings.civitai_url)
        self.registration = RegistrationService(self.library, self.jobs, lambda: self.civitai, settings)
        self.legacy_import = LegacyImportService(self.library, self.jobs)
        self.downloads = DownloadService(http=self.http, client=self.civitai, host=host, settings=settings,
                                         jobs=self.jobs, record_local_file=self.library.store.record_local_file)
        self.exports = ExportService(self.library, self.jobs)
        self.scan = ScanServices(self)  # hashing, scans, update checks, upkeep (job kinds registered here)
        if start_workers:
            self.jobs.start()

    # -- settings ----------------------------------------------------------------------
    def _load_settings(self) -> Settings:
        values = dict(self.host.load_settings())
        env_key = os.environ.get("CIVITAI_API_KEY", "").strip()
        if env_key and not values.get("api_key"):
            values["api_key"] = env_key
        return Settings.from_values(values)

    @property
    def settings(self) -> Settings:
        """The current settings; services call this on each use so changes apply at once."""
        return self._settings

    def update_settings(self, **changes) -> Settings:
        """Validates, stores and applies setting changes."""
        with self._settings_lock:
            new = self._settings.replace(**changes)
            self.host.save_settings({k: getattr(new, k) for k in changes})
            self._settings = new
        self.downloads.apply_settings()
        return new

    def reload_settings(self) -> Settings:
        """Re-reads settings from the host (after the WebUI saved its Settings tab)."""
        with self._settings_lock:
            self._settings = self._load_settings()
        self.downloads.apply_settings()
        return self._settings

    def start_ui_services(self) -> int | None:
        """Work an app with a UI starts once (never the CLI): the optional background refresh
        of shortcut info, for shortcuts not refreshed in the last day. Returns its job id."""
        if not self.settings.refresh_on_start:
            return None
        return self.scan.maintenance.refresh_shortcuts(older_than_days=1)

    def close(self) -> None:
        """Stops workers (unfinished jobs stay queued for the next start) and closes the database."""
        self.jobs.stop()
        self.db.close()
