"""Importing the original extension's data folder (and the fork's data_sc layout).

The fixtures in tests/fixtures/legacy/ carry the damage real users have (built by
tests/fixtures/legacy/build.py): a truncated classification file, a backup file with a
missing comma, wrong types, bare ids, a missing and a broken info file, video bytes cached
as .png, an HTML page saved as a thumbnail, and ids of deleted shortcuts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from civitai_shortcut_core.library.legacy import find_legacy_data, find_legacy_installs, import_legacy
from civitai_shortcut_core.library.legacy_formats import parse_date, salvage_json
from library_kit import dump, make_library
from PIL import Image

LEGACY = Path(__file__).parent / "fixtures" / "legacy"


@pytest.fixture
def original(tmp_path) -> Path:
    """A copy of the original-layout folder (the import must not need to write there anyway)."""
    target = tmp_path / "extensions" / "civitai-shortcut"
    shutil.copytree(LEGACY / "original", target)
    return target


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_original_layout_imports_shortcuts_notes_dates_classifications_recipes_and_settings(tmp_path, original):
    lib = make_library(tmp_path)
    result = import_legacy(lib, original)
    c = result.counts
    assert (c["shortcuts"], c["stubs"], c["recovered"]) == (4, 3, 1)
    assert lib.query.count() == 8

    lora = lib.get_shortcut(1580878)
    assert lora.note == "My FAVOURITE style, weight 0.7"
    assert lora.selected_version_id == 1788945, "the old entry's versionid is kept"
    assert len(lora.versions) == 2 and lora.creator == "alericiviai" and not lora.needs_refresh
    with Image.open(lora.thumbnail) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (400, 300)
    cached = [i for v in lora.versions for i in v.images if i.local_path]
    assert len(cached) == 1, "the MP4 bytes cached as .png are not kept as an image"
    assert Image.open(cached[0].local_path).format == "PNG"

    stub = lib.get_shortcut(555001)
    assert stub.needs_refresh and stub.note == "gone but loved" and stub.tags == ["style"]
    assert stub.thumbnail and Path(stub.thumbnail).is_file()
    assert lib.get_shortcut(555002).needs_refresh, "a bare id becomes a stub"
    assert lib.get_shortcut(990104).name == "Dynamic Action Poses Pack", "info without entry is recovered"
    assert lib.search(text="@favourite").items[0].id == 1580878

    groups = {g.name: g for g in lib.classifications.list_all()}
    assert set(groups) == {"Favourites", "Styles"}, "the truncated third entry is lost, the first two kept"
    assert sorted(lib.classifications.members(groups["Favourites"].id)) == [3036, 4384, 1580878]
    assert groups["Favourites"].description == "the best ones"

    portrait = lib.recipes.get("Portrait, soft light")
    assert portrait.parameters["Lora hashes"] == "Semi_realistic: 7c0b4b21da, other: 1a2b"
    assert [m.id for m in portrait.models] == [1580878]
    assert Path(portrait.image).read_bytes() == (original / "sc_recipes" /
                                                 "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.png").read_bytes()
    assert "Seed: 1234" in portrait.image_info
    assert lib.recipes.get("Lost image").image is None

    assert result.settings == {"api_key": "legacy-key-123", "images_per_version": 3, "nsfw_level": "PG13",
                               "gallery_columns": 5, "gallery_rows": 4}
    assert result.backup_only == {777777: "Deleted long ago"}
    assert "legacy-key-123" not in json.dumps(result.as_json())


def test_every_loss_is_reported_with_its_file(tmp_path, original):
    result = import_legacy(make_library(tmp_path), original)
    text = "\n".join(str(p) for p in result.problems)
    for expected in ("CivitaiShortCut.json: model 4384: unreadable date 'not a date'",
                     "CivitaiShortCut.json: entry 'oops' has no model id",
                     "sc_thumb_images/3036.png: not a usable image",
                     "sc_infos/555001/555001.civitai.info: missing",
                     "sc_infos/555003/555003.civitai.info: unreadable",
                     "CivitaiShortCutClassification.json: broken JSON",
                     "model 999999 is not a shortcut",
                     "sc_recipes/ffffffff-0000-0000-0000-000000000000.png: missing",
                     "CivitaiShortCutBackupUrl.json: broken JSON",
                     "recovered: [990104]",
                     "recipe 'Odd types': its prompt data is not an object"):
        assert expected in text, expected
    assert "Imported 5 shortcuts with full info, 3 that need a refresh" in result.summary()


def test_second_import_changes_nothing_and_old_files_are_never_written(tmp_path, original):
    lib = make_library(tmp_path)
    before_files = _hashes(original)
    import_legacy(lib, original)
    first = dump(lib)
    again = import_legacy(lib, original)
    assert dump(lib) == first
    assert again.counts["already_present"] == 8 and again.counts["recipes_already_present"] == 3
    assert _hashes(original) == before_files


def test_import_merges_into_a_library_that_already_has_the_shortcut(tmp_path, original):
    from library_kit import generated_model
    lib = make_library(tmp_path)
    lib.store.upsert_model(generated_model(1580878, "http://cdn.invalid", name="Mine"), now=2e9)
    result = import_legacy(lib, original)
    detail = lib.get_shortcut(1580878)
    assert detail.name == "Mine", "what is already in the library wins"
    assert detail.note == "My FAVOURITE style, weight 0.7", "an empty note takes the imported one"
    assert detail.registered_at < 2e9, "the earlier registration date is kept"
    assert result.counts["notes_merged"] == 1


def test_fork_data_sc_layout_with_a_truncated_shortcut_file(tmp_path):
    lib = make_library(tmp_path)
    result = import_legacy(lib, LEGACY / "fork")
    assert result.source.endswith("data_sc")
    assert lib.get_shortcut(990102).note == "from the fork"
    assert lib.get_shortcut(666001).needs_refresh
    assert lib.get_shortcut(666002) is None, "the cut-off entry is not invented"
    assert any("broken JSON" in p.message and p.file == "CivitaiShortCut.json" for p in result.problems)
    assert result.settings == {"images_per_version": 0, "nsfw_level": "XXX"}


def test_finding_the_old_data(tmp_path, original):
    assert find_legacy_data(original) == original
    assert find_legacy_data(original / "CivitaiShortCut.json") == original
    assert find_legacy_data(LEGACY / "fork") == LEGACY / "fork" / "data_sc"
    assert find_legacy_data(tmp_path) is None
    ours = original.parent / "civitai-shortcut-ng"
    ours.mkdir()
    assert find_legacy_installs(original.parent) == [original]
    with pytest.raises(FileNotFoundError, match="No Civitai Shortcut data"):
        import_legacy(make_library(tmp_path / "x"), tmp_path / "empty")


def test_salvage_keeps_complete_entries_before_the_damage():
    expected = "broken JSON at line 1, column 21; kept the 2 complete entries before it"
    assert salvage_json('{"a": 1, "b": [1, 2]') == ({"a": 1, "b": [1, 2]}, expected)
    value, reason = salvage_json('[1, 2, {"x": ')
    assert value == [1, 2] and "kept the 2" in reason
    assert salvage_json("garbage")[0] is None
    assert salvage_json('{"ok": true}') == ({"ok": True}, None)


def test_dates_in_every_shape():
    assert parse_date("2024-07-03 21:15:09") is not None
    assert parse_date("2024-07-03T21:15:09Z") == 1720041309.0
    assert parse_date(1720041309000) == 1720041309.0
    assert parse_date("yesterday") is None and parse_date(None) is None


def test_import_runs_as_a_job_with_progress_and_offers_the_settings(tmp_path, original):
    from civitai_shortcut_core.services.jobs import JobManager
    from civitai_shortcut_core.services.legacy_import import LegacyImportService

    lib = make_library(tmp_path)
    jobs = JobManager(lib.db)
    service = LegacyImportService(lib, jobs)
    jobs.start()
    try:
        view = jobs.wait(service.start(original), timeout=30)
    finally:
        jobs.stop()
    assert view.state == "done", view.error
    assert view.result["counts"]["shortcuts"] == 4 and view.result["settings"]["api_key"] == "***"
    assert view.unit == "shortcuts" and view.message.startswith("Imported 5 shortcuts")
    assert service.settings_found(original)["api_key"] == "legacy-key-123"
    assert service.settings_found(tmp_path) == {}
    assert service.candidates(original.parent) == [original]
