"""One file transfer against the fake storage, fault by fault: it ends verified or with a sentence.

Every test also checks the invariant that matters most: nothing but the verified file ever
appears under the final name.
"""

from __future__ import annotations

import json

import pytest
from civitai_shortcut_core.civitai import errors as cerr
from civitai_shortcut_core.files import errors as ferr
from civitai_shortcut_core.services.download_task import DownloadSpec, FileTransfer
from civitai_shortcut_core.services.jobs import Cancelled, Paused
from download_testkit import (
    FAST,
    KEY,
    READ_TIMEOUT,
    Recorder,
    SettingsBox,
    make_http,
    payload,
    settings_for,
    sha,
)
from fake_civitai.download_routes import (
    Corrupt,
    Cut,
    Drip,
    Expired,
    Gone,
    HtmlAsOctets,
    HtmlLogin,
    IgnoreRange,
    JsonError200,
    Stall,
    Status,
    WrongLength,
    downloads,
)

SIZE = 200_000
VID, FID = 9_900_500, 9_950_001


@pytest.fixture
def files(civitai):
    return downloads(civitai)


@pytest.fixture
def data(files):
    blob = payload(SIZE, 7)
    files.add(version_id=VID, file_id=FID, name="水墨画 ink.safetensors", payload=blob)
    return blob


@pytest.fixture
def http(civitai):
    return make_http(SettingsBox(settings_for(civitai.url)))


def run(http, tmp_path, data, *, name="水墨画 ink.safetensors", progress=None, **spec):
    values = {"version_id": VID, "file_id": FID, "folder": str(tmp_path), "name": name, "size": len(data),
              "sha256": sha(data), **spec}
    recorder = progress or Recorder()
    return FileTransfer(http, DownloadSpec(**values), progress=recorder, policy=FAST).run(), recorder


def assert_only_final(tmp_path, name, data):
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert (tmp_path / name).read_bytes() == data


def assert_nothing_final(tmp_path, name):
    assert not (tmp_path / name).exists()


def ranges(files):
    return [entry["range"] for entry in files.log(FID)]


def test_download_is_verified_and_renamed_with_no_leftovers(http, tmp_path, data, files, civitai):
    result, recorder = run(http, tmp_path, data)
    assert result.sha256 == sha(data) and result.size == SIZE and not result.already
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert ranges(files) == [None]
    assert recorder.reports[-1]["message"] == "Verified"


def test_authorization_goes_to_civitai_only_never_to_storage(http, tmp_path, data, files, civitai):
    """R2/B2 refuse a request carrying Authorization (civitai#2113); the key must stay on Civitai."""
    run(http, tmp_path, data)
    api = civitai.requests_to(r"^/api/download/models/")
    assert api and all(r.headers.get("authorization") == f"Bearer {KEY}" for r in api)
    storage = civitai.requests_to(r"^/storage/")
    assert storage and all("authorization" not in r.headers for r in storage)
    assert all(r.headers.get("host", "").startswith("localhost:") for r in storage)
    assert all(r.headers.get("accept-encoding") == "identity" for r in storage)


def test_connection_cut_several_times_resumes_at_the_exact_byte(http, tmp_path, data, files):
    files.fault(FID, Cut(after=10_000), Cut(after=1), Cut(after=50_000))
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert ranges(files) == [None, "bytes=10000-", "bytes=10001-", "bytes=60001-"]
    etag = files.get(FID).etag
    assert [e["if_range"] for e in files.log(FID)] == [None, etag, etag, etag]


def test_stall_is_caught_by_the_read_timeout_and_resumed(http, tmp_path, data, files):
    files.fault(FID, Stall(after=5_000, seconds=READ_TIMEOUT * 4))
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert ranges(files) == [None, "bytes=5000-"]


def test_slow_drip_is_not_a_stall(http, tmp_path, files):
    small = payload(30_000, 3)
    files.add(version_id=VID, file_id=FID, name="drip.pt", payload=small)
    files.fault(FID, Drip(rate=150_000))
    run(http, tmp_path, small, name="drip.pt")
    assert_only_final(tmp_path, "drip.pt", small)
    assert ranges(files) == [None]


@pytest.mark.parametrize("status,retry_after", [(503, "0.02"), (503, None), (429, "0.03"), (429, None), (500, None)])
def test_busy_storage_is_retried_honouring_retry_after(http, tmp_path, data, files, status, retry_after):
    files.fault(FID, Cut(after=1_000), Status(status, retry_after), Status(status, retry_after))
    _, recorder = run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert ranges(files) == [None, "bytes=1000-", "bytes=1000-", "bytes=1000-"]
    if retry_after is not None:
        assert recorder.sleeps == [float(retry_after)] * 2
    else:
        assert len(recorder.sleeps) == 2 and recorder.sleeps[1] > 0


def test_expired_signature_is_resolved_again_and_continues_from_the_part(http, tmp_path, data, files, civitai):
    files.fault(FID, Cut(after=20_000), Expired())
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert len(civitai.requests_to(r"^/api/download/models/")) == 2
    assert ranges(files) == [None, "bytes=20000-", "bytes=20000-"]
    statuses = [e["status"] for e in files.log(FID)]
    assert statuses == [200, 403, 206]


def test_storage_that_keeps_refusing_fails_with_a_sentence_and_keeps_the_part(http, tmp_path, data, files):
    files.fault(FID, Cut(after=8_000), Expired(), Expired(), Expired())
    with pytest.raises(ferr.StorageRefused) as info:
        run(http, tmp_path, data)
    assert "refused the download (HTTP 403) even with a fresh link" in str(info.value)
    assert_nothing_final(tmp_path, "水墨画 ink.safetensors")
    assert (tmp_path / "水墨画 ink.safetensors.part").stat().st_size == 8_000


def test_object_gone_from_storage_is_resolved_again(http, tmp_path, data, files, civitai):
    files.fault(FID, Gone())
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)


def test_corrupted_byte_fails_with_hash_mismatch_and_leaves_nothing(http, tmp_path, data, files):
    files.fault(FID, Cut(after=1_000), Corrupt(offset=123_456))
    with pytest.raises(ferr.HashMismatch) as info:
        run(http, tmp_path, data)
    assert info.value.code == "hash_mismatch" and "is corrupt" in str(info.value) and "deleted" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fault", [HtmlLogin(), JsonError200(), HtmlAsOctets()], ids=["html", "json", "html-as-octets"])
def test_a_page_with_status_200_is_never_saved_as_a_model(http, tmp_path, data, files, fault):
    files.fault(FID, fault)
    with pytest.raises(ferr.NotAModelFile) as info:
        run(http, tmp_path, data)
    assert "instead of the model file; nothing was saved" in str(info.value)
    assert_nothing_final(tmp_path, "水墨画 ink.safetensors")
    part = tmp_path / "水墨画 ink.safetensors.part"
    assert not part.exists() or part.stat().st_size == 0


def test_a_json_model_file_is_not_mistaken_for_an_error_page(http, tmp_path, files):
    workflow = json.dumps({"nodes": [1, 2, 3], "pad": "x" * 500}).encode()
    files.add(version_id=VID, file_id=FID, name="workflow.json", payload=workflow)
    run(http, tmp_path, workflow, name="workflow.json")
    assert_only_final(tmp_path, "workflow.json", workflow)


@pytest.mark.parametrize("delta", [-1_000, 1_000])
def test_wrong_content_length_still_ends_verified(http, tmp_path, data, files, delta):
    files.fault(FID, WrongLength(delta))
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert ranges(files) == [None, f"bytes={SIZE - 1_000}-" if delta < 0 else f"bytes={SIZE}-"]


def test_server_ignoring_range_restarts_from_zero_without_appending(http, tmp_path, data, files):
    """The original appended a 200 full body to the part (#88): files grew on every retry."""
    files.fault(FID, Cut(after=30_000), IgnoreRange())
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert [e["status"] for e in files.log(FID)] == [200, 200]


def test_body_longer_than_the_api_size_is_a_size_mismatch(http, tmp_path, files):
    blob = payload(50_000, 4)
    files.add(version_id=VID, file_id=FID, name="long.pt", payload=blob + b"extra bytes")
    with pytest.raises(ferr.SizeMismatch) as info:
        run(http, tmp_path, blob, name="long.pt")
    assert "Civitai lists 50,000" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_complete_part_gets_416_and_is_verified_without_refetching(http, tmp_path, data, files):
    """Killed between the last byte and the rename: the next run must not download again."""
    part = tmp_path / "水墨画 ink.safetensors.part"
    part.write_bytes(data)
    meta = {"file_id": FID, "version_id": VID, "size": SIZE, "sha256": sha(data), "validator": files.get(FID).etag}
    (tmp_path / "水墨画 ink.safetensors.part.json").write_text(json.dumps(meta))
    result, _ = run(http, tmp_path, data)
    assert result.resumed_from == SIZE
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert [(e["range"], e["status"], e["sent"]) for e in files.log(FID)] == [(f"bytes={SIZE}-", 416, 0)]


def test_complete_but_corrupt_part_is_downloaded_again(http, tmp_path, data, files):
    bad = bytearray(data)
    bad[77] ^= 1
    (tmp_path / "水墨画 ink.safetensors.part").write_bytes(bytes(bad))
    meta = {"file_id": FID, "version_id": VID, "size": SIZE, "sha256": sha(data), "validator": None}
    (tmp_path / "水墨画 ink.safetensors.part.json").write_text(json.dumps(meta))
    run(http, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)
    assert [(e["range"], e["status"]) for e in files.log(FID)] == [(f"bytes={SIZE}-", 416), (None, 200)]


def test_part_of_another_file_is_not_resumed(http, tmp_path, data, files):
    (tmp_path / "水墨画 ink.safetensors.part").write_bytes(b"x" * 5_000)
    meta = {"file_id": 1, "version_id": VID, "size": SIZE, "sha256": sha(data), "validator": None}
    (tmp_path / "水墨画 ink.safetensors.part.json").write_text(json.dumps(meta))
    result, _ = run(http, tmp_path, data)
    assert result.resumed_from == 0 and ranges(files) == [None]
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)


def test_same_file_already_there_is_already_have_it(http, tmp_path, data, files, civitai):
    (tmp_path / "水墨画 ink.safetensors").write_bytes(data)
    result, progress = run(http, tmp_path, data)
    assert result.already and result.sha256 == sha(data)
    assert civitai.requests_to(r"^/(api/download|storage)/") == []
    last = progress.reports[-1]  # what the jobs panel keeps showing once the job is done
    assert last["done"] == last["total"] == len(data) and "Already downloaded" in last["message"]


def test_different_file_with_the_name_is_never_overwritten(http, tmp_path, data, files, civitai):
    mine = payload(SIZE, 99)
    (tmp_path / "水墨画 ink.safetensors").write_bytes(mine)
    with pytest.raises(ferr.FileConflict) as info:
        run(http, tmp_path, data)
    assert "already exists" in str(info.value) and "left alone" in str(info.value)
    assert (tmp_path / "水墨画 ink.safetensors").read_bytes() == mine
    assert civitai.requests_to(r"^/(api/download|storage)/") == []


def test_not_enough_disk_space_fails_before_any_byte(http, tmp_path, data, files, civitai):
    with pytest.raises(ferr.DiskFull) as info:
        run(http, tmp_path, data, size=2 ** 60)
    assert "Not enough disk space" in str(info.value)
    assert list(tmp_path.iterdir()) == [] and civitai.requests_to(r"^/storage/") == []


API_ERRORS = [
    ("401_download_login_required", cerr.InvalidApiKey, "did not accept your API key"),
    ("401_download_disabled", cerr.DownloadsDisabled, "disabled downloads"),
    ("403_download_early_access", cerr.EarlyAccess, "early access until"),
    ("403_download_no_access", cerr.NoAccess, "does not have access"),
    ("410_download_archived", cerr.Archived, "archived"),
    ("404_download_file_not_found", cerr.NotFound, "Civitai has no"),
    ("429_download_limit", cerr.RateLimited, "rate limiting"),
]


@pytest.mark.parametrize("fixture,error,sentence", API_ERRORS)
def test_download_endpoint_errors_are_typed_sentences(http, tmp_path, data, files, civitai, fixture, error, sentence):
    files.error_for(VID, fixture)
    with pytest.raises(error) as info:
        run(http, tmp_path, data)
    assert sentence in str(info.value) and KEY not in str(info.value)
    assert list(tmp_path.iterdir()) == [] or [p.name for p in tmp_path.iterdir()] == ["水墨画 ink.safetensors.part"]
    assert civitai.requests_to(r"^/storage/") == []


def test_login_required_without_a_key(civitai, tmp_path, data, files):
    files.require_login(KEY)
    anonymous = make_http(SettingsBox(settings_for(civitai.url, api_key="")))
    with pytest.raises(cerr.LoginRequired) as info:
        run(anonymous, tmp_path, data)
    assert "API key" in str(info.value)
    keyed = make_http(SettingsBox(settings_for(civitai.url)))
    run(keyed, tmp_path, data)
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)


def test_cancel_deletes_the_part_and_pause_keeps_it_for_resume(http, tmp_path, data, files):
    with pytest.raises(Cancelled):
        run(http, tmp_path, data, progress=Recorder(stop_after=40_000, stop_with=Cancelled))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(Paused):
        run(http, tmp_path, data, progress=Recorder(stop_after=40_000, stop_with=Paused))
    kept = (tmp_path / "水墨画 ink.safetensors.part").stat().st_size
    assert kept >= 40_000
    result, _ = run(http, tmp_path, data)
    assert result.resumed_from == kept
    assert ranges(files)[-1] == f"bytes={kept}-"
    assert_only_final(tmp_path, "水墨画 ink.safetensors", data)


def test_transfer_without_progress_gives_up_with_a_sentence(http, tmp_path, data, files):
    files.fault(FID, *[Status(503, "0")] * 10)
    with pytest.raises(ferr.TransferFailed) as info:
        run(http, tmp_path, data)
    assert "stopped making progress after 6 attempts (storage busy (HTTP 503))" in str(info.value)
    assert len(files.log(FID)) == 6


def test_unknown_size_and_hash_still_never_saves_a_page(http, tmp_path, data, files):
    files.fault(FID, HtmlLogin())
    with pytest.raises(ferr.NotAModelFile):
        run(http, tmp_path, data, size=None, sha256=None)
    result, _ = run(http, tmp_path, data, size=None, sha256=None)
    assert result.size == SIZE
    assert (tmp_path / "水墨画 ink.safetensors").read_bytes() == data
