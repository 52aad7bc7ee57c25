"""The Library page in a real browser (standalone app, fake Civitai): register by paste, by file
drop and by dragging a link; see the card; open it; download with progress; early access; reload
mid-download re-attaches in the Jobs panel; a hostile description renders inert."""

from __future__ import annotations

import hashlib
import re

from fake_civitai.download_routes import downloads
from library_servers import click_button, open_card, register_by_paste, text_of, textbox, wait_text
from servers import poll


def test_register_by_paste_open_and_download_the_primary_file(library_standalone, library_page):
    server, page = library_standalone, library_page
    raw = server.add_model(7101, name="Paste Ink", size=96 * 1024)
    results = register_by_paste(page, f"{server.civitai.url}/models/7101/paste-ink")
    assert "registered" in results and "Paste Ink" in results
    poll(lambda: textbox(page, "cs_register_links").input_value() == "")  # cleared after a successful run
    open_card(page, "Paste Ink")
    assert "trigger7101" in textbox(page, "cs_info_triggers").input_value()
    click_button(page, "Files", "#cs_info_tabs")
    poll(lambda: "Paste_Ink_v0.safetensors" in text_of(page, "cs_info_files"))
    click_button(page, "Download", "#cs_info_tab_files")
    wait_text(page, "cs_info_download_status", r"Downloaded", timeout=40)
    target = server.models / "Lora" / "Paste_Ink_v0.safetensors"
    file_id = raw["modelVersions"][0]["files"][0]["id"]
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(server.payloads[file_id]).digest()
    assert server.app.library.get_shortcut(7101).downloaded
    # the card shows the downloaded badge after the browser refreshes
    poll(lambda: "✓ Paste Ink" in text_of(page, "cs_library_gallery"), timeout=20)


def test_register_by_file_drop(library_standalone, library_page, tmp_path):
    server, page = library_standalone, library_page
    server.add_model(7102, name="Dropped File")
    link_file = tmp_path / "favourite.url"
    link_file.write_text(f"[InternetShortcut]\nURL={server.civitai.url}/models/7102\n", encoding="utf-8")
    def dropped() -> bool:
        # drop the file; if a late clearing step of the previous registration emptied the
        # component again (seen once in 4.40 under load), drop it again as a user would
        page.locator("#cs_register_files input[type=file]").first.set_input_files(str(link_file))
        try:
            poll(lambda: "favourite.url" in text_of(page, "cs_register_files"), timeout=8)
        except AssertionError:
            return False
        return True

    poll(dropped, timeout=30)
    click_button(page, "Register", "#cs_register")
    wait_text(page, "cs_register_results", r"registered.*Dropped File", timeout=40)
    open_card(page, "Dropped File")


def test_dragging_a_link_onto_the_box_appends_it(library_standalone, library_page):
    server, page = library_standalone, library_page
    server.add_model(7103, name="Dragged Link")
    poll(lambda: textbox(page, "cs_register_links").input_value() == "")  # the last run's clear is done
    url = f"{server.civitai.url}/models/7103"
    page.evaluate("""(url) => {
        const box = document.querySelector('#cs_register_links textarea');
        const data = new DataTransfer();
        data.setData('text/uri-list', url);
        box.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
    }""", url)
    assert textbox(page, "cs_register_links").input_value().strip() == url
    click_button(page, "Register", "#cs_register")
    wait_text(page, "cs_register_results", r"registered.*Dragged Link", timeout=40)


def test_early_access_version_shows_its_sentence(library_standalone, library_page):
    server, page = library_standalone, library_page
    raw = server.add_model(7104, name="Early Bird")
    downloads(server.civitai).error_for(raw["modelVersions"][0]["id"], "403_download_early_access")
    register_by_paste(page, f"{server.civitai.url}/models/7104")
    open_card(page, "Early Bird")
    click_button(page, "Files", "#cs_info_tabs")
    click_button(page, "Download", "#cs_info_tab_files")
    # visible only: the Jobs tab (hidden) may already list the same sentence for the failed job
    toast = page.locator("text=/early access/i >> visible=true").first
    toast.wait_for(timeout=30_000)
    assert "early access" in toast.inner_text().lower()
    assert not (server.models / "Lora" / "Early_Bird_v0.safetensors").exists()


def test_reload_during_a_download_reattaches_in_the_jobs_panel(library_standalone, library_page):
    server, page = library_standalone, library_page
    server.add_model(7105, name="Slow Download", size=640 * 1024)
    register_by_paste(page, f"{server.civitai.url}/models/7105")
    open_card(page, "Slow Download")
    files = downloads(server.civitai)
    files.throttle(128 * 1024)
    try:
        click_button(page, "Files", "#cs_info_tabs")
        click_button(page, "Download", "#cs_info_tab_files")
        # progress with bytes and speed while the handler follows the job
        tab = page.locator("#cs_info_tab_files").first
        poll(lambda: re.search(r"KiB/s|MiB/s", tab.inner_text()), timeout=20)
        job = poll(lambda: next((j for j in server.app.jobs.list(kinds=("download",)) if j.state == "running"
                                 and "Slow Download" in j.title), None), timeout=20)
        page.reload()
        page.locator("button:visible").filter(has_text=re.compile(r"^\s*Jobs\s*$")).first.click()
        row = page.locator(f'#cs_jobs_table tr[data-job-id="{job.id}"]')
        poll(lambda: "Running" in row.inner_text() or "Done" in row.inner_text(), timeout=20)
        poll(lambda: "Done" in row.inner_text(), timeout=40)
    finally:
        files.throttle(None)
    assert (server.models / "Lora" / "Slow_Download_v0.safetensors").stat().st_size == 640 * 1024
    page.locator("button:visible").filter(has_text=re.compile(r"^\s*Library\s*$")).first.click()


def test_hostile_description_renders_inert(library_standalone, library_page):
    server, page = library_standalone, library_page
    server.add_hostile_model()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    start_url = page.url
    register_by_paste(page, f"{server.civitai.url}/models/990201")
    open_card(page, "Hostile ../../")
    click_button(page, "Model info", "#cs_info_tabs")
    wait_text(page, "cs_info_description", r"Hostile description")
    found = page.evaluate("""() => {
        const root = document.querySelector('#cs_info_description');
        const all = [root, ...root.querySelectorAll('*')];
        return {
            scripts: root.querySelectorAll('script, iframe, svg, style').length,
            handlers: all.flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on')),
            styles: [...root.querySelectorAll('.cs-description [style]')].length,
            hrefs: [...root.querySelectorAll('[href], [src]')].map(e => e.getAttribute('href') || e.getAttribute('src')),
            rels: [...root.querySelectorAll('a[href]')].map(a => a.rel),
        };
    }""")
    assert found["scripts"] == 0 and found["handlers"] == [] and found["styles"] == 0, found
    assert not any(h.strip().lower().startswith(("javascript:", "data:")) for h in found["hrefs"]), found
    assert all("noopener" in r for r in found["rels"]), found
    assert dialogs == [] and page.url == start_url
    # the name with <script> is shown as text in the header
    assert "<script>" in text_of(page, "cs_info_header")


def test_import_favourites_from_the_register_box(library_standalone, library_page):
    from fake_civitai.api_routes import set_api_key

    server, page = library_standalone, library_page
    for model_id, name in ((7110, "Fav One"), (7111, "Fav Two")):
        server.add_model(model_id, name=name)
    server.civitai.state["favorites"] = [7110, 7111]
    set_api_key(server.civitai, "fav-ui-key")
    server.app.update_settings(api_key="fav-ui-key")
    try:
        click_button(page, "Import my Civitai favourites", "#cs_register")
        results = wait_text(page, "cs_register_results", r"Fav Two", timeout=40)
        assert "Fav One" in results and "registered" in results
        assert server.app.library.get_shortcut(7111).name == "Fav Two"
    finally:
        server.app.update_settings(api_key="")
