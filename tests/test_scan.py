"""Scans against the fake Civitai: few requests, sidecars only where missing, moves that keep sidecars."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.scan import ScanOptions
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model, png_bytes
from PIL import Image
from scan_env import ScanEnv


@pytest.fixture
def env(tmp_path, civitai):
    env = ScanEnv(tmp_path, civitai)
    yield env
    env.close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def add_lora(env, model_id: int, data: bytes, **kwargs) -> dict:
    raw = generated_model(env.server.url, model_id, versions=[[(model_id * 100, f"lora_{model_id}.safetensors",
                                                               sha(data))]], **kwargs)
    add_model(env.server, raw)
    return raw


def test_scan_maps_fixture_payloads_with_one_call_per_endpoint(env):
    env.place("ControlNet", "openpose.safetensors", "9910211.safetensors")
    env.place("VAE", "clear.safetensors", "9910311.safetensors")
    env.place("Poses", "poses.zip", "9910411.zip")
    env.place("Stable-diffusion", "baked_vae.safetensors", "9910801.safetensors")
    legacy = env.place("VAE", "legacy.pt", "9910321.pt")  # Civitai has no hashes for this file
    mine = env.place("Lora", "mine.safetensors", b"trained at home")
    result = env.scan.scan(ScanOptions())
    matched = {os.path.basename(m["path"]): (m["model_id"], m["version_id"]) for m in result["matched"]}
    assert matched == {"openpose.safetensors": (990102, 9901021), "clear.safetensors": (990103, 9901031),
                       "poses.zip": (990104, 9901041), "baked_vae.safetensors": (4384, 128713)}
    assert sorted(u["path"] for u in result["unmatched"]) == sorted([str(legacy), str(mine)])
    assert result["errors"] == [] and result["hash"]["hashed"] == 6
    calls = [(r.method, r.path) for r in env.api_requests()]
    assert calls == [("POST", "/api/v1/model-versions/by-hash/ids"), ("GET", "/api/v1/models")]
    row = env.library.store.local_file(env.models / "ControlNet" / "openpose.safetensors")
    assert (row.model_id, row.version_id) == (990102, 9901021)
    assert env.library.store.local_file(mine).version_id is None
    assert not (env.models / "ControlNet" / "openpose.civitai.info").exists()  # write_info was off


def test_missing_sidecars_are_written_and_user_files_left_alone(env):
    data = b"lora weights one"
    add_lora(env, 700001, data)
    path = env.place("Lora", "renamed_by_user.safetensors", data)
    user_json = path.with_suffix(".json")
    user_json.write_text('{"activation text": "my own words"}', encoding="utf-8")
    result = env.scan.scan(ScanOptions(write_info=True))
    assert result["errors"] == []
    assert result["matched"][0]["sidecars"] == ["info", "preview"]
    info = json.loads(path.with_suffix(".civitai.info").read_text(encoding="utf-8"))
    assert info["id"] == 7000011 and info["modelId"] == 700001 and info["model"]["type"] == "LORA"
    assert info["files"][0]["name"] == "renamed_by_user.safetensors"  # other tools match by local name
    assert user_json.read_text(encoding="utf-8") == '{"activation text": "my own words"}'
    preview = path.with_name("renamed_by_user.preview.png")
    assert Image.open(preview).size == (16, 16)
    before = {p: p.stat().st_mtime_ns for p in path.parent.iterdir()}
    again = env.scan.scan(ScanOptions(write_info=True))
    assert again["sidecars_written"] == 0
    assert {p: p.stat().st_mtime_ns for p in path.parent.iterdir()} == before


def test_webui_metadata_is_created_when_absent(env):
    data = b"lora weights two"
    add_lora(env, 700002, data)
    path = env.place("Lora", "two.safetensors", data)
    env.scan.scan(ScanOptions(write_info=True))
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["activation text"] == "word700002" and meta["sd version"] == "SDXL"
    assert meta["notes"].endswith("/models/700002?modelVersionId=7000021")


def test_a_preview_that_is_not_an_image_is_reported_and_the_rest_written(env):
    data = b"lora weights three"
    add_lora(env, 700003, data, image="broken.png")
    path = env.place("Lora", "three.safetensors", data)
    result = env.scan.scan(ScanOptions(write_info=True))
    assert result["matched"][0]["sidecars"] == ["info", "meta"]
    assert [e["path"] for e in result["errors"]] == [str(path)]
    assert result["errors"][0]["error"].startswith("preview: Not a still image")
    assert not path.with_name("three.preview.png").exists()


def test_register_adds_shortcuts_offline_from_the_fetched_json(env):
    first, second = b"lora a", b"lora b"
    add_lora(env, 700004, first, name="Ink Style")
    add_lora(env, 700005, second)
    env.place("Lora", "a.safetensors", first)
    env.place("Lora", "b.safetensors", second)
    env.place("Lora", "a_copy.safetensors", first)
    result = env.scan.scan(ScanOptions(register=True))
    assert result["registered"] == 2
    assert env.library.query.exists(700004) and env.library.query.exists(700005)
    assert env.library.get_shortcut(700004) is not None
    assert len(env.api_requests()) == 2  # no /models/{id} per model
    assert env.scan.scan(ScanOptions(register=True))["registered"] == 0


def test_move_takes_every_sidecar_along(env):
    env.settings = env.settings.replace(folder_rule="model")
    data = b"lora weights to move"
    add_lora(env, 700006, data, name="Moving Style")
    path = env.place("Lora", "loose.safetensors", data)
    extras = [".civitai.info", ".preview.png", ".png", ".json", ".txt", ".description.txt"]
    for suffix in extras:
        path.with_name("loose" + suffix).write_text(suffix)
    result = env.scan.scan(ScanOptions(move=True))
    target = env.models / "Lora" / "Moving Style"
    assert result["moved"] == 1 and result["matched"][0]["moved_to"] == str(target / "loose.safetensors")
    assert sorted(p.name for p in target.iterdir()) == sorted(["loose.safetensors"] + ["loose" + s for s in extras])
    assert (target / "loose.json").read_text() == ".json"
    assert not any(p.name.startswith("loose") for p in (env.models / "Lora").iterdir() if p.is_file())
    store = env.library.store
    assert store.local_file(path) is None and store.local_file(target / "loose.safetensors").version_id == 7000061
    again = env.scan.scan(ScanOptions(move=True))
    assert again["moved"] == 0 and again["hash"]["from_library"] == 1


def test_move_never_overwrites(env):
    env.settings = env.settings.replace(folder_rule="model")
    data = b"lora weights blocked"
    add_lora(env, 700007, data, name="Blocked")
    path = env.place("Lora", "x.safetensors", data)
    path.with_name("x.preview.png").write_bytes(png_bytes(1))
    taken = env.models / "Lora" / "Blocked" / "x.preview.png"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's")
    result = env.scan.scan(ScanOptions(move=True))
    assert result["moved"] == 0 and "already exists" in result["errors"][0]["error"]
    assert path.exists() and path.with_name("x.preview.png").exists() and taken.read_bytes() == b"someone else's"
    assert not (taken.parent / "x.safetensors").exists()


def test_type_rule_keeps_the_users_subfolders(env):
    data = b"organised by the user"
    add_lora(env, 700008, data)
    path = env.place("Lora/styles/ink", "ink.safetensors", data)
    result = env.scan.scan(ScanOptions(move=True))
    assert result["moved"] == 0 and result["errors"] == [] and path.exists()


def test_rescan_hashes_nothing_and_forgets_deleted_files(env):
    data = b"lora weights kept"
    add_lora(env, 700009, data)
    kept = env.place("Lora", "kept.safetensors", data)
    gone = env.place("Lora", "gone.safetensors", b"about to be deleted")
    env.scan.scan(ScanOptions())
    gone.unlink()
    env.server.requests.clear()
    result = env.scan.scan(ScanOptions())
    assert result["hash"] == {"files": 1, "from_library": 1, "from_webui": 0, "hashed": 0, "bytes_hashed": 0}
    assert result["forgotten"] == 1 and env.library.store.local_file(gone) is None
    assert env.library.store.local_file(kept).model_id == 700009
    assert len(env.api_requests()) == 2


def test_archived_model_missing_from_lists_costs_one_extra_request(env):
    """Civitai drops archived models from /models lists; /models/{id} still has them."""
    data = b"archived lora"
    add_lora(env, 700010, data, mode="Archived")
    env.place("Lora", "old.safetensors", data)
    result = env.scan.scan(ScanOptions())
    assert [m["model_id"] for m in result["matched"]] == [700010]
    assert [r.path for r in env.api_requests()] == [
        "/api/v1/model-versions/by-hash/ids", "/api/v1/models", "/api/v1/model-versions/7000101",
        "/api/v1/models/700010"]


def test_scan_job_result_and_civitai_outage(env):
    data = b"lora for the job"
    add_lora(env, 700011, data)
    env.place("Lora", "job.safetensors", data)
    jobs = JobManager(env.db)
    jobs.register("scan", env.scan.run_job)
    jobs.start()
    try:
        view = jobs.wait(jobs.submit("scan", {"write_info": True}, title="scan"), timeout=20)
        assert view.state == "done", view.error
        assert view.result["matched"][0]["model_id"] == 700011 and view.result["matched"][0]["sidecars"]
        env.server.script(r"/by-hash/ids", status=503, body={"error": "down"}, times=None)
        failed = jobs.wait(jobs.submit("scan", {}, title="scan"), timeout=20)
    finally:
        jobs.stop()
    assert failed.state == "failed" and failed.error_code == "unavailable", failed.error
