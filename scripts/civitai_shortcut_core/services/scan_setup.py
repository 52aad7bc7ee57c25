"""The scan issue's part of the composition root: its services and job kinds.

``App`` calls ``ScanServices(app)`` under its ``# [scan]`` marker. Job kinds are registered
at once (so queued scans resume after a restart); the services themselves are built on
first use from ``app.library``, ``app.civitai`` and ``app.registration``, so this wiring does
not depend on the order in which the other parts of the App are built.

Job kinds: ``hash`` (hash every model file, no network), ``scan`` (params ``register``,
``write_info``, ``move``), ``check_updates``, ``backfill_sidecars`` (params ``metadata``,
``previews``). Refreshing shortcut info runs as the registration service's job.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ..host.base import MODEL_EXTENSIONS
from .hash_index import HashIndex
from .maintenance import BACKFILL_KIND, Maintenance
from .scan import ScanService
from .updates import KIND as UPDATES_KIND
from .updates import UpdateChecker

HASH_KIND = "hash"
SCAN_KIND = "scan"

__all__ = ["BACKFILL_KIND", "HASH_KIND", "SCAN_KIND", "UPDATES_KIND", "ScanServices"]


class ScanServices:
    """Hashing, scanning, update checks and upkeep for one App."""

    def __init__(self, app: Any):
        self._app = app
        jobs = app.jobs
        # one worker each: two scans at once would only read the same files twice
        jobs.register(HASH_KIND, lambda ctx: self.hashes.run_job(ctx), workers=1)
        jobs.register(SCAN_KIND, lambda ctx: self.scan.run_job(ctx), workers=1)
        jobs.register(UPDATES_KIND, lambda ctx: self.updates.run_job(ctx), workers=1)
        jobs.register(BACKFILL_KIND, lambda ctx: self.maintenance.run_backfill_job(ctx), workers=1)

    def _settings(self) -> Any:
        return self._app.settings

    @cached_property
    def hashes(self) -> HashIndex:
        return HashIndex(self._app.host, self._app.library.store, settings=self._settings)

    @cached_property
    def scan(self) -> ScanService:
        library = self._app.library
        refresh = (lambda ids: self.maintenance.refresh_shortcuts(ids)) \
            if getattr(self._app, "registration", None) is not None else None
        return ScanService(host=self._app.host, store=library.store, query=library.query, hashes=self.hashes,
                           client=lambda: self._app.civitai, settings=self._settings, on_registered=refresh)

    @cached_property
    def updates(self) -> UpdateChecker:
        return UpdateChecker(store=self._app.library.store, client=lambda: self._app.civitai)

    @cached_property
    def maintenance(self) -> Maintenance:
        return Maintenance(host=self._app.host, library=self._app.library,
                           registration=getattr(self._app, "registration", None),
                           settings=self._settings, model_extensions=MODEL_EXTENSIONS)
