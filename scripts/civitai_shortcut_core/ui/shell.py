"""Builds the Civitai Shortcut UI once, for the WebUI tab and the standalone app alike.

Pages live in ``ui/pages``; each gets a ``UiContext`` and adds itself to the open Blocks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import gradio as gr

from . import compat, web_assets
from .follow import make_follow
from .jobs_panel import build_jobs_panel

log = logging.getLogger(__name__)


@dataclass
class UiContext:
    """What every page needs: the app, the host's abilities, and shared components."""

    app: Any
    blocks: gr.Blocks
    with_progress: bool
    follow: Callable
    shared: dict = field(default_factory=dict)   # components pages share (e.g. the selected model id)

    @property
    def standalone(self) -> bool:
        return self.app.host.kind == "standalone"


PAGES: list[tuple[str, str]] = [
    # (tab label, module in ui.pages exposing ``render(ctx)``); later issues add theirs here
    ("Library", "library_page"),
    ("Search Civitai", "search_page"),
    ("Civitai gallery", "civitai_gallery_page"),
    ("Classifications", "classifications_page"),
    ("Prompt recipes", "recipes_page"),
    ("Maintenance", "maintenance_page"),
    ("Settings", "settings_page"),
]


def _render_pages(ctx: UiContext) -> None:
    import importlib

    for label, module_name in PAGES:
        module = importlib.import_module(f"{__package__}.pages.{module_name}")
        if module_name == "settings_page" and not ctx.standalone:
            label = "API key"  # the WebUI has its own Settings tab, where our settings live
        with gr.Tab(label, elem_id=f"cs_tab_{module_name}"):
            module.render(ctx)


def build_ui(app, *, with_progress: bool = True, extra: Callable[[UiContext], None] | None = None) -> gr.Blocks:
    """The whole UI as one ``gr.Blocks``; ``extra`` lets tests add components of their own."""
    with gr.Blocks(analytics_enabled=False, title="Civitai Shortcut", css=web_assets.standalone_css(app)) as blocks:
        follow = make_follow(app.jobs, with_progress)
        ctx = UiContext(app=app, blocks=blocks, with_progress=with_progress, follow=follow)
        job_id = gr.Number(value=0, visible=False, precision=0, elem_id="cs_follow_job_id")
        follow_status = gr.Textbox(label="Status", interactive=False, elem_id="cs_follow_status", visible=False)
        ctx.shared["follow_job_id"] = job_id
        ctx.shared["follow_status"] = follow_status
        with gr.Tabs(elem_id="cs_tabs"):
            _render_pages(ctx)
            with gr.Tab("Jobs", elem_id="cs_tab_jobs"):
                ctx.shared["jobs_panel"] = build_jobs_panel(app, blocks, live=with_progress)
        gr.Button("Follow job", visible=False, elem_id="cs_follow_button").click(
            compat.guard(follow), inputs=[job_id], outputs=[follow_status],
            **compat.event_kwargs(api_name="follow_job", follows_job=True))
        if extra is not None:
            extra(ctx)
    return blocks
