"""The shortcut browser through gradio_client (paging, filters, badges, NSFW placeholder) and the
model panel's handlers called directly (files ticks and renames, guards with their sentences)."""

from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr
import pytest
from civitai_shortcut_core.app import App
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.library import Thumbnail
from civitai_shortcut_core.ui import compat
from civitai_shortcut_core.ui.pages import model_actions
from civitai_shortcut_core.ui.shell import build_ui
from gradio_client import Client
from library_kit import generated_model, png_bytes
from servers import launch

N_MODELS = 30   # default settings: 6 x 4 = 24 a page


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A standalone app with 30 shortcuts: 3 downloaded, 2 with updates, 1 early access, 1 thumbnail X-rated."""
    root = tmp_path_factory.mktemp("handlers")
    host = StandaloneHost(root / "data", models_dir=root / "models")
    host.save_settings({"nsfw_level": "R"})
    app = App(host)
    store = app.library.store
    for i in range(1, N_MODELS + 1):
        raw = generated_model(i, "http://cdn.invalid", name=f"Model {i:02d}", versions=2, images=2,
                              model_type="Checkpoint" if i % 10 == 0 else "LORA", tags=("ink",) if i < 4 else ("x",))
        if i == 7:
            raw["modelVersions"][0]["availability"] = "EarlyAccess"
            raw["modelVersions"][0]["earlyAccessDeadline"] = "2099-01-01T00:00:00.000Z"
        store.upsert_model(raw)
        level = 8 if i == 5 else 1
        thumb = app.library.media.save_thumbnail(i, png_bytes(f"t{i}"), nsfw_level=level)
        store.set_thumbnail(i, Thumbnail(thumb.path, nsfw_level=level))
    for i in (1, 2, 3):
        path = root / "models" / f"m{i}.safetensors"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
        store.record_local_file(str(path), size=1, mtime_ns=1, model_id=i, version_id=i * 100)
    store.set_update_flags({4: True, 6: True})
    demo = build_ui(app)
    compat.configure_standalone_queue(demo)
    url = launch(demo)
    params = inspect.signature(Client.__init__).parameters
    no_files = {"download_files": False} if "download_files" in params else {"serialize": False}
    try:
        yield app, Client(url, verbose=False, **no_files)
    finally:
        compat.close(demo)
        app.close()


def browse(client, text="", types=(), bases=(), classes=(), status="All", sort="Name", page=1):
    items, info, page_number = client.predict(text, list(types), list(bases), list(classes), status, sort, page,
                                              api_name="/library_browse")
    cards = []
    for item in items:   # 3.41: [file, caption]; 4.40: {"image": file, "caption": ...}
        file, caption = (item["image"], item["caption"]) if isinstance(item, dict) else item
        cards.append((Path(file.get("path") or file.get("name")).name, caption))
    return cards, info, page_number


def test_pages_and_the_total_are_shown(filled):
    _, client = filled
    cards, info, page = browse(client)
    assert len(cards) == 24 and info == "Page 1 of 2, total 30" and page == 1
    cards, info, page = browse(client, page=2)
    assert len(cards) == 6 and info == "Page 2 of 2, total 30"
    cards, info, page = browse(client, page=99)   # past the end: the last page
    assert page == 2 and len(cards) == 6


def test_badges_are_in_captions_and_hidden_thumbnails_use_the_placeholder(filled):
    _, client = filled
    captions = {c: f for f, c in browse(client)[0]}
    assert "✓ Model 01" in captions and "↑ Model 04" in captions and "⏳ Model 07" in captions
    assert captions["Model 05"] == "nsfw-hidden.png", "an X thumbnail is above the R setting"
    assert captions["Model 08"].endswith(".jpg")


def test_filters_and_search_narrow_the_list(filled):
    _, client = filled
    names = lambda cards: sorted(c.split(" ", 1)[-1] if c[0] in "✓↑⏳" else c for _, c in cards)
    assert names(browse(client, status="Downloaded")[0]) == ["Model 01", "Model 02", "Model 03"]
    assert names(browse(client, status="Update available")[0]) == ["Model 04", "Model 06"]
    assert names(browse(client, types=["Checkpoint"])[0]) == ["Model 10", "Model 20", "Model 30"]
    assert names(browse(client, text="#ink")[0]) == ["Model 01", "Model 02", "Model 03"]
    assert browse(client, text="#ink", status="Not downloaded")[1] == "Page 1 of 1, total 0"


def _select(index, row=None):
    data = {"index": index if row is None else [row, index], "value": None, "selected": True}
    return gr.SelectData(None, data)


def test_file_ticks_and_renames_travel_in_state(filled):
    app, _ = filled
    actions = model_actions.Actions(app, with_progress=False)
    shown = dict(zip(model_actions.SHOW_OUTPUTS, actions.show(12)))
    assert shown["model_id"] == 12 and shown["header"] == "### Model 12 : v2.0"
    pairs = shown["version_ids"]
    label = pairs[0][0]
    file_id = app.library.get_shortcut(12).versions[0].files[0].id
    assert shown["file_ids"] == [file_id], "the primary file starts ticked"
    table, ticked, target, rename_text = actions.click_file(12, label, pairs, [file_id], {}, _select(0, row=0))
    assert ticked == [] and target == file_id and table.iloc[0, 0] == "☐"
    assert rename_text == table.iloc[0, 2], "the rename box starts with the current name"
    table, renames = actions.rename_file(12, label, pairs, ticked, {}, target, "renamed.safetensors")
    assert renames == {str(file_id): "renamed.safetensors"} and table.iloc[0, 2] == "renamed.safetensors"
    with pytest.raises(gr.Error, match="Tick at least one file"):
        actions.download(12, label, pairs, [], renames, "(settings)", "", "", None)


def test_guards_say_what_to_do(filled):
    app, _ = filled
    actions = model_actions.Actions(app, with_progress=False)
    pairs = dict(zip(model_actions.SHOW_OUTPUTS, actions.show(13)))["version_ids"]
    images = [{"path": __file__, "url": "u", "level": 1, "meta": None}]
    with pytest.raises(gr.Error, match="Download this version first"):
        actions.set_preview(13, pairs[0][0], pairs, images, 0)
    with pytest.raises(gr.Error, match="Tick 'Yes, delete this shortcut' first"):
        actions.delete(13, False)
    with pytest.raises(gr.Error, match="Select a shortcut first"):
        actions.save_note(0, "x")
    assert app.library.get_shortcut(13) is not None
    message, model_id, confirm, _ = actions.delete(13, True)
    assert message.startswith("Deleted the shortcut")
    assert model_id == 0 and confirm is False and app.library.get_shortcut(13) is None
