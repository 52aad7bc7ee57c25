"""``main.py scan`` and ``check-updates`` end to end: the real CLI, App, job workers and fake Civitai."""

from __future__ import annotations

import hashlib
import json

import pytest
from civitai_shortcut_core import cli
from civitai_shortcut_core.civitai.client import CivitaiClient
from civitai_shortcut_core.civitai.http import CivitaiHttp
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model, install


@pytest.fixture(autouse=True)
def _client_until_the_app_builds_one(monkeypatch):
    """The App's ``[civitai]`` wiring is another issue's; until it lands, give the App the client it will build."""
    real = cli.make_app

    def make_app(args, **kwargs):
        app = real(args, **kwargs)
        if not hasattr(app, "civitai"):
            app.civitai = CivitaiClient(CivitaiHttp(lambda: app.settings))
        return app

    monkeypatch.setattr(cli, "make_app", make_app)


def run(capsys, tmp_path, civitai, *command):
    code = cli.main(["--data-dir", str(tmp_path / "data"), "--models-dir", str(tmp_path / "models"),
                     "--civitai-url", civitai.url, *command])
    return code, capsys.readouterr()


def test_scan_then_check_updates_from_the_command_line(tmp_path, civitai, capsys):
    install(civitai)
    lora = tmp_path / "models" / "Lora" / "style.safetensors"
    lora.parent.mkdir(parents=True)
    lora.write_bytes(b"an older version of a style")
    sha = hashlib.sha256(lora.read_bytes()).hexdigest()
    add_model(civitai, generated_model(civitai.url, 950001, versions=[
        [(95000102, "style_v2.safetensors", "EF" * 32)], [(95000101, "style.safetensors", sha)]], image=None))
    vae = tmp_path / "models" / "VAE" / "clear.safetensors"
    vae.parent.mkdir(parents=True)
    vae.write_bytes(b"a vae")
    # previews come from the fake server (/img/...), never from a real CDN
    add_model(civitai, generated_model(civitai.url, 950002, model_type="VAE", versions=[
        [(95000201, "clear.safetensors", hashlib.sha256(b"a vae").hexdigest())]]))

    code, out = run(capsys, tmp_path, civitai, "scan", "--write-info", "--json")
    assert code == 0, out.err
    result = json.loads(out.out)
    assert sorted(m["model_id"] for m in result["matched"]) == [950001, 950002]
    assert lora.with_suffix(".civitai.info").is_file() and vae.with_name("clear.preview.png").is_file()

    code, out = run(capsys, tmp_path, civitai, "check-updates")
    assert code == 0, out.err
    assert "2 downloaded models checked: 1 have newer versions." in out.out
    assert "you have v1; new: v2 (9500012)" in out.out

    code, out = run(capsys, tmp_path, civitai, "scan")
    assert code == 0 and "Hashes: 2 cached, 0 from the WebUI, 0 computed." in out.out
