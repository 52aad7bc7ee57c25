"""Maintenance in a real browser: a scan maps a fixture payload the fake Civitai knows by hash
and writes its sidecars; the legacy fixture imports through the page and its settings apply."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from fake_civitai.server import OWN_FIXTURES
from pages_servers import click_button, click_tab, fill, wait_text
from servers import poll

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy" / "original"
PAYLOAD = OWN_FIXTURES / "payloads" / "9920111.safetensors"


def test_scan_maps_a_payload_by_hash_and_writes_sidecars(pages_server, pages_browser):
    civitai, page, app = pages_server.civitai, pages_browser, pages_server.app
    civitai.reset()
    sha = hashlib.sha256(PAYLOAD.read_bytes()).hexdigest()
    # the payload's own model (990101), with previews served by the fake instead of the real CDN
    add_model(civitai, generated_model(civitai.url, 990101, versions=[[(9920111, "inkwash.safetensors", sha)]],
                                       version_ids=[9901011], name="Sumi-e Ink Wash"))
    target = pages_server.models / "Lora" / "my_ink.safetensors"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PAYLOAD, target)
    (pages_server.models / "Lora" / "gone.civitai.info").write_text("{}", encoding="utf-8")  # an orphan

    click_tab(page, "Maintenance")
    click_tab(page, "Scan models")
    click_button(page, "Scan model folders")
    text = wait_text(page, "cs_mt_scan_result", r"1 found on Civitai", timeout=60)
    assert "my_ink.safetensors" in text and "Sumi-e Ink Wash" in text
    info = json.loads(target.with_suffix(".civitai.info").read_text(encoding="utf-8"))
    assert info["id"] == 9901011 and info["modelId"] == 990101
    assert target.with_name("my_ink.preview.png").is_file()
    assert app.library.store.local_file(target).version_id == 9901011
    assert app.library.get_shortcut(990101) is not None
    hash_calls = civitai.requests_to(r"^/api/v1/model-versions/by-hash")
    assert [r.path for r in hash_calls] == ["/api/v1/model-versions/by-hash/ids"]

    click_tab(page, "Duplicates and orphans")
    click_button(page, "Find orphan sidecars")
    wait_text(page, "cs_mt_orphans_status", r"1 orphans \(1 files\)")
    page.locator("#cs_mt_orphans_list label").filter(has_text="gone").first.click()
    click_button(page, "Delete selected orphan sidecars")
    wait_text(page, "cs_mt_orphans_status", r"Deleted 1 files")
    assert not (pages_server.models / "Lora" / "gone.civitai.info").exists()
    assert target.with_suffix(".civitai.info").exists()


def test_legacy_import_through_the_page_and_apply_old_settings(pages_server, pages_browser, tmp_path):
    page, app = pages_browser, pages_server.app
    old = tmp_path / "civitai-shortcut-old"
    shutil.copytree(LEGACY, old)
    before = app.library.query.count()
    click_tab(page, "Maintenance")
    click_tab(page, "Legacy import")
    fill(page, "cs_mt_legacy_path", str(old))
    click_button(page, "Import")
    wait_text(page, "cs_mt_legacy_status", r"finished", timeout=60)
    summary = wait_text(page, "cs_mt_legacy_result", r"\w")
    assert app.library.query.count() > before
    assert app.library.classifications.list_all(), summary
    settings_text = page.locator("#cs_mt_legacy_settings").first.inner_text()
    assert '"nsfw_level"' in settings_text and "legacy-key-123" not in settings_text  # the key stays masked
    click_button(page, "Apply these settings")
    wait_text(page, "cs_mt_legacy_settings_status", r"Applied: .*nsfw_level")
    poll(lambda: app.settings.nsfw_level == "PG13" and app.settings.api_key == "legacy-key-123")
