"""Maintenance: scan model folders, check for updates, refresh shortcut info, backfill LoRA
metadata and previews, duplicates, orphan sidecars, legacy import and export.

Every long action is a job followed with progress (``ui/job_action.py``); the Jobs tab shows
it too, and "Show last result" renders the newest finished job of a kind after a reload.
Reports that read only the database or one folder walk (duplicates, orphans) answer inline.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from ...library.export import write_backup_links
from ...services.legacy_import import KIND as LEGACY_KIND
from ...services.scan_setup import BACKFILL_KIND, SCAN_KIND, UPDATES_KIND
from .. import compat
from ..format import escape
from ..job_action import job_handler, last_result_handler
from ..results_html import backfill_html, duplicates_rows, legacy_html, registration_html, scan_html, updates_html

REFRESH_ALL = "All shortcuts"
REFRESH_STALE = "Only those not refreshed recently"


def extensions_dir(app) -> Path | None:
    """Where a copy of the original extension would sit beside ours, if anywhere."""
    if app.host.kind == "webui":
        # <extensions>/<our folder>/scripts/civitai_shortcut_core/ui/pages/this file
        return Path(__file__).resolve().parents[5]
    webui_dir = getattr(app.host, "webui_dir", None)
    return Path(webui_dir) / "extensions" if webui_dir else None


def _masked(settings: dict) -> str:
    shown = {k: ("***" if k == "api_key" and v else v) for k, v in settings.items()}
    return json.dumps(shown, indent=1, ensure_ascii=False) if shown else ""


def _result(render):
    return lambda view: (render(view.result),)


def _scan_section(ctx) -> None:
    app = ctx.app
    gr.Markdown("Finds every model file in the model folders, maps it to Civitai by hash (a few requests for "
                "any number of files), and optionally writes what is missing.")
    with gr.Row():
        register = gr.Checkbox(label="Register found models as shortcuts", value=True, elem_id="cs_mt_register")
        write_info = gr.Checkbox(label="Write missing .civitai.info, preview and WebUI .json", value=True,
                                 elem_id="cs_mt_write_info")
        move = gr.Checkbox(label="Move found files into the download folder rule", value=False,
                           elem_id="cs_mt_move")
    with gr.Row():
        scan = gr.Button("Scan model folders", variant="primary", elem_id="cs_mt_scan")
        last = gr.Button("Show last scan result", elem_id="cs_mt_scan_last")
    status = gr.Markdown("", elem_id="cs_mt_scan_status")
    result = gr.HTML("", elem_id="cs_mt_scan_result")

    def start_scan(register_value, write_value, move_value):
        return app.jobs.submit(SCAN_KIND, {"register": bool(register_value), "write_info": bool(write_value),
                                           "move": bool(move_value)}, title="Scan model folders")

    scan.click(job_handler(ctx, start_scan, _result(scan_html), 1), inputs=[register, write_info, move],
               outputs=[status, result], **compat.event_kwargs(api_name="maintenance_scan", follows_job=True))
    last.click(last_result_handler(ctx, SCAN_KIND, _result(scan_html), 1), inputs=None, outputs=[status, result],
               **compat.event_kwargs(show_progress=False))


def _updates_section(ctx) -> None:
    app = ctx.app
    with gr.Row():
        check = gr.Button("Check downloaded models for updates", variant="primary", elem_id="cs_mt_updates")
        last = gr.Button("Show last update check", elem_id="cs_mt_updates_last")
    status = gr.Markdown("", elem_id="cs_mt_updates_status")
    result = gr.HTML("", elem_id="cs_mt_updates_result")

    def start_check():
        return app.jobs.submit(UPDATES_KIND, {}, title="Check downloaded models for updates")

    check.click(job_handler(ctx, start_check, _result(updates_html), 1), inputs=None, outputs=[status, result],
                **compat.event_kwargs(api_name="maintenance_updates", follows_job=True))
    last.click(last_result_handler(ctx, UPDATES_KIND, _result(updates_html), 1), inputs=None,
               outputs=[status, result], **compat.event_kwargs(show_progress=False))

    gr.Markdown("### Refresh shortcut info\nFetches each shortcut again (notes, dates and classifications are kept).")
    with gr.Row():
        which = gr.Radio([REFRESH_ALL, REFRESH_STALE], value=REFRESH_STALE, label="Refresh",
                         elem_id="cs_mt_refresh_which")
        days = gr.Number(value=7, precision=0, label="Not refreshed within (days)", elem_id="cs_mt_refresh_days")
        refresh = gr.Button("Refresh shortcut info", elem_id="cs_mt_refresh")
    refresh_status = gr.Markdown("", elem_id="cs_mt_refresh_status")
    refresh_result = gr.HTML("", elem_id="cs_mt_refresh_result")

    def start_refresh(which_value, days_value):
        older = 0.0 if which_value == REFRESH_ALL else max(0.0, float(days_value or 0))
        job_id = app.scan.maintenance.refresh_shortcuts(older_than_days=older)
        return job_id if job_id is not None else "Every shortcut is up to date; nothing to refresh."

    refresh.click(job_handler(ctx, start_refresh, _result(registration_html), 1), inputs=[which, days],
                  outputs=[refresh_status, refresh_result],
                  **compat.event_kwargs(api_name="maintenance_refresh", follows_job=True))

    gr.Markdown("### LoRA metadata and previews\nWrites missing WebUI `.json` files and missing or broken "
                "previews from data already in the library (no Civitai requests).")
    with gr.Row():
        metadata = gr.Checkbox(label="LoRA metadata (.json)", value=True, elem_id="cs_mt_backfill_meta")
        previews = gr.Checkbox(label="Previews", value=True, elem_id="cs_mt_backfill_previews")
        backfill = gr.Button("Backfill", elem_id="cs_mt_backfill")
    backfill_status = gr.Markdown("", elem_id="cs_mt_backfill_status")
    backfill_result = gr.HTML("", elem_id="cs_mt_backfill_result")

    def start_backfill(metadata_value, previews_value):
        return app.jobs.submit(BACKFILL_KIND, {"metadata": bool(metadata_value), "previews": bool(previews_value)},
                               title="Backfill LoRA metadata and previews")

    backfill.click(job_handler(ctx, start_backfill, _result(backfill_html), 1), inputs=[metadata, previews],
                   outputs=[backfill_status, backfill_result],
                   **compat.event_kwargs(api_name="maintenance_backfill", follows_job=True))


def _files_section(ctx) -> None:
    app = ctx.app
    gr.Markdown("### Duplicates by hash")
    find_dupes = gr.Button("Find duplicate files", elem_id="cs_mt_dupes")
    dupes_status = gr.Markdown("", elem_id="cs_mt_dupes_status")
    dupes = gr.Dataframe(headers=["SHA-256", "Size", "Model id", "File"], value=[["", "", "", ""]],
                         interactive=False, elem_id="cs_mt_dupes_table")

    def find_duplicates():
        groups = app.scan.maintenance.duplicates()
        rows = duplicates_rows(groups)
        sentence = (f"{len(groups)} groups of identical files ({len(rows)} files)." if groups
                    else "No duplicate files (run a scan first so every file is hashed).")
        return sentence, rows or [["", "", "", ""]]

    find_dupes.click(compat.guard(find_duplicates), inputs=None, outputs=[dupes_status, dupes],
                     **compat.event_kwargs(api_name="maintenance_duplicates"))

    gr.Markdown("### Orphan sidecars\n`.civitai.info` and preview files whose model file is gone.")
    find_orphans = gr.Button("Find orphan sidecars", elem_id="cs_mt_orphans")
    orphans = gr.CheckboxGroup(label="Orphans (select to delete their sidecar files)", choices=[], value=[],
                               elem_id="cs_mt_orphans_list")
    delete = gr.Button("Delete selected orphan sidecars", variant="stop", elem_id="cs_mt_orphans_delete")
    orphans_status = gr.Markdown("", elem_id="cs_mt_orphans_status")

    def list_orphans():
        found = app.scan.maintenance.orphan_sidecars()
        stems = [o["stem"] for o in found]
        files = sum(len(o["files"]) for o in found)
        sentence = f"{len(stems)} orphans ({files} files)." if stems else "No orphan sidecars."
        return gr.update(choices=stems, value=[]), sentence

    def delete_orphans(stems):
        if not stems:
            raise gr.Error("Select the orphans to delete first.")
        deleted = app.scan.maintenance.delete_orphans(stems)
        update, _ = list_orphans()
        return update, f"Deleted {len(deleted)} files: " + ", ".join(f"`{Path(p).name}`" for p in deleted)

    find_orphans.click(compat.guard(list_orphans), inputs=None, outputs=[orphans, orphans_status],
                       **compat.event_kwargs(api_name="maintenance_orphans"))
    delete.click(compat.guard(delete_orphans), inputs=[orphans], outputs=[orphans, orphans_status],
                 **compat.event_kwargs(api_name="maintenance_delete_orphans"))


def _legacy_section(ctx) -> None:
    app = ctx.app
    folder = extensions_dir(app)
    found = app.legacy_import.candidates(folder) if folder is not None else []
    hint = ("Found the original Civitai Shortcut beside this extension: " + ", ".join(f"`{p}`" for p in found)
            if found else "Type the folder of the original extension (or its `data_sc` folder).")
    gr.Markdown("### Import from the original Civitai Shortcut\n" + hint, elem_id="cs_mt_legacy_hint")
    with gr.Row():
        path = gr.Textbox(label="Folder of the old extension", value=str(found[0]) if found else "",
                          elem_id="cs_mt_legacy_path", scale=4)
        start = gr.Button("Import", variant="primary", elem_id="cs_mt_legacy_import", scale=1)
    status = gr.Markdown("", elem_id="cs_mt_legacy_status")
    result = gr.HTML("", elem_id="cs_mt_legacy_result")
    with gr.Row():
        read = gr.Button("Read old settings", elem_id="cs_mt_legacy_read")
        apply = gr.Button("Apply these settings", elem_id="cs_mt_legacy_apply")
    settings_view = gr.Code(label="Old settings found", language="json", interactive=False,
                            elem_id="cs_mt_legacy_settings")
    settings_status = gr.Markdown("", elem_id="cs_mt_legacy_settings_status")

    def start_import(text):
        target = (text or "").strip()
        if not target or not Path(target).is_dir():
            raise gr.Error(f"{target or 'The path'} is not a folder.")
        return app.legacy_import.start(target)

    def render_import(view):
        return legacy_html(view.result), _masked(app.legacy_import.settings_found(view.params["path"]))

    def read_settings(text):
        found_settings = app.legacy_import.settings_found((text or "").strip())
        return _masked(found_settings), ("" if found_settings else "No settings of the old extension there.")

    def apply_settings(text):
        found_settings = app.legacy_import.settings_found((text or "").strip())
        if not found_settings:
            raise gr.Error("No settings of the old extension were found at that path.")
        app.update_settings(**found_settings)
        return "Applied: " + ", ".join(sorted(found_settings)) + "."

    start.click(job_handler(ctx, start_import, render_import, 2), inputs=[path],
                outputs=[status, result, settings_view],
                **compat.event_kwargs(api_name="maintenance_legacy_import", follows_job=True))
    read.click(compat.guard(read_settings), inputs=[path], outputs=[settings_view, settings_status],
               **compat.event_kwargs(show_progress=False))
    apply.click(compat.guard(apply_settings), inputs=[path], outputs=[settings_status],
                **compat.event_kwargs(api_name="maintenance_legacy_apply", show_progress=False))
    last = gr.Button("Show last import result", elem_id="cs_mt_legacy_last")
    last.click(last_result_handler(ctx, LEGACY_KIND, render_import, 2), inputs=None,
               outputs=[status, result, settings_view], **compat.event_kwargs(show_progress=False))


def _export_section(ctx) -> None:
    app = ctx.app
    gr.Markdown("### Export\nA backup links file (the original's format: re-register everything from it) or "
                "the whole library as JSON.")
    with gr.Row():
        folder = gr.Textbox(label="Folder to write to", value=str(app.data_dir / "exports"),
                            elem_id="cs_mt_export_folder", scale=4)
        links = gr.Button("Write backup links", elem_id="cs_mt_export_links", scale=1)
        full = gr.Button("Write JSON export", elem_id="cs_mt_export_json", scale=1)
    status = gr.Markdown("", elem_id="cs_mt_export_status")
    download = gr.File(label="Download", interactive=False, elem_id="cs_mt_export_file")

    def target(text: str, name: str) -> Path:
        base = Path((text or "").strip() or app.data_dir / "exports").expanduser()
        base.mkdir(parents=True, exist_ok=True)
        return base / name

    def write_links(text):
        path = target(text, "CivitaiShortCutBackupUrl.json")
        count = write_backup_links(app.library, path)
        return f"Wrote {count} links to `{escape(path)}`.", str(path)

    def start_export(text):
        return app.exports.start(target(text, "civitai-shortcut-export.json"))

    def show_export(view):
        result = view.result or {}
        summary = ", ".join(f"{result.get(k, 0)} {k.replace('_', ' ')}"
                            for k in ("shortcuts", "classifications", "recipes", "local_files"))
        return (f"Wrote {summary} to `{escape(result.get('path', ''))}`.", result.get("path"))

    links.click(compat.guard(write_links), inputs=[folder], outputs=[status, download],
                **compat.event_kwargs(api_name="maintenance_export_links"))
    # the JSON export is a job (seconds at 20,000 shortcuts): followed with progress like the others
    full.click(job_handler(ctx, start_export, lambda view: show_export(view)[1:], outputs=1),
               inputs=[folder], outputs=[status, download],
               **compat.event_kwargs(api_name="maintenance_export_json", follows_job=True))


def render(ctx) -> None:
    with gr.Tabs(elem_id="cs_mt_tabs"):
        with gr.Tab("Scan models", elem_id="cs_mt_tab_scan"):
            _scan_section(ctx)
        with gr.Tab("Updates and refresh", elem_id="cs_mt_tab_updates"):
            _updates_section(ctx)
        with gr.Tab("Duplicates and orphans", elem_id="cs_mt_tab_files"):
            _files_section(ctx)
        with gr.Tab("Legacy import", elem_id="cs_mt_tab_legacy"):
            _legacy_section(ctx)
        with gr.Tab("Export", elem_id="cs_mt_tab_export"):
            _export_section(ctx)
