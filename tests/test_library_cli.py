"""``main.py list | show | import-legacy | export`` through the real entry point, and ``add``
over real services against the fake Civitai."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from civitai_shortcut_core import cli
from civitai_shortcut_core.civitai import CivitaiClient
from civitai_shortcut_core.cli_library import add_cmd
from civitai_shortcut_core.library.legacy_formats import read_backup_urls
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.registration import RegistrationService
from civitai_testkit import make_http
from fake_civitai.api_routes import add_model
from library_kit import generated_model, install_cdn, make_library

LEGACY = Path(__file__).parent / "fixtures" / "legacy" / "original"


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def run_cli(data_dir: Path, *args: str) -> int:
    return cli.main(["--data-dir", str(data_dir), *args])


def test_import_list_show_and_export_from_the_command_line(data_dir, tmp_path, capsys):
    assert run_cli(data_dir, "import-legacy", str(LEGACY)) == 0
    out = capsys.readouterr().out
    assert "Imported 5 shortcuts with full info" in out and "legacy-key-123" not in out
    assert "Settings found in the old extension (not applied): api_key=(set)" in out

    assert run_cli(data_dir, "list", "--type", "LoRA", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {item["id"] for item in listed["items"]} == {1580878, 555001, 555003}
    assert run_cli(data_dir, "list", "#style") == 0
    assert "Deleted On Civitai" in capsys.readouterr().out
    assert run_cli(data_dir, "list", "--classification", "Favourites", "--sort", "registered") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "3 shortcuts; page 1 of 1."

    assert run_cli(data_dir, "show", "1580878") == 0
    text = capsys.readouterr().out
    assert "Note: My FAVOURITE style, weight 0.7" in text and "Classifications: Favourites, Styles" in text
    assert run_cli(data_dir, "show", "1580878", "--json") == 0
    assert json.loads(capsys.readouterr().out)["id"] == 1580878
    assert run_cli(data_dir, "show", "42") == 2

    links = tmp_path / "backup.json"
    assert run_cli(data_dir, "export", str(links), "--links") == 0
    parsed, problems = read_backup_urls(json.loads(links.read_text()), links.name)
    assert len(parsed) == 8 and not problems
    assert links.read_text().startswith('{\n    "url=https://civitai.com/models/')
    full = tmp_path / "library.json"
    assert run_cli(data_dir, "export", str(full)) == 0
    exported = json.loads(full.read_text("utf-8"))
    by_id = {s["id"]: s for s in exported["shortcuts"]}
    assert by_id[1580878]["classifications"] == ["Favourites", "Styles"]
    assert by_id[1580878]["raw"]["id"] == 1580878
    assert exported["recipes"][1]["name"] == "Odd types"


def test_import_legacy_of_a_folder_without_data_is_a_usage_error(data_dir, tmp_path, capsys):
    assert run_cli(data_dir, "import-legacy", str(tmp_path)) == 2
    assert "No Civitai Shortcut data" in capsys.readouterr().err


def test_add_waits_and_prints_a_line_per_link(civitai, tmp_path, capsys):
    install_cdn(civitai)
    add_model(civitai, generated_model(301, civitai.url, name="Cli Model"))
    http, _ = make_http(civitai)
    client = CivitaiClient(http)
    lib = make_library(tmp_path)
    jobs = JobManager(lib.db)
    registration = RegistrationService(lib, jobs, lambda: client, lambda: http.settings)
    jobs.start()
    app = SimpleNamespace(library=lib, jobs=jobs, registration=registration, settings=http.settings)
    try:
        links_file = tmp_path / "links.txt"
        links_file.write_text("https://civitai.com/models/424242\n")
        assert add_cmd(app, ["301"], [links_file], False, True) == 1
        out = capsys.readouterr().out
        assert "Cli Model (301): 6 images" in out, "all images: images_per_version is 0 by default"
        assert "failed" in out and "1 registered, 0 updated, 1 failed." in out
        assert add_cmd(app, [], [], False, True) == 2
        assert add_cmd(app, ["301"], [], True, False) == 0
        assert capsys.readouterr().out.startswith("Queued job #")
    finally:
        jobs.stop()
        lib.db.close()


def test_add_favorites_registers_the_accounts_favourites(civitai, tmp_path, capsys):
    from fake_civitai.api_routes import set_api_key

    install_cdn(civitai)
    set_api_key(civitai, "fav-key")
    for model_id in (311, 312):
        add_model(civitai, generated_model(model_id, civitai.url, name=f"Fav {model_id}"))
    civitai.state["favorites"] = [311, 312]
    code = cli.main(["--data-dir", str(tmp_path / "data"), "--civitai-url", civitai.url, "add", "--favorites",
                     "--info-only"])
    out = capsys.readouterr()
    assert code == 1, "no key yet: the favourites job fails with its sentence"
    assert "API key" in out.err
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVITAI_API_KEY", "fav-key")
        code = cli.main(["--data-dir", str(tmp_path / "data"), "add", "--favorites", "--info-only"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Fav 311 (311)" in out and "Fav 312 (312)" in out and "2 registered" in out
