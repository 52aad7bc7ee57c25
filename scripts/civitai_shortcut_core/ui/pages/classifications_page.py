"""Classifications: user-made groups of shortcuts (AND filters in every browser, and a download
folder rule). List, create, rename, describe, delete; add shortcuts by clicking them in the
shared shortcut browser (which hides the current members); remove members from their gallery.

Membership changes are saved at once (the original lost them unless "Update" was pressed).
"""

from __future__ import annotations

import gradio as gr

from ...library import Query
from .. import compat
from ..components.shortcut_browser import caption_of, picture_of, shortcut_browser

MEMBERS_PER_PAGE = 500


def render(ctx) -> None:
    app = ctx.app
    current = gr.State(0)          # id of the classification being edited (0 = a new one)
    labels = gr.State({})          # dropdown label -> classification id
    member_ids = gr.State([])      # ids in the members gallery, in order
    picked_member = gr.State(0)

    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                chooser = gr.Dropdown(label="Classification", choices=[], value=None, elem_id="cs_cls_choose",
                                      scale=3)
                new = gr.Button("New classification", elem_id="cs_cls_new", scale=1)
            name = gr.Textbox(label="Name", elem_id="cs_cls_name")
            description = gr.Textbox(label="Description", lines=2, elem_id="cs_cls_description")
            with gr.Row():
                create = gr.Button("Create", variant="primary", elem_id="cs_cls_create")
                save = gr.Button("Save name and description", elem_id="cs_cls_save")
                delete = gr.Button("Delete classification", variant="stop", elem_id="cs_cls_delete")
            status = gr.Markdown("", elem_id="cs_cls_status")
            members = gr.Gallery(label="Members (click one, then Remove)", columns=5, height=420,
                                 allow_preview=False, object_fit="cover", elem_id="cs_cls_members")
            with gr.Row():
                remove = gr.Button("Remove selected from classification", elem_id="cs_cls_remove")
                picked_text = gr.Markdown("", elem_id="cs_cls_picked")
        with gr.Column(scale=3):
            gr.Markdown("Click a shortcut to add it to the classification (members are not shown here).")
            browser = shortcut_browser(
                ctx, elem_prefix="cs_cls_browser", rows=3,
                extra_query=lambda cid: {"exclude_classification": int(cid)} if cid else {},
                extra_inputs=[current])

    def choices():
        found = app.library.classifications.list_all()
        return {f"{c.name} ({c.count})": c.id for c in found}

    def members_view(cid):
        if not cid:
            return [], []
        page = app.library.search(Query(classifications=[int(cid)], per_page=MEMBERS_PER_PAGE))
        allowed = app.settings.max_browsing_level
        return [(picture_of(r, allowed), caption_of(r)) for r in page.items], [r.id for r in page.items]

    def show(cid, sentence=""):
        """Values for: current, chooser, labels, name, description, members, member ids, status, picked."""
        choice_map = choices()
        item = app.library.classifications.get(int(cid)) if cid else None
        label = next((k for k, v in choice_map.items() if item and v == item.id), None)
        pictures, ids = members_view(item.id if item else 0)
        return (item.id if item else 0, gr.update(choices=list(choice_map), value=label), choice_map,
                item.name if item else "", item.description if item else "", pictures, ids, sentence, 0, "")

    outputs = [current, chooser, labels, name, description, members, member_ids, status, picked_member, picked_text]

    def choose(label, choice_map):
        cid = (choice_map or {}).get(label)
        return show(cid or 0)

    def start_new():
        return show(0, "Type a name and press Create.")

    def do_create(text, desc):
        cid = app.library.classifications.create(text, desc or "")
        return show(cid, f"Created **{text.strip()}**.")

    def do_save(cid, text, desc):
        if not cid:
            raise gr.Error("Choose a classification first (or press Create for a new one).")
        app.library.classifications.rename(int(cid), text)
        app.library.classifications.describe(int(cid), desc or "")
        return show(cid, "Saved.")

    def do_delete(cid):
        if not cid:
            raise gr.Error("Choose a classification to delete.")
        app.library.classifications.delete(int(cid))
        return show(0, "Deleted (its shortcuts stay in the library).")

    def add_member(model_id, cid):
        if not model_id:
            return show(cid)
        if not cid:
            raise gr.Error("Choose or create a classification first, then click shortcuts to add them.")
        added = app.library.classifications.add(int(cid), [int(model_id)])
        return show(cid, "Added." if added else "It is already a member.")

    def pick_member(ids, evt: gr.SelectData):
        index = compat.selected_index(evt)
        if index is None or index >= len(ids or []):
            return 0, ""
        detail = app.library.get_shortcut(ids[index])
        return ids[index], f"Selected: **{detail.name if detail else ids[index]}**"

    def remove_member(cid, model_id):
        if not cid or not model_id:
            raise gr.Error("Click a member first.")
        app.library.classifications.remove(int(cid), [int(model_id)])
        return show(cid, "Removed.")

    quiet = compat.event_kwargs(show_progress=False)
    chooser.select(compat.guard(choose), inputs=[chooser, labels], outputs=outputs, **quiet)
    new.click(compat.guard(start_new), inputs=None, outputs=outputs, **quiet)
    for event in (create.click(compat.guard(do_create), inputs=[name, description], outputs=outputs,
                               **compat.event_kwargs(api_name="classification_create", show_progress=False)),
                  save.click(compat.guard(do_save), inputs=[current, name, description], outputs=outputs, **quiet),
                  delete.click(compat.guard(do_delete), inputs=[current], outputs=outputs, **quiet),
                  browser.on_select(add_member, inputs=[current], outputs=outputs),
                  remove.click(compat.guard(remove_member), inputs=[current, picked_member], outputs=outputs,
                               **quiet)):
        browser.refresh(event.then)
    browser.refresh_choices(new.click)
    members.select(compat.guard(pick_member), inputs=[member_ids], outputs=[picked_member, picked_text], **quiet)
    ctx.blocks.load(compat.guard(lambda: show(0)), inputs=None, outputs=outputs, **quiet)
