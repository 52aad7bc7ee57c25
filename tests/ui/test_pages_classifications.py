"""Classifications in a real browser: create one, add a shortcut by clicking it in the shared
browser (members leave the browser), remove it from the members gallery."""

from __future__ import annotations

from fake_civitai.scan_routes import generated_model
from pages_servers import click_button, click_tab, fill, wait_text
from servers import poll


def test_classification_create_add_and_remove(pages_server, pages_browser):
    page, app = pages_browser, pages_server.app
    for model_id, name in ((880301, "Cls One"), (880302, "Cls Two")):
        app.library.store.upsert_model(generated_model(pages_server.civitai.url, model_id, name=name,
                                                       versions=[[(model_id, f"{model_id}.safetensors", "EF" * 32)]]))
    page.reload()
    click_tab(page, "Classifications")
    fill(page, "cs_cls_name", "Inks")
    click_button(page, "Create")
    wait_text(page, "cs_cls_status", r"Created")
    cid = app.library.classifications.get("Inks").id
    browser = page.locator("#cs_cls_browser_gallery .thumbnail-item")
    poll(lambda: browser.count() == 2)

    browser.nth(0).click()
    wait_text(page, "cs_cls_status", r"Added")
    assert len(app.library.classifications.members(cid)) == 1
    member = app.library.classifications.members(cid)[0]
    members = page.locator("#cs_cls_members .thumbnail-item")
    poll(lambda: members.count() == 1)
    poll(lambda: browser.count() == 1)  # a member is no longer offered

    members.nth(0).click()
    name = app.library.get_shortcut(member).name
    wait_text(page, "cs_cls_picked", rf"Selected: {name}")
    click_button(page, "Remove selected from classification")
    wait_text(page, "cs_cls_status", r"Removed")
    assert app.library.classifications.members(cid) == []
    poll(lambda: members.count() == 0 and browser.count() == 2)
