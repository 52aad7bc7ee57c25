"""Update checks: 100 downloaded models a request, badges set and cleared, what is new named."""

from __future__ import annotations

import pytest
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.updates import UpdateChecker
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from scan_env import ScanEnv


@pytest.fixture
def env(tmp_path, civitai):
    env = ScanEnv(tmp_path, civitai)
    yield env
    env.close()


def model(env, model_id: int, versions: int, **kwargs) -> dict:
    """A model with ``versions`` versions (ids model_id*10+n, newest first), served and returned."""
    raw = generated_model(env.server.url, model_id, versions=[
        [(model_id * 100 + n, f"m{model_id}_v{n}.safetensors", f"{model_id:08d}{n:056d}")]
        for n in range(versions, 0, -1)], **kwargs)
    add_model(env.server, raw)
    return raw


def downloaded(env, model_id: int, version_id: int) -> None:
    env.library.store.record_local_file(env.root / f"{version_id}.safetensors", size=1, mtime_ns=1,
                                        sha256="AB" * 32, version_id=version_id, model_id=model_id)


def test_newer_versions_are_named_and_badges_set_and_cleared(env):
    store = env.library.store
    behind = model(env, 800001, 3)
    current = model(env, 800002, 2)
    store.upsert_model(behind)
    store.upsert_model(current)
    store.set_update_available(800002, True)  # stale badge from an earlier check
    downloaded(env, 800001, 8000012)
    downloaded(env, 800001, 8000011)
    downloaded(env, 800002, 8000022)
    result = UpdateChecker(store=store, client=lambda: env.client).check()
    assert result["checked"] == 2 and result["missing"] == [] and result["shortcuts_flagged"] == 2
    [update] = result["updates"]
    assert update["model_id"] == 800001
    assert [v["id"] for v in update["newer"]] == [8000013] and update["newer"][0]["name"] == "v3"
    assert [v["id"] for v in update["local_versions"]] == [8000011, 8000012]
    flags = {r["id"]: r["update_available"] for r in env.db.read().execute("SELECT id, update_available FROM model")}
    assert flags == {800001: 1, 800002: 0}


def test_models_civitai_no_longer_lists_keep_their_badge(env):
    store = env.library.store
    gone = model(env, 800003, 2, mode="Archived")
    store.upsert_model(gone)
    store.set_update_available(800003, True)
    downloaded(env, 800003, 8000031)
    result = UpdateChecker(store=store, client=lambda: env.client).check()
    assert result["missing"] == [800003] and result["updates"] == []
    assert env.library.query.raw_model(800003) is not None
    assert env.db.read().execute("SELECT update_available FROM model WHERE id=800003").fetchone()[0] == 1


def test_unpublished_local_version_compares_by_id(env):
    raw = model(env, 800004, 3)
    raw["modelVersions"] = [v for v in raw["modelVersions"] if v["id"] != 8000042]  # v2 was unpublished
    add_model(env.server, raw)
    downloaded(env, 800004, 8000042)
    result = UpdateChecker(store=env.library.store, client=lambda: env.client).check()
    assert [v["id"] for v in result["updates"][0]["newer"]] == [8000043]
    assert result["shortcuts_flagged"] == 0  # downloaded but not a shortcut: reported, no badge row


def test_250_models_cost_three_requests(env):
    for i in range(250):
        model(env, 810000 + i, 2)
        downloaded(env, 810000 + i, (810000 + i) * 10 + (1 if i % 2 else 2))
    env.server.requests.clear()
    result = UpdateChecker(store=env.library.store, client=lambda: env.client).check()
    assert result["checked"] == 250 and len(result["updates"]) == 125
    assert [r.path for r in env.api_requests()] == ["/api/v1/models"] * 3


def test_check_updates_job(env):
    model(env, 800005, 2)
    downloaded(env, 800005, 8000051)
    jobs = JobManager(env.db)
    checker = UpdateChecker(store=env.library.store, client=lambda: env.client)
    jobs.register("check_updates", checker.run_job)
    jobs.start()
    try:
        view = jobs.wait(jobs.submit("check_updates", {}, title="updates"), timeout=20)
    finally:
        jobs.stop()
    assert view.state == "done", view.error
    assert view.result["updates"][0]["newer"][0]["id"] == 8000052
