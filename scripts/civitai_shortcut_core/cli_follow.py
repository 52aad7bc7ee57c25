"""Following a job from a terminal: progress on stderr about once a second; Ctrl+C cancels it."""

from __future__ import annotations

import sys
from typing import Any

from .ui.format import progress_text  # plain text helpers; no Gradio import

FOLLOW_INTERVAL = 1.0


def follow_job(app: Any, job_id: int, *, quiet: bool = False) -> Any:
    """Waits for the job and returns its final view; Ctrl+C cancels it."""
    try:
        while True:
            view = app.jobs.wait(job_id, timeout=FOLLOW_INTERVAL)
            if view.finished:
                return view
            if not quiet:
                print(f"\r{progress_text(view)[:100]:<100}", end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        app.jobs.cancel(job_id)
        print("\nCancelled.", file=sys.stderr)
        return app.jobs.wait(job_id, timeout=30)
    finally:
        if not quiet:
            print(file=sys.stderr)
