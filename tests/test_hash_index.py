"""The hash engine: each file read at most once per version, WebUI hashes reused and written back."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.host.webui_hash_cache import read_entry
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.library.store import ShortcutStore
from civitai_shortcut_core.services.hash_index import HashIndex
from civitai_shortcut_core.services.jobs import Cancelled, JobManager
from civitai_shortcut_core.services.model_files import (
    ModelFile,
    find_model_files,
    scan_roots,
)
from civitai_shortcut_core.settings import Settings

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "webui_cache"
MTIME = 1700000000.5


@pytest.fixture
def env(tmp_path):
    """A WebUI folder with the real diskcache store, a library, and a hash index over both."""
    webui = tmp_path / "webui"
    shutil.copytree(FIXTURE / "cache", webui / "cache")
    (webui / "models").mkdir()
    host = StandaloneHost(tmp_path / "data", webui_dir=webui)
    db = Database(tmp_path / "data" / "library.sqlite3")
    store = ShortcutStore(db, tmp_path / "data")
    index = HashIndex(host, store, workers=2, block=64 * 1024)
    yield index, webui, store
    db.close()


def put(path: Path, data: bytes, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def test_cold_hash_records_library_and_webui_cache(env):
    index, webui, store = env
    data = {name: os.urandom(200_000 + i) for i, name in enumerate(("a", "b", "c"))}
    for name, payload in data.items():
        put(webui / "models" / "Lora" / f"{name}.safetensors", payload)
    progress = []
    results = index.hash_files(index.model_files(), progress=lambda d, t, m: progress.append((d, t)))
    assert [(r.path.stem, r.source, r.sha256) for r in results] == [(n, "hashed", sha(p)) for n, p in data.items()]
    assert progress[-1] == (sum(len(p) for p in data.values()),) * 2
    row = store.local_file(webui / "models" / "Lora" / "a.safetensors")
    assert row.sha256 == sha(data["a"]) and row.size == 200_000
    entry = read_entry(webui / "cache" / "hashes" / "cache.db", "lora/a")
    assert entry["sha256"] == sha(data["a"]).lower()
    assert entry["mtime"] == os.path.getmtime(webui / "models" / "Lora" / "a.safetensors")


def test_warm_rescan_reads_no_file(env):
    """Same size and mtime_ns: the library's hash is trusted, so swapped bytes go unnoticed (by design)."""
    index, webui, _ = env
    path = put(webui / "models" / "VAE" / "v.safetensors", b"x" * 1000)
    first = index.hash_files(index.model_files())
    stat = path.stat()
    path.write_bytes(b"y" * 1000)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = index.hash_files(index.model_files())
    assert again[0].source == "library" and again[0].sha256 == first[0].sha256 == sha(b"x" * 1000)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    changed = index.hash_files(index.model_files())
    assert changed[0].source == "hashed" and changed[0].sha256 == sha(b"y" * 1000)


def test_files_the_webui_hashed_are_not_read(env):
    """The fixture's hash for lora/tiny is not the hash of these bytes: only the cache can say it."""
    index, webui, store = env
    put(webui / "models" / "Lora" / "tiny.safetensors", b"not what was hashed", MTIME)
    put(webui / "embeddings" / "emb.pt", b"nor this", MTIME)
    results = index.hash_files(index.model_files())
    assert {r.path.name: (r.source, r.sha256) for r in results} == {
        "tiny.safetensors": ("webui", hashlib.sha256(b"lora").hexdigest().upper()),
        "emb.pt": ("webui", hashlib.sha256(b"embedding").hexdigest().upper()),
    }
    assert store.local_file(webui / "models" / "Lora" / "tiny.safetensors").sha256 == \
        hashlib.sha256(b"lora").hexdigest().upper()
    assert index.hash_files(index.model_files())[0].source == "library"


def test_known_civitai_mapping_survives_a_touch_but_not_new_content(env):
    index, webui, store = env
    path = put(webui / "models" / "Lora" / "m.safetensors", b"model", MTIME)
    [first] = index.hash_files(index.model_files())
    store.record_local_file(path, size=first.size, mtime_ns=first.mtime_ns, sha256=first.sha256,
                            version_id=11, model_id=1)
    os.utime(path, (MTIME + 5, MTIME + 5))
    [touched] = index.hash_files(index.model_files())
    assert touched.source == "hashed" and (touched.version_id, touched.model_id) == (11, 1)
    assert store.local_file(path).version_id == 11
    put(path, b"other model", MTIME + 10)
    [replaced] = index.hash_files(index.model_files())
    assert replaced.version_id is None and store.local_file(path).version_id is None


def test_vanished_file_is_an_error_not_a_failed_scan(env, tmp_path):
    index, webui, _ = env
    good = put(webui / "models" / "VAE" / "good.safetensors", b"ok")
    gone = ModelFile(tmp_path / "gone.safetensors", "VAE", tmp_path, 5, 1)
    live = index.model_files()
    results = index.hash_files([gone] + live)
    assert results[0].source == "error" and "gone.safetensors" in results[0].error
    assert results[1].path == good and results[1].sha256 == sha(b"ok")


def test_cancel_stops_every_thread_and_keeps_finished_hashes(env):
    index, webui, store = env
    for i in range(4):
        put(webui / "models" / "Stable-diffusion" / f"{i}.safetensors", os.urandom(2_000_000))
    files = index.model_files()
    progress = []
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 10:
            raise Cancelled()

    with pytest.raises(Cancelled):
        index.hash_files(files, check=check, progress=lambda d, t, m: progress.append(d))
    total = sum(f.size for f in files)
    assert progress and progress[-1] < total
    recorded = [f for f in files if store.local_file(f.path) is not None]
    assert len(recorded) < len(files)


def test_hash_job_reports_bytes_and_sources(env):
    index, webui, store = env
    put(webui / "models" / "Lora" / "tiny.safetensors", b"cached by the webui", MTIME)
    put(webui / "models" / "Lora" / "fresh.safetensors", b"fresh bytes")
    jobs = JobManager(store.db)
    jobs.register("hash", index.run_job)
    jobs.start()
    try:
        view = jobs.wait(jobs.submit("hash", {}, title="hash"), timeout=10)
    finally:
        jobs.stop()
    assert view.state == "done", view.error
    assert view.result == {"files": 2, "from_library": 0, "from_webui": 1, "hashed": 1,
                           "bytes_hashed": len(b"fresh bytes"), "errors": []}
    assert view.unit == "bytes" and view.done == len(b"fresh bytes")


def test_model_walk_claims_each_file_once_with_its_folder_type(tmp_path):
    models = tmp_path / "models"
    host = StandaloneHost(tmp_path / "data", models_dir=models)
    put(models / "Lora" / "a.safetensors", b"1")
    put(models / "LyCORIS" / "sub" / "b.pt", b"1")
    put(models / "Lora" / "notes.txt", b"1")
    put(models / "Lora" / "c.safetensors.part", b"1")
    put(models / "Lora" / ".hidden.safetensors", b"1")
    put(models / "Lora" / "empty.safetensors", b"")
    put(models / "Lora" / "pack.zip", b"1")
    put(models / "Poses" / "pose.zip", b"1")
    put(models / "Stable-diffusion" / "x.GGUF", b"1")
    put(tmp_path / "mine" / "up.pth", b"1")
    settings = Settings(extra_folders=f"upscaler={tmp_path / 'mine'}")
    found = {f.path.relative_to(tmp_path).as_posix(): f.model_type
             for f in find_model_files(scan_roots(host, settings))}
    assert found == {
        "models/Lora/a.safetensors": "LORA",
        "models/LyCORIS/sub/b.pt": "LORA",
        "models/Poses/pose.zip": "Poses",
        "models/Stable-diffusion/x.GGUF": "Checkpoint",
        "mine/up.pth": "Upscaler",
    }


def test_nested_root_keeps_its_own_type(tmp_path):
    outer = tmp_path / "models"
    put(outer / "Lora" / "l.safetensors", b"1")
    put(outer / "top.safetensors", b"1")
    found = {f.path.name: f.model_type for f in find_model_files([("Checkpoint", outer), ("LORA", outer / "Lora")])}
    assert found == {"l.safetensors": "LORA", "top.safetensors": "Checkpoint"}


def test_symlink_loop_does_not_hang_the_walk(tmp_path):
    root = tmp_path / "Lora"
    put(root / "a.safetensors", b"1")
    os.symlink(root, root / "loop")
    found = find_model_files([("LORA", root)])
    assert [f.path.name for f in found] == ["a.safetensors"]


class RecordingHost:
    """The standalone host, recording what the hash engine asks of its WebUI cache."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def cached_sha256(self, path, model_type):
        self.calls.append(("get", Path(path).name))
        return self.inner.cached_sha256(path, model_type)

    def store_sha256(self, path, model_type, sha256):
        self.calls.append(("store", Path(path).name))
        return self.inner.store_sha256(path, model_type, sha256)


def test_types_without_a_webui_title_never_touch_the_webui_cache(env):
    """The WebUI keys its loaded VAE as plain "vae": a per-file VAE entry would answer for any VAE."""
    index, webui, store = env
    host = RecordingHost(index.host)
    index = HashIndex(host, store, workers=2)
    put(webui / "models" / "VAE" / "v.safetensors", b"vae")
    put(webui / "models" / "ControlNet" / "c.pth", b"controlnet")
    put(webui / "models" / "Lora" / "l.safetensors", b"lora")
    assert [r.source for r in index.hash_files(index.model_files())] == ["hashed"] * 3
    assert sorted(host.calls) == [("get", "l.safetensors"), ("store", "l.safetensors")]
