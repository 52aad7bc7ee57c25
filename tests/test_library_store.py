"""The library's write side: models from API JSON of every era, user data kept on refresh,
deletes that leave nothing dangling, local files, and migrations on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from civitai_shortcut_core.library import Thumbnail
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.library.migrations import MIGRATIONS
from civitai_shortcut_core.library.model_rows import NotModelJson, parse_model
from library_kit import generated_model, make_library

FIXTURES = Path(__file__).parent / "fake_civitai" / "fixtures" / "civitai"


def _fixture(name: str) -> dict:
    return json.loads(next((FIXTURES / "models").glob(f"{name}_*.json")).read_text("utf-8"))


def test_every_fixture_era_is_stored_with_versions_files_images_and_raw_json(tmp_path):
    lib = make_library(tmp_path)
    for name in ("1580878", "4384", "3036", "990102", "990103", "990104"):
        lib.store.upsert_model(_fixture(name))
    legacy = json.loads((FIXTURES / "legacy" / "models_3036_2023-wiki-era.json").read_text("utf-8"))
    legacy["id"] = 3037  # the 2023 shape, stored beside the current one
    lib.store.upsert_model(legacy)
    assert lib.query.count() == 7
    detail = lib.get_shortcut(4384)
    assert detail.type == "Checkpoint" and detail.creator == "Lykon"
    v128713 = next(v for v in detail.versions if v.id == 128713)
    assert {f.type for f in v128713.files} >= {"Model", "VAE", "Config"}
    assert detail.raw == _fixture("4384")
    assert lib.get_shortcut(3037).versions, "2023-era bodies still give versions"
    controlnet = lib.get_shortcut(990102)
    no_files = next(v for v in controlnet.versions if v.id == 9901022)
    assert no_files.files == [] and no_files.download_url


def test_parse_model_refuses_json_that_is_not_a_model():
    with pytest.raises(NotModelJson):
        parse_model({"error": "No model with id 5"})
    with pytest.raises(NotModelJson):
        parse_model(["not", "a", "dict"])


def test_refresh_keeps_note_date_classifications_and_recipe_references(tmp_path):
    lib = make_library(tmp_path)
    raw = generated_model(10, "http://cdn.invalid", name="Old name")
    lib.store.upsert_model(raw, now=1000.0)
    lib.set_note(10, "my note")
    cid = lib.classifications.create("Faves", model_ids=[10])
    rid = lib.recipes.create("R", model_ids=[10])
    raw2 = generated_model(10, "http://cdn.invalid", name="New name", versions=3)
    result = lib.store.upsert_model(raw2, now=2000.0)
    assert not result.created
    detail = lib.get_shortcut(10)
    assert (detail.name, detail.note, detail.registered_at, detail.updated_at) == ("New name", "my note", 1000.0, 2000.0)
    assert detail.classifications == [(cid, "Faves")]
    assert [m.id for m in lib.recipes.get(rid).models] == [10]
    assert len(detail.versions) == 3


def test_version_link_selection_survives_a_plain_refresh(tmp_path):
    lib = make_library(tmp_path)
    raw = generated_model(11, "http://cdn.invalid", versions=3)
    lib.store.upsert_model(raw, selected_version_id=1101)
    lib.store.upsert_model(raw)
    assert lib.get_shortcut(11).selected_version_id == 1101
    lib.store.upsert_model(raw, selected_version_id=999)  # not a version of this model
    assert lib.get_shortcut(11).selected_version_id == 1101


def test_delete_removes_memberships_recipe_references_and_cached_files_in_one_go(tmp_path):
    lib = make_library(tmp_path)
    for i in (20, 21):
        lib.store.upsert_model(generated_model(i, "http://cdn.invalid"))
    thumb = lib.data_dir / "thumbs" / "20.jpg"
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(b"x")
    lib.store.set_thumbnail(20, Thumbnail("thumbs/20.jpg"))
    cid = lib.classifications.create("C", model_ids=[20, 21])
    rid = lib.recipes.create("R", model_ids=[21, 20])
    assert lib.delete_shortcut(20) is True
    assert lib.classifications.members(cid) == [21]
    assert [m.id for m in lib.recipes.get(rid).models] == [21]
    assert not thumb.exists()
    conn = sqlite3.connect(lib.db.path)
    for table in ("version", "model_file", "image", "model_tag", "classification_member", "recipe_model"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE model_id = 20").fetchone()[0] == 0, table
    assert lib.search(text="Generated").total == 1
    assert lib.delete_shortcut(20) is False


def test_a_failing_write_leaves_nothing_behind(tmp_path):
    """One transaction per write: an error in the middle rolls the whole write back."""
    lib = make_library(tmp_path)
    raw = generated_model(30, "http://cdn.invalid")
    raw["modelVersions"][1]["files"][0]["id"] = "broken"   # parsed away, fine
    raw["tags"] = ["a"]
    lib.store.upsert_model(raw)

    def boom(conn):
        conn.execute("UPDATE model SET note = 'half' WHERE id = 30")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        lib.db.write(boom)
    other = sqlite3.connect(lib.db.path)
    assert other.execute("SELECT note FROM model WHERE id = 30").fetchone()[0] == ""


def test_stub_is_marked_for_refresh_and_becomes_full_on_upsert(tmp_path):
    lib = make_library(tmp_path)
    assert lib.store.add_stub(40, name="Only a name", model_type="LORA", tags=["x"], note="n", registered_at=5.0)
    assert not lib.store.add_stub(40, name="again")
    row = lib.search(text="only a name").items[0]
    assert row.needs_refresh and row.type_label == "LoRA"
    lib.store.upsert_model(generated_model(40, "http://cdn.invalid"), now=9.0)
    detail = lib.get_shortcut(40)
    assert not detail.needs_refresh and detail.note == "n" and detail.registered_at == 5.0


def test_local_files_api_for_downloads_and_scans(tmp_path):
    lib = make_library(tmp_path)
    lib.store.upsert_model(generated_model(50, "http://cdn.invalid"))
    path = tmp_path / "models" / "Lora" / "a.safetensors"
    lib.store.record_local_file(path, size=10, mtime_ns=123, sha256="ab" * 32, version_id=5001)
    known = lib.store.local_file(path)
    assert known.model_id == 50 and known.sha256 == ("AB" * 32) and known.mtime_ns == 123
    assert lib.store.downloaded_version_ids(50) == {5001}
    assert lib.search(downloaded=True).total == 1 and lib.search(downloaded=False).total == 0
    assert lib.get_shortcut(50).downloaded
    lib.store.record_local_file(path, size=11, mtime_ns=124, version_id=5000, model_id=50)
    assert [f.size for f in lib.store.local_files_for_model(50)] == [11]
    assert lib.store.forget_local_file(path) is True
    assert lib.store.forget_local_file(path) is False
    assert lib.search(downloaded=True).total == 0


def test_update_flags(tmp_path):
    lib = make_library(tmp_path)
    for i in (60, 61, 62):
        lib.store.upsert_model(generated_model(i, "http://cdn.invalid"))
    assert lib.store.set_update_flags({60: True, 61: True, 999: True}) == 2
    lib.store.set_update_available(61, False)
    assert [r.id for r in lib.search(update_available=True).items] == [60]
    assert lib.search(update_available=True).items[0].update_available


def test_note_on_a_missing_shortcut_is_an_error(tmp_path):
    lib = make_library(tmp_path)
    with pytest.raises(KeyError):
        lib.set_note(404, "x")


def test_migrations_run_once_and_refuse_a_newer_database(tmp_path):
    path = tmp_path / "lib.sqlite3"
    Database(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Database(path)


def test_a_database_from_migration_1_is_brought_forward_keeping_its_jobs(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO job (kind, state, created_at, updated_at) VALUES ('x', 'queued', 1, 1)")
    conn.execute("COMMIT")
    conn.close()
    db = Database(path)
    assert db.read().execute("SELECT COUNT(*) FROM job").fetchone()[0] == 1
    assert db.read().execute("SELECT COUNT(*) FROM model").fetchone()[0] == 0
