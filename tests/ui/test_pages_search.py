"""Search Civitai in a real browser against the fake Civitai: cards, "Load more" with the
cursor sent back exactly as given, and registering the selected results as shortcuts."""

from __future__ import annotations

from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from pages_servers import click_button, click_tab, fill, wait_text
from servers import poll


def add_models(server, names):
    ids = []
    for offset, name in enumerate(names):
        model_id = 880100 + offset
        raw = generated_model(server.url, model_id, versions=[[(model_id * 100, f"{name}.safetensors", "AB" * 32)]],
                              name=name)
        add_model(server, raw)
        ids.append(model_id)
    return ids


def test_search_pages_with_cursor_and_registers_selected(pages_server, pages_browser):
    civitai, page, app = pages_server.civitai, pages_browser, pages_server.app
    civitai.reset()
    ids = add_models(civitai, ["Pagetest Alpha", "Pagetest Beta", "Pagetest Gamma"])
    civitai.state["page_size"] = 2
    click_tab(page, "Search Civitai")
    fill(page, "cs_search_query", "pagetest")
    click_button(page, "Search")
    wait_text(page, "cs_search_status", r"2 results; more on Civitai")
    cards = page.locator("#cs_search_cards .cs-card")
    assert cards.count() == 2
    first = civitai.requests_to(r"^/api/v1/models$")
    assert len(first) == 1 and first[0].arg("cursor") is None and first[0].arg("query") == "pagetest"

    click_button(page, "Load more")
    wait_text(page, "cs_search_status", r"^3 results\.")
    searches = civitai.requests_to(r"^/api/v1/models$")
    assert len(searches) == 2  # one request per page, nothing fetched ahead
    assert searches[1].arg("cursor") == "2|2024-06-01 00:00:02"  # the fake's nextCursor, byte for byte
    assert searches[1].arg("query") == "pagetest"
    names = [c.inner_text() for c in page.locator("#cs_search_cards .cs-card-name").all()]
    assert sorted(names) == ["Pagetest Alpha", "Pagetest Beta", "Pagetest Gamma"]

    picks = page.locator("#cs_search_picks label")
    picks.filter(has_text=f"#{ids[0]}").first.click()
    picks.filter(has_text=f"#{ids[2]}").first.click()
    poll(lambda: page.locator("#cs_search_cards .cs-card-selected").count() == 2)
    click_button(page, "Register selected")
    wait_text(page, "cs_search_register_result", r"2 registered", timeout=60)
    assert app.library.get_shortcut(ids[0]) is not None and app.library.get_shortcut(ids[2]) is not None
    assert app.library.get_shortcut(ids[1]) is None


def test_search_shows_rate_limit_sentence(pages_server, pages_browser):
    civitai, page = pages_server.civitai, pages_browser
    civitai.reset()
    civitai.script(r"^/api/v1/models$", status=429, body={"error": "Too Many Requests"},
                   headers={"Retry-After": "0"}, times=None)
    click_tab(page, "Search Civitai")
    fill(page, "cs_search_query", "anything")
    click_button(page, "Search")
    toast = page.locator(".toast-body, .error").filter(has_text="rate").first
    toast.wait_for(timeout=30_000)
    civitai.reset()
