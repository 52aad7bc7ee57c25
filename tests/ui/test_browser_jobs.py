"""In a real browser: find the tab, start a job, see progress, reload mid-job, see it re-attach."""

from __future__ import annotations

import re

from browser import chromium_page
from servers import poll


def progress_step(page, job_id: str) -> int:
    row = page.locator(f'#cs_jobs_table tr[data-job-id="{job_id}"]')
    text = row.inner_text(timeout=30_000)
    match = re.search(r"step (\d+) of", text)
    return int(match.group(1)) if match else -1


def click_tab(page, name: str) -> None:
    """Clicks a Gradio tab button by its exact label (3.x has no ARIA tab role)."""
    label = re.compile(rf"^\s*{re.escape(name)}\s*$")
    page.locator("button").filter(has_text=label).first.click()


def open_jobs_tab(page, *, webui: bool) -> None:
    if webui:
        click_tab(page, "Civitai Shortcut")
    click_tab(page, "Jobs")


def start_job(page, seconds: int, *, webui: bool) -> str:
    click_tab(page, "Test")
    page.locator("#test_seconds input").fill(str(seconds))
    page.get_by_role("button", name="Start test job").click()
    box = page.locator("#test_started textarea")
    poll(lambda: box.input_value().strip().isdigit(), timeout=20)
    return box.input_value().strip()


def check_reattach(page, url: str, app, *, webui: bool) -> None:
    page.goto(url)
    job_id = start_job(page, 12, webui=webui)
    open_jobs_tab(page, webui=webui)
    first = poll(lambda: progress_step(page, job_id) > 0 and progress_step(page, job_id), timeout=20)
    poll(lambda: progress_step(page, job_id) > first, timeout=10)  # the panel keeps updating
    page.reload()
    open_jobs_tab(page, webui=webui)
    after_reload = poll(lambda: progress_step(page, job_id) > 0 and progress_step(page, job_id), timeout=20)
    assert after_reload >= first
    poll(lambda: progress_step(page, job_id) > after_reload, timeout=10)  # re-attached and live
    row = page.locator(f'#cs_jobs_table tr[data-job-id="{job_id}"]')
    poll(lambda: "Done" in row.inner_text(), timeout=40)
    assert app.jobs.get(int(job_id)).state == "done"


def test_job_reattaches_after_reload_in_webui(webui_server):
    with chromium_page() as page:
        check_reattach(page, webui_server.url, webui_server.app, webui=True)


def test_job_reattaches_after_reload_standalone(standalone_server):
    with chromium_page() as page:
        check_reattach(page, standalone_server.url, standalone_server.app, webui=False)
