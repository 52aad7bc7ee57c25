"""Standalone settings page: every setting from the one table in ``settings.py``.

Inside the WebUI the same settings appear in the WebUI's Settings tab instead.
"""

from __future__ import annotations

import gradio as gr

from ...settings import SETTINGS
from .. import compat


def _component(setting, value):
    label = setting.label
    info = setting.help or None
    if setting.secret:
        return gr.Textbox(label=label, value=value, type="password", info=info, elem_id=f"cs_setting_{setting.name}")
    if setting.choices:
        return gr.Dropdown(label=label, choices=list(setting.choices), value=value, info=info,
                           elem_id=f"cs_setting_{setting.name}")
    if isinstance(setting.default, bool):
        return gr.Checkbox(label=label, value=value, info=info, elem_id=f"cs_setting_{setting.name}")
    if isinstance(setting.default, (int, float)):
        return gr.Number(label=label, value=value, info=info, precision=0 if isinstance(setting.default, int) else None,
                         elem_id=f"cs_setting_{setting.name}")
    lines = 3 if setting.name == "extra_folders" else 1
    return gr.Textbox(label=label, value=value, info=info, lines=lines, elem_id=f"cs_setting_{setting.name}")


def _render_webui(ctx) -> None:
    """Inside the WebUI the settings are in its Settings tab; here only the key check remains."""
    app = ctx.app
    gr.Markdown("Settings are in the WebUI's **Settings > Civitai Shortcut** section "
                "(API key, NSFW level, concurrency, folder rules, Civitai domain, proxy). "
                "After changing the API key there, apply the settings and check it here.")
    validate = gr.Button("Check API key", elem_id="cs_settings_validate")
    status = gr.Markdown("", elem_id="cs_settings_status")

    def check_key():
        app.reload_settings()
        me = app.civitai.me()
        return f"The API key works: signed in as **{me.get('username', '?')}**."

    validate.click(compat.guard(check_key), inputs=[], outputs=[status],
                   **compat.event_kwargs(api_name="check_api_key"))


def render(ctx) -> None:
    if not ctx.standalone:
        _render_webui(ctx)
        return
    app = ctx.app
    current = app.settings
    components = []
    with gr.Column():
        for setting in SETTINGS:
            components.append(_component(setting, getattr(current, setting.name)))
        with gr.Row():
            save = gr.Button("Save settings", variant="primary", elem_id="cs_settings_save")
            validate = gr.Button("Check API key", elem_id="cs_settings_validate")
        status = gr.Markdown("", elem_id="cs_settings_status")

    def save_settings(*values):
        changes = {s.name: v for s, v in zip(SETTINGS, values)}
        app.update_settings(**changes)
        return "Settings saved."

    def check_key(key):
        if key != app.settings.api_key:
            app.update_settings(api_key=key)
        me = app.civitai.me()
        return f"The API key works: signed in as **{me.get('username', '?')}**."

    save.click(compat.guard(save_settings), inputs=components, outputs=[status],
               **compat.event_kwargs(api_name="save_settings", show_progress=False))
    validate.click(compat.guard(check_key), inputs=[components[0]], outputs=[status],
                   **compat.event_kwargs(api_name="check_api_key"))
