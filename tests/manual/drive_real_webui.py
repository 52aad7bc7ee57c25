"""Drives the tab in a real A1111/Forge (shared/webui-harness) with Playwright: not part of CI.

    .lanes/h4/bin/python tests/manual/drive_real_webui.py http://127.0.0.1:7870 http://127.0.0.1:8899 OUT_PREFIX

Needs the fake Civitai running (``python -m fake_civitai --port 8899 --throttle 40000`` from tests/)
and the WebUI's "Civitai base URL" setting pointed at it. Registers two links by paste, opens the
card, downloads the primary file, reloads the page during the download, and waits for the Jobs
panel to show it done; screenshots at each step.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from browser import chromium_page  # noqa: E402


def click_tab(page, name):
    page.locator("button:visible").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")).first.click()


def main(url: str, fake: str, out: str) -> None:
    from library_servers import click_button, open_card, register_by_paste, wait_text

    with chromium_page() as page:
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        click_tab(page, "Civitai Shortcut")
        print("register:", register_by_paste(page, f"{fake}/models/990102\n{fake}/models/3036").replace("\n", " | "))
        page.screenshot(path=f"{out}_registered.png")
        name = "ControlNet OpenPose XL (community)"
        open_card(page, name)
        click_button(page, "Files", "#cs_info_tabs")
        click_button(page, "Download", "#cs_info_tab_files")
        tab = page.locator("#cs_info_tab_files").first
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not re.search(r"KiB/s|MiB/s", tab.inner_text()):
            time.sleep(0.2)
        page.screenshot(path=f"{out}_downloading.png")
        print("download progress:", re.findall(r"[^\n]*KiB/s[^\n]*", tab.inner_text())[:1])
        page.reload()
        click_tab(page, "Civitai Shortcut")
        click_tab(page, "Jobs")
        table = page.locator("#cs_jobs_table").first
        newest = table.locator("tr.cs-job").first  # the download just started
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Done" not in newest.inner_text():
            time.sleep(0.5)
        print("jobs panel after reload:", table.inner_text().replace("\n", " ")[:300])
        page.screenshot(path=f"{out}_jobs_done.png")
        print("page errors:", errors)


if __name__ == "__main__":
    main(*sys.argv[1:4])
