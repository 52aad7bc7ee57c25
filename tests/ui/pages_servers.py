"""Fixtures for the page tests: one standalone app per test module, pointed at the fake Civitai,
with a temp models folder, and one Chromium page per module (the lanes' time budget is small)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser import chromium_page
from servers import poll, standalone_app


@dataclass
class PagesServer:
    url: str
    app: Any
    demo: Any
    civitai: Any
    root: Path

    @property
    def models(self) -> Path:
        return self.root / "models"


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory, civitai_server):
    """The standalone app (as main.py builds it) on temp folders, its Civitai URL the fake server's."""
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost
    from fake_civitai import scan_routes

    scan_routes.install(civitai_server)  # /img/<name>.png previews served by the fake itself
    civitai_server.reset()
    root = tmp_path_factory.mktemp("pages")
    (root / "models").mkdir()
    host = StandaloneHost(root / "data", models_dir=root / "models")
    host.save_settings({"civitai_url": civitai_server.url, "nsfw_level": "R"})
    app = App(host)
    try:
        with standalone_app(app) as (url, demo):
            yield PagesServer(url, app, demo, civitai_server, root)
    finally:
        app.close()
        civitai_server.reset()


@pytest.fixture(scope="module")
def pages_browser(pages_server):
    """One Chromium page for the module, opened on the app."""
    with chromium_page() as page:
        page.goto(pages_server.url)
        yield page


def click_tab(page, name: str) -> None:
    """Clicks a Gradio tab button by its exact label (3.x has no ARIA tab role)."""
    label = re.compile(rf"^\s*{re.escape(name)}\s*$")
    page.locator("button").filter(has_text=label).first.click()


def click_button(page, name: str, scope: str = "") -> None:
    """Clicks a visible button by its exact text, optionally inside the ``scope`` selector."""
    label = re.compile(rf"^\s*{re.escape(name)}\s*$")
    root = page.locator(scope) if scope else page
    root.locator("button:visible").filter(has_text=label).first.click()


def fill(page, elem_id: str, text: str) -> None:
    """Types into a Textbox/Number by elem_id (3.41 renders the id twice: take the first)."""
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    box.fill(text)


def text_of(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").first.inner_text()


def value_of(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first.input_value()


def wait_text(page, elem_id: str, pattern: str, timeout: float = 30) -> str:
    """Polls an element's text until ``pattern`` (a regex) is found; returns the text."""
    rx = re.compile(pattern)
    return poll(lambda: (t := text_of(page, elem_id)) and rx.search(t) and t, timeout=timeout)


def wait_value(page, elem_id: str, pattern: str, timeout: float = 30) -> str:
    rx = re.compile(pattern, re.DOTALL)
    return poll(lambda: (t := value_of(page, elem_id)) and rx.search(t) and t, timeout=timeout)
