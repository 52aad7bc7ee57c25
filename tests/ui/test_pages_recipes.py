"""Prompt recipes in a real browser: create one with a reference image whose PNG info
survives byte for byte, parameters with commas, colons and quotes round-trip, a LoRA
reference inserts its <lora:file:weight> tag; generation info sent from the gallery arrives."""

from __future__ import annotations

import io
from pathlib import Path

from civitai_shortcut_core.services.infotext import parse_parameters
from fake_civitai.scan_routes import generated_model
from pages_servers import click_button, click_tab, fill, value_of, wait_text, wait_value
from PIL import Image, PngImagePlugin
from servers import poll

IMAGE_INFO = "a cat, ink\nNegative prompt: dog\nSteps: 5, Sampler: Euler, CFG scale: 7"
PARAMS = {"Steps": "20", "Sampler": "DPM++ 2M", "Lora hashes": "ink: 1f2e, wash: 9c8d", "Note": 'say "hi"'}


def png_with_info(path):
    meta = PngImagePlugin.PngInfo()
    meta.add_text("parameters", IMAGE_INFO)
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 30, 30)).save(out, "PNG", pnginfo=meta)
    path.write_bytes(out.getvalue())
    return path


def test_recipe_create_keeps_image_bytes_and_parameters(pages_server, pages_browser, tmp_path):
    page, app = pages_browser, pages_server.app
    app.library.store.upsert_model(generated_model(pages_server.civitai.url, 880401, name="Ink Lora",
                                                   versions=[[(1, "inkwash_v2.safetensors", "AA" * 32)]]))
    image = png_with_info(tmp_path / "ref.png")
    page.reload()
    click_tab(page, "Prompt recipes")
    fill(page, "cs_rc_name", "Ink portrait")
    fill(page, "cs_rc_prompt", "portrait, ink")
    fill(page, "cs_rc_negative", "blurry")
    fill(page, "cs_rc_params", 'Steps: 20, Sampler: DPM++ 2M, Lora hashes: "ink: 1f2e, wash: 9c8d", Note: "say \\"hi\\""')
    click_tab(page, "Reference image")
    page.locator("#cs_rc_upload input[type=file]").first.set_input_files(str(image))
    click_tab(page, "Reference models")
    browser = page.locator("#cs_rc_browser_gallery .thumbnail-item")
    poll(lambda: browser.count() == 1)
    browser.nth(0).click()
    wait_text(page, "cs_rc_picked", r"Added")
    refs = page.locator("#cs_rc_refs .thumbnail-item")
    poll(lambda: refs.count() == 1)
    refs.nth(0).click()
    wait_text(page, "cs_rc_picked", r"Selected: Ink Lora")
    click_button(page, "Insert into prompt")
    wait_value(page, "cs_rc_prompt", r"portrait, ink, <lora:inkwash_v2:0\.7>, word880401$")
    click_button(page, "Create")
    wait_text(page, "cs_rc_status", r"Created")

    recipe = app.library.recipes.get("Ink portrait")
    assert recipe.parameters == PARAMS
    assert recipe.prompt == "portrait, ink, <lora:inkwash_v2:0.7>, word880401" and recipe.negative_prompt == "blurry"
    assert Path(recipe.image).read_bytes() == image.read_bytes()  # original bytes, PNG info included
    assert recipe.image_info == IMAGE_INFO
    assert [m.id for m in recipe.models] == [880401]
    assert parse_parameters(value_of(page, "cs_rc_params")) == PARAMS
    assert "Steps: 5" in value_of(page, "cs_rc_picture_info")

    click_button(page, "New recipe")
    poll(lambda: value_of(page, "cs_rc_name") == "")
    page.locator("#cs_rc_list .thumbnail-item").first.click()
    wait_value(page, "cs_rc_name", r"^Ink portrait$")
    assert parse_parameters(value_of(page, "cs_rc_params")) == PARAMS  # the reloaded form round-trips


def test_recipe_from_image_fills_the_prompt_fields(pages_server, pages_browser, tmp_path):
    page = pages_browser
    image = png_with_info(tmp_path / "drop.png")
    click_tab(page, "Prompt recipes")
    click_button(page, "New recipe")
    click_tab(page, "From image")
    page.locator("#cs_rc_from_image input[type=file]").first.set_input_files(str(image))
    wait_text(page, "cs_rc_status", r"Filled from the image")
    click_tab(page, "Prompt")
    assert value_of(page, "cs_rc_prompt") == "a cat, ink"
    assert value_of(page, "cs_rc_negative") == "dog"
    assert parse_parameters(value_of(page, "cs_rc_params")) == {"Steps": "5", "Sampler": "Euler", "CFG scale": "7"}
