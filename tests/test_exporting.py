"""The JSON export runs as a job and writes the whole library."""

from __future__ import annotations

import json

from civitai_shortcut_core.app import App
from civitai_shortcut_core.host.standalone import StandaloneHost
from library_kit import generated_model


def test_export_job_writes_every_shortcut_with_notes(tmp_path):
    app = App(StandaloneHost(tmp_path / "data"))
    try:
        for model_id in (601, 602):
            app.library.store.upsert_model(generated_model(model_id, "http://127.0.0.1:9"))
        app.library.set_note(602, "keep: best one")
        job = app.jobs.wait(app.exports.start(tmp_path / "out" / "export.json"), timeout=30)
        assert job.state == "done", job.error
        assert job.result["shortcuts"] == 2 and job.result["folder"] == str(tmp_path / "out")
        data = json.loads((tmp_path / "out" / "export.json").read_text(encoding="utf-8"))
        notes = {s["id"]: s.get("note") for s in data["shortcuts"]}
        assert notes[602] == "keep: best one"
    finally:
        app.close()
