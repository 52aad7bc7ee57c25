"""The one shortcut browser: the library page, classifications and recipes all use it.

A paged thumbnail gallery over ``app.library.search``: search box (``#tag``, ``@note``),
filters (type, base model, classifications AND-ed, downloaded / update state), sort and
paging. Ids of the shown page travel in a ``gr.State``; a click maps ``evt.index`` to an id
there and writes it to ``selected_id`` (never parsed back out of a caption, the original's
bug). Column and row counts come from the settings unless a page passes its own.

Usage::

    browser = shortcut_browser(ctx, elem_prefix="cs_library")
    browser.on_select(show_model, inputs=[...], outputs=[...])   # fn(model_id, *inputs)
    browser.refresh(save_button.click)                             # re-run the current query
    browser.refresh_choices(ctx.blocks.load)                       # filter choices from the data

A page that needs its own restriction passes ``extra_query(*values) -> dict`` of
``library.Query`` fields and the components whose values it reads (``extra_inputs``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ...library import Query
from ...library.model_rows import TYPE_LABELS
from .. import compat

ASSETS = Path(__file__).resolve().parents[1] / "assets"
NO_PREVIEW = str(ASSETS / "no-preview.png")
NSFW_HIDDEN = str(ASSETS / "nsfw-hidden.png")

STATUS_CHOICES = ("All", "Downloaded", "Not downloaded", "Update available")
SORT_CHOICES = {"Name": "name", "Registered": "registered", "Updated": "updated"}
BADGES = (("downloaded", "✓"), ("update_available", "↑"), ("early_access", "⏳"))
_LABEL_TO_TYPE = {label: raw for raw, label in TYPE_LABELS.items()}
_LABEL_TO_TYPE["LoRA"] = "LoRA"   # the LoRA family is offered as one group


def caption_of(row) -> str:
    """The caption under a thumbnail: badges then the name (display only, never parsed)."""
    badges = "".join(mark for attr, mark in BADGES if getattr(row, attr, False))
    return f"{badges} {row.name}" if badges else row.name


def picture_of(row, allowed_levels: int) -> str:
    """The thumbnail path, or a placeholder when missing or above the NSFW setting."""
    if row.nsfw_level and (row.nsfw_level & ~allowed_levels):
        return NSFW_HIDDEN
    if row.thumbnail and Path(row.thumbnail).is_file():
        return row.thumbnail
    return NO_PREVIEW


def type_value(label: str) -> str:
    """The ``Query.types`` value for a type label shown in the filter."""
    return _LABEL_TO_TYPE.get(label, label)


def status_filter(status: str | None) -> dict[str, Any]:
    """``Query`` fields for the status radio."""
    if status == "Downloaded":
        return {"downloaded": True}
    if status == "Not downloaded":
        return {"downloaded": False}
    if status == "Update available":
        return {"update_available": True}
    return {}


def page_text(page) -> str:
    return f"Page {page.page} of {page.pages}, total {page.total}"


@dataclass
class ShortcutBrowser:
    """The components of one browser and the wiring helpers pages use.

    Attributes:
        gallery: the thumbnails of the current page.
        ids: ``gr.State`` holding the shortcut ids of the current page, in gallery order.
        selected_id: hidden ``gr.Number`` with the id last clicked (0 = none).
        search, types, base_models, classifications, status, sort, page: the query inputs.
        info: "Page N of M, total T".
        inputs: every query input in the order the refresh handler takes them.
        outputs: what a refresh writes (gallery, ids, info, page).
        select_event: the gallery's select dependency (chain more with ``on_select``).
    """

    gallery: gr.Gallery
    ids: gr.State
    selected_id: gr.Number
    search: gr.Textbox
    types: gr.Dropdown
    base_models: gr.Dropdown
    classifications: gr.Dropdown
    status: gr.Radio
    sort: gr.Dropdown
    page: gr.Number
    info: gr.Markdown
    inputs: list
    outputs: list
    select_event: Any
    run: Callable = field(repr=False)              # (*inputs) -> outputs values; plain, for tests
    choices: Callable = field(repr=False)          # () -> updates of (types, base_models, classifications)

    def on_select(self, fn: Callable, inputs: Sequence = (), outputs: Sequence = (), **kwargs) -> Any:
        """Runs ``fn(model_id, *inputs)`` after each click on a thumbnail (guarded)."""
        return self.select_event.then(compat.guard(fn), inputs=[self.selected_id, *inputs], outputs=list(outputs),
                                      **{**compat.event_kwargs(show_progress=False), **kwargs})

    def refresh(self, listener: Callable) -> Any:
        """Re-runs the current query (same page) on ``listener``, e.g. ``button.click`` or ``dep.then``."""
        return listener(compat.guard(self.run), inputs=self.inputs, outputs=self.outputs,
                        **compat.event_kwargs(show_progress=False))

    def refresh_choices(self, listener: Callable) -> Any:
        """Reloads the filter choices (types, base models, classifications) from the library."""
        return listener(compat.guard(self.choices), inputs=None,
                        outputs=[self.types, self.base_models, self.classifications],
                        **compat.event_kwargs(show_progress=False))


def _choice_lists(app) -> tuple[list[str], list[str], list[str]]:
    types = [label for _value, label, _count in app.library.types()]
    bases = app.library.base_models()
    classes = [c.name for c in app.library.classifications.list_all()]
    return types, bases, classes


def shortcut_browser(ctx, *, elem_prefix: str, columns: int | None = None, rows: int | None = None,
                     show_filters: bool = True, extra_query: Callable[..., dict] | None = None,
                     extra_inputs: Sequence = (), api_prefix: str | None = None) -> ShortcutBrowser:
    """Adds a shortcut browser to the current Blocks context and returns its handle.

    Args:
        ctx: the page's ``UiContext``.
        elem_prefix: prefix of every elem_id (``<prefix>_gallery``, ``<prefix>_search`` ...).
        columns, rows: thumbnails per row and rows per page (default: the settings).
        show_filters: False shows only the search box, sort and paging.
        extra_query: ``fn(*extra_input_values) -> dict`` of ``library.Query`` fields added to
            every search (e.g. ``{"exclude_classification": 3}``).
        extra_inputs: components whose values ``extra_query`` receives.
        api_prefix: when given, the browse (the query at the given page) and select events get
            api names ``<prefix>_browse`` and ``<prefix>_select`` (tests and benches use them).
    """
    app = ctx.app
    settings = app.settings
    n_columns = int(columns or settings.gallery_columns)
    n_rows = int(rows or settings.gallery_rows)
    per_page = n_columns * n_rows
    type_choices, base_choices, class_choices = _choice_lists(app)
    extra_inputs = list(extra_inputs)

    with gr.Column(elem_id=f"{elem_prefix}_browser", elem_classes=["cs-browser"]):
        with gr.Row():
            search = gr.Textbox(label="Search", placeholder="Search name, #tag, @note", show_label=False,
                                elem_id=f"{elem_prefix}_search", scale=4)
            sort = gr.Dropdown(list(SORT_CHOICES), value="Name", label="Sort by", show_label=False,
                               elem_id=f"{elem_prefix}_sort", scale=1, min_width=110)
            search_button = gr.Button("Search", elem_id=f"{elem_prefix}_search_button", scale=1, min_width=80)
        with gr.Accordion("Filters", open=False, visible=show_filters, elem_id=f"{elem_prefix}_filters"):
            with gr.Row():
                types = gr.Dropdown(type_choices, value=[], multiselect=True, label="Type",
                                    elem_id=f"{elem_prefix}_types")
                base_models = gr.Dropdown(base_choices, value=[], multiselect=True, label="Base model",
                                          elem_id=f"{elem_prefix}_base_models")
                classifications = gr.Dropdown(class_choices, value=[], multiselect=True,
                                              label="Classifications (all of)",
                                              elem_id=f"{elem_prefix}_classifications")
            status = gr.Radio(list(STATUS_CHOICES), value="All", label="Show", elem_id=f"{elem_prefix}_status")
        gallery = gr.Gallery(value=[], label="Shortcuts", show_label=False, columns=n_columns, rows=n_rows,
                             allow_preview=False, object_fit="cover", height="auto",
                             elem_id=f"{elem_prefix}_gallery", elem_classes=["cs-shortcut-gallery"])
        with gr.Row(elem_classes=["cs-paging"]):
            prev_button = gr.Button("◀ Prev", elem_id=f"{elem_prefix}_prev", scale=1, min_width=60)
            page = gr.Number(value=1, precision=0, label="Page", elem_id=f"{elem_prefix}_page", scale=1,
                             min_width=80)
            next_button = gr.Button("Next ▶", elem_id=f"{elem_prefix}_next", scale=1, min_width=60)
            info = gr.Markdown("", elem_id=f"{elem_prefix}_info")
        ids = gr.State([])
        selected_id = gr.Number(value=0, precision=0, visible=False, elem_id=f"{elem_prefix}_selected_id")

    inputs = [search, types, base_models, classifications, status, sort, page, *extra_inputs]
    outputs = [gallery, ids, info, page]

    def run(text, type_labels, bases, classes, status_value, sort_label, page_number, *extra_values):
        fields: dict[str, Any] = dict(
            text=text or "", types=[type_value(t) for t in type_labels or []], base_models=list(bases or []),
            classifications=list(classes or []), sort=SORT_CHOICES.get(sort_label, "name"),
            page=max(1, int(page_number or 1)), per_page=per_page, **status_filter(status_value))
        if extra_query is not None:
            fields.update(extra_query(*extra_values) or {})
        result = app.library.search(Query(**fields))
        if result.total and result.page > result.pages:   # the list shrank under us: show its last page
            result = app.library.search(Query(**{**fields, "page": result.pages}))
        allowed = app.settings.max_browsing_level
        items = [(picture_of(row, allowed), caption_of(row)) for row in result.items]
        return items, [row.id for row in result.items], page_text(result), result.page

    def first_page(*values):
        values = list(values)
        values[6] = 1
        return run(*values)

    def step(delta):
        def move(*values):
            values = list(values)
            values[6] = max(1, int(values[6] or 1) + delta)
            return run(*values)
        move.__name__ = "next_page" if delta > 0 else "previous_page"
        return move

    def choices():
        type_list, base_list, class_list = _choice_lists(app)
        return (gr.update(choices=type_list), gr.update(choices=base_list), gr.update(choices=class_list))

    def select(page_ids, evt: gr.SelectData):
        index = compat.selected_index(evt)
        if index is None or not page_ids or index >= len(page_ids):
            return compat.no_change()
        return page_ids[index]

    quiet = compat.event_kwargs(show_progress=False)
    named = (lambda name: {**quiet, "api_name": f"{api_prefix}_{name}"}) if api_prefix else (lambda name: quiet)
    browse = compat.guard(first_page)
    search.submit(browse, inputs=inputs, outputs=outputs, **quiet)
    search_button.click(browse, inputs=inputs, outputs=outputs, **quiet)
    for component in (types, base_models, classifications, status, sort):
        component.change(browse, inputs=inputs, outputs=outputs, **quiet)
    prev_button.click(compat.guard(step(-1)), inputs=inputs, outputs=outputs, **quiet)
    next_button.click(compat.guard(step(+1)), inputs=inputs, outputs=outputs, **quiet)
    page.submit(compat.guard(run), inputs=inputs, outputs=outputs, **named("browse"))
    select_event = gallery.select(compat.guard(select), inputs=[ids], outputs=[selected_id], **named("select"))
    ctx.blocks.load(compat.guard(run), inputs=inputs, outputs=outputs, **quiet)

    return ShortcutBrowser(gallery=gallery, ids=ids, selected_id=selected_id, search=search, types=types,
                           base_models=base_models, classifications=classifications, status=status, sort=sort,
                           page=page, info=info, inputs=inputs, outputs=outputs, select_event=select_event,
                           run=run, choices=choices)
