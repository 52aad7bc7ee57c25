"""The extension's ``style.css`` and ``javascript/*.js`` for the standalone app.

Inside the WebUI the host loads both from the extension root by itself (host-gradio.md
§1.5); the standalone app passes the CSS to ``gr.Blocks(css=)`` and runs the scripts from
a load event (Gradio 3.41's Blocks has no ``head=``).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from . import compat

ROOT = Path(__file__).resolve().parents[3]
STYLE = ROOT / "style.css"
SCRIPTS = ROOT / "javascript"


def standalone_css(app) -> str | None:
    """Our stylesheet when we own the page; None inside the WebUI (it links style.css itself)."""
    if app.host.kind != "standalone" or not STYLE.is_file():
        return None
    return STYLE.read_text(encoding="utf-8")


def install_scripts(blocks: gr.Blocks, app) -> None:
    """Runs every ``javascript/*.js`` once the standalone page has loaded (no-op in the WebUI)."""
    if app.host.kind != "standalone":
        return
    for script in sorted(SCRIPTS.glob("*.js")):
        body = script.read_text(encoding="utf-8")
        blocks.load(None, inputs=None, outputs=None, **compat.js_kwargs(f"() => {{\n{body}\nreturn [];\n}}"))
