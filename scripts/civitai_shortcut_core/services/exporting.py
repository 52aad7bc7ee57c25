"""The JSON export of the whole library as a job: at 20,000 shortcuts it writes ~100 MB in ~5 s,
too long to hold inside a Gradio request (DESIGN.md, "the one rule")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..library.export import write_export

EXPORT_KIND = "export"


class ExportService:
    """Queues and runs ``export`` jobs."""

    def __init__(self, library: Any, jobs: Any):
        self.library = library
        self.jobs = jobs
        jobs.register(EXPORT_KIND, self.run_job, workers=1)

    def start(self, path: str | Path, *, include_raw: bool = True) -> int:
        """Queues an export to ``path``; returns the job id."""
        target = Path(path).expanduser()
        return self.jobs.submit(EXPORT_KIND, {"path": str(target), "include_raw": include_raw},
                                title=f"Export the library to {target.name}")

    def run_job(self, ctx: Any) -> dict[str, Any]:
        target = Path(ctx.params["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        ctx.report(message="Reading the library")
        counts = write_export(self.library, target, include_raw=bool(ctx.params.get("include_raw", True)))
        ctx.report(message="Written")
        return {"path": str(target), "folder": str(target.parent), **counts}
