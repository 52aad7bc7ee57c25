"""A real HTTP server on 127.0.0.1 that behaves like Civitai, for tests and benches.

Route modules (``api_routes``, ``download_routes``) register handlers on a
``FakeCivitai``; tests script faults per path with :meth:`FakeCivitai.script` instead of
patching the client. Every request is recorded (method, path, query, headers) so tests can
assert on what the client sent, e.g. that no storage request carried ``Authorization``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
# copied from shared/civitai-fixtures so a clean checkout has them
FIXTURES = HERE / "fixtures" / "civitai"
OWN_FIXTURES = HERE / "fixtures" / "own"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]          # lower-cased names
    body: bytes
    raw_path: str                    # path with the query string, as sent

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: custom writer for faults that need the raw socket (drop, stall, wrong length);
    #: called after the status line and headers are sent
    writer: Callable[[Any], None] | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> "Response":
        body = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
        h = {"Content-Type": "application/json; charset=utf-8"}
        h.update(headers or {})
        return cls(status, body, h)


@dataclass
class Fault:
    """A scripted answer for requests whose path matches ``pattern``, used ``times`` times."""

    pattern: re.Pattern
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0               # seconds before answering (latency)
    times: int | None = 1            # None = forever
    handler: Callable[[Request], Response] | None = None


Handler = Callable[[Request, "re.Match[str]"], Response]


class FakeCivitai:
    """Fake Civitai; ``with FakeCivitai() as server:`` serves on ``server.url`` until exit."""

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.state: dict[str, Any] = {}  # free space for route modules
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        from . import api_routes, cdn_routes, download_routes  # each adds its routes

        api_routes.install(self)
        download_routes.install(self)
        cdn_routes.install(self)

    # -- lifecycle -------------------------------------------------------------------
    def start(self, port: int = 0) -> "FakeCivitai":
        server = self

        class _Handler(_RequestHandler):
            fake = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-civitai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeCivitai":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- configuration ---------------------------------------------------------------
    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Registers ``handler(request, match)`` for ``method`` and a full-path regex."""

        def decorate(handler: Handler) -> Handler:
            self.routes.append((method.upper(), re.compile(pattern + r"\Z"), handler))
            return handler

        return decorate

    def script(self, pattern: str, *, status: int | None = None, body: bytes | str | dict | list = b"",
               headers: dict[str, str] | None = None, delay: float = 0.0, times: int | None = 1,
               handler: Callable[[Request], Response] | None = None) -> Fault:
        """Answers the next ``times`` requests whose path matches ``pattern`` with this response."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        elif isinstance(body, str):
            body = body.encode("utf-8")
        fault = Fault(re.compile(pattern), status, body, dict(headers or {}), delay, times, handler)
        with self.lock:
            self.faults.append(fault)
        return fault

    def reset(self) -> None:
        """Forgets faults, recorded requests and route state (between tests)."""
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.state.clear()
        self.latency = 0.0

    def requests_to(self, pattern: str) -> list[Request]:
        rx = re.compile(pattern)
        with self.lock:
            return [r for r in self.requests if rx.search(r.path)]

    # -- dispatch --------------------------------------------------------------------
    def _take_fault(self, req: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.pattern.search(req.path) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def dispatch(self, req: Request) -> Response:
        with self.lock:
            self.requests.append(req)
        if self.latency:
            time.sleep(self.latency)
        fault = self._take_fault(req)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.handler is not None:
                return fault.handler(req)
            if fault.status is not None:
                return Response(fault.status, fault.body, fault.headers)
        for method, pattern, handler in self.routes:
            if method != req.method and not (method == "GET" and req.method == "HEAD"):
                continue
            match = pattern.match(req.path)
            if match:
                return handler(req, match)
        return Response.json({"error": "Not found"}, 404)


class _RequestHandler(BaseHTTPRequestHandler):
    fake: FakeCivitai
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw_path=self.path,
        )
        try:
            resp = self.fake.dispatch(req)
        except Exception as exc:  # a broken route must show up in the test, not hang it
            resp = Response.json({"error": f"fake server bug: {exc!r}"}, 599)
        self.send_response(resp.status)
        body_bytes = resp.body if isinstance(resp.body, bytes) else None
        headers = dict(resp.headers)
        if resp.writer is None and body_bytes is not None:
            headers.setdefault("Content-Length", str(len(body_bytes)))
        for name, value in headers.items():
            self.send_header(name, value)
        if resp.writer is not None or body_bytes is None and "Content-Length" not in headers:
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if resp.writer is not None:
                resp.writer(self.wfile)
            elif body_bytes is not None:
                self.wfile.write(body_bytes)
            else:
                for chunk in resp.body:
                    self.wfile.write(chunk)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; that is the client's test

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle
