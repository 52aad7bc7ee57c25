"""Shared fixtures: the package on sys.path, a fake Civitai on 127.0.0.1, temp data folders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "scripts", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from fake_civitai import FakeCivitai  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch):
    """Tests never see the developer's proxy or key, and never reach the internet."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "CIVITAI_API_KEY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def civitai_server():
    """One fake Civitai for the session; use the ``civitai`` fixture, which resets it."""
    with FakeCivitai() as server:
        yield server


@pytest.fixture
def civitai(civitai_server):
    """The fake Civitai with no faults, no latency and an empty request log."""
    civitai_server.reset()
    yield civitai_server
    civitai_server.reset()


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """Any name lookup outside loopback fails at once: a test that would reach the internet
    fails fast and loudly instead of waiting on DNS."""
    import socket

    real = socket.getaddrinfo
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name not in local:
            raise socket.gaierror(socket.EAI_NONAME, f"tests never reach the internet (asked for {name!r})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
