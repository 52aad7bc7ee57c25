"""Helpers that start real Gradio servers: our tab in a WebUI-like root (fake ``modules``) or standalone."""

from __future__ import annotations

import contextlib
import runpy
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any



import gradio as gr
from polling import poll  # noqa: F401  (re-exported for the UI tests)

ROOT = Path(__file__).resolve().parents[2]
FAKE_WEBUI = ROOT / "tests" / "fake_webui"
ENTRY = ROOT / "scripts" / "civitai_shortcut_tab.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




@dataclass
class Served:
    url: str
    app: Any
    demo: Any


def sleep_job(ctx):
    """A test job kind: ``seconds`` of work reported 4 times a second."""
    seconds = float(ctx.params.get("seconds", 1))
    steps = int(seconds * 4)
    for i in range(steps):
        ctx.report(done=i + 1, total=steps, unit="steps", message=f"step {i + 1} of {steps}")
        ctx.sleep(0.25)
    return {"slept": seconds}


def load_fake_webui(root: Path, **cmd_opts):
    """Puts the stand-in ``modules`` first on sys.path and points it at ``root``."""
    if str(FAKE_WEBUI) not in sys.path:
        sys.path.insert(0, str(FAKE_WEBUI))
    for name in [n for n in sys.modules if n == "modules" or n.startswith("modules.")]:
        if not str(getattr(sys.modules[name], "__file__", "")).startswith(str(FAKE_WEBUI)):
            del sys.modules[name]
    from modules import script_callbacks, shared

    shared.configure(root, **cmd_opts)
    (root / "models").mkdir(parents=True, exist_ok=True)
    script_callbacks.clear_callbacks()
    return shared, script_callbacks


def run_entry_script():
    """Executes scripts/civitai_shortcut_tab.py the way the WebUI does (again on Reload UI)."""
    runpy.run_path(str(ENTRY), run_name="civitai_shortcut_tab")


def build_webui_root(extra=None, *, queue=True):
    """A root Blocks the way A1111's ui.create_ui() assembles extension tabs."""
    from modules import script_callbacks

    script_callbacks.ui_settings_callback()
    tabs = script_callbacks.ui_tabs_callback()
    with gr.Blocks(analytics_enabled=False, title="Stable Diffusion") as demo:
        with gr.Tabs(elem_id="tabs"):
            with gr.TabItem("txt2img", id="txt2img", elem_id="tab_txt2img"):
                gr.Textbox(label="Prompt", elem_id="txt2img_prompt")
            for interface, label, ifid in tabs:
                with gr.TabItem(label, id=ifid, elem_id=f"tab_{ifid}"):
                    interface.render()
            if extra is not None:
                with gr.TabItem("Test", id="test", elem_id="tab_test"):
                    extra()
    if queue:
        demo.queue(64)  # positional, exactly as both hosts call it
    return demo, tabs


def launch(demo) -> str:
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=False,
                quiet=True)
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def standalone_app(app, *, extra=None, guard: bool = True):
    """Builds, queues and launches the standalone UI of ``app`` as main.py does; yields (url, demo).

    ``guard=False`` leaves Gradio 3's 5 s queue timeout in place (to show the field bug).
    """
    from civitai_shortcut_core.ui import compat
    from civitai_shortcut_core.ui.shell import build_ui

    demo = build_ui(app, extra=extra)
    compat.configure_standalone_queue(demo)
    url = launch(demo)
    if guard:
        compat.lift_queue_timeout(demo)
    try:
        yield url, demo
    finally:
        compat.close(demo)
