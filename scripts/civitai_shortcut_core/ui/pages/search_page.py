"""Search Civitai: query, types, sort, period, base models; result cards; "Load more" one
page at a time with the opaque cursor kept in ``gr.State``; register the selected results.

Cards are HTML with the CDN thumbnail as ``<img src>`` (the browser loads it; the server
fetches nothing). Selection is a CheckboxGroup whose labels map to model ids through a
``gr.State`` dict, so no id is ever parsed back out of a label.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ...civitai import MODEL_TYPES, thumbnail_url
from .. import compat
from ..format import escape
from ..job_action import job_handler
from ..results_html import registration_html

PAGE_SIZE = 20
SORTS = ("Highest Rated", "Most Downloaded", "Newest")
PERIODS = ("AllTime", "Year", "Month", "Week", "Day")
BASE_MODELS = ("SD 1.5", "SDXL 1.0", "Pony", "Illustrious", "NoobAI", "Flux.1 D", "Flux.1 S", "SD 3.5",
               "SD 2.1", "Hunyuan Video", "Wan Video")
THUMB_WIDTH = 320


def result_of(model) -> dict[str, Any]:
    """What a card needs from a search result (plain data: it lives in gr.State)."""
    version = model.latest_version
    images = [i for v in model.versions for i in v.images]
    safe = sorted(images, key=lambda i: (i.browsing_level or 99))
    thumb = thumbnail_url(safe[0], THUMB_WIDTH) if safe else ""
    return {"id": model.id, "name": model.name, "type": model.type,
            "creator": model.creator.username if model.creator and model.creator.username else "",
            "base_model": version.base_model if version and version.base_model else "",
            "thumbnail": thumb, "level": safe[0].browsing_level if safe else 0}


def label_of(result: dict[str, Any]) -> str:
    return f"{result['name']} · {result['type']} · #{result['id']}"


def render_cards(results: list[dict[str, Any]], selected: set[int], max_level: int) -> str:
    """The result cards as escaped HTML; images above the NSFW level are blurred out."""
    if not results:
        return '<div class="cs-search-empty">No results.</div>'
    cards = []
    for r in results:
        hidden = r["level"] and (r["level"] & ~max_level)
        img = ('<div class="cs-card-img cs-card-hidden">NSFW hidden</div>' if hidden or not r["thumbnail"]
               else f'<img class="cs-card-img" loading="lazy" src="{escape(r["thumbnail"])}" alt="">')
        chosen = " cs-card-selected" if r["id"] in selected else ""
        cards.append(
            f'<div class="cs-card{chosen}" data-model-id="{int(r["id"])}">{img}'
            f'<div class="cs-card-name">{escape(r["name"])}</div>'
            f'<div class="cs-card-meta">{escape(r["type"])}'
            f'{" · " + escape(r["base_model"]) if r["base_model"] else ""}'
            f'{" · by " + escape(r["creator"]) if r["creator"] else ""}</div></div>')
    style = ("<style>.cs-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px}"
             ".cs-card{border:1px solid #8884;border-radius:6px;padding:4px;font-size:12px}"
             ".cs-card-selected{outline:2px solid #f97316}"
             ".cs-card-img{width:100%;height:200px;object-fit:cover;display:flex;align-items:center;"
             "justify-content:center;background:#8882}.cs-card-name{font-weight:600}</style>")
    return style + '<div class="cs-cards">' + "".join(cards) + "</div>"


def render(ctx) -> None:
    app = ctx.app
    with gr.Row():
        query = gr.Textbox(label="Search Civitai", placeholder="name, tag or keyword", elem_id="cs_search_query",
                           scale=4)
        search = gr.Button("Search", variant="primary", elem_id="cs_search_button", scale=1)
    with gr.Row():
        types = gr.Dropdown(label="Types", choices=list(MODEL_TYPES), value=[], multiselect=True,
                            elem_id="cs_search_types")
        sort = gr.Dropdown(label="Sort", choices=list(SORTS), value="Highest Rated", elem_id="cs_search_sort")
        period = gr.Dropdown(label="Period", choices=list(PERIODS), value="AllTime", elem_id="cs_search_period")
        base = gr.Dropdown(label="Base models", choices=list(BASE_MODELS), value=[], multiselect=True,
                           elem_id="cs_search_base")
        nsfw = gr.Checkbox(label="Include NSFW results", value=False, elem_id="cs_search_nsfw")
    status = gr.Markdown("", elem_id="cs_search_status")
    cards = gr.HTML("", elem_id="cs_search_cards")
    more = gr.Button("Load more", elem_id="cs_search_more", visible=False)
    picks = gr.CheckboxGroup(label="Select results to register", choices=[], value=[], elem_id="cs_search_picks")
    with gr.Row():
        register = gr.Button("Register selected", variant="primary", elem_id="cs_search_register")
        clear = gr.Button("Clear selection", elem_id="cs_search_clear")
    register_status = gr.Markdown("", elem_id="cs_search_register_status")
    register_result = gr.HTML("", elem_id="cs_search_register_result")

    results = gr.State([])      # result dicts in display order
    cursor = gr.State(None)     # Civitai's opaque nextCursor, sent back exactly as returned
    params = gr.State({})       # the search the cursor belongs to
    labels = gr.State({})       # checkbox label -> model id

    def _page(p: dict, next_cursor: str | None, shown: list, selected_labels: list):
        models, new_cursor = app.civitai.search_models(
            p.get("query") or None, types=p.get("types") or (), sort=p.get("sort") or None,
            period=p.get("period") or None, base_models=p.get("base_models") or (), nsfw=p.get("nsfw"),
            cursor=next_cursor, limit=PAGE_SIZE)
        known = {r["id"] for r in shown}
        combined = shown + [r for r in (result_of(m) for m in models) if r["id"] not in known]
        choice_map = {label_of(r): r["id"] for r in combined}
        selected_ids = {choice_map[x] for x in selected_labels if x in choice_map}
        html = render_cards(combined, selected_ids, app.settings.max_browsing_level)
        sentence = f"{len(combined)} results" + ("; more on Civitai." if new_cursor else ".")
        return (html, gr.update(choices=list(choice_map), value=[x for x in selected_labels if x in choice_map]),
                combined, new_cursor, choice_map, sentence, gr.update(visible=bool(new_cursor)))

    def run_search(text, type_list, sort_value, period_value, base_list, include_nsfw):
        p = {"query": (text or "").strip(), "types": list(type_list or []), "sort": sort_value,
             "period": period_value, "base_models": list(base_list or []), "nsfw": bool(include_nsfw)}
        out = _page(p, None, [], [])
        return (*out[:5], p, out[5], out[6])

    def load_more(p, next_cursor, shown, selected_labels):
        if not next_cursor:
            raise gr.Error("There are no more results for this search.")
        out = _page(p or {}, next_cursor, list(shown or []), list(selected_labels or []))
        return (*out[:5], p, out[5], out[6])

    def show_selection(shown, selected_labels, choice_map):
        ids = {(choice_map or {}).get(x) for x in selected_labels or []}
        return render_cards(list(shown or []), ids, app.settings.max_browsing_level)

    def start_register(selected_labels, choice_map):
        ids = [choice_map[x] for x in selected_labels or [] if x in (choice_map or {})]
        if not ids:
            raise gr.Error("Select one or more results to register.")
        return app.registration.register(ids)

    page_outputs = [cards, picks, results, cursor, labels, params, status, more]
    search_inputs = [query, types, sort, period, base, nsfw]
    search.click(compat.guard(run_search), inputs=search_inputs, outputs=page_outputs,
                 **compat.event_kwargs(api_name="search_civitai"))
    query.submit(compat.guard(run_search), inputs=search_inputs, outputs=page_outputs,
                 **compat.event_kwargs())
    more.click(compat.guard(load_more), inputs=[params, cursor, results, picks], outputs=page_outputs,
               **compat.event_kwargs(api_name="search_civitai_more"))
    picks.change(compat.guard(show_selection), inputs=[results, picks, labels], outputs=[cards],
                 **compat.event_kwargs(show_progress=False))
    clear.click(compat.guard(lambda: gr.update(value=[])), inputs=None, outputs=[picks],
                **compat.event_kwargs(show_progress=False))
    register.click(job_handler(ctx, start_register, lambda view: (registration_html(view.result),), 1),
                   inputs=[picks, labels], outputs=[register_status, register_result],
                   **compat.event_kwargs(api_name="search_register", follows_job=True))
