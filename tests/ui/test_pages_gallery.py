"""The Civitai gallery in a real browser: one /images request per page, the second page's
request carries the cursor exactly as given, and the generation info of a selected image is
that image's own meta."""

from __future__ import annotations

from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from pages_servers import click_button, click_tab, fill, value_of, wait_text, wait_value
from servers import poll

MODEL_ID = 880200


def gallery_images(origin: str) -> list[dict]:
    items = []
    for image_id in (5005, 5004, 5003, 5002, 5001):
        items.append({
            "id": image_id, "url": f"{origin}/img/g{image_id}.png", "type": "image", "width": 16, "height": 16,
            "nsfwLevel": "None", "browsingLevel": 1, "username": "painter", "_modelId": MODEL_ID,
            "modelVersionIds": [MODEL_ID * 10 + 1],
            "meta": {"prompt": f"prompt of {image_id}, ink: wash", "negativePrompt": "blurry",
                     "steps": 20, "sampler": "Euler a", "cfgScale": 7, "seed": image_id},
        })
    return items


def test_gallery_pages_lazily_and_shows_the_selected_images_meta(pages_server, pages_browser):
    civitai, page, app = pages_server.civitai, pages_browser, pages_server.app
    civitai.reset()
    add_model(civitai, generated_model(civitai.url, MODEL_ID, versions=[[(1, "g.safetensors", "CD" * 32)]],
                                       name="Gallery Model"))
    civitai.state["images"] = gallery_images(civitai.url)
    app.update_settings(gallery_columns=2, gallery_rows=1)
    try:
        click_tab(page, "Civitai gallery")
        fill(page, "cs_cg_model", str(MODEL_ID))
        click_button(page, "Show gallery")
        wait_text(page, "cs_cg_status", r"Gallery Model.*Page 1: 2 images; more on the next page")
        requests = civitai.requests_to(r"^/api/v1/images$")
        assert len(requests) == 1 and requests[0].arg("cursor") is None
        assert requests[0].arg("limit") == "2" and requests[0].arg("nsfw") == "Mature"  # settings: R

        click_button(page, "Next page")
        wait_text(page, "cs_cg_status", r"Page 2: 2 images")
        requests = civitai.requests_to(r"^/api/v1/images$")
        assert len(requests) == 2
        assert requests[1].arg("cursor") == "2|2024-06-01 00:00:02"

        thumbs = page.locator("#cs_cg_gallery .thumbnail-item")
        poll(lambda: thumbs.count() == 2)
        thumbs.nth(1).click()
        info = wait_value(page, "cs_cg_info", r"prompt of 5002")
        assert "Negative prompt: blurry" in info and "Seed: 5002" in info and "5003" not in info
        assert '"prompt of 5002, ink: wash"' not in info  # the prompt line is not quoted
        wait_text(page, "cs_cg_details", r"Image #5002 by painter")
        click_button(page, "Send to recipe", scope="#cs_tab_civitai_gallery_page")
        click_tab(page, "Prompt recipes")
        wait_value(page, "cs_rc_prompt", r"^prompt of 5002, ink: wash$")
        assert value_of(page, "cs_rc_negative") == "blurry"
        click_tab(page, "Civitai gallery")

        click_button(page, "Next page")
        wait_text(page, "cs_cg_status", r"Page 3: 1 images; last page")
        click_button(page, "First page")
        wait_text(page, "cs_cg_status", r"Page 1: 2 images")
        requests = civitai.requests_to(r"^/api/v1/images$")
        assert [r.arg("cursor") for r in requests] == [None, "2|2024-06-01 00:00:02", "4|2024-06-01 00:00:04", None]
    finally:
        app.update_settings(gallery_columns=6, gallery_rows=4)


def test_gallery_send_to_buttons_bind_to_the_webui(tmp_path):
    """Inside the WebUI the gallery's info box is bound to txt2img and img2img (stand-in modules)."""
    from servers import build_webui_root, load_fake_webui, run_entry_script

    load_fake_webui(tmp_path / "webui")
    run_entry_script()
    from civitai_shortcut_core import webui_entry
    from modules import infotext_utils

    infotext_utils.registered_param_bindings.clear()
    try:
        build_webui_root(queue=False)
        bound = {(b.tabname, b.source_text_component.elem_id) for b in infotext_utils.registered_param_bindings}
        assert {("txt2img", "cs_cg_info"), ("img2img", "cs_cg_info"),
                ("txt2img", "cs_rc_composite"), ("img2img", "cs_rc_composite")} <= bound
    finally:
        webui_entry.get_app().close()
        webui_entry._app = None
