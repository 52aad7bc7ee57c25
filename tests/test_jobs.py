"""The job engine: persisted states, bounded pools, cancel/pause that stop work, restart recovery."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from polling import poll

from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.services.jobs import JobManager, JobStateError, UnknownJob
from civitai_shortcut_core.civitai.errors import EarlyAccess




@pytest.fixture
def manager(tmp_path):
    db = Database(tmp_path / "library.sqlite3")
    jobs = JobManager(db)
    yield jobs
    jobs.stop()
    db.close()


def steps_handler(ctx):
    """Counts to params['n'], waiting on a gate between units so tests control the pace."""
    gate: threading.Event | None = GATES.get(ctx.params.get("gate"))
    for i in range(int(ctx.params["n"])):
        if gate is not None:
            while not gate.wait(0.01):
                ctx.check()
        ctx.check()
        ctx.report(done=i + 1, total=ctx.params["n"], unit="steps", message=f"step {i + 1}")
    return {"counted": ctx.params["n"]}


GATES: dict[str, threading.Event] = {}


def test_job_runs_to_done_with_result_and_progress(manager):
    manager.register("count", steps_handler)
    manager.start()
    job_id = manager.submit("count", {"n": 5}, title="five")
    view = manager.wait(job_id, timeout=10)
    assert view.state == "done"
    assert view.result == {"counted": 5}
    assert view.done == 5 and view.total == 5 and view.title == "five"
    assert view.finished_at is not None and view.started_at is not None


def test_typed_error_is_stored_with_its_sentence(manager):
    def fails(ctx):
        raise EarlyAccess(7, "2030-01-01T00:00:00Z")

    manager.register("fail", fails)
    manager.start()
    view = manager.wait(manager.submit("fail"), timeout=10)
    assert view.state == "failed"
    assert view.error_code == "early_access"
    assert "early access until 2030-01-01" in view.error


def test_unexpected_error_is_readable_and_logged(manager, caplog):
    def boom(ctx):
        raise KeyError("modelVersions")

    manager.register("boom", boom)
    manager.start()
    view = manager.wait(manager.submit("boom"), timeout=10)
    assert view.state == "failed" and view.error_code == "unexpected"
    assert "KeyError" in view.error
    assert any("Traceback" in r.message for r in caplog.records)


def test_pool_is_bounded(manager):
    running, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def slow(ctx):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        while not release.wait(0.01):
            ctx.check()
        with lock:
            running[0] -= 1

    manager.register("slow", slow, workers=2)
    manager.start()
    ids = [manager.submit("slow") for _ in range(5)]
    poll(lambda: sum(manager.get(i).state == "running" for i in ids) == 2)
    assert sum(manager.get(i).state == "queued" for i in ids) == 3
    release.set()
    for i in ids:
        assert manager.wait(i, timeout=10).state == "done"
    assert peak[0] == 2


def test_cancel_stops_a_running_handler(manager):
    GATES["cancel"] = threading.Event()
    manager.register("count", steps_handler)
    manager.start()
    job_id = manager.submit("count", {"n": 3, "gate": "cancel"})
    poll(lambda: manager.get(job_id).state == "running")
    manager.cancel(job_id)
    assert manager.wait(job_id, timeout=10).state == "cancelled"
    with pytest.raises(JobStateError):
        manager.cancel(job_id)


def test_pause_then_resume_runs_again(manager):
    GATES["pause"] = threading.Event()
    manager.register("count", steps_handler)
    manager.start()
    job_id = manager.submit("count", {"n": 2, "gate": "pause"})
    poll(lambda: manager.get(job_id).state == "running")
    manager.pause(job_id)
    poll(lambda: manager.get(job_id).state == "paused")
    GATES["pause"].set()
    manager.resume(job_id)
    assert manager.wait(job_id, timeout=10).state == "done"


def test_retry_requeues_failed_job(manager):
    attempts = []

    def flaky(ctx):
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError(28, "No space left on device", "/models/x.part")
        return "ok"

    manager.register("flaky", flaky)
    manager.start()
    job_id = manager.submit("flaky")
    first = manager.wait(job_id, timeout=10)
    assert first.state == "failed" and "No space left on device" in first.error
    manager.retry(job_id)
    assert manager.wait(job_id, timeout=10).result == "ok"


def test_unknown_job_is_a_clear_error(manager):
    with pytest.raises(UnknownJob, match="no job 999"):
        manager.get(999)


def test_progress_reaches_the_row_at_least_once_a_second(tmp_path):
    db = Database(tmp_path / "library.sqlite3")
    manager = JobManager(db)
    gate = GATES["flush"] = threading.Event()
    manager.register("count", steps_handler)
    manager.start()
    try:
        job_id = manager.submit("count", {"n": 1000, "gate": "flush"})
        poll(lambda: manager.get(job_id).state == "running")
        gate.set()
        # a second reader sees progress through the database row alone
        other = Database(tmp_path / "library.sqlite3")
        poll(lambda: other.read().execute("SELECT done FROM job WHERE id=?", (job_id,)).fetchone()[0] > 0
             or manager.get(job_id).finished)
        assert manager.wait(job_id, timeout=20).state == "done"
        other.close()
    finally:
        manager.stop()
        db.close()


def test_second_process_follows_but_does_not_run(tmp_path):
    db = Database(tmp_path / "library.sqlite3")
    first, second = JobManager(db), JobManager(db)
    try:
        assert first.start() is True
        assert second.start() is False
        assert second.runs_workers is False
    finally:
        first.stop()
        second.stop()
        db.close()


WORKER_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.services.jobs import JobManager

def slow(ctx):
    start = int(ctx.params.get("from", 0))
    for i in range(start, 1000):
        ctx.report(done=i + 1, total=1000)
        ctx.sleep(0.01)
    return "finished"

db = Database(sys.argv[2])
jobs = JobManager(db)
jobs.register("slow", slow)
jobs.start()
if sys.argv[3] == "submit":
    jobs.submit("slow", {})
while True:
    time.sleep(1)
"""


def test_killed_process_brings_the_job_back(tmp_path):
    """The app is killed with SIGKILL mid-job; the next start runs the job again."""
    scripts = Path(__file__).resolve().parents[1] / "scripts"
    db_path = tmp_path / "library.sqlite3"
    Database(db_path).close()
    proc = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, str(scripts), str(db_path), "submit"])
    try:
        reader = Database(db_path)
        poll(lambda: reader.read().execute("SELECT done FROM job").fetchone() is not None
             and reader.read().execute("SELECT done FROM job").fetchone()[0] > 0, timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert reader.read().execute("SELECT state FROM job").fetchone()[0] == "running"
    reader.close()
    db = Database(db_path)
    manager = JobManager(db)
    manager.register("slow", lambda ctx: "came back")
    try:
        manager.start()
        job_id = db.read().execute("SELECT id FROM job").fetchone()[0]
        assert manager.wait(job_id, timeout=10).result == "came back"
    finally:
        manager.stop()
        db.close()


def test_refresh_on_start_is_off_by_default_and_queues_stale_shortcuts_when_on(tmp_path):
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost
    from library_kit import generated_model

    app = App(StandaloneHost(tmp_path / "data"), start_workers=False)
    try:
        app.library.store.upsert_model(generated_model(501, "http://127.0.0.1:9"))
        app.db.write(lambda c: c.execute("UPDATE model SET updated_at = updated_at - 3 * 86400"))
        assert app.start_ui_services() is None, "off by default: nothing is fetched at start-up"
        app.update_settings(refresh_on_start=True)
        job = app.jobs.get(app.start_ui_services())
        assert job.kind == "register" and job.state == "queued"
        assert app.start_ui_services() is not None  # still stale until the job ran
    finally:
        app.close()
