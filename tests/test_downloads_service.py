"""The download queue: plan, jobs, join, names, sidecars, pause/cancel that really stop the transfer."""

from __future__ import annotations

import io
import json

import pytest
from civitai_shortcut_core.civitai import errors as cerr
from civitai_shortcut_core.files import errors as ferr
from download_testkit import file_json, make_rig, model_json, payload, poll, sha
from fake_civitai import FIXTURES, Response
from fake_civitai.api_routes import add_model
from fake_civitai.download_routes import Corrupt, Cut, Drip, downloads
from PIL import Image

MID, VID, FID = 990_700, 9_907_001, 9_970_001


@pytest.fixture
def files(civitai):
    return downloads(civitai)


@pytest.fixture
def rig(tmp_path, civitai):
    rig = make_rig(tmp_path, civitai.url)
    yield rig
    rig.close()


def _jpeg(color=(200, 30, 30), size=(96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\0" * 200


@pytest.fixture
def cdn(civitai):
    """A fake image CDN: ``.../<params>/<name>``; ``video*`` and ``*.mp4`` names answer MP4 bytes.

    (Still URLs for videos are rewritten only for Civitai's CDN hosts, not this one, so a
    video here really answers video bytes, which must never become a preview.)
    """
    seen = []

    def handler(req):
        seen.append(req.path)
        name = req.path.rsplit("/", 1)[-1]
        if name.startswith("video") or name.endswith(".mp4"):
            return Response(200, MP4, {"Content-Type": "image/jpeg"})
        return Response(200, _jpeg(), {"Content-Type": "image/jpeg"})

    civitai.script(r"^/cdn/", handler=handler, times=None)
    return seen


def _image(civitai, name, *, kind="image", level=1):
    return {"url": f"{civitai.url}/cdn/xG1n/uuid-{name}/original=true/{name}", "type": kind, "nsfwLevel": level,
            "width": 96, "height": 64}


def _single(files, civitai, *, name="ink wash.safetensors", size=120_000, seed=1, images=(), **model):
    data = payload(size, seed)
    files.add(version_id=VID, file_id=FID, name=name, payload=data)
    return data, model_json(model_id=MID, version_id=VID, files=[file_json(FID, name, data)],
                            images=list(images), **model)


def test_enqueue_downloads_the_primary_file_with_sidecars_and_records_it(rig, files, civitai, cdn):
    images = [_image(civitai, "nsfw.jpeg", level=16), _image(civitai, "video-2024.jpeg"),
              _image(civitai, "clip.mp4", kind="video"), _image(civitai, "3.jpeg")]
    data, model = _single(files, civitai, images=images)
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "done", view.error
    lora = rig.host.folder_for_type("LORA").resolve()
    final = lora / "ink wash.safetensors"
    assert final.read_bytes() == data
    assert view.result["path"] == str(final) and view.result["sha256"] == sha(data)
    assert view.result["warnings"] == []
    # .civitai.info: the version JSON with the local name
    info = json.loads((lora / "ink wash.civitai.info").read_text(encoding="utf-8"))
    assert info["id"] == VID and info["files"][0]["name"] == "ink wash.safetensors"
    # .preview.png: a real PNG, re-encoded; the NSFW image was skipped and the mislabelled video refused
    preview = Image.open(lora / "ink wash.preview.png")
    assert preview.format == "PNG" and preview.size == (96, 64)
    assert [p.rsplit("/", 1)[-1] for p in cdn] == ["video-2024.jpeg", "clip.mp4", "3.jpeg"]
    # .json: WebUI metadata
    meta = json.loads((lora / "ink wash.json").read_text(encoding="utf-8"))
    assert meta["activation text"] == "inkwash, sumi-e style" and meta["sd version"] == "SDXL"
    assert meta["notes"] == f"{civitai.url}/models/{MID}?modelVersionId={VID}"
    assert meta["description"] == "Ink wash style."
    # recorded for the library
    assert rig.recorded == [{"path": str(final), "size": len(data), "mtime_ns": final.stat().st_mtime_ns,
                             "sha256": sha(data), "version_id": VID, "model_id": MID}]
    assert sorted(p.name for p in lora.iterdir()) == ["ink wash.civitai.info", "ink wash.json",
                                                     "ink wash.preview.png", "ink wash.safetensors"]


def test_sidecar_settings_are_honoured_and_user_preview_kept(rig, files, civitai, cdn):
    _data, model = _single(files, civitai, images=[_image(civitai, "1.jpeg")])
    lora = rig.host.folder_for_type("LORA").resolve()
    lora.mkdir(parents=True)
    (lora / "ink wash.png").write_bytes(_jpeg((1, 2, 3)))  # the user's own preview
    rig.settings.value = rig.settings.value.replace(write_info_sidecar=False, write_webui_metadata=False)
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    assert rig.jobs.wait(job_id, timeout=20).state == "done"
    assert sorted(p.name for p in lora.iterdir()) == ["ink wash.png", "ink wash.safetensors"]
    assert cdn == []


def test_hostile_names_stay_inside_the_type_folder(rig, files, civitai):
    data, model = _single(files, civitai, name="../../../evil\\CON.safetensors")
    model["name"] = "../../.."
    (job_id,) = rig.service.enqueue(MID, VID, model=model, rule="model_version")
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "done", view.error
    lora = rig.host.folder_for_type("LORA").resolve()
    final = lora / "model" / "v2.0" / "evil_CON.safetensors"
    assert final.read_bytes() == data and view.result["path"] == str(final)


def test_rename_before_download_is_sanitised_and_keeps_the_extension(rig, files, civitai):
    data, model = _single(files, civitai)
    (job_id,) = rig.service.enqueue(MID, VID, model=model, rename={FID: "my/../ink: final"}, folder="styles/ink")
    view = rig.jobs.wait(job_id, timeout=20)
    final = rig.host.folder_for_type("LORA").resolve() / "styles" / "ink" / "my_ink_ final.safetensors"
    assert view.state == "done" and final.read_bytes() == data


def test_same_name_for_two_files_gives_a_numbered_name(rig):
    """DreamShaper-style versions have two different files with one name (civitai-api.md §3.3)."""
    model = json.loads((FIXTURES / "models" / "990103_clear_vae_constructed.json").read_text(encoding="utf-8"))
    ids = rig.service.enqueue(990103, 9901031, all_files=True, model=model)
    views = [rig.jobs.wait(i, timeout=20) for i in ids]
    assert [v.state for v in views] == ["done", "done"], [v.error for v in views]
    vae = rig.host.folder_for_type("VAE").resolve()
    names = sorted(p.name for p in vae.iterdir() if p.suffix == ".safetensors")
    assert names == ["clearVaeXl_v21 (1).safetensors", "clearVaeXl_v21.safetensors"]
    index = json.loads((FIXTURES / "payloads" / "index.json").read_text(encoding="utf-8"))
    by_file = {v.params["file_id"]: v.result["sha256"] for v in views}
    assert by_file == {fid: index[str(fid)]["sha256"] for fid in (9910311, 9910312)}


def test_a_different_file_under_the_name_moves_the_download_aside(rig, files, civitai):
    data, model = _single(files, civitai)
    lora = rig.host.folder_for_type("LORA").resolve()
    lora.mkdir(parents=True)
    (lora / "ink wash.safetensors").write_bytes(b"the user's own file")
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "done"
    assert (lora / "ink wash.safetensors").read_bytes() == b"the user's own file"
    assert (lora / "ink wash (1).safetensors").read_bytes() == data


def test_already_have_it_when_the_same_file_is_there(rig, files, civitai):
    data, model = _single(files, civitai)
    lora = rig.host.folder_for_type("LORA").resolve()
    lora.mkdir(parents=True)
    (lora / "ink wash.safetensors").write_bytes(data)
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "done" and view.result["already"] is True
    assert civitai.requests_to(r"^/storage/") == []
    assert rig.recorded[0]["sha256"] == sha(data)


def test_second_enqueue_joins_the_active_job(rig, files, civitai):
    _data, model = _single(files, civitai, size=100_000)
    files.fault(FID, Drip(rate=200_000))
    (first,) = rig.service.enqueue(MID, VID, model=model)
    poll(lambda: rig.jobs.get(first).state == "running")
    assert rig.service.enqueue(MID, VID, model=model) == [first]
    assert rig.jobs.wait(first, timeout=20).state == "done"
    assert len(rig.jobs.list(kinds=("download",))) == 1
    # once finished, a new request is a new job (which finds the file already there)
    (again,) = rig.service.enqueue(MID, VID, model=model)
    assert again != first and rig.jobs.wait(again, timeout=20).result["already"] is True


def test_failed_job_keeps_the_typed_sentence(rig, files, civitai):
    _data, model = _single(files, civitai)
    files.error_for(VID, "403_download_early_access")
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "failed" and view.error_code == "early_access"
    assert "early access until 2026-08-20" in view.error
    files.error_for(VID, None)
    rig.jobs.retry(job_id)
    assert rig.jobs.wait(job_id, timeout=20).state == "done"


def test_unknown_file_and_flagged_file_are_refused_at_enqueue(rig, files, civitai):
    _data, model = _single(files, civitai)
    with pytest.raises(cerr.NotFound):
        rig.service.enqueue(MID, VID, [123], model=model)
    model["modelVersions"][0]["files"][0]["pickleScanResult"] = "Danger"
    with pytest.raises(ferr.FlaggedFile) as info:
        rig.service.enqueue(MID, VID, model=model)
    assert "marked 'ink wash.safetensors' as Danger" in str(info.value)
    (job_id,) = rig.service.enqueue(MID, VID, model=model, allow_flagged=True)
    assert rig.jobs.wait(job_id, timeout=20).state == "done"


def _stopped_mid_transfer(rig, files, civitai, action):
    data, model = _single(files, civitai, size=200_000)
    files.fault(FID, Drip(rate=100_000))
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    part = rig.host.folder_for_type("LORA").resolve() / "ink wash.safetensors.part"
    poll(lambda: part.exists() and part.stat().st_size >= 20_000)
    running = rig.jobs.get(job_id)
    assert running.state == "running" and running.unit == "B" and running.total == 200_000
    action(job_id)

    def stopped():
        view = rig.jobs.get(job_id)
        return view if view.finished or view.state == "paused" else None

    def server_done():
        entry = files.log(FID)[-1]
        return entry if entry["ended"] else None

    view = poll(stopped)
    entry = poll(server_done)
    assert entry["sent"] < 200_000  # the server stopped sending: the connection was closed
    return data, model, job_id, part, view


def test_pause_really_stops_the_transfer_and_resume_continues_from_the_part(rig, files, civitai):
    data, _model, job_id, part, view = _stopped_mid_transfer(rig, files, civitai, rig.jobs.pause)
    assert view.state == "paused"
    kept = part.stat().st_size
    requests_before = len(files.log(FID))
    assert kept >= 20_000 and requests_before == 1
    rig.jobs.resume(job_id)
    assert rig.jobs.wait(job_id, timeout=20).state == "done"
    log = files.log(FID)
    assert len(log) == 2 and log[1]["range"] == f"bytes={kept}-" and log[1]["status"] == 206
    final = part.with_name("ink wash.safetensors")
    assert final.read_bytes() == data and not part.exists()
    assert rig.jobs.get(job_id).result["resumed_from"] == kept


def test_cancel_really_stops_the_transfer_and_removes_the_part(rig, files, civitai):
    _data, _model, _job_id, part, view = _stopped_mid_transfer(rig, files, civitai, rig.jobs.cancel)
    assert view.state == "cancelled"
    assert not part.exists() and not part.with_name(part.name + ".json").exists()
    assert len(files.log(FID)) == 1
    assert not part.with_name("ink wash.safetensors").exists()


def test_enqueue_fetches_version_and_model_when_not_given(rig, files, civitai):
    """Without views at hand, the service asks the client (routes served by api_routes)."""
    _data, model = _single(files, civitai)
    add_model(civitai, model)
    (job_id,) = rig.service.enqueue(None, VID)
    assert rig.jobs.wait(job_id, timeout=20).state == "done"
    assert civitai.requests_to(rf"^/api/v1/model-versions/{VID}$") and civitai.requests_to(rf"^/api/v1/models/{MID}$")


def test_a_cut_while_following_jobs_shows_progress_in_bytes(rig, files, civitai):
    data, model = _single(files, civitai)
    files.fault(FID, Cut(after=30_000))
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "done" and view.done == len(data) and view.total == len(data) and view.unit == "B"


def test_a_file_the_author_replaced_after_queueing_is_downloaded_anew(tmp_path, files, civitai):
    """Civitai lists new bytes for the same file id: the job re-checks the version after the
    mismatch and verifies against the new listing instead of failing forever on retry."""
    rig = make_rig(tmp_path, civitai.url, start=False)
    try:
        old, model = _single(files, civitai, size=50_000, seed=3)
        (job_id,) = rig.service.enqueue(MID, VID, model=model)   # planned with the old hash
        new = payload(60_000, 4)
        files.add(version_id=VID, file_id=FID, name="ink wash.safetensors", payload=new)
        add_model(civitai, model_json(model_id=MID, version_id=VID,
                                      files=[file_json(FID, "ink wash.safetensors", new)]))
        rig.jobs.start()
        view = rig.jobs.wait(job_id, timeout=20)
        assert view.state == "done", view.error
        assert view.result["sha256"] == sha(new) != sha(old)
        assert (rig.host.folder_for_type("LORA") / "ink wash.safetensors").read_bytes() == new
    finally:
        rig.close()


def test_a_corrupt_download_still_fails_when_civitai_lists_the_same_hash(rig, files, civitai):
    data, model = _single(files, civitai, size=40_000, seed=5)
    add_model(civitai, model)
    files.fault(FID, Corrupt(1000))
    (job_id,) = rig.service.enqueue(MID, VID, model=model)
    view = rig.jobs.wait(job_id, timeout=20)
    assert view.state == "failed" and view.error_code == "hash_mismatch"
    assert not list(rig.host.folder_for_type("LORA").glob("ink wash*"))
