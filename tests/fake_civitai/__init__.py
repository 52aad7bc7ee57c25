"""Fake Civitai server for tests: ``FakeCivitai`` serves the shared fixtures on 127.0.0.1."""

from .server import FIXTURES, FakeCivitai, Request, Response

__all__ = ["FIXTURES", "FakeCivitai", "Request", "Response"]
