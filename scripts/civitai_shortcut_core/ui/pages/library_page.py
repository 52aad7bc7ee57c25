"""The Library page: register links, browse shortcuts on the left, the model's information on the right.

Registration runs only on an explicit Register (button or Enter in a one-line paste), as
one job for the whole batch; the handler follows it with progress and then lists a result
per link. Dropped ``.url``/``.txt``/``.json`` files register the links inside them; links
dragged from the address bar land in the box (``javascript/civitai_shortcut.js``).
"""

from __future__ import annotations

import gradio as gr

from .. import compat, web_assets
from ..components.shortcut_browser import shortcut_browser
from ..follow import describe, follow_until_done
from ..format import escape
from . import model_info

REGISTER_FILE_TYPES = [".url", ".txt", ".json"]
STATUS_MARK = {"registered": "✓ registered", "updated": "↻ updated", "failed": "✗ failed"}


def render_results(views) -> str:
    """Markdown lines, one per link, for the finished registration jobs."""
    lines = []
    for view in views:
        if view.state == "failed":
            lines.append(f"- ✗ {escape(view.error or 'Registration failed.')}")
            continue
        if view.state == "cancelled":
            lines.append(f"- Job #{view.id} was cancelled.")
            continue
        for item in (view.result or {}).get("results", []):
            name = item.get("name") or item.get("input")
            text = f"- {STATUS_MARK.get(item['status'], item['status'])}: **{escape(name)}**"
            if item.get("model_id") and item["status"] != "failed":
                text += f" (#{item['model_id']})"
            if item.get("error"):
                text += f" — {escape(item['error'])}"
            lines.append(text)
    return "\n".join(lines) or "Nothing was registered."


def first_registered(views) -> int:
    for view in views:
        for item in (view.result or {}).get("results", []) if view.state == "done" else []:
            if item["status"] != "failed" and item.get("model_id"):
                return int(item["model_id"])
    return 0


def render(ctx) -> None:
    app = ctx.app
    with gr.Row(elem_id="cs_library"):
        with gr.Column(scale=5, elem_id="cs_library_left"):
            with gr.Accordion("Register models", open=True, elem_id="cs_register"):
                links = gr.Textbox(label="Civitai links or ids", lines=2, max_lines=8,
                                   placeholder="Paste or drop links (any number), then Register",
                                   elem_id="cs_register_links")
                files = gr.File(label="…or drop .url / .txt / .json files", file_count="multiple",
                                file_types=REGISTER_FILE_TYPES, height=90, elem_id="cs_register_files")
                with gr.Row():
                    info_only = gr.Checkbox(label="Information only (no gallery images)", value=False,
                                            elem_id="cs_register_info_only")
                    register = gr.Button("Register", variant="primary", elem_id="cs_register_button")
                    favorites = gr.Button("Import my Civitai favourites", elem_id="cs_register_favorites")
                results = gr.Markdown("", elem_id="cs_register_results")
                registered_id = gr.Number(value=0, precision=0, visible=False, elem_id="cs_register_first_id")
            browser = shortcut_browser(ctx, elem_prefix="cs_library", api_prefix="library")
        with gr.Column(scale=6, elem_id="cs_library_right"):
            info = model_info.build(ctx, browser)

    def register_links(text, dropped, only_info, progress):
        paths = compat.file_paths(dropped)
        if not (text or "").strip() and not paths:
            raise gr.Error("Paste a Civitai link or drop a .url/.txt/.json file first.")
        job_ids = []
        if (text or "").strip():
            job_ids.append(app.registration.register(text, info_only=bool(only_info)))
        if paths:
            job_ids.append(app.registration.register_files(paths, info_only=bool(only_info)))
        if progress is None:  # no queue: the jobs panel shows the rest
            return (f"Registration started (job {', '.join(f'#{j}' for j in job_ids)}); see the Jobs tab.", 0)
        views = []
        for job_id in job_ids:
            views.append(follow_until_done(app.jobs, job_id, lambda v: progress(v.fraction, desc=describe(v))))
        return render_results(views), first_registered(views)

    def import_favorites(only_info, progress):
        job_id = app.registration.import_favorites(info_only=bool(only_info))
        if progress is None:
            return (f"Import of your favourites started (job #{job_id}); see the Jobs tab.", 0)
        view = follow_until_done(app.jobs, job_id, lambda v: progress(v.fraction, desc=describe(v)))
        return render_results([view]), first_registered([view])

    fav_done = favorites.click(compat.guard(compat.progress_handler(import_favorites, ctx.with_progress)),
                               inputs=[info_only], outputs=[results, registered_id],
                               **compat.event_kwargs(api_name="import_favorites", follows_job=True))
    browser.refresh(fav_done.then)

    handler = compat.guard(compat.progress_handler(register_links, ctx.with_progress))
    kwargs = compat.event_kwargs(api_name="register", follows_job=True)
    done = register.click(handler, inputs=[links, files, info_only], outputs=[results, registered_id], **kwargs)
    # clear the inputs in a step of their own (original-extension.md §5.1 item 3)
    after = done.success(lambda: ("", None), inputs=None, outputs=[links, files], **compat.event_kwargs(show_progress=False))
    browser.refresh(after.then)
    browser.refresh_choices(after.then)
    info.show_on(done.then, registered_id)
    web_assets.install_scripts(ctx.blocks, app)
