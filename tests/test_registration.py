"""Registration jobs against the fake Civitai: batches, per-link results, version links,
image caps, safe still thumbnails, info-only, favourites, and a SIGKILL mid-batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from civitai_shortcut_core.civitai import CivitaiClient, ModelRef, NotCivitaiLink
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.registration import RegistrationService
from civitai_testkit import KEY, make_http
from fake_civitai.api_routes import add_model, set_api_key
from library_kit import generated_model, install_cdn, localize, make_library
from PIL import Image

HERE = Path(__file__).parent


@pytest.fixture
def env(civitai, tmp_path):
    """(library, service, jobs, settings holder) wired to the fake server; images_per_version=2."""
    install_cdn(civitai)
    holder = {}
    http, _ = make_http(civitai, images_per_version=2, api_key=KEY, register_concurrency=3)
    holder["settings"] = http.settings
    client = CivitaiClient(http)
    lib = make_library(tmp_path)
    jobs = JobManager(lib.db)
    service = RegistrationService(lib, jobs, lambda: client, lambda: holder["settings"])
    jobs.start()
    yield lib, service, jobs, civitai
    jobs.stop()
    lib.db.close()


def run(jobs, job_id):
    view = jobs.wait(job_id, timeout=30)
    assert view.state == "done", (view.state, view.error)
    return view.result


def test_batch_registers_each_link_and_reports_each_failure(env):
    lib, service, jobs, server = env
    for i in (101, 102, 103):
        add_model(server, generated_model(i, server.url, name=f"Batch {i}"))
    text = (f"look: {server.url}/models/101/some-slug\nhttps://civitai.com/models/102?modelVersionId=10200\n"
            "103\nhttps://civitai.com/models/424242\n")
    result = run(jobs, service.register(text))
    by_id = {r["model_id"]: r for r in result["results"]}
    assert [r["status"] for r in result["results"]] == ["registered", "registered", "registered", "failed"]
    assert by_id[424242]["error_code"] == "not_found" and "no model 424242" in by_id[424242]["error"]
    assert (result["registered"], result["updated"], result["failed"]) == (3, 0, 1)
    assert lib.get_shortcut(102).selected_version_id == 10200, "a version link selects that version"
    assert lib.get_shortcut(101).selected_version_id == 10100
    view = jobs.list(kinds=("register",))[0]
    assert view.done == 4 and view.total == 4 and view.unit == "models"


def test_a_batch_larger_than_the_in_flight_window_registers_every_link(env):
    lib, service, jobs, server = env
    ids = list(range(180, 200))   # 20 links; concurrency 3 keeps at most 12 in flight
    for i in ids:
        add_model(server, generated_model(i, server.url, versions=1, images=1))
    result = run(jobs, service.register(ids, info_only=True))
    assert [r["model_id"] for r in result["results"]] == ids
    assert result["registered"] == 20 and lib.query.count() == 20


def test_images_are_capped_per_version_and_the_thumbnail_is_the_safest_still(env):
    lib, service, jobs, server = env
    add_model(server, generated_model(110, server.url, versions=2, images=4, levels=(8, 4, 1, 2)))
    run(jobs, service.register([110]))
    detail = lib.get_shortcut(110)
    for version in detail.versions:
        kept = [i for i in version.images if i.local_path]
        assert len(kept) == 2, "images_per_version=2"
        for image in kept:
            with Image.open(image.local_path) as im:
                im.verify()
    assert detail.thumb_level == 1
    row = lib.search(text="Generated model 110").items[0]
    assert row.nsfw_level == 1 and row.thumbnail.endswith("thumbs/110.jpg")
    with Image.open(row.thumbnail) as thumb:
        assert thumb.format == "JPEG"
    thumb_requests = [r.path for r in server.requests_to(r"/cdn/") if "/m110-v0-i2/" in r.path]
    assert thumb_requests, "the level-1 image (third of version 0) was fetched for the thumbnail"


def test_videos_are_never_saved_as_images_or_thumbnails(env):
    lib, service, jobs, server = env
    add_model(server, generated_model(120, server.url, versions=1, images=2, levels=(1, 4), video_first=True))
    run(jobs, service.register([120]))
    detail = lib.get_shortcut(120)
    video = detail.versions[0].images[0]
    assert video.media_type == "video" and video.local_path is None
    assert detail.thumb_level == 4, "the only still, even if less safe than the video"
    with Image.open(detail.thumbnail) as thumb:
        thumb.verify()


def test_a_video_only_model_gets_no_thumbnail_rather_than_video_bytes(env):
    """The CDN answers the video's own URL with MP4 bytes (the 2024 ``.jpeg`` quirk).

    On civitai.com the still is asked for with ``anim=false,transcode=true`` (civitai/images.py);
    this server's URLs are not CDN URLs, so here the only answer is video, and it is refused.
    """
    lib, service, jobs, server = env
    add_model(server, generated_model(121, server.url, versions=1, images=1, video_first=True))
    result = run(jobs, service.register([121]))
    assert result["results"][0]["status"] == "registered"
    assert lib.get_shortcut(121).thumbnail is None
    assert not (lib.data_dir / "thumbs" / "121.jpg").exists()
    assert [r.path for r in server.requests_to(r"/cdn/")], "the still was tried"


def test_reregistering_keeps_note_date_and_classifications(env):
    lib, service, jobs, server = env
    add_model(server, generated_model(130, server.url, name="First"))
    run(jobs, service.register([130]))
    registered = lib.get_shortcut(130).registered_at
    lib.set_note(130, "keep me")
    cid = lib.classifications.create("Keep", model_ids=[130])
    add_model(server, generated_model(130, server.url, name="Renamed"))
    before = len(server.requests_to(r"/cdn/"))
    result = run(jobs, service.register([130]))
    assert result["results"][0]["status"] == "updated"
    detail = lib.get_shortcut(130)
    assert (detail.name, detail.note, detail.registered_at) == ("Renamed", "keep me", registered)
    assert detail.classifications == [(cid, "Keep")]
    fetched_again = [r.path for r in server.requests_to(r"/cdn/")][before:]
    assert fetched_again == [], "cached images are not fetched again; the thumbnail is remade from the cache"


def test_info_only_skips_gallery_images_but_makes_a_thumbnail(env):
    lib, service, jobs, server = env
    add_model(server, generated_model(140, server.url))
    run(jobs, service.register([140], info_only=True))
    detail = lib.get_shortcut(140)
    assert all(i.local_path is None for v in detail.versions for i in v.images)
    assert detail.thumbnail and len(server.requests_to(r"/cdn/")) == 1


def test_a_broken_image_does_not_fail_the_model(env):
    _, service, jobs, server = env
    add_model(server, generated_model(150, server.url, versions=1, images=2, levels=(1, 2)))
    server.script(r"/cdn/.*/m150-v0-i1/", status=404, body={"error": "gone"}, times=None)
    result = run(jobs, service.register([150]))
    line = result["results"][0]
    assert line["status"] == "registered" and line["images"] == 1 and line["images_failed"] == 1


def test_version_only_links_and_dropped_files(env, tmp_path):
    lib, service, jobs, server = env
    add_model(server, generated_model(160, server.url))
    add_model(server, generated_model(161, server.url))
    shortcut = tmp_path / "model.url"
    shortcut.write_text("[InternetShortcut]\nURL=https://civitai.com/model-versions/16001\n")
    notes = tmp_path / "links.txt"
    notes.write_text("https://civitai.com/models/161\n")
    result = run(jobs, service.register_files([shortcut, notes]))
    assert [(r["model_id"], r["version_id"], r["status"]) for r in result["results"]] == [
        (160, 16001, "registered"), (161, None, "registered")]
    assert lib.get_shortcut(160).selected_version_id == 16001
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here")
    with pytest.raises(NotCivitaiLink):
        service.register_files([empty])
    with pytest.raises(NotCivitaiLink):
        service.register("no links at all")


def test_fixture_models_of_every_type_register_offline(env):
    import json
    lib, service, jobs, server = env
    fixtures = HERE / "fake_civitai" / "fixtures" / "civitai" / "models"
    for path in fixtures.glob("*.json"):
        add_model(server, localize(json.loads(path.read_text("utf-8")), server.url))
    result = run(jobs, service.register([ModelRef(4384), ModelRef(1580878), ModelRef(990103), ModelRef(990104)]))
    assert [r["status"] for r in result["results"]] == ["registered"] * 4
    assert all(r.thumbnail for r in lib.search(per_page=10).items)


def test_import_favourites_with_the_api_key(env):
    _, service, jobs, server = env
    set_api_key(server, KEY)
    for i in (170, 171):
        add_model(server, generated_model(i, server.url))
    server.state["favorites"] = [170, 171]
    result = run(jobs, service.import_favorites(info_only=True))
    assert sorted(r["model_id"] for r in result["results"]) == [170, 171]
    assert all(r["status"] == "registered" for r in result["results"])


# -- kill safety --------------------------------------------------------------------------
def test_sigkill_mid_registration_loses_nothing_committed(civitai, tmp_path):
    """The child registers 40 models slowly; we SIGKILL it once some are committed."""
    install_cdn(civitai)
    for i in range(200, 240):
        add_model(civitai, generated_model(i, civitai.url, versions=1, images=1))
    civitai.latency = 0.05
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "scripts"), str(HERE)])}
    child = subprocess.Popen([sys.executable, str(HERE / "library_child.py"), str(data), civitai.url, "200", "240"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db_path = data / "library.sqlite3"
    deadline = time.monotonic() + 30
    committed = 0
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if db_path.exists():
                try:
                    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
                        committed = conn.execute("SELECT COUNT(*) FROM model").fetchone()[0]
                except sqlite3.OperationalError:
                    committed = 0  # schema not created yet
            if committed >= 3:
                break
            time.sleep(0.01)
        assert child.poll() is None, child.stderr.read().decode()
        assert committed >= 3
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    lib = make_library(tmp_path)
    conn = lib.db.read()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = lib.query.ids()
    assert committed <= len(ids) < 40, "killed mid-batch, nothing committed was lost"
    for model_id in ids:
        detail = lib.get_shortcut(model_id)
        assert detail.versions and detail.raw["id"] == model_id and detail.name == f"Generated model {model_id}"
    row = conn.execute("SELECT id, state FROM job WHERE kind = 'register'").fetchone()
    assert row["state"] == "running", "the row still says running: the process died"
    jobs = JobManager(lib.db)
    jobs.start()   # no handler registered here: the recovered job stays queued
    try:
        assert jobs.get(row["id"]).state == "queued"
    finally:
        jobs.stop()
