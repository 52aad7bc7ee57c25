"""Saves screenshots of the Library page and the model information panel (standalone, 1400x1000).

    .lanes/h4/bin/python tests/ui/make_screenshots.py [--out docs/screenshots]

Not a test (CI does not run it): it starts the fake Civitai and the standalone app on temp
folders, registers a few generated models through the page, opens one, and writes
``library.png``, ``model_info.png`` and ``settings.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests"), str(HERE)]

NAMES = ("Sumi-e Ink Wash", "Watercolor Portraits", "Neon Cyber City", "Pastel Chibi", "Gothic Armor",
         "Retro Pixel Art", "Cinematic Lighting", "Forest Spirits")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from browser import chromium_page
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost
    from civitai_shortcut_core.ui import compat
    from civitai_shortcut_core.ui.shell import build_ui
    from fake_civitai import FakeCivitai
    from library_servers import LibraryServer, _settings, click_button, install_cdn, open_card, register_by_paste
    from servers import launch

    with FakeCivitai() as civitai, tempfile.TemporaryDirectory() as tmp:
        install_cdn(civitai)
        root = Path(tmp)
        host = StandaloneHost(root / "data", models_dir=root / "models")
        host.save_settings(_settings(civitai.url))
        app = App(host)
        demo = build_ui(app)
        compat.configure_standalone_queue(demo)
        url = launch(demo)
        server = LibraryServer(url, app, demo, civitai, root)
        try:
            for i, name in enumerate(NAMES):
                server.add_model(7300 + i, name=name, tags=("style", "ink") if i == 0 else ("style",))
            links = "\n".join(f"{civitai.url}/models/{7300 + i}" for i in range(len(NAMES)))
            with chromium_page(1400, 1000) as page:
                page.goto(url)
                register_by_paste(page, links)
                page.wait_for_timeout(800)   # let thumbnails finish painting (a screenshot, not a test)
                page.screenshot(path=str(out / "library.png"))
                open_card(page, NAMES[0])
                click_button(page, "Files", "#cs_info_tabs")
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / "model_info.png"))
                click_button(page, "Settings")
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / "settings.png"))
        finally:
            compat.close(demo)
            app.close()
    print(f"wrote library.png, model_info.png and settings.png to {out}")


if __name__ == "__main__":
    main()
