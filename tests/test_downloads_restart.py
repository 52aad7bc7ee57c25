"""kill -9 in the middle of a download, start again: the job resumes from its .part and verifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from download_testkit import file_json, make_rig, model_json, payload, poll, sha
from fake_civitai.download_routes import downloads

ROOT = Path(__file__).resolve().parents[1]
MID, VID, FID = 990_900, 9_909_001, 9_990_001
SIZE = 3_000_000


def test_kill_9_mid_download_then_restart_resumes_from_the_part(tmp_path, civitai):
    files = downloads(civitai)
    data = payload(SIZE, 42)
    files.add(version_id=VID, file_id=FID, name="big 水墨.safetensors", payload=data)
    files.throttle(400_000)  # ~7 s for the whole file: plenty of time to kill it half-way
    model = model_json(model_id=MID, version_id=VID, files=[file_json(FID, "big 水墨.safetensors", data)])
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"model_id": MID, "version_id": VID, "model": model}), encoding="utf-8")
    code = ("import sys; sys.path[:0] = [sys.argv[1] + '/scripts', sys.argv[1] + '/tests']; "
            "import download_testkit; download_testkit.child_main(*sys.argv[2:5])")
    child = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(tmp_path), civitai.url, str(request)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    part = tmp_path / "models" / "Lora" / "big 水墨.safetensors.part"
    try:
        poll(lambda: part.exists() and part.stat().st_size >= 200_000 or child.poll() is not None, timeout=30)
        assert child.poll() is None, child.stderr.read().decode()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    kept = part.stat().st_size
    assert 200_000 <= kept < SIZE
    assert not part.with_name("big 水墨.safetensors").exists()
    assert [e["range"] for e in files.log(FID)] == [None]

    files.throttle(None)
    rig = make_rig(tmp_path, civitai.url, workers=1)  # a new process would do the same: recover, resume
    try:
        (job,) = rig.jobs.list(kinds=("download",))
        view = rig.jobs.wait(job.id, timeout=30)
        assert view.state == "done", view.error
        assert view.result["resumed_from"] == kept and view.result["sha256"] == sha(data)
    finally:
        rig.close()
    final = part.with_name("big 水墨.safetensors")
    assert final.read_bytes() == data
    assert not part.exists() and not part.with_name(part.name + ".json").exists()
    log = files.log(FID)
    assert [(e["range"], e["status"]) for e in log] == [(None, 200), (f"bytes={kept}-", 206)]
    assert log[1]["if_range"] == files.get(FID).etag
