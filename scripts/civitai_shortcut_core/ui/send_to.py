"""Generation-info actions shared by pages: send to txt2img/img2img (WebUI), copy (standalone),
send to a prompt recipe."""

from __future__ import annotations

import gradio as gr

from . import compat

COPY_JS = "(text) => { if (text) { navigator.clipboard.writeText(text); } return []; }"


def recipe_target(ctx) -> gr.Textbox:
    """The component a "send to recipe" writes infotext into (created once, shared by pages)."""
    target = ctx.shared.get("recipe_infotext")
    if target is None:
        target = gr.Textbox(visible=False, elem_id="cs_recipe_infotext")
        ctx.shared["recipe_infotext"] = target
    return target


def send_buttons(ctx, text: gr.Textbox, *, prefix: str) -> None:
    """Adds send-to buttons for the infotext in ``text`` to the current layout."""
    with gr.Row():
        if ctx.app.host.can_send_to_webui():
            for tab in ("txt2img", "img2img"):
                button = gr.Button(f"Send to {tab}", elem_id=f"{prefix}_send_{tab}")
                ctx.app.host.bind_send_to(button, tab, text)
        else:
            copy = gr.Button("Copy generation info", elem_id=f"{prefix}_copy")
            copy.click(None, inputs=[text], outputs=None, **compat.js_kwargs(COPY_JS))
        to_recipe = gr.Button("Send to recipe", elem_id=f"{prefix}_send_recipe")
    target = recipe_target(ctx)

    def send(value):
        if not (value or "").strip():
            raise gr.Error("There is no generation info to send.")
        return value

    to_recipe.click(compat.guard(send), inputs=[text], outputs=[target],
                    **compat.event_kwargs(show_progress=False))
