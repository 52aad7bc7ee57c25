"""``main.py download`` end to end against the fake Civitai: queue, run, verify, report."""

from __future__ import annotations

import hashlib
import json

from civitai_shortcut_core.cli import main

PAYLOAD_SHA256 = "585845ECB0E0AEA6EC4E743FE91ECA4B354DC9640C18F3963EAC603875B05876"


def run(tmp_path, civitai, *args):
    return main(["--data-dir", str(tmp_path / "data"), "--models-dir", str(tmp_path / "models"),
                 "--civitai-url", civitai.url, *args])


def test_download_by_version_link_waits_and_verifies(tmp_path, civitai, capsys):
    code = run(tmp_path, civitai, "download", f"{civitai.url}/models/990102?modelVersionId=9901021", "--wait")
    out = capsys.readouterr()
    assert code == 0, out.err
    files = [p for p in (tmp_path / "models").rglob("*.safetensors")]
    assert len(files) == 1
    assert hashlib.sha256(files[0].read_bytes()).hexdigest().upper() == PAYLOAD_SHA256
    assert str(files[0]) in out.out and "verified" in out.out


def test_download_error_is_a_sentence(tmp_path, civitai, capsys):
    from fake_civitai.download_routes import downloads

    downloads(civitai).error_for(9901021, "403_download_early_access")
    code = run(tmp_path, civitai, "download", "990102", "--version", "9901021", "--wait")
    err = capsys.readouterr().err
    assert code == 1
    assert "early access until" in err
    assert not list((tmp_path / "models").rglob("*.safetensors"))


def test_jobs_lists_the_failed_download(tmp_path, civitai, capsys):
    from fake_civitai.download_routes import downloads

    downloads(civitai).error_for(9901021, "410_download_archived")
    run(tmp_path, civitai, "download", "990102", "--version", "9901021", "--wait")
    capsys.readouterr()
    assert run(tmp_path, civitai, "jobs", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["state"] == "failed" and "archived" in listed[0]["error"]
