"""Saves screenshots of the Search, Civitai gallery, Classifications, Prompt recipes and
Maintenance pages (standalone, 1400x1000) to docs/screenshots/. Not collected by pytest.

    .lanes/h4/bin/python tests/ui/screenshots_pages.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT / "scripts", ROOT / "tests", HERE):
    sys.path.insert(0, str(path))

from browser import chromium_page
from fake_civitai import FakeCivitai
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from fake_civitai.scan_routes import install as install_images
from pages_servers import click_button, click_tab, fill, wait_text
from servers import launch, poll
from test_pages_gallery import gallery_images

OUT = ROOT / "docs" / "screenshots"
NAMES = ["Ink Wash Portraits", "Neon Streets", "Watercolor Birds", "Paper Cut Style", "Retro Anime Eyes",
         "Cozy Interiors", "Glass Sculptures", "Moss and Stone"]


def main() -> None:
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost
    from civitai_shortcut_core.ui import compat
    from civitai_shortcut_core.ui.shell import build_ui

    OUT.mkdir(parents=True, exist_ok=True)
    with FakeCivitai() as civitai, tempfile.TemporaryDirectory() as tmp:
        install_images(civitai)
        for offset, name in enumerate(NAMES):
            model_id = 880100 + offset
            raw = generated_model(civitai.url, model_id, name=name, model_type="LORA" if offset % 3 else "Checkpoint",
                                  versions=[[(model_id, f"{name.lower().replace(' ', '_')}.safetensors", "AB" * 32)]])
            add_model(civitai, raw)
        add_model(civitai, generated_model(civitai.url, 880200, name="Gallery Model",
                                           versions=[[(1, "g.safetensors", "CD" * 32)]]))
        civitai.state["images"] = gallery_images(civitai.url)
        host = StandaloneHost(Path(tmp) / "data", models_dir=Path(tmp) / "models")
        host.save_settings({"civitai_url": civitai.url, "nsfw_level": "R"})
        app = App(host)
        for offset in range(4):
            app.library.store.upsert_model(generated_model(civitai.url, 880100 + offset, name=NAMES[offset],
                                                           versions=[[(1, "x.safetensors", "AB" * 32)]]))
        cid = app.library.classifications.create("Ink and paper", "Traditional media looks")
        app.library.classifications.add(cid, [880100, 880103])
        app.library.recipes.create("Ink portrait", description="#portrait in sumi-e", prompt="portrait, ink wash",
                                   negative_prompt="blurry", parameters={"Steps": "20", "Sampler": "Euler a"},
                                   model_ids=[880100])
        demo = build_ui(app)
        compat.configure_standalone_queue(demo)
        url = launch(demo)
        try:
            with chromium_page(1400, 1000) as page:
                page.goto(url)
                click_tab(page, "Search Civitai")
                click_button(page, "Search")
                wait_text(page, "cs_search_status", r"results")
                page.screenshot(path=str(OUT / "search-civitai.png"))
                click_tab(page, "Civitai gallery")
                fill(page, "cs_cg_model", "880200")
                click_button(page, "Show gallery")
                wait_text(page, "cs_cg_status", r"Page 1")
                page.locator("#cs_cg_gallery .thumbnail-item").nth(1).click()
                wait_text(page, "cs_cg_details", r"Image #")
                page.screenshot(path=str(OUT / "civitai-gallery.png"))
                click_tab(page, "Classifications")
                page.locator("#cs_cls_choose input").first.click()
                page.get_by_text("Ink and paper (2)").first.click()
                poll(lambda: page.locator("#cs_cls_members .thumbnail-item").count() == 2)
                page.screenshot(path=str(OUT / "classifications.png"))
                click_tab(page, "Prompt recipes")
                page.locator("#cs_rc_list .thumbnail-item").first.click()
                poll(lambda: page.locator("#cs_rc_name textarea, #cs_rc_name input").first.input_value() != "")
                page.screenshot(path=str(OUT / "prompt-recipes.png"))
                click_tab(page, "Maintenance")
                click_button(page, "Scan model folders")
                wait_text(page, "cs_mt_scan_result", r"model files")
                page.screenshot(path=str(OUT / "maintenance.png"))
        finally:
            compat.close(demo)
            app.close()
    print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
