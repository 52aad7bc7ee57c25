"""Upkeep: offline backfill of LoRA metadata and previews, duplicates, orphan sidecars, refresh."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from civitai_shortcut_core.host.base import MODEL_EXTENSIONS
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.local_sidecars import version_info
from civitai_shortcut_core.services.maintenance import Maintenance
from civitai_shortcut_core.services.registration import RegistrationService
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model, png_bytes
from PIL import Image
from scan_env import ScanEnv


@pytest.fixture
def env(tmp_path, civitai):
    env = ScanEnv(tmp_path, civitai)
    env.maintenance = Maintenance(host=env.host, library=env.library, settings=lambda: env.settings,
                                  model_extensions=MODEL_EXTENSIONS)
    yield env
    env.close()


def lora(env, model_id: int, name: str, data: bytes, *, info: bool = False, shortcut: bool = False):
    """A LoRA file on disk recorded as downloaded; optionally with its .civitai.info or as a shortcut."""
    sha = hashlib.sha256(data).hexdigest().upper()
    raw = generated_model(env.server.url, model_id, versions=[[(model_id * 100, name, sha)]])
    path = env.place("Lora", name, data)
    version = raw["modelVersions"][0]
    if info:
        path.with_suffix(".civitai.info").write_text(json.dumps(version_info(raw, version)), encoding="utf-8")
    if shortcut:
        env.library.store.upsert_model(raw)
    stat = path.stat()
    env.library.store.record_local_file(path, size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=sha,
                                        version_id=version["id"], model_id=model_id)
    return path, raw


def test_metadata_backfill_uses_info_files_and_library_json_without_requests(env):
    from_info, _ = lora(env, 900001, "from_info.safetensors", b"one", info=True)
    from_library, _ = lora(env, 900002, "from_library.safetensors", b"two", shortcut=True)
    edited, _ = lora(env, 900003, "edited.safetensors", b"three", info=True)
    edited.with_suffix(".json").write_text(json.dumps({"activation text": "mine", "sd version": ""}), encoding="utf-8")
    unknown, _ = lora(env, 900004, "unknown.safetensors", b"four")  # no info, not a shortcut
    env.server.requests.clear()
    result = env.maintenance.backfill(previews=False)
    assert sorted(result["metadata"]) == sorted(map(str, (from_info, from_library, edited)))
    assert env.server.requests == []
    assert json.loads(from_info.with_suffix(".json").read_text())["activation text"] == "word900001"
    assert json.loads(from_library.with_suffix(".json").read_text())["activation text"] == "word900002"
    kept = json.loads(edited.with_suffix(".json").read_text())
    assert kept["activation text"] == "mine" and kept["sd version"] == "SDXL"
    assert not unknown.with_suffix(".json").exists()
    assert env.maintenance.backfill(previews=False)["metadata"] == []


def test_preview_repair_from_cached_images_only(env):
    missing, raw = lora(env, 900005, "missing.safetensors", b"five", shortcut=True)
    broken, raw_b = lora(env, 900006, "broken.safetensors", b"six", shortcut=True)
    users, raw_u = lora(env, 900007, "users.safetensors", b"seven", shortcut=True)
    for r in (raw, raw_b, raw_u):
        url = r["modelVersions"][0]["images"][0]["url"]
        rel = env.library.media.save_image(r["id"], r["modelVersions"][0]["id"], url, png_bytes(r["id"]))
        env.library.store.set_image_path(r["id"], url, rel)
    broken.with_name("broken.preview.png").write_bytes(b"<html>not an image</html>")
    users.with_name("users.jpg").write_bytes(b"the user's own picture")
    env.server.requests.clear()
    result = env.maintenance.backfill(metadata=False)
    assert sorted(result["previews"]) == sorted([str(missing), str(broken)]) and result["errors"] == []
    assert env.server.requests == []
    assert Image.open(missing.with_name("missing.preview.png")).size == (16, 16)
    assert Image.open(broken.with_name("broken.preview.png")).size == (16, 16)
    assert not users.with_name("users.preview.png").exists()
    assert users.with_name("users.jpg").read_bytes() == b"the user's own picture"


def test_duplicates_by_hash(env):
    first, _ = lora(env, 900008, "a.safetensors", b"same bytes")
    second = env.place("Lora/copies", "a_copy.safetensors", b"same bytes")
    stat = second.stat()
    env.library.store.record_local_file(second, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                                        sha256=hashlib.sha256(b"same bytes").hexdigest())
    lora(env, 900009, "b.safetensors", b"other bytes")
    [group] = env.maintenance.duplicates()
    assert group["paths"] == sorted([str(first), str(second)]) and group["model_id"] == 900008
    second.unlink()
    assert env.maintenance.duplicates() == []


def test_orphan_sidecars_are_found_and_deleted_on_request(env):
    folder = env.models / "Lora"
    for name in ("gone.civitai.info", "gone.preview.png", "gone.json", "gone.txt",
                 "kept.SAFETENSORS", "kept.civitai.info", "kept.preview.png", "wallpaper.png", "notes.json"):
        env.place("Lora", name, b"x")
    env.place("Stable-diffusion/sub", "old.preview.jpg", b"x")
    orphans = env.maintenance.orphan_sidecars()
    assert orphans == [
        {"stem": str(folder / "gone"), "files": sorted(str(folder / n) for n in
                                                       ("gone.civitai.info", "gone.preview.png", "gone.json", "gone.txt"))},
        {"stem": str(env.models / "Stable-diffusion" / "sub" / "old"),
         "files": [str(env.models / "Stable-diffusion" / "sub" / "old.preview.jpg")]},
    ]
    env.place("Stable-diffusion/sub", "old.ckpt", b"the model came back")
    deleted = env.maintenance.delete_orphans([o["stem"] for o in orphans])
    assert len(deleted) == 4 and not (folder / "gone.json").exists()
    assert (env.models / "Stable-diffusion" / "sub" / "old.preview.jpg").exists()
    assert (folder / "wallpaper.png").exists() and (folder / "kept.civitai.info").exists()


def test_refresh_keeps_notes_and_skips_fresh_shortcuts(env):
    jobs = JobManager(env.db)
    env.maintenance.registration = RegistrationService(env.library, jobs, lambda: env.client, lambda: env.settings)
    stale = generated_model(env.server.url, 900010, versions=[[(90001000, "s.safetensors", "AB" * 32)]], image=None)
    fresh = generated_model(env.server.url, 900011, versions=[[(90001100, "f.safetensors", "CD" * 32)]], image=None)
    long_ago = time.time() - 30 * 86400
    env.library.store.upsert_model(stale, now=long_ago, registered_at=long_ago, note="my note")
    env.library.store.upsert_model(fresh)
    stale["name"] = "Renamed On Civitai"
    add_model(env.server, stale)
    add_model(env.server, fresh)
    assert env.maintenance.stale_shortcuts(older_than_days=7) == [900010]
    jobs.start()
    try:
        job = env.maintenance.refresh_shortcuts(older_than_days=7)
        view = jobs.wait(job, timeout=20)
    finally:
        jobs.stop()
    assert view.state == "done", view.error
    assert [r.path for r in env.api_requests()] == ["/api/v1/models/900010"]
    detail = env.library.get_shortcut(900010)
    assert detail.name == "Renamed On Civitai" and detail.note == "my note"
    assert env.maintenance.refresh_shortcuts(older_than_days=7) is None
