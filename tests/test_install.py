"""install.py installs only what is missing and never touches the host's pinned stack."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE_WEBUI = Path(__file__).resolve().parent / "fake_webui"


def run_install(monkeypatch, installed: set[str]):
    monkeypatch.syspath_prepend(str(FAKE_WEBUI))
    sys.modules.pop("launch", None)
    import launch

    launch.pip_calls.clear()
    monkeypatch.setattr(launch, "is_installed", lambda name: name.lower() in installed)
    runpy.run_path(str(ROOT / "install.py"), run_name="__main__")
    return list(launch.pip_calls)


def test_nothing_installed_when_everything_is_present(monkeypatch):
    assert run_install(monkeypatch, {"requests", "pysocks", "pillow", "tqdm"}) == []


def test_only_missing_packages_are_installed(monkeypatch):
    calls = run_install(monkeypatch, {"requests", "pillow", "tqdm"})
    assert len(calls) == 1 and "PySocks" in calls[0]


def test_host_pinned_packages_are_never_installed(monkeypatch, tmp_path):
    calls = run_install(monkeypatch, set())
    joined = " ".join(calls).lower()
    for pinned in ("gradio", "httpx", "fastapi", "pydantic", "starlette", "torch"):
        assert pinned not in joined
    assert calls, "missing requirements must be installed"
