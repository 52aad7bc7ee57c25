"""The WebUI's diskcache hash store, read and written without diskcache, and the WebUI's titles.

``tests/fixtures/webui_cache/cache`` was made by the real diskcache 5.6.3 (``make_cache.py``),
so the reader is proven against the real format, not against our own idea of it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from civitai_shortcut_core.host.hash_titles import webui_title
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.host.webui_hash_cache import (
    UnsafePickle,
    WebUIHashCache,
    loads_plain,
    read_entry,
    write_entry,
)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "webui_cache"
spec = importlib.util.spec_from_file_location("make_cache", FIXTURE / "make_cache.py")
make_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_cache)
ENTRIES, ADDNET, MTIME = make_cache.ENTRIES, make_cache.ADDNET, make_cache.MTIME


@pytest.fixture
def webui(tmp_path) -> Path:
    """A WebUI folder with the real diskcache store and one file per cached title."""
    root = tmp_path / "webui"
    shutil.copytree(FIXTURE / "cache", root / "cache")
    files = {
        "ckpt": root / "models" / "Stable-diffusion" / "sub" / "dreamy.safetensors",
        "lora": root / "models" / "Lora" / "tiny.safetensors",
        "stale": root / "models" / "Lora" / "stale.safetensors",
        "emb": root / "embeddings" / "emb.pt",
        "hyper": root / "models" / "hypernetworks" / "hyper.pt",
        "evil": root / "models" / "Stable-diffusion" / "evil.safetensors",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"model bytes")
        os.utime(path, (MTIME, MTIME))
    return root


def host_for(webui: Path, tmp_path: Path) -> StandaloneHost:
    return StandaloneHost(tmp_path / "data", webui_dir=webui)


def test_standalone_host_reads_hashes_the_webui_cached(webui, tmp_path):
    host = host_for(webui, tmp_path)
    sd = webui / "models" / "Stable-diffusion"
    assert host.cached_sha256(sd / "sub" / "dreamy.safetensors", "Checkpoint") == \
        ENTRIES["checkpoint/sub/dreamy.safetensors"]["sha256"].upper()
    assert host.cached_sha256(webui / "models" / "Lora" / "tiny.safetensors", "LORA") == \
        ENTRIES["lora/tiny"]["sha256"].upper()
    assert host.cached_sha256(webui / "embeddings" / "emb.pt", "TextualInversion") == \
        ENTRIES["textual_inversion/emb"]["sha256"].upper()
    assert host.cached_sha256(webui / "models" / "hypernetworks" / "hyper.pt", "Hypernetwork") == \
        ENTRIES["hypernet/hyper"]["sha256"].upper()


def test_file_changed_after_hashing_is_not_trusted(webui, tmp_path):
    """modules.hashes: an entry counts only while the file's mtime is <= the cached mtime."""
    host = host_for(webui, tmp_path)
    lora = webui / "models" / "Lora" / "tiny.safetensors"
    os.utime(lora, (MTIME + 1, MTIME + 1))
    assert host.cached_sha256(lora, "LORA") is None
    os.utime(lora, (MTIME - 100, MTIME - 100))  # older than the entry: still the hashed file
    assert host.cached_sha256(lora, "LORA") is not None
    assert host.cached_sha256(webui / "models" / "Lora" / "stale.safetensors", "LORA") is None


def test_addnet_subsection_is_never_read(webui, tmp_path):
    """A1111's hashes-addnet holds a tensor-data hash; Civitai's SHA256 lookup would not match it."""
    host = host_for(webui, tmp_path)
    lora = webui / "models" / "Lora" / "tiny.safetensors"
    assert host.cached_sha256(lora, "LORA") != ADDNET["lora/tiny"]["sha256"].upper()
    (webui / "cache" / "hashes" / "cache.db").unlink()
    assert (webui / "cache" / "hashes-addnet" / "cache.db").exists()
    assert host.cached_sha256(lora, "LORA") is None


def test_pickled_globals_are_refused_not_run(webui, tmp_path, caplog):
    host = host_for(webui, tmp_path)
    evil = webui / "models" / "Stable-diffusion" / "evil.safetensors"
    assert host.cached_sha256(evil, "Checkpoint") is None  # the fixture stored a datetime
    assert "refusing to load datetime.datetime" in caplog.text

    class Boom:
        def __reduce__(self):
            return (os.remove, (str(evil),))

    with pytest.raises(UnsafePickle):
        loads_plain(pickle.dumps(Boom()))
    assert evil.exists()
    assert loads_plain(pickle.dumps({"mtime": 1.5, "sha256": "ab" * 32})) == {"mtime": 1.5, "sha256": "ab" * 32}


def test_store_writes_a_row_exactly_like_diskcache(webui, tmp_path):
    """The row layout, checked against a row the real library wrote into the fixture."""
    host = host_for(webui, tmp_path)
    db = webui / "cache" / "hashes" / "cache.db"
    new = webui / "models" / "Lora" / "new_one.safetensors"
    new.write_bytes(b"x")
    host.store_sha256(new, "LORA", "AB" * 32)
    conn = sqlite3.connect(db)
    cols = "raw, typeof(key), expire_time, access_count, tag, size, mode, filename"
    ours = conn.execute(f"SELECT {cols}, value FROM Cache WHERE key = 'lora/new_one'").fetchone()
    theirs = conn.execute(f"SELECT {cols} FROM Cache WHERE key = 'lora/tiny'").fetchone()
    assert ours[:-1] == theirs == (1, "text", None, 0, None, 0, 4, None)
    assert ours[-1] == pickle.dumps({"mtime": os.path.getmtime(new), "sha256": "ab" * 32}, protocol=5)
    count = conn.execute("SELECT value FROM Settings WHERE key = 'count'").fetchone()[0]
    assert count == conn.execute("SELECT COUNT(*) FROM Cache").fetchone()[0] == len(ENTRIES) + 2
    conn.close()
    assert host.cached_sha256(new, "LORA") == "AB" * 32
    # replacing keeps one row per title
    host.store_sha256(new, "LORA", "CD" * 32)
    assert read_entry(db, "lora/new_one")["sha256"] == "cd" * 32
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM Cache WHERE key='lora/new_one'").fetchone()[0] == 1


@pytest.mark.skipif(importlib.util.find_spec("diskcache") is None, reason="diskcache is not installed here")
def test_real_diskcache_reads_what_we_wrote(webui):
    import diskcache

    db = webui / "cache" / "hashes" / "cache.db"
    write_entry(db, "lora/ours", {"mtime": 2.5, "sha256": "ef" * 32})
    cache = diskcache.Cache(str(db.parent))
    try:
        assert cache["lora/ours"] == {"mtime": 2.5, "sha256": "ef" * 32}
        cache.check()
    finally:
        cache.close()


def test_no_store_means_no_cache_and_nothing_created(tmp_path):
    root = tmp_path / "webui"
    (root / "models" / "Lora").mkdir(parents=True)
    lora = root / "models" / "Lora" / "a.safetensors"
    lora.write_bytes(b"x")
    host = StandaloneHost(tmp_path / "data", webui_dir=root)
    assert host.cached_sha256(lora, "LORA") is None
    host.store_sha256(lora, "LORA", "AB" * 32)
    assert not (root / "cache").exists()


def test_legacy_cache_json_is_read_when_there_is_no_store(tmp_path):
    """WebUI 1.8 and older keep ``cache.json``; only its "hashes" section is a file SHA-256."""
    root = tmp_path / "webui"
    (root / "models" / "Lora").mkdir(parents=True)
    lora = root / "models" / "Lora" / "old.safetensors"
    lora.write_bytes(b"x")
    os.utime(lora, (MTIME, MTIME))
    (root / "cache.json").write_text(json.dumps({
        "hashes": {"lora/old": {"mtime": MTIME, "sha256": "12" * 32}},
        "hashes-addnet": {"lora/old": {"mtime": MTIME, "sha256": "34" * 32}},
    }))
    cache = WebUIHashCache(root / "cache", dict)
    assert cache.get(lora, "LORA") == "12" * 32
    assert cache.put(lora, "LORA", "56" * 32) is False  # never rewrites the legacy file


def test_malformed_entries_are_ignored(webui):
    db = webui / "cache" / "hashes" / "cache.db"
    write_entry(db, "lora/short", {"mtime": 1.0, "sha256": "abc"})
    write_entry(db, "lora/nothex", {"mtime": 1.0, "sha256": "zz" * 32})
    assert read_entry(db, "lora/short") is None
    assert read_entry(db, "lora/nothex") is None
    assert read_entry(db, "lora/missing") is None


SD = Path("/w/models/Stable-diffusion")
CKPT_DIR = Path("/big/ckpts")
FOLDERS = {"Checkpoint": [CKPT_DIR, SD], "LORA": [Path("/w/models/Lora"), Path("/w/models/LyCORIS")]}


@pytest.mark.parametrize("path, model_type, title", [
    (SD / "a.safetensors", "Checkpoint", "checkpoint/a.safetensors"),
    (SD / "sdxl" / "b.ckpt", "Checkpoint", "checkpoint/" + os.path.join("sdxl", "b.ckpt")),
    (CKPT_DIR / "c.safetensors", "Checkpoint", "checkpoint/c.safetensors"),
    (Path("/elsewhere/d.safetensors"), "Checkpoint", "checkpoint/d.safetensors"),
    (Path("/w/models/Stable-diffusion2/e.safetensors"), "Checkpoint", "checkpoint/e.safetensors"),
    (SD / "u.safetensors", "UNet", "checkpoint/u.safetensors"),
    (Path("/w/models/Lora/x/style.v2.safetensors"), "LORA", "lora/style.v2"),
    (Path("/w/models/LyCORIS/l.safetensors"), "LoCon", "lora/l"),
    (Path("/w/embeddings/emb.pt"), "TextualInversion", "textual_inversion/emb"),
    (Path("/w/models/hypernetworks/h.pt"), "Hypernetwork", "hypernet/h"),
    (Path("/w/models/VAE/v.safetensors"), "VAE", None),
    (Path("/w/models/ControlNet/c.pth"), "Controlnet", None),
])
def test_webui_titles(path, model_type, title):
    assert webui_title(path, model_type, FOLDERS) == title
