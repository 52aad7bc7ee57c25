"""Fixtures for the Library page tests: the app pointed at the fake Civitai (with its image CDN),
standalone and inside a WebUI-like root, one server and one Chromium page per test module.

Models are generated per test with ids that do not collide (``LibraryServer.add_model``);
their primary file is a small payload the fake storage serves with matching size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser import chromium_page
from fake_civitai.api_routes import add_model
from fake_civitai.download_routes import downloads
from library_kit import generated_model, install_cdn, localize
from servers import build_webui_root, launch, load_fake_webui, poll, run_entry_script, standalone_app

HERE = Path(__file__).resolve().parent
OWN_MODELS = HERE.parent / "fake_civitai" / "fixtures" / "own" / "models"


@dataclass
class LibraryServer:
    url: str
    app: Any
    demo: Any
    civitai: Any
    root: Path
    payloads: dict = field(default_factory=dict)

    @property
    def models(self) -> Path:
        return self.root / "models"

    def add_model(self, model_id: int, *, name: str, size: int = 64 * 1024, **kwargs) -> dict:
        """A generated LoRA on the fake Civitai whose primary file downloads and verifies."""
        raw = generated_model(model_id, self.civitai.url, name=name, versions=1, images=2, levels=(1, 2), **kwargs)
        version = raw["modelVersions"][0]
        data = random.Random(model_id).randbytes(size)
        file = version["files"][0]
        file.update(sizeKB=len(data) / 1024, hashes={"SHA256": hashlib.sha256(data).hexdigest().upper()})
        add_model(self.civitai, raw)
        downloads(self.civitai).add(version_id=version["id"], file_id=file["id"], name=file["name"], payload=data)
        self.payloads[file["id"]] = data
        return raw

    def add_hostile_model(self) -> dict:
        """The own fixture 990201 (hostile description and names), its images on the fake CDN."""
        raw = json.loads(next(OWN_MODELS.glob("990201_*.json")).read_text("utf-8"))
        raw = localize(raw, self.civitai.url)
        add_model(self.civitai, raw)
        return raw


def _prepare(civitai_server) -> None:
    install_cdn(civitai_server)
    civitai_server.reset()


def _settings(civitai_url: str) -> dict:
    return {"civitai_url": civitai_url, "nsfw_level": "R", "images_per_version": 2, "download_concurrency": 2,
            "write_preview_sidecar": False, "connect_timeout": 2.0, "read_timeout": 10.0}


@pytest.fixture(scope="module")
def library_standalone(tmp_path_factory, civitai_server):
    """The standalone app as main.py builds it, on temp folders, talking to the fake Civitai."""
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost

    _prepare(civitai_server)
    root = tmp_path_factory.mktemp("library")
    (root / "models").mkdir()
    host = StandaloneHost(root / "data", models_dir=root / "models")
    host.save_settings(_settings(civitai_server.url))
    app = App(host)
    try:
        with standalone_app(app) as (url, demo):
            yield LibraryServer(url, app, demo, civitai_server, root)
    finally:
        app.close()
        civitai_server.reset()


@pytest.fixture(scope="module")
def library_webui(tmp_path_factory, civitai_server):
    """Our tab inside a WebUI-like root (stand-in ``modules``), talking to the fake Civitai."""
    from civitai_shortcut_core.ui import compat

    _prepare(civitai_server)
    root = tmp_path_factory.mktemp("library_webui") / "webui"
    shared, _callbacks = load_fake_webui(root)
    for key, value in _settings(civitai_server.url).items():
        shared.opts.data[f"civitai_shortcut_{key}"] = value
    run_entry_script()
    from civitai_shortcut_core import webui_entry
    from modules import script_callbacks

    app = webui_entry.get_app()
    demo, _ = build_webui_root()
    url = launch(demo)
    script_callbacks.app_started_callback(demo, None)
    try:
        yield LibraryServer(url, app, demo, civitai_server, root)
    finally:
        compat.close(demo)
        app.close()
        webui_entry._app = None
        civitai_server.reset()


@pytest.fixture(scope="module")
def library_page(library_standalone):
    """One Chromium page for the module, on the standalone app."""
    with chromium_page() as page:
        open_app(page, library_standalone.url)
        yield page


def open_app(page, url: str) -> None:
    """Opens the app and waits until its load events ran (the browser shows its page count).

    Gradio 3.41 loses a file dropped in the first moments after page load (its upload never
    replaces the client-side value), which no user does; tests wait like a user would.
    """
    page.goto(url)
    wait_text(page, "cs_library_info", r"Page \d+ of", timeout=30)


# -- page helpers ------------------------------------------------------------------------------
def exact(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def click_button(page, text: str, scope: str = "") -> None:
    """Clicks a visible button by its exact text (3.41 tabs have no ARIA role)."""
    root = page.locator(scope).first if scope else page
    root.locator("button:visible").filter(has_text=exact(text)).first.click()


def textbox(page, elem_id: str):
    """The input of a Textbox by elem_id (3.41 puts the id on two nested elements: take the first)."""
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def text_of(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id}").first.inner_text()


def wait_text(page, elem_id: str, pattern: str, timeout: float = 30) -> str:
    rx = re.compile(pattern)
    return poll(lambda: (t := text_of(page, elem_id)) and rx.search(t) and t, timeout=timeout)


def register_by_paste(page, links: str) -> str:
    box = textbox(page, "cs_register_links")
    poll(lambda: box.input_value() == "")  # the previous run's clearing step has landed
    box.fill(links)
    click_button(page, "Register", "#cs_register")
    return wait_text(page, "cs_register_results", r"registered|updated|failed", timeout=40)


def open_card(page, name: str) -> None:
    """Clicks the thumbnail whose caption holds ``name`` and waits for the info panel to show it."""
    gallery = page.locator("#cs_library_gallery").first
    poll(lambda: name in gallery.inner_text(), timeout=20)
    gallery.locator("button").filter(has_text=name).first.click()
    wait_text(page, "cs_info_header", re.escape(name), timeout=20)
