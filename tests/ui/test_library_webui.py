"""The Library page inside a WebUI-like root (stand-in ``modules``): send-to-txt2img/img2img is
registered with the WebUI's paste machinery for our generation-info box, and the page works
there in a real browser (register, open the card, click an image, see its generation info)."""

from __future__ import annotations

import re

from browser import chromium_page
from library_servers import click_button, open_card, register_by_paste, textbox
from servers import poll


def _our_bindings():
    from modules import infotext_utils

    return [b for b in infotext_utils.registered_param_bindings
            if getattr(b.source_text_component, "elem_id", None) == "cs_info_geninfo"]


def test_send_to_buttons_bind_our_generation_info_box(library_webui):
    bindings = _our_bindings()
    by_tab = {b.tabname: b for b in bindings}
    assert {"txt2img", "img2img"} <= set(by_tab)
    for tab in ("txt2img", "img2img"):
        assert by_tab[tab].paste_button.elem_id == f"cs_info_send_{tab}"
        assert by_tab[tab].source_text_component.elem_id == "cs_info_geninfo"
    # the standalone-only copy button is not there: the WebUI has real send-to buttons
    assert "cs_info_copy" not in {getattr(b, "elem_id", None) for b in library_webui.demo.blocks.values()}


def test_register_open_and_read_generation_info_in_the_webui(library_webui):
    server = library_webui
    raw = server.add_model(7201, name="WebUI Card")
    for i, image in enumerate(raw["modelVersions"][0]["images"]):   # each image its own meta
        image["meta"] = {"prompt": f"ink wash, mountains {i}", "negativePrompt": "blurry", "steps": 20,
                         "sampler": "Euler a", "cfgScale": 7, "seed": 1234 + i}
    with chromium_page() as page:
        page.goto(server.url)
        page.locator("button:visible").filter(has_text=re.compile(r"^\s*Civitai Shortcut\s*$")).first.click()
        results = register_by_paste(page, f"{server.civitai.url}/models/7201")
        assert "WebUI Card" in results
        open_card(page, "WebUI Card")
        click_button(page, "Images", "#cs_info_tabs")
        gallery = page.locator("#cs_info_images").first
        poll(lambda: gallery.locator("button:has(img)").count() >= 2, timeout=20)
        info = textbox(page, "cs_info_geninfo")

        def clicked_second_image_shows_its_meta() -> bool:
            # the panel may still re-render from the registration's own "show" (a loaded
            # machine delivers it late), which resets the gallery: click again like a user would
            gallery.locator("button:has(img)").nth(1).click()
            try:
                poll(lambda: "ink wash, mountains 1" in info.input_value(), timeout=5)
            except AssertionError:
                return False
            return True

        poll(clicked_second_image_shows_its_meta, timeout=30)   # the meta of THAT image
        assert "Negative prompt: blurry" in info.input_value() and "Seed: 1235" in info.input_value()
        assert page.locator("#cs_info_send_txt2img").first.is_visible()
