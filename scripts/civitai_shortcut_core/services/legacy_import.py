"""The legacy import as a job, for the tab's button (``main.py import-legacy`` runs it inline).

A library of thousands of shortcuts copies thousands of thumbnails and images, which is
long work: it must not run inside a Gradio request (DESIGN.md). The job reports one unit
per shortcut, can be cancelled between shortcuts, and is safe to re-run after a restart
because the import only adds what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..library import Library
from ..library.legacy import SETTINGS, find_legacy_data, find_legacy_installs, import_legacy
from ..library.legacy_formats import read_json_file, read_settings
from .jobs import JobContext, JobManager

KIND = "import_legacy"


class LegacyImportService:
    """Queues legacy imports and finds old installs to offer them."""

    def __init__(self, library: Library, jobs: JobManager):
        self.library = library
        self.jobs = jobs
        jobs.register(KIND, self._run, workers=1)

    def start(self, path: str | Path) -> int:
        """Queues an import of the old data at ``path``; returns the job id.

        The job's result is ``LegacyImportResult.as_json()`` plus ``summary`` (the API key
        masked); ``settings_found`` gives the settings to offer, which the job never applies.
        """
        return self.jobs.submit(KIND, {"path": str(path)}, title=f"Import {Path(path).name}")

    @staticmethod
    def candidates(extensions_dir: str | Path) -> list[Path]:
        """Installed copies of the original extension beside ours that hold data."""
        return find_legacy_installs(extensions_dir)

    def _run(self, ctx: JobContext) -> dict[str, Any]:
        def progress(done: int, total: int, message: str) -> None:
            ctx.check()
            ctx.report(done=done, total=total, unit="shortcuts", message=message)

        result = import_legacy(self.library, ctx.params["path"], progress)
        c = result.counts
        ctx.report(done=c["shortcuts"] + c["stubs"] + c["recovered"] + c["already_present"], message=result.summary())
        return {**result.as_json(), "summary": result.summary()}

    @staticmethod
    def settings_found(path: str | Path) -> dict[str, Any]:
        """The old extension's settings that mean something here (API key included), for the
        UI to offer and apply with ``App.update_settings``; the job result masks the key."""
        root = find_legacy_data(path)
        if root is None or not (root / SETTINGS).is_file():
            return {}
        value, _ = read_json_file(root / SETTINGS)
        return read_settings(value, SETTINGS)[0]
