"""The jobs panel: a live queue (start-and-poll) that re-attaches after a page reload.

It reads job rows through the job manager on a timer, so it shows the same state whether the
job was started by this page, another tab, the CLI, or before a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import gradio as gr

from . import compat
from .format import escape, human_duration, progress_text

ACTIVE = ("queued", "running", "paused")
STATE_LABELS = {"queued": "Queued", "running": "Running", "paused": "Paused", "done": "Done",
                "failed": "Failed", "cancelled": "Cancelled"}


def render_jobs_html(views, *, now: float | None = None) -> str:
    """An HTML table of jobs with progress bars; every value is escaped."""
    if not views:
        return '<div class="cs-jobs cs-empty">No jobs yet.</div>'
    now = time.time() if now is None else now
    rows = []
    for v in views:
        fraction = v.fraction
        bar = ""
        if fraction is not None or v.state == "running":
            width = 100 if v.state == "done" else int(round((fraction or 0) * 100))
            bar = f'<div class="cs-bar"><div class="cs-bar-fill" style="width:{width}%"></div></div>'
        detail = escape(v.error) if v.state == "failed" and v.error else escape(progress_text(v))
        when = v.finished_at or v.started_at or v.created_at
        age = human_duration(max(0.0, now - when)) + " ago" if when else ""
        rows.append(
            f'<tr class="cs-job cs-job-{escape(v.state)}" data-job-id="{v.id}">'
            f'<td class="cs-job-id">#{v.id}</td>'
            f'<td class="cs-job-title">{escape(v.title or v.kind)}</td>'
            f'<td class="cs-job-state">{STATE_LABELS.get(v.state, escape(v.state))}</td>'
            f'<td class="cs-job-progress">{bar}<span class="cs-job-detail">{detail}</span></td>'
            f'<td class="cs-job-age">{escape(age)}</td></tr>'
        )
    return ('<table class="cs-jobs"><thead><tr><th>Job</th><th>What</th><th>State</th><th>Progress</th>'
            '<th></th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _choices(views) -> dict[str, int]:
    """Dropdown label -> job id (labels only: Gradio 3.41's Dropdown has no (label, value) pairs)."""
    return {f"#{v.id} {v.title or v.kind} ({v.state})": v.id for v in views}


@dataclass
class JobsPanel:
    table: gr.HTML
    selected: gr.Dropdown


def build_jobs_panel(app, blocks: gr.Blocks, *, live: bool = True, limit: int = 30) -> JobsPanel:
    """Adds the jobs panel to the current Blocks context.

    ``live`` refreshes it every second; without the Gradio queue (A1111 ``--no-gradio-queue``)
    periodic events cannot run, so a Refresh button does the same on demand.
    """
    with gr.Row():
        table = gr.HTML(render_jobs_html(app.jobs.list(limit=limit)), elem_id="cs_jobs_table")
    with gr.Row():
        selected = gr.Dropdown(label="Job", choices=[], value=None, allow_custom_value=True,
                               elem_id="cs_jobs_selected", scale=3)
        cancel = gr.Button("Cancel", elem_id="cs_job_cancel", scale=1)
        pause = gr.Button("Pause", elem_id="cs_job_pause", scale=1)
        resume = gr.Button("Resume", elem_id="cs_job_resume", scale=1)
        retry = gr.Button("Retry", elem_id="cs_job_retry", scale=1)
        open_folder = gr.Button("Show folder", elem_id="cs_job_folder", scale=1)
        refresh_now = gr.Button("Refresh", elem_id="cs_jobs_refresh", scale=1, visible=not live)
    status = gr.Markdown("", elem_id="cs_jobs_status")
    labels = gr.State({})   # dropdown label -> job id, so no id is read back out of a label

    def refresh(current, known):
        views = app.jobs.list(limit=limit)
        choices = _choices(views)
        current_id = (known or {}).get(current)
        keep = next((label for label, job_id in choices.items() if job_id == current_id), None)
        if keep is None:
            active = [v for v in views if v.state in ACTIVE]
            keep = next((label for label, job_id in choices.items() if active and job_id == active[0].id), None)
        return render_jobs_html(views), gr.update(choices=list(choices), value=keep), choices

    def chosen(label, known) -> int:
        job_id = (known or {}).get(label)
        if job_id is None:
            raise gr.Error("Choose a job first.")
        return job_id

    def act(action):
        def handler(label, known):
            view = getattr(app.jobs, action)(chosen(label, known))
            table_html, dropdown, choices = refresh(label, known)
            return table_html, dropdown, choices, f"Job #{view.id} is {view.state}."
        handler.__name__ = f"job_{action}"
        return handler

    for button, action in ((cancel, "cancel"), (pause, "pause"), (resume, "resume"), (retry, "retry")):
        button.click(compat.guard(act(action)), inputs=[selected, labels], outputs=[table, selected, labels, status],
                     **compat.event_kwargs(api_name=f"job_{action}", show_progress=False))

    def show_folder(label, known):
        view = app.jobs.get(chosen(label, known))
        folder = view.params.get("folder")
        if not folder and isinstance(view.result, dict):
            folder = view.result.get("folder")
        if not folder:
            return f"Job #{view.id} has no folder."
        return f"Files of job #{view.id} are in `{folder}`."

    open_folder.click(compat.guard(show_folder), inputs=[selected, labels], outputs=[status],
                      **compat.event_kwargs(show_progress=False))
    if live:
        compat.timer(blocks, 1.0, refresh, inputs=[selected, labels], outputs=[table, selected, labels])
    refresh_now.click(compat.guard(refresh), inputs=[selected, labels], outputs=[table, selected, labels],
                      **compat.event_kwargs(show_progress=False))
    blocks.load(compat.guard(refresh), inputs=[selected, labels], outputs=[table, selected, labels],
                **compat.event_kwargs(api_name="jobs_refresh", show_progress=False))
    return JobsPanel(table, selected)
