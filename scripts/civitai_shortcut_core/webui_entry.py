"""What the WebUI script calls: one App per WebUI process, surviving "Reload UI".

The WebUI re-executes ``scripts/*.py`` on "Reload UI" but not packages already imported, so
the App (and its job workers) lives here and is built once: a reload never starts a second
job engine. The script file registers these callbacks with ``script_callbacks``.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

TAB_TITLE = "Civitai Shortcut"
TAB_ID = "civitai_shortcut"

_lock = threading.Lock()
_app = None   # the one App of this WebUI process (see module docstring)


def get_app():
    """The App of this WebUI process, built on first use."""
    global _app
    with _lock:
        if _app is None:
            from .app import App
            from .host.webui import WebUIHost

            _app = App(WebUIHost())
            log.info("Civitai Shortcut: library at %s", _app.data_dir)
            _app.start_ui_services()
        return _app


def on_ui_tabs():
    """``script_callbacks.on_ui_tabs``: builds the tab (again after each Reload UI)."""
    from .ui.shell import build_ui

    app = get_app()
    app.reload_settings()
    blocks = build_ui(app, with_progress=not app.host.no_gradio_queue)
    return [(blocks, TAB_TITLE, TAB_ID)]


def on_ui_settings():
    """``script_callbacks.on_ui_settings``: our section in the WebUI's Settings tab."""
    from .host.webui import register_settings
    from .ui.settings_widgets import component_for

    register_settings(component_for, on_change=lambda: get_app().reload_settings())


def on_app_started(demo, fastapi_app):
    """``script_callbacks.on_app_started``: lifts Gradio 3's 5 s queue timeout when httpx needs it."""
    from .ui.compat import lift_queue_timeout

    lift_queue_timeout(demo)
