"""Fixtures for UI tests: real Gradio servers with our app. They run once per lane (H3, H3 + httpx 0.27.2, H4)."""

from __future__ import annotations

import pytest

pytest.importorskip("gradio")

from servers import (  # noqa: E402
    Served, build_webui_root, launch, load_fake_webui, run_entry_script, sleep_job, standalone_app)
import gradio as gr  # noqa: E402
from pages_servers import pages_browser, pages_server  # noqa: E402,F401  (page tests' fixtures)

from civitai_shortcut_core.ui import compat  # noqa: E402


@pytest.fixture
def webui_server(tmp_path):
    """Our tab inside a WebUI-like root on a real Gradio server, with a 'sleep' job kind."""
    load_fake_webui(tmp_path / "webui")
    run_entry_script()
    from civitai_shortcut_core import webui_entry
    from modules import script_callbacks

    app = webui_entry.get_app()
    app.jobs.register("sleep", sleep_job)

    def extra():
        seconds = gr.Number(value=8, label="Seconds", elem_id="test_seconds")
        started = gr.Textbox(label="Started job", elem_id="test_started")
        button = gr.Button("Start test job", elem_id="test_start")
        button.click(lambda s: str(app.jobs.submit("sleep", {"seconds": s}, title=f"Sleep {s:.0f} s")),
                     inputs=[seconds], outputs=[started])

    demo, _ = build_webui_root(extra)
    url = launch(demo)
    script_callbacks.app_started_callback(demo, None)
    try:
        yield Served(url, app, demo)
    finally:
        compat.close(demo)
        app.close()
        webui_entry._app = None  # the next test's WebUI process gets its own App


@pytest.fixture
def standalone_server(tmp_path):
    """The standalone app as ``main.py`` builds it, with a 'sleep' job kind and a start button."""
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost

    app = App(StandaloneHost(tmp_path / "data"))
    app.jobs.register("sleep", sleep_job)

    def extra(ctx):
        with gr.Tab("Test"):
            seconds = gr.Number(value=8, label="Seconds", elem_id="test_seconds")
            started = gr.Textbox(label="Started job", elem_id="test_started")
            gr.Button("Start test job", elem_id="test_start").click(
                lambda s: str(app.jobs.submit("sleep", {"seconds": s}, title=f"Sleep {s:.0f} s")),
                inputs=[seconds], outputs=[started])

    try:
        with standalone_app(app, extra=extra) as (url, demo):
            yield Served(url, app, demo)
    finally:
        app.close()
from library_servers import library_page, library_standalone, library_webui  # noqa: E402,F401  (Library page tests)
