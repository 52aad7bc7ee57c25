"""The host entry loads, registers its tab and settings, and long jobs followed through Gradio
finish with progress at least once a second, on every lane (also Gradio 3 + httpx 0.27.2)."""

from __future__ import annotations

import inspect
import logging
import time

import pytest
from gradio_client import Client

from servers import build_webui_root, load_fake_webui, poll, run_entry_script

JOB_SECONDS = 20


def follow_with_progress(url: str, job_id: int, timeout: float = 90):
    """Follows a job through the /follow_job event; returns (result, [(t, desc)...])."""
    client = Client(url, verbose=False)
    job = client.submit(job_id, api_name="/follow_job")
    seen, deadline = [], time.monotonic() + timeout
    while not job.done() and time.monotonic() < deadline:
        status = job.status()
        data = getattr(status, "progress_data", None)
        if data:
            desc = data[-1].desc
            if not seen or seen[-1][1] != desc:
                seen.append((time.monotonic(), desc))
        time.sleep(0.05)
    return job.result(timeout=5), seen


def assert_progress_at_least_1hz(seen, seconds):
    assert len(seen) >= seconds * 0.9, f"only {len(seen)} progress updates in {seconds} s"
    gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
    # a noisy 2-core machine may stall one poll; a dead stream would leave a gap of seconds
    assert max(gaps) < 3.0, f"progress stalled for {max(gaps):.1f} s"


def test_entry_registers_tab_and_settings(tmp_path):
    shared, callbacks = load_fake_webui(tmp_path / "webui")
    run_entry_script()
    from civitai_shortcut_core import webui_entry
    from civitai_shortcut_core.settings import SETTINGS

    try:
        demo, tabs = build_webui_root(queue=False)
        assert [(label, ifid) for _, label, ifid in tabs] == [("Civitai Shortcut", "civitai_shortcut")]
        keys = {f"civitai_shortcut_{s.name}" for s in SETTINGS}
        assert keys <= set(shared.opts.data_labels)
        sections = {shared.opts.data_labels[k].section for k in keys}
        assert sections == {("civitai_shortcut", "Civitai Shortcut")}
        # the settings tab changes reach the running app
        shared.opts.set("civitai_shortcut_nsfw_level", "R")
        assert webui_entry.get_app().settings.nsfw_level == "R"
    finally:
        webui_entry.get_app().close()
        webui_entry._app = None


def test_reload_ui_keeps_one_job_engine(tmp_path):
    shared, callbacks = load_fake_webui(tmp_path / "webui")
    run_entry_script()
    from civitai_shortcut_core import webui_entry

    try:
        build_webui_root(queue=False)
        first = webui_entry.get_app()
        first.jobs.register("sleep", lambda ctx: None, workers=2)
        threads_before = sum(len(k.threads) for k in first.jobs._kinds.values())
        assert threads_before >= 2
        callbacks.clear_callbacks()          # what "Reload UI" does...
        run_entry_script()                   # ...then the scripts run again
        build_webui_root(queue=False)
        assert webui_entry.get_app() is first
        assert sum(len(k.threads) for k in first.jobs._kinds.values()) == threads_before
    finally:
        webui_entry.get_app().close()
        webui_entry._app = None


def test_no_gradio_queue_builds_without_progress_parameters(tmp_path):
    """With --no-gradio-queue any gr.Progress parameter stops the WebUI from launching."""
    import gradio as gr

    load_fake_webui(tmp_path / "webui", no_gradio_queue=True)
    run_entry_script()
    from civitai_shortcut_core import webui_entry

    try:
        demo, _ = build_webui_root(queue=False)
        fns = demo.fns.values() if isinstance(demo.fns, dict) else demo.fns  # dict on 4.x
        for dependency_fn in fns:
            fn = dependency_fn.fn
            if fn is None:
                continue
            for param in inspect.signature(fn).parameters.values():
                assert not isinstance(param.default, gr.Progress), f"{fn} declares gr.Progress"
            # periodic (every=) events become generators on 3.x, refused without the queue
            assert not inspect.isgeneratorfunction(fn), f"{fn} is a generator (needs the queue)"
    finally:
        webui_entry.get_app().close()
        webui_entry._app = None


def test_twenty_second_job_followed_in_webui_root(webui_server):
    job_id = webui_server.app.jobs.submit("sleep", {"seconds": JOB_SECONDS}, title="Sleep 20 s")
    result, seen = follow_with_progress(webui_server.url, job_id)
    assert "finished" in str(result)
    assert webui_server.app.jobs.get(job_id).state == "done"
    assert_progress_at_least_1hz(seen, JOB_SECONDS)
    assert "step" in seen[-1][1]


def test_twenty_second_job_followed_in_standalone(standalone_server):
    job_id = standalone_server.app.jobs.submit("sleep", {"seconds": JOB_SECONDS}, title="Sleep 20 s")
    result, seen = follow_with_progress(standalone_server.url, job_id)
    assert "finished" in str(result)
    assert_progress_at_least_1hz(seen, JOB_SECONDS)


def test_failed_job_reaches_the_client_as_its_sentence(standalone_server):
    from civitai_shortcut_core.civitai.errors import LoginRequired

    def needs_login(ctx):
        raise LoginRequired()

    standalone_server.app.jobs.register("needs_login", needs_login)
    job_id = standalone_server.app.jobs.submit("needs_login")
    client = Client(standalone_server.url, verbose=False)
    with pytest.raises(Exception) as raised:
        client.predict(job_id, api_name="/follow_job")
    assert "requires you to be logged in" in str(raised.value)


def test_httpx_guard_logs_what_it_did(webui_server, caplog):
    import gradio as gr
    import httpx

    from civitai_shortcut_core.ui.compat import lift_queue_timeout

    with caplog.at_level(logging.WARNING):
        message = lift_queue_timeout(webui_server.demo)
    affected = gr.__version__.startswith("3.") and tuple(map(int, httpx.__version__.split(".")[:3])) >= (0, 27, 1)
    if affected:
        assert message and "5 s" in message
        poll(lambda: webui_server.demo._queue.queue_client is not None
             and webui_server.demo._queue.queue_client.timeout.read is None)
    else:
        assert message is None


def test_without_the_guard_the_field_bug_reproduces(tmp_path):
    """Gradio 3.41 + httpx >= 0.27.1 ends queued events at 5 s: the lane shows the bug the guard fixes."""
    import gradio as gr
    import httpx

    if not gr.__version__.startswith("3.") or tuple(map(int, httpx.__version__.split(".")[:3])) < (0, 27, 1):
        pytest.skip("only Gradio 3.x with httpx >= 0.27.1 has the 5 s bug (lane h3x)")
    from civitai_shortcut_core.app import App
    from civitai_shortcut_core.host.standalone import StandaloneHost
    from servers import sleep_job, standalone_app

    app = App(StandaloneHost(tmp_path / "data"))
    app.jobs.register("sleep", sleep_job)
    try:
        with standalone_app(app, guard=False) as (url, _):
            job_id = app.jobs.submit("sleep", {"seconds": 8})
            started = time.monotonic()
            with pytest.raises(Exception):
                Client(url, verbose=False).predict(job_id, api_name="/follow_job")
            assert time.monotonic() - started < 7.5, "the event should have died at about 5 s"
            # the job itself was never inside the request: it finishes anyway
            assert app.jobs.wait(job_id, timeout=20).state == "done"
    finally:
        app.close()


def test_api_key_check_inside_the_webui(webui_server, civitai):
    """The WebUI keeps the key in its Settings tab; our tab checks it against /api/v1/me."""
    from fake_civitai.api_routes import set_api_key
    from modules import shared

    set_api_key(civitai, "k-123")
    shared.opts.set("civitai_shortcut_civitai_url", civitai.url)
    shared.opts.set("civitai_shortcut_api_key", "wrong")
    client = Client(webui_server.url, verbose=False)
    with pytest.raises(Exception) as refused:
        client.predict(api_name="/check_api_key")
    assert "did not accept your API key" in str(refused.value)
    shared.opts.set("civitai_shortcut_api_key", "k-123")
    assert "signed in as" in client.predict(api_name="/check_api_key")
