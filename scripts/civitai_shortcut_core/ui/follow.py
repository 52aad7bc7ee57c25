"""Following a job from a Gradio handler: progress from the handler's own thread, at least once
a second, until the job ends; then its result, or a clear ``gr.Error``.

The job itself runs in the job manager, so a dropped connection or a closed tab never stops
it; a new page re-attaches through the jobs panel.
"""

from __future__ import annotations

from typing import Callable

import gradio as gr

from .format import progress_text

FOLLOW_INTERVAL = 0.5  # seconds between progress updates (Gradio coalesces to 10/s anyway)


def describe(view) -> str:
    text = progress_text(view)
    title = view.title or f"{view.kind} job {view.id}"
    return f"{title}: {text}" if text else f"{title}: {view.state}"


def follow_until_done(jobs, job_id: int, report: Callable[[object], None]) -> object:
    """Reports the job's state every FOLLOW_INTERVAL until it ends; returns the final JobView."""
    while True:
        view = jobs.get(int(job_id))
        report(view)
        if view.finished:
            return view
        jobs.wait(int(job_id), timeout=FOLLOW_INTERVAL)


def outcome(view) -> str:
    """The final sentence for a finished job, or raises gr.Error with the job's own sentence."""
    if view.state == "failed":
        raise gr.Error(view.error or f"Job {view.id} failed.")
    if view.state == "cancelled":
        raise gr.Error(f"{view.title or 'The job'} was cancelled.")
    return f"{view.title or 'Job'} finished."


def make_follow(jobs, with_progress: bool) -> Callable:
    """A handler ``follow(job_id) -> str`` with a ``gr.Progress`` parameter only when the queue allows it.

    With A1111's ``--no-gradio-queue`` a ``gr.Progress`` parameter stops the whole WebUI from
    launching, so that build answers at once with the job's state (start-and-poll only).
    """
    if with_progress:
        def follow(job_id, progress=gr.Progress()):
            def report(view):
                progress(view.fraction, desc=describe(view))
            return outcome(follow_until_done(jobs, int(job_id), report))
    else:
        def follow(job_id):
            view = jobs.get(int(job_id))
            return outcome(view) if view.finished else describe(view)
    return follow
