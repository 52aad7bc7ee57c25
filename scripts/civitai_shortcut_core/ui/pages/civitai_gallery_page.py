"""Civitai gallery of a model: its community images, one page per request (cursor in
``gr.State``), the NSFW level from settings, generation info of the selected image (from that
image's own ``meta``), send to txt2img/img2img or copy, and send to recipe.
"""

from __future__ import annotations

import io
from pathlib import Path

import gradio as gr

from ...civitai import parse_link
from ...services.civitai_gallery import fetch_page
from ...services.remote_images import RemoteThumbnails
from .. import compat
from ..send_to import send_buttons

ALL_VERSIONS = "All versions"


def _placeholder(folder: Path) -> str:
    """A grey still shown where a thumbnail could not be fetched."""
    path = folder / "unavailable.png"
    if not path.is_file():
        from PIL import Image

        folder.mkdir(parents=True, exist_ok=True)
        out = io.BytesIO()
        Image.new("RGB", (64, 64), (96, 96, 96)).save(out, "PNG")
        path.write_bytes(out.getvalue())
    return str(path)


def _details(item: dict) -> str:
    size = f"{item['width']}×{item['height']}" if item.get("width") and item.get("height") else "?"
    who = f" by {item['username']}" if item.get("username") else ""
    link = f" · [on Civitai]({item['link']})" if item.get("link") else ""
    kind = " (video, shown as a still)" if item.get("type") == "video" else ""
    return f"Image #{item['id']}{who} · {size} · {item['level']}{kind}{link}"


def render(ctx) -> None:
    app = ctx.app
    thumbs = RemoteThumbnails(app.http, app.data_dir / "cache" / "gallery")
    with gr.Row():
        model_box = gr.Textbox(label="Model (id or Civitai link)", elem_id="cs_cg_model", scale=3)
        open_button = gr.Button("Show gallery", variant="primary", elem_id="cs_cg_open", scale=1)
        selected = ctx.shared.get("selected_model_id")
        use_selected = gr.Button("Use selected shortcut", elem_id="cs_cg_use_selected", scale=1,
                                 visible=selected is not None)
    with gr.Row():
        version = gr.Dropdown(label="Version", choices=[ALL_VERSIONS], value=ALL_VERSIONS, elem_id="cs_cg_version")
    status = gr.Markdown("", elem_id="cs_cg_status")
    with gr.Row():
        with gr.Column(scale=3):
            gallery = gr.Gallery(label="Civitai gallery", columns=6, height=620, object_fit="cover",
                                 allow_preview=False, elem_id="cs_cg_gallery")
            with gr.Row():
                first = gr.Button("First page", elem_id="cs_cg_first")
                prev = gr.Button("Previous page", elem_id="cs_cg_prev")
                nxt = gr.Button("Next page", elem_id="cs_cg_next")
        with gr.Column(scale=2):
            details = gr.Markdown("Select an image to see how it was made.", elem_id="cs_cg_details")
            info = gr.Textbox(label="Generation info", lines=10, interactive=False, elem_id="cs_cg_info")
            send_buttons(ctx, info, prefix="cs_cg")

    model_id = gr.State(None)
    versions = gr.State({})      # dropdown label -> version id
    cursors = gr.State([None])   # cursor of each page seen so far: page i is cursors[i]
    page_no = gr.State(0)
    items = gr.State([])         # the shown page's images, in gallery order

    def _show(mid, version_label, version_map, cursor_list, index):
        settings = app.settings
        page = fetch_page(app.civitai, model_id=mid, version_id=(version_map or {}).get(version_label),
                          cursor=cursor_list[index], limit=max(1, min(100, settings.gallery_columns * settings.gallery_rows)),
                          level_name=settings.nsfw_level, max_level=settings.max_browsing_level,
                          web_base=settings.civitai_url.rstrip("/"))
        cursor_list = list(cursor_list[: index + 1])
        if page.next_cursor:
            cursor_list.append(page.next_cursor)
        paths = thumbs.local_paths([i["thumbnail"] for i in page.items])
        missing = sum(1 for p in paths if p is None)
        placeholder = _placeholder(thumbs.cache_dir) if missing else None
        value = [(p or placeholder, f"#{i['id']} · {i['level']}") for p, i in zip(paths, page.items)]
        parts = [f"Page {index + 1}: {len(page.items)} images"]
        if page.hidden:
            parts.append(f"{page.hidden} hidden above your NSFW level ({settings.nsfw_level})")
        if missing:
            parts.append(f"{missing} thumbnails could not be loaded")
        parts.append("more on the next page" if page.next_cursor else "last page")
        return (value, page.items, cursor_list, index, "; ".join(parts) + ".",
                "Select an image to see how it was made.", "")

    page_outputs = [gallery, items, cursors, page_no, status, details, info]

    def open_model(text):
        ref = parse_link(str(text or "").strip(), app.settings.civitai_url)
        mid, _ = app.civitai.resolve_ref(ref)
        model = app.civitai.get_model(mid)
        version_map = {ALL_VERSIONS: None}
        for v in model.versions:
            version_map[f"{v.name} (#{v.id})"] = v.id
        chosen = next((label for label, vid in version_map.items() if ref.version_id and vid == ref.version_id),
                      ALL_VERSIONS)
        value, page_items, cursor_list, index, sentence, hint, text = _show(mid, chosen, version_map, [None], 0)
        return (mid, version_map, gr.update(choices=list(version_map), value=chosen), value, page_items,
                cursor_list, index, f"**{model.name}** ({model.type}) · {sentence}", hint, text)

    def change_version(mid, version_label, version_map):
        if mid is None:
            return tuple(compat.no_change() for _ in page_outputs)
        return _show(mid, version_label, version_map, [None], 0)

    def go(step):
        def handler(mid, version_label, version_map, cursor_list, index):
            if mid is None:
                raise gr.Error("Choose a model first.")
            target = 0 if step is None else index + step
            if target < 0:
                raise gr.Error("This is the first page.")
            if target >= len(cursor_list):
                raise gr.Error("This is the last page.")
            return _show(mid, version_label, version_map, cursor_list, target)
        handler.__name__ = {None: "first_page", 1: "next_page", -1: "previous_page"}[step]
        return handler

    def select(page_items, evt: gr.SelectData):
        index = compat.selected_index(evt)
        if index is None or not page_items or index >= len(page_items):
            return compat.no_change(), compat.no_change()
        item = page_items[index]
        return _details(item), item["infotext"] or ""

    open_outputs = [model_id, versions, version, gallery, items, cursors, page_no, status, details, info]
    open_model = compat.guard(open_model)
    open_button.click(open_model, inputs=[model_box], outputs=open_outputs,
                      **compat.event_kwargs(api_name="civitai_gallery_open"))
    model_box.submit(open_model, inputs=[model_box], outputs=open_outputs, **compat.event_kwargs())
    version.select(compat.guard(change_version), inputs=[model_id, version, versions], outputs=page_outputs,
                   **compat.event_kwargs())
    paging_inputs = [model_id, version, versions, cursors, page_no]
    for button, step in ((first, None), (nxt, 1), (prev, -1)):
        button.click(compat.guard(go(step)), inputs=paging_inputs, outputs=page_outputs,
                     **compat.event_kwargs(api_name=f"civitai_gallery_{go(step).__name__}"))
    gallery.select(compat.guard(select), inputs=[items], outputs=[details, info],
                   **compat.event_kwargs(show_progress=False))
    if selected is not None:
        use_selected.click(compat.guard(lambda mid: str(int(mid)) if mid else compat.no_change()),
                           inputs=[selected], outputs=[model_box], **compat.event_kwargs(show_progress=False))

