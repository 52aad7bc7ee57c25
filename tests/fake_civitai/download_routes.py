"""Fake Civitai downloads: ``/api/download/models/{versionId}`` and an S3-like storage host.

The API route answers like Civitai (civitai-api.md §2.7): scripted errors per version
(fixtures in ``errors/``), login required when a key is configured, ``fileId`` picks the
file (else the primary), and success is a ``307`` to a signed storage URL. That URL uses
the host name ``localhost`` while the API is ``127.0.0.1``, so a client that forwards
``Authorization`` across hosts is caught: like R2/B2, the storage refuses any request that
carries one.

The storage route serves registered payloads (fixture payloads by default, in-memory
bytes, or :class:`Generated` bytes for multi-GiB files that never sit in memory) with
``Range``/``If-Range``/``206``/``416``/``ETag``, and applies scripted faults, one per
request, in order::

    files = downloads(server)
    files.add(version_id=1, file_id=11, name="a.safetensors", payload=b"...")
    files.fault(11, Cut(after=1000), Stall(after=10, seconds=2), Status(503, retry_after=1))
    files.throttle(200_000_000)            # bytes per second for every storage response

``server.state["storage_log"]`` records every storage request: file id, requested range
start, status, and bytes actually sent (updated while sending).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from .server import FIXTURES, FakeCivitai, Request, Response

CHUNK = 256 * 1024
_LAST_MODIFIED = formatdate(1740910531, usegmt=True)  # Sun, 02 Mar 2025 10:15:31 GMT
_XML = "application/xml"


# -- payloads ----------------------------------------------------------------------------
class Generated:
    """Deterministic bytes of any size, streamed from one repeated seeded block.

    The bench serves 2 GiB from this without holding more than ``block`` bytes; the
    SHA-256 is computed once on first use and cached.
    """

    def __init__(self, size: int, seed: int = 0, block: int = 4 * 1024 * 1024):
        self.size, self.seed = int(size), seed
        self._block = random.Random(seed).randbytes(block)
        self._sha256: str | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.size

    def chunks(self, start: int, end: int) -> Iterator[memoryview]:
        view, size = memoryview(self._block), len(self._block)
        pos = start
        while pos < end:
            off = pos % size
            n = min(size - off, end - pos)
            yield view[off:off + n]
            pos += n

    def read(self, start: int, end: int) -> bytes:
        return b"".join(bytes(c) for c in self.chunks(start, end))

    @property
    def sha256(self) -> str:
        with self._lock:
            if self._sha256 is None:
                digest = hashlib.sha256()
                for chunk in self.chunks(0, self.size):
                    digest.update(chunk)
                self._sha256 = digest.hexdigest().upper()
            return self._sha256


def payload_sha256(payload: bytes | Generated) -> str:
    return payload.sha256 if isinstance(payload, Generated) else hashlib.sha256(payload).hexdigest().upper()


def _chunks(payload: bytes | Generated, start: int, end: int, size: int = CHUNK) -> Iterator[memoryview]:
    if isinstance(payload, Generated):
        for block in payload.chunks(start, end):
            for i in range(0, len(block), size):
                yield block[i:i + size]
        return
    view = memoryview(payload)
    for i in range(start, end, size):
        yield view[i:min(i + size, end)]


# -- faults (each consumes one storage request) --------------------------------------------
@dataclass(frozen=True)
class Cut:
    """Sends ``after`` body bytes, then drops the connection."""
    after: int


@dataclass(frozen=True)
class Stall:
    """Sends ``after`` body bytes, then goes silent for ``seconds`` and drops the connection."""
    after: int
    seconds: float


@dataclass(frozen=True)
class Drip:
    """Sends the whole body slowly, at ``rate`` bytes per second."""
    rate: float


@dataclass(frozen=True)
class Status:
    """Answers with an error status (503, 429, 500...) and an optional ``Retry-After``."""
    status: int
    retry_after: str | None = None
    body: bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>ServiceUnavailable</Code></Error>"


@dataclass(frozen=True)
class Expired:
    """Answers 403 "Request has expired" and kills the URL's signature for good."""


@dataclass(frozen=True)
class Corrupt:
    """Flips one byte at absolute file ``offset`` in what is sent."""
    offset: int


@dataclass(frozen=True)
class HtmlLogin:
    """Answers 200 with an HTML login page (a proxy, captive portal or broken CDN)."""


@dataclass(frozen=True)
class JsonError200:
    """Answers 200 with a JSON error document labelled as JSON."""


@dataclass(frozen=True)
class HtmlAsOctets:
    """Answers 200 ``application/octet-stream`` whose bytes are an HTML page (lying Content-Type)."""


@dataclass(frozen=True)
class WrongLength:
    """Announces ``Content-Length`` off by ``delta`` bytes (the body is the real one)."""
    delta: int


@dataclass(frozen=True)
class IgnoreRange:
    """Answers 200 with the whole file even when a Range was asked for."""


@dataclass(frozen=True)
class Gone:
    """Answers 404 NoSuchKey (the object vanished from storage)."""


LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in | Civitai</title></head>"
              b"<body><form action=\"/login\"><input name=\"email\"></form></body></html>")


@dataclass
class FileEntry:
    version_id: int
    file_id: int
    name: str
    payload: bytes | Generated
    primary: bool = True
    etag: str = ""

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = '"' + payload_sha256(self.payload)[:32].lower() + '"'


# -- fixture files ------------------------------------------------------------------------
def _fixture_files() -> dict[int, dict[str, Any]]:
    """file id -> {version_id, name, primary, path} for every fixture payload."""
    index = json.loads((FIXTURES / "payloads" / "index.json").read_text(encoding="utf-8"))
    found: dict[int, dict[str, Any]] = {}
    for model_file in sorted((FIXTURES / "models").glob("*.json")):
        model = json.loads(model_file.read_text(encoding="utf-8"))
        for version in model.get("modelVersions") or []:
            for item in version.get("files") or []:
                entry = index.get(str(item.get("id")))
                if entry and item["id"] not in found:
                    found[item["id"]] = {"version_id": version["id"], "name": item["name"],
                                         "primary": bool(item.get("primary")), "path": FIXTURES / entry["path"]}
    return found


_FIXTURE_FILES = _fixture_files()
_ERRORS = json.loads((FIXTURES / "errors" / "index.json").read_text(encoding="utf-8"))


class Downloads:
    """Test-side handle on the download state of one ``FakeCivitai`` (see module docstring)."""

    def __init__(self, server: FakeCivitai):
        self.server = server

    @property
    def _state(self) -> dict[str, Any]:
        state = self.server.state
        with self.server.lock:
            if "files" not in state:
                state["files"] = {}
                for fid, info in _FIXTURE_FILES.items():
                    state["files"][fid] = FileEntry(info["version_id"], fid, info["name"],
                                                    Path(info["path"]).read_bytes(), info["primary"])
                state.setdefault("storage_faults", {})
                state.setdefault("storage_log", [])
                state.setdefault("sigs", {})
                state.setdefault("download_errors", {})
                state.setdefault("login_required", set())
        return state

    # -- configuration -------------------------------------------------------------------
    def add(self, *, version_id: int, file_id: int, name: str, payload: bytes | Generated,
            primary: bool = True) -> FileEntry:
        """Registers a downloadable file (replacing one with the same id)."""
        entry = FileEntry(version_id, file_id, name, payload, primary)
        state = self._state
        with self.server.lock:
            state["files"][file_id] = entry
        return entry

    def get(self, file_id: int) -> FileEntry:
        return self._state["files"][file_id]

    def fault(self, file_id: int, *faults: Any) -> None:
        """Queues faults for the next storage requests of ``file_id``, one per request."""
        state = self._state
        with self.server.lock:
            state["storage_faults"].setdefault(file_id, []).extend(faults)

    def pending_faults(self, file_id: int) -> list[Any]:
        state = self._state
        with self.server.lock:
            return list(state["storage_faults"].get(file_id, []))

    def throttle(self, rate: float | None) -> None:
        """Limits every storage response to ``rate`` bytes per second (None: unlimited)."""
        self._state["storage_rate"] = rate

    def error_for(self, version_id: int, fixture: str | None) -> None:
        """Answers the download endpoint of ``version_id`` with ``errors/<fixture>`` (None: stop)."""
        errors = self._state["download_errors"]
        if fixture is None:
            errors.pop(version_id, None)
        else:
            assert fixture in _ERRORS, f"no error fixture {fixture}"
            errors[version_id] = fixture

    def require_login(self, api_key: str, *version_ids: int) -> None:
        """Downloads of these versions (all, if none given) need ``api_key`` (Bearer or ?token=)."""
        state = self._state
        state["api_key"] = api_key
        state["login_required"] = set(version_ids) if version_ids else {"*"}

    def log(self, file_id: int | None = None) -> list[dict[str, Any]]:
        """Storage requests so far (copies), optionally for one file."""
        state = self._state
        with self.server.lock:
            return [dict(e) for e in state["storage_log"] if file_id is None or e["file_id"] == file_id]

    def storage_url(self, file_id: int, *, ttl: float = 86400.0) -> str:
        """A freshly signed storage URL, as the 307 would give."""
        entry = self.get(file_id)
        token = secrets.token_hex(8)
        expires = time.time() + ttl
        state = self._state
        with self.server.lock:
            state["sigs"][token] = {"file_id": file_id, "expires": expires, "dead": False}
        disposition = f'attachment; filename="{entry.name}"'
        query = urlencode({"X-Amz-Expires": int(ttl), "response-content-disposition": disposition,
                           "X-Amz-Signature": token})
        return f"http://localhost:{self.server.port}/storage/{file_id}/{quote(entry.name, safe='')}?{query}"


def downloads(server: FakeCivitai) -> Downloads:
    """The download controls of ``server``."""
    return Downloads(server)


# -- routes -------------------------------------------------------------------------------
def _xml_error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()
    return Response(status, body, {"Content-Type": _XML})


def _fixture_response(name: str) -> Response:
    spec = _ERRORS[name]
    body = (FIXTURES / spec["body"]).read_bytes()
    headers = {"Content-Type": spec["contentType"], **spec.get("headers", {})}
    return Response(spec["status"], body, headers)


def _caller_key(req: Request) -> str | None:
    header = req.headers.get("authorization")
    if header is not None:
        parts = header.split(" ")
        return parts[1] if len(parts) > 1 else None
    return req.arg("token")


def _resolve(server: FakeCivitai, req: Request, match: re.Match) -> Response:
    files = Downloads(server)
    state = files._state
    version_id = int(match.group(1))
    fixture = state["download_errors"].get(version_id)
    if fixture:
        return _fixture_response(fixture)
    required = state["login_required"]
    if ("*" in required or version_id in required) and _caller_key(req) != state.get("api_key"):
        return _fixture_response("401_download_login_required")
    candidates = [e for e in state["files"].values() if e.version_id == version_id]
    file_id = req.arg("fileId")
    if file_id is not None:
        chosen = [e for e in candidates if str(e.file_id) == file_id]
    else:
        chosen = [e for e in candidates if e.primary] or candidates[:1]
    if not chosen:
        return _fixture_response("404_download_file_not_found")
    location = files.storage_url(chosen[0].file_id)
    return Response(307, location.encode(), {"Location": location, "Cache-Control": "no-store, max-age=0",
                                             "Content-Type": "text/plain"})


def _parse_range(value: str | None) -> tuple[int, int | None] | None:
    match = re.fullmatch(r"\s*bytes=(\d+)-(\d*)\s*", value or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def _storage(server: FakeCivitai, req: Request, match: re.Match) -> Response:
    files = Downloads(server)
    state = files._state
    file_id = int(match.group(1))
    log_entry = {"file_id": file_id, "range": req.headers.get("range"), "if_range": req.headers.get("if-range"),
                 "authorization": "authorization" in req.headers, "status": None, "sent": 0,
                 "ended": False}
    with server.lock:
        state["storage_log"].append(log_entry)
    response = _storage_response(server, files, req, file_id, log_entry)
    log_entry["status"] = response.status
    if response.writer is None:
        log_entry["ended"] = True
    return response


def _storage_response(server: FakeCivitai, files: Downloads, req: Request, file_id: int,
                      log_entry: dict[str, Any]) -> Response:
    state = files._state
    if "authorization" in req.headers:  # R2 and B2 refuse a second auth mechanism
        return _xml_error(400, "InvalidArgument", "Only one auth mechanism allowed")
    token = req.arg("X-Amz-Signature") or ""
    with server.lock:
        sig = state["sigs"].get(token)
        entry = state["files"].get(file_id)
        queue = state["storage_faults"].get(file_id) or []
        fault = queue.pop(0) if queue else None
    if sig is None or sig["file_id"] != file_id or sig["dead"] or sig["expires"] < time.time():
        return _xml_error(403, "AccessDenied", "Request has expired")
    if entry is None or isinstance(fault, Gone):
        return _xml_error(404, "NoSuchKey", "The specified key does not exist.")
    if isinstance(fault, Expired):
        sig["dead"] = True
        return _xml_error(403, "AccessDenied", "Request has expired")
    if isinstance(fault, Status):
        headers = {"Content-Type": _XML}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
        return Response(fault.status, fault.body, headers)
    if isinstance(fault, HtmlLogin):
        return Response(200, LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
    if isinstance(fault, HtmlAsOctets):
        return Response(200, LOGIN_PAGE, {"Content-Type": "application/octet-stream"})
    if isinstance(fault, JsonError200):
        return Response.json({"error": "Unauthorized", "message": "Session expired"}, 200)
    return _serve(server, state, req, entry, fault, log_entry)


def _serve(server: FakeCivitai, state: dict, req: Request, entry: FileEntry, fault: Any,
           log_entry: dict[str, Any]) -> Response:
    size = len(entry.payload)
    wanted = None if isinstance(fault, IgnoreRange) else _parse_range(req.headers.get("range"))
    if_range = req.headers.get("if-range")
    if wanted is not None and if_range is not None and if_range not in (entry.etag, _LAST_MODIFIED):
        wanted = None  # the validator does not match: the whole (new) file, as RFC 9110 says
    headers = {
        "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "ETag": entry.etag,
        "Last-Modified": _LAST_MODIFIED,
        # raw UTF-8 bytes in the header, as Civitai's storage sends them (latin-1 round trip)
        "Content-Disposition": f'attachment; filename="{entry.name}"'.encode().decode("latin-1"),
    }
    status, start, end = 200, 0, size
    if wanted is not None:
        start, last = wanted
        if start >= size:
            return Response(416, b"", {"Content-Range": f"bytes */{size}", "Content-Type": _XML})
        end = size if last is None else min(size, last + 1)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    length = end - start
    if isinstance(fault, WrongLength):
        length += fault.delta
    headers["Content-Length"] = str(max(0, length))
    rate = fault.rate if isinstance(fault, Drip) else state.get("storage_rate")

    def writer(wfile: Any) -> None:
        _write_body(wfile, entry.payload, start, end, fault, rate, log_entry)

    return Response(status, b"", headers, writer=writer)


def _write_body(wfile: Any, payload: bytes | Generated, start: int, end: int, fault: Any,
                rate: float | None, log_entry: dict[str, Any]) -> None:
    try:
        _send(wfile, payload, start, end, fault, rate, log_entry)
    finally:
        log_entry["ended"] = True  # tests poll this to know the server stopped sending


def _send(wfile: Any, payload: bytes | Generated, start: int, end: int, fault: Any,
          rate: float | None, log_entry: dict[str, Any]) -> None:
    limit = end - start
    if isinstance(fault, (Cut, Stall)):
        limit = min(limit, fault.after)
    began = time.monotonic()
    sent = 0
    piece = CHUNK if not rate else max(1024, min(CHUNK, int(rate / 50)))
    for chunk in _chunks(payload, start, start + limit, piece):
        if isinstance(fault, Corrupt) and start + sent <= fault.offset < start + sent + len(chunk):
            data = bytearray(chunk)
            data[fault.offset - start - sent] ^= 0xFF
            chunk = memoryview(bytes(data))
        wfile.write(chunk)
        sent += len(chunk)
        log_entry["sent"] = sent
        if rate:
            ahead = sent / rate - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)
    if isinstance(fault, Stall):
        wfile.flush()
        time.sleep(fault.seconds)


def install(server: FakeCivitai) -> None:
    """Adds the download endpoint and the storage host to ``server``."""

    @server.route("GET", r"/api/download/models/(\d+)")
    def download(req: Request, match: re.Match) -> Response:
        return _resolve(server, req, match)

    @server.route("GET", r"/storage/(\d+)/[^/]+")
    def storage(req: Request, match: re.Match) -> Response:
        return _storage(server, req, match)


__all__ = ["Corrupt", "Cut", "Downloads", "Drip", "Expired", "FileEntry", "Generated", "Gone", "HtmlAsOctets",
           "HtmlLogin", "IgnoreRange", "JsonError200", "Stall", "Status", "WrongLength", "downloads",
           "payload_sha256"]
