"""Handlers of the model information panel: plain sync functions, guarded where they are wired.

Ids travel in ``gr.State`` (the version dropdown's labels are paired with ids when shown;
table and gallery clicks are mapped through ``compat.selected_cell``/``selected_index``).
Long work (download, refresh) runs as jobs that the handler follows with progress.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gradio as gr

from ...files.sidecars import write_preview
from .. import compat
from ..follow import describe, follow_until_done, outcome
from ..format import escape
from . import model_view as view

VERSION_OUTPUTS = ["header", "facts", "triggers", "description", "files", "file_ids", "renames", "rename_target",
                   "rename", "gallery", "images", "image_index", "geninfo", "image_status", "download_status"]
SHOW_OUTPUTS = ["model_id", "version", "version_ids", "note", "classes", "manage_status", *VERSION_OUTPUTS]
RULE_DEFAULT = "(settings)"


def _stamp() -> int:
    """A value that differs from the last one, to fire ``changed.change``."""
    return int(time.monotonic() * 1000) % 1_000_000_000


class Actions:
    """Every handler of the panel, bound to one App."""

    def __init__(self, app, with_progress: bool):
        self.app = app
        self.with_progress = with_progress

    # -- reading -------------------------------------------------------------------------
    def _detail(self, model_id):
        if not model_id:
            raise gr.Error("Select a shortcut first.")
        detail = self.app.library.get_shortcut(int(model_id))
        if detail is None:
            raise gr.Error(f"Shortcut {int(model_id)} is not in the library any more.")
        return detail

    def _version(self, detail, label, pairs):
        version_id = next((vid for lab, vid in pairs or [] if lab == label), None)
        version = view.pick_version(detail, version_id)
        if version is None:
            raise gr.Error("This shortcut has no versions; refresh it from Civitai.")
        return version

    def _version_values(self, detail, version) -> dict[str, Any]:
        selected = view.default_file_ids(version)
        images = view.image_entries(version, self.app.settings.max_browsing_level)
        return {
            "header": view.header_markdown(detail, version), "facts": view.info_markdown(detail, version),
            "triggers": view.trigger_words(version), "description": view.description_html(detail, version),
            "files": compat.table(view.file_rows(version, selected), view.FILE_HEADERS), "file_ids": selected,
            "renames": {}, "rename_target": 0, "rename": "", "gallery": [e["path"] for e in images],
            "images": images, "image_index": -1, "geninfo": "", "image_status": "", "download_status": "",
        }

    def _cleared(self) -> tuple:
        values = {
            "model_id": 0, "version": gr.update(choices=[], value=None), "version_ids": [], "note": "",
            "classes": gr.update(value=[]), "manage_status": "", "header": "### Select a shortcut", "facts": "",
            "triggers": "", "description": "", "files": compat.table([], view.FILE_HEADERS), "file_ids": [],
            "renames": {}, "rename_target": 0, "rename": "", "gallery": [], "images": [], "image_index": -1,
            "geninfo": "", "image_status": "", "download_status": "",
        }
        return tuple(values[name] for name in SHOW_OUTPUTS)

    def show(self, model_id):
        """Everything the panel shows for a shortcut (a cleared panel for 0)."""
        if not model_id:
            return self._cleared()
        detail = self._detail(model_id)
        version = view.pick_version(detail)
        labels = view.version_labels(detail)
        pairs = [[label, v.id] for label, v in zip(labels, detail.versions)]
        current = next((label for label, vid in pairs if version is not None and vid == version.id), None)
        all_classes = [c.name for c in self.app.library.classifications.list_all()]
        values = {
            "model_id": detail.id, "version": gr.update(choices=labels, value=current), "version_ids": pairs,
            "note": detail.note, "classes": gr.update(choices=all_classes, value=[n for _, n in detail.classifications]),
            "manage_status": "", **self._version_values(detail, version),
        }
        return tuple(values[name] for name in SHOW_OUTPUTS)

    def show_if_any(self, model_id):
        """``show`` for a new id; leaves the panel as it is for 0 (nothing was registered)."""
        if not model_id:
            return tuple(compat.no_change() for _ in SHOW_OUTPUTS)
        return self.show(model_id)

    def show_version(self, model_id, label, pairs):
        detail = self._detail(model_id)
        version = self._version(detail, label, pairs)
        self.app.library.store.select_version(detail.id, version.id)
        values = self._version_values(detail, version)
        return tuple(values[name] for name in VERSION_OUTPUTS)

    # -- files ---------------------------------------------------------------------------
    def click_file(self, model_id, label, pairs, file_ids, renames, evt: gr.SelectData):
        """A click on column 0 ticks or unticks the file; any click makes it the rename target."""
        detail = self._detail(model_id)
        version = self._version(detail, label, pairs)
        cell = compat.selected_cell(evt)
        if cell is None or cell[0] >= len(version.files):
            return (compat.no_change(),) * 4
        row, column = cell
        file = version.files[row]
        ticked = list(file_ids or [])
        if column == 0:
            ticked = [i for i in ticked if i != file.id] if file.id in ticked else [*ticked, file.id]
        name = (renames or {}).get(str(file.id)) or file.name
        return compat.table(view.file_rows(version, ticked, renames), view.FILE_HEADERS), ticked, file.id, name

    def rename_file(self, model_id, label, pairs, file_ids, renames, target, text):
        if not target:
            raise gr.Error("Click a file in the table first.")
        detail = self._detail(model_id)
        version = self._version(detail, label, pairs)
        renames = dict(renames or {})
        text = (text or "").strip()
        if text and text != next((f.name for f in version.files if f.id == int(target)), None):
            renames[str(int(target))] = text
        else:
            renames.pop(str(int(target)), None)
        return compat.table(view.file_rows(version, list(file_ids or []), renames), view.FILE_HEADERS), renames

    def download(self, model_id, label, pairs, file_ids, renames, rule, classification, folder, progress):
        """Queues the ticked files and follows the first download until it is verified."""
        detail = self._detail(model_id)
        version = self._version(detail, label, pairs)
        ticked = [int(i) for i in file_ids or []]
        if not ticked:
            raise gr.Error("Tick at least one file in the table (click its ☐).")
        rename = {int(k): v for k, v in (renames or {}).items() if int(k) in ticked}
        raw_version = view._raw_version(detail, version)
        job_ids = self.app.downloads.enqueue(
            detail.id, version.id, ticked, folder=(folder or "").strip() or None,
            rule=None if rule in (None, "", RULE_DEFAULT) else rule, classification=classification or "",
            rename=rename, model=detail.raw, version=raw_version)
        more = len(job_ids) - 1
        tail = f" {more} more file{'s' if more != 1 else ''} in the Jobs tab." if more > 0 else ""
        if progress is None:
            return f"Download queued (job #{job_ids[0]}); follow it in the Jobs tab.{tail}", _stamp()
        final = follow_until_done(self.app.jobs, job_ids[0], lambda v: progress(v.fraction, desc=describe(v)))
        outcome(final)   # raises the job's own sentence (early access, no access, ...)
        path = Path(str((final.result or {}).get("path", "")))
        return f"✓ Downloaded **{escape(path.name)}** to `{escape(path.parent)}`.{tail}", _stamp()

    # -- images --------------------------------------------------------------------------
    def _image(self, images, index) -> dict:
        if images is None or index is None or not 0 <= int(index) < len(images):
            raise gr.Error("Click an image first.")
        return images[int(index)]

    def select_image(self, images, evt: gr.SelectData):
        index = compat.selected_index(evt)
        entry = self._image(images, index)
        text = view.image_infotext(entry)
        return index, text, "" if text else "This image carries no generation info."

    def send_to_recipe(self, geninfo, images, index):
        if not (geninfo or "").strip():
            raise gr.Error("Click an image with generation info first.")
        path = images[int(index)]["path"] if images and index is not None and 0 <= int(index) < len(images) else ""
        return geninfo, path, "Sent to the Recipes page."

    def set_thumbnail(self, model_id, images, index):
        entry = self._image(images, index)
        detail = self._detail(model_id)
        thumb = self.app.library.media.save_thumbnail(detail.id, Path(entry["path"]).read_bytes(), url=entry["url"],
                                                      nsfw_level=entry["level"] or 0)
        self.app.library.store.set_thumbnail(detail.id, thumb)
        return "Thumbnail updated.", _stamp()

    def set_preview(self, model_id, label, pairs, images, index):
        entry = self._image(images, index)
        detail = self._detail(model_id)
        version = self._version(detail, label, pairs)
        model_file = view.downloaded_file_of(detail, version.id)
        if model_file is None:
            raise gr.Error("Download this version first: the preview is written beside its model file.")
        written = write_preview(model_file, Path(entry["path"]).read_bytes())
        return f"Preview written: `{escape(Path(written).name)}`."

    # -- the shortcut itself -------------------------------------------------------------
    def save_note(self, model_id, note):
        detail = self._detail(model_id)
        self.app.library.set_note(detail.id, note or "")
        return "Note saved.", _stamp()

    def save_classifications(self, model_id, names):
        detail = self._detail(model_id)
        by_name = {c.name: c.id for c in self.app.library.classifications.list_all()}
        unknown = [n for n in names or [] if n not in by_name]
        if unknown:
            raise gr.Error(f"No classification named {', '.join(unknown)}; create it on the Classifications page.")
        self.app.library.set_classifications(detail.id, [by_name[n] for n in names or []])
        return "Classifications updated.", _stamp()

    def refresh(self, model_id, progress):
        detail = self._detail(model_id)
        job_id = self.app.registration.register([detail.id])
        if progress is None:
            return f"Refresh queued (job #{job_id}); see the Jobs tab.", _stamp()
        final = follow_until_done(self.app.jobs, job_id, lambda v: progress(v.fraction, desc=describe(v)))
        outcome(final)
        failed = [r for r in (final.result or {}).get("results", []) if r.get("status") == "failed"]
        if failed:
            raise gr.Error(failed[0].get("error") or "Refreshing failed.")
        return "Refreshed from Civitai.", _stamp()

    def delete(self, model_id, confirmed):
        detail = self._detail(model_id)
        if not confirmed:
            raise gr.Error("Tick 'Yes, delete this shortcut' first.")
        self.app.library.delete_shortcut(detail.id)
        return f"Deleted the shortcut {escape(detail.name)}.", 0, False, _stamp()

    def folder_choices(self):
        return gr.update(choices=[c.name for c in self.app.library.classifications.list_all()])
