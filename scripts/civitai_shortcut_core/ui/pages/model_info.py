"""The model information panel beside the library browser.

Versions, sanitised description, facts and trigger words, the files table with ticks and
renames, folder options and Download (a job, followed with bytes/speed/ETA), the version's
cached images with their generation info and send-to buttons, note, classifications,
refresh, delete, set thumbnail and set preview. Handlers live in ``model_actions.py``;
what is displayed is computed in ``model_view.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ...settings import FOLDER_RULES
from .. import compat
from . import model_actions
from . import model_view as view

RULE_DEFAULT = model_actions.RULE_DEFAULT   # the folder-rule choice that keeps the settings' rule
COPY_JS = """(text) => {
  const value = text || "";
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(value); }
  else { const t = document.createElement("textarea"); t.value = value; document.body.appendChild(t);
         t.select(); document.execCommand("copy"); t.remove(); }
  return [];
}"""


@dataclass
class ModelInfo:
    """The panel's components; pages show a model with ``show_on(listener, id_component)``."""

    model_id: gr.State
    outputs: list               # what ``show`` writes, in order
    show: Callable              # (model_id) -> values for ``outputs`` (0 clears the panel)
    show_if_any: Callable       # like show, but 0 leaves the panel as it is
    geninfo: gr.Textbox
    changed: gr.Number          # bumped after a change that the browser should reflect

    def show_on(self, listener: Callable, id_component) -> Any:
        """Shows the model whose id is in ``id_component`` when ``listener`` fires (0: no change)."""
        return listener(compat.guard(self.show_if_any), inputs=[id_component], outputs=self.outputs,
                        **compat.event_kwargs(show_progress=False))


def _recipe_targets(ctx) -> tuple[gr.Textbox, gr.Textbox]:
    """Hidden boxes the recipes page reads: ``ctx.shared['recipe_infotext']`` and ``['recipe_image']``."""
    if "recipe_infotext" not in ctx.shared:
        ctx.shared["recipe_infotext"] = gr.Textbox(visible=False, elem_id="cs_recipe_infotext")
    if "recipe_image" not in ctx.shared:
        ctx.shared["recipe_image"] = gr.Textbox(visible=False, elem_id="cs_recipe_image")
    return ctx.shared["recipe_infotext"], ctx.shared["recipe_image"]


def build(ctx, browser) -> ModelInfo:
    """Adds the panel to the current Blocks context and wires it to ``browser``."""
    app = ctx.app
    c: dict[str, Any] = {}
    c["model_id"] = gr.State(0)
    c["version_ids"] = gr.State([])
    c["file_ids"] = gr.State([])          # ticked file ids
    c["renames"] = gr.State({})           # {str(file id): new name}
    c["rename_target"] = gr.State(0)
    c["images"] = gr.State([])            # image entries shown in the gallery
    c["image_index"] = gr.State(-1)
    changed = gr.Number(value=0, precision=0, visible=False, elem_id="cs_info_changed")
    c["header"] = gr.Markdown("### Select a shortcut", elem_id="cs_info_header")
    c["version"] = gr.Dropdown([], value=None, label="Version", elem_id="cs_info_version")
    with gr.Tabs(elem_id="cs_info_tabs"):
        with gr.Tab("Model info", elem_id="cs_info_tab_info"):
            c["facts"] = gr.Markdown("", elem_id="cs_info_facts")
            c["triggers"] = gr.Textbox(label="Trigger words", interactive=False, show_copy_button=True,
                                       elem_id="cs_info_triggers")
            c["description"] = gr.HTML("", elem_id="cs_info_description")
        with gr.Tab("Images", elem_id="cs_info_tab_images"):
            c["gallery"] = gr.Gallery(value=[], show_label=False, columns=4, allow_preview=True, object_fit="contain",
                                      height="auto", elem_id="cs_info_images")
            geninfo = gr.Textbox(label="Generation info", lines=5, interactive=True, elem_id="cs_info_geninfo")
            c["geninfo"] = geninfo
            with gr.Row():
                if app.host.can_send_to_webui():
                    for tab in ("txt2img", "img2img"):
                        button = gr.Button(f"Send to {tab}", elem_id=f"cs_info_send_{tab}")
                        app.host.bind_send_to(button, tab, geninfo, None)
                else:
                    copy = gr.Button("Copy generation info", elem_id="cs_info_copy")
                    copy.click(None, inputs=[geninfo], outputs=None, **compat.js_kwargs(COPY_JS))
                to_recipe = gr.Button("Send to recipe", elem_id="cs_info_send_recipe")
            with gr.Row():
                set_thumb = gr.Button("Use as thumbnail", elem_id="cs_info_set_thumbnail")
                set_preview = gr.Button("Use as preview of the downloaded file", elem_id="cs_info_set_preview")
            c["image_status"] = gr.Markdown("", elem_id="cs_info_image_status")
        with gr.Tab("Files", elem_id="cs_info_tab_files"):
            c["files"] = gr.Dataframe(value=compat.table([], view.FILE_HEADERS), headers=view.FILE_HEADERS,
                                      interactive=False, wrap=True, elem_id="cs_info_files")
            with gr.Row():
                c["rename"] = gr.Textbox(label="File name for the clicked file", elem_id="cs_info_rename", scale=4)
                rename_button = gr.Button("Rename", elem_id="cs_info_rename_button", scale=1)
            with gr.Row():
                rule = gr.Dropdown([RULE_DEFAULT, *FOLDER_RULES], value=RULE_DEFAULT, label="Folder rule",
                                   elem_id="cs_info_rule")
                classification = gr.Dropdown([], value=None, label="Classification folder", allow_custom_value=True,
                                             elem_id="cs_info_folder_classification")
                folder = gr.Textbox(label="Custom folder (optional)", placeholder="inside the type folder",
                                    elem_id="cs_info_folder")
            download = gr.Button("Download", variant="primary", elem_id="cs_info_download")
            c["download_status"] = gr.Markdown("", elem_id="cs_info_download_status")
        with gr.Tab("Manage", elem_id="cs_info_tab_manage"):
            c["note"] = gr.Textbox(label="Personal note (search with @)", lines=2, elem_id="cs_info_note")
            save_note = gr.Button("Save note", elem_id="cs_info_save_note")
            with gr.Row():
                c["classes"] = gr.Dropdown([], value=[], multiselect=True, label="Classifications",
                                           elem_id="cs_info_classifications", scale=4)
                update_classes = gr.Button("Update classifications", elem_id="cs_info_update_classes", scale=1)
            refresh = gr.Button("Refresh from Civitai", elem_id="cs_info_refresh")
            with gr.Row():
                confirm = gr.Checkbox(label="Yes, delete this shortcut", value=False, elem_id="cs_info_delete_confirm")
                delete = gr.Button("Delete shortcut", variant="stop", elem_id="cs_info_delete")
            c["manage_status"] = gr.Markdown("", elem_id="cs_info_manage_status")
    recipe_text, recipe_image = _recipe_targets(ctx)

    actions = model_actions.Actions(app, ctx.with_progress)
    order = model_actions.SHOW_OUTPUTS
    outputs = [c[name] for name in order]
    info = ModelInfo(model_id=c["model_id"], outputs=outputs, show=actions.show, show_if_any=actions.show_if_any, geninfo=geninfo, changed=changed)
    quiet = compat.event_kwargs(show_progress=False)

    def wire(trigger, fn, inputs, outs, api_name=None, follows_job=False, show_progress=False):
        kwargs = compat.event_kwargs(api_name=api_name, follows_job=follows_job, show_progress=show_progress)
        return trigger(compat.guard(fn), inputs=inputs, outputs=outs, **kwargs)

    browser.on_select(actions.show, outputs=outputs)
    version_outputs = [c[name] for name in model_actions.VERSION_OUTPUTS]
    wire(c["version"].select, actions.show_version, [c["model_id"], c["version"], c["version_ids"]],
         version_outputs)
    wire(c["files"].select, actions.click_file, [c["model_id"], c["version"], c["version_ids"], c["file_ids"],
                                                 c["renames"]], [c["files"], c["file_ids"], c["rename_target"],
                                                                  c["rename"]])
    wire(rename_button.click, actions.rename_file, [c["model_id"], c["version"], c["version_ids"], c["file_ids"],
                                                    c["renames"], c["rename_target"], c["rename"]],
         [c["files"], c["renames"]])
    wire(download.click, compat.progress_handler(actions.download, ctx.with_progress),
         [c["model_id"], c["version"], c["version_ids"], c["file_ids"], c["renames"], rule, classification, folder],
         [c["download_status"], changed], api_name="download", follows_job=True, show_progress=True)
    wire(c["gallery"].select, actions.select_image, [c["images"]], [c["image_index"], geninfo, c["image_status"]])
    wire(to_recipe.click, actions.send_to_recipe, [geninfo, c["images"], c["image_index"]],
         [recipe_text, recipe_image, c["image_status"]])
    wire(set_thumb.click, actions.set_thumbnail, [c["model_id"], c["images"], c["image_index"]],
                 [c["image_status"], changed])
    wire(set_preview.click, actions.set_preview, [c["model_id"], c["version"], c["version_ids"], c["images"],
                                                  c["image_index"]], [c["image_status"]])
    wire(save_note.click, actions.save_note, [c["model_id"], c["note"]], [c["manage_status"], changed],
         api_name="save_note")
    wire(update_classes.click, actions.save_classifications, [c["model_id"], c["classes"]],
         [c["manage_status"], changed])
    refreshed = wire(refresh.click, compat.progress_handler(actions.refresh, ctx.with_progress), [c["model_id"]],
                     [c["manage_status"], changed], follows_job=True, show_progress=True)
    refreshed.success(compat.guard(actions.show), inputs=[c["model_id"]], outputs=outputs, **quiet)
    deleted = wire(delete.click, actions.delete, [c["model_id"], confirm],
                   [c["manage_status"], c["model_id"], confirm, changed], api_name="delete_shortcut")
    deleted.success(compat.guard(actions.show), inputs=[c["model_id"]], outputs=outputs, **quiet)
    browser.refresh(changed.change)
    browser.refresh_choices(changed.change)
    ctx.blocks.load(compat.guard(actions.folder_choices), inputs=None, outputs=[classification], **quiet)
    return info
