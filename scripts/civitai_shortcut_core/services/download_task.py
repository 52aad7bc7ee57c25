"""One file download that is never broken: resolve, stream into ``.part``, verify, rename.

    <folder>/<name>.part        the bytes so far (one owner: the job that created it)
    <folder>/<name>.part.json   what the part is of (file id, size, sha256) and its validator
    <folder>/<name>             appears only after size and SHA-256 matched (atomic rename)

The flow (DESIGN.md "Downloads", civitai-api.md §2.7):

1. ``GET /api/download/models/{versionId}?fileId=`` without following redirects; the key
   goes only there (``CivitaiHttp.headers_for``). Anything but a redirect becomes the typed
   Civitai error (login required, early access, archived...).
2. ``GET`` the signed storage URL with no ``Authorization`` (R2/B2 refuse it). A resumed
   request sends ``Range: bytes=N-`` and ``If-Range``. Bytes are accepted only from a 206
   whose ``Content-Range`` starts at N, or from a 200 (which means: start over). A 416 means
   "check what we have". A 401/403/404 from storage (an expired signature) means: resolve
   again and go on from the bytes on disk.
3. Bytes are written to the part and hashed in the same pass (see ``StreamHasher``). A body
   that starts like HTML or JSON, or is labelled so, is never written.
4. Read timeouts catch stalls; cuts, stalls and 5xx/429 are retried with capped backoff
   (honouring ``Retry-After``). Only attempts that brought no new bytes count against the
   limit, so a file cut ten times still finishes.
5. Size and SHA-256 must match the API before the part is renamed without overwriting
   anything; on a mismatch the part is deleted and nothing has the final name.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import os
import random
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from ..civitai import errors as civitai_errors
from ..civitai.responses import raise_for_civitai, retry_after
from ..files.atomic import fsync_dir, start_writeback, write_atomic
from ..files.disk import ensure_free_space, free_bytes
from ..files.errors import (
    DiskFull,
    FileConflict,
    HashMismatch,
    NotAModelFile,
    SizeMismatch,
    StorageRefused,
    TransferFailed,
)
from ..files.hashing import StreamHasher, sha256_file
from ..files.names import resolve_inside, split_extension
from .jobs import Cancelled

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
#: written bytes between two writeback kicks (see ``files.atomic.start_writeback``)
WRITEBACK_STEP = 64 * 1024 * 1024
META_SUFFIX = ".part.json"
_REDIRECTS = (301, 302, 303, 307, 308)
_DOCUMENT_TYPES = ("text/html", "application/xhtml", "application/json", "text/xml", "application/xml")
_DOCUMENT_HEADS = (b"<!doctype", b"<html", b"<?xml", b'{"', b"{\n", b"{ ")
#: errors a broken or stalled body raises while we read it (urllib3 raises its own types here)
_STREAM_ERRORS = (urllib3.exceptions.HTTPError, requests.RequestException, http.client.HTTPException,
                  ConnectionError, TimeoutError)


class Progress(Protocol):
    """What a download reports to and asks of its caller (a job context, or nothing)."""

    def report(self, done: float | None = None, total: float | None = None, message: str | None = None,
               unit: str | None = None) -> None: ...

    def check(self) -> None: ...

    def sleep(self, seconds: float) -> None: ...


class NoProgress:
    """A caller that watches nothing and never stops the download (CLI without a bar, bench)."""

    def report(self, done=None, total=None, message=None, unit=None) -> None:
        return None

    def check(self) -> None:
        return None

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class TransferPolicy:
    """How hard one download tries; ``sleep`` comes from the progress object, so tests can shrink it."""

    chunk: int = 1024 * 1024
    attempts_without_progress: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    fresh_url_refusals: int = 3
    max_redirects: int = 5


DEFAULT_POLICY = TransferPolicy()


@dataclass(frozen=True)
class DownloadSpec:
    """Everything needed to (re-)run one file download; stored as the job's params."""

    version_id: int
    file_id: int | None
    folder: str
    name: str
    size: int | None = None
    sha256: str | None = None

    def to_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DownloadSpec:
        return cls(version_id=int(params["version_id"]),
                   file_id=None if params.get("file_id") is None else int(params["file_id"]),
                   folder=str(params["folder"]), name=str(params["name"]),
                   size=None if params.get("size") is None else int(params["size"]),
                   sha256=(params.get("sha256") or None) and str(params["sha256"]).upper())

    @property
    def final(self) -> Path:
        return resolve_inside(self.folder, self.name)

    @property
    def part(self) -> Path:
        final = self.final
        return final.with_name(final.name + PART_SUFFIX)

    @property
    def part_meta(self) -> Path:
        final = self.final
        return final.with_name(final.name + META_SUFFIX)


@dataclass(frozen=True)
class DownloadResult:
    """A verified file under its final name."""

    path: str
    size: int
    sha256: str
    already: bool = False        # the file was there already (same SHA-256); nothing downloaded
    resumed_from: int = 0        # bytes of an earlier part that were kept

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def looks_like_document(head: bytes) -> bool:
    """True when the first bytes of a body are an HTML page, XML or a JSON object."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(_DOCUMENT_HEADS)


def _content_range(value: str | None) -> tuple[int | None, int | None, int | None] | None:
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None
    start, end, total = match.groups()
    return (None if start is None else int(start), None if end is None else int(end),
            None if total in (None, "*") else int(total))


def _drain(response: requests.Response, limit: int = 64 * 1024) -> None:
    """Reads a small error body so the connection can be reused instead of reset."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) <= limit:
        try:
            response.raw.read(int(length))
        except _STREAM_ERRORS as exc:
            log.debug("Could not read an error body: %s", exc)  # the connection is dropped instead


class FileTransfer:
    """Runs one :class:`DownloadSpec` to a verified file (see the module docstring)."""

    def __init__(self, http: Any, spec: DownloadSpec, *, progress: Progress | None = None,
                 policy: TransferPolicy = DEFAULT_POLICY, rng: random.Random | None = None):
        self.http, self.spec, self.policy = http, spec, policy
        self.progress = progress or NoProgress()
        self._rng = rng or random.Random()
        self.final = spec.final
        self.part, self.meta_path = spec.part, spec.part_meta
        self.have = 0
        self.validator: str | None = None
        self.url: str | None = None
        self.hasher = StreamHasher()
        self.last_problem = ""
        self._last_status = 0
        self._pos = 0  # where the part's file object is (saves a tell() per chunk)
        self._kicked = 0  # bytes of the part already handed to the kernel's writeback

    # -- public -------------------------------------------------------------------------
    def run(self) -> DownloadResult:
        """Downloads (or finds) the file and returns it verified.

        Raises:
            CivitaiError: the download endpoint refused (login, early access, archived...).
            FilesError: size/hash mismatch, an HTML/JSON body, disk full, a name conflict,
                storage that keeps refusing, or a transfer that stopped making progress.
            Cancelled / Paused: from the progress object's ``check`` (a cancel deletes the part).
        """
        self.final.parent.mkdir(parents=True, exist_ok=True)
        existing = self._existing_final()
        if existing is not None:
            return existing
        resumed = self._load_part()
        if self.spec.size is not None:
            ensure_free_space(self.final.parent, self.spec.size - self.have)
        try:
            if self.have:
                self.progress.report(done=0, total=self.have, unit="B", message="Checking the partial download")
                self.hasher.feed_file(self.part, self.have, cancel=self.progress.check)
            with open(self.part, "r+b" if self.part.exists() else "wb") as out:
                out.seek(self.have)
                out.truncate()
                self._pos = self._kicked = self.have
                self._transfer(out)
                out.flush()
                os.fsync(out.fileno())
            digest = self.hasher.hexdigest()
        except (Cancelled, SizeMismatch):
            # a cancel means the user does not want the bytes; a too-long body is not the file
            self._discard_part()
            raise
        return self._finish(digest, resumed)

    # -- before the transfer ------------------------------------------------------------
    def _existing_final(self) -> DownloadResult | None:
        if not self.final.exists():
            return None
        expected = self.spec.sha256
        size = self.final.stat().st_size
        if expected and (self.spec.size is None or size == self.spec.size):
            self.progress.report(done=0, total=size, unit="B", message="Checking the file already there")
            digest = sha256_file(self.final, cancel=self.progress.check)
            if digest == expected:
                self._discard_part()
                self.progress.report(done=size, total=size, unit="B",
                                     message="Already downloaded: the file there has the same SHA-256")
                return DownloadResult(str(self.final), size, digest, already=True)
        raise FileConflict(self.final)

    def _load_part(self) -> int:
        """Keeps an existing part only when its metadata says it is this very file."""
        self.have, self.validator = 0, None
        if not self.part.exists():
            return 0
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.info("Starting %s over: no readable part metadata (%s)", self.final.name, exc)
            meta = None
        size = self.part.stat().st_size
        same = (isinstance(meta, dict) and meta.get("file_id") == self.spec.file_id
                and meta.get("version_id") == self.spec.version_id and meta.get("size") == self.spec.size
                and (meta.get("sha256") or None) == self.spec.sha256)
        if not same or (self.spec.size is not None and size > self.spec.size):
            self._discard_part()
            return 0
        self.have, self.validator = size, meta.get("validator")
        return size

    def _write_meta(self) -> None:
        meta = {"file_id": self.spec.file_id, "version_id": self.spec.version_id, "size": self.spec.size,
                "sha256": self.spec.sha256, "validator": self.validator}
        write_atomic(self.meta_path, json.dumps(meta))

    # -- the transfer loop --------------------------------------------------------------
    def _transfer(self, out: Any) -> None:
        stuck = refusals = redirects = 0
        while True:
            self.progress.check()
            if self.url is None:
                self.url = self._resolve()
            outcome, wait = self._attempt(out)
            if outcome == "done":
                return
            if outcome == "progress":
                stuck = refusals = 0
                continue
            if outcome == "redirect":
                redirects += 1
                if redirects > self.policy.max_redirects:
                    raise StorageRefused(302, "too many redirects")
                continue
            if outcome == "refused":
                refusals += 1
                if refusals >= self.policy.fresh_url_refusals:
                    raise StorageRefused(self._last_status, self.last_problem)
                self.url = None
                continue
            stuck += 1
            if stuck >= self.policy.attempts_without_progress:
                raise TransferFailed(self.final.name, stuck, self.last_problem or "no data")
            delay = wait if wait is not None else self._backoff(stuck)
            log.info("Download of %s: %s; retry %d/%d in %.1f s", self.final.name, self.last_problem, stuck,
                     self.policy.attempts_without_progress - 1, delay)
            self.progress.sleep(delay)

    def _backoff(self, stuck: int) -> float:
        p = self.policy
        return min(p.max_delay, p.base_delay * 2 ** (stuck - 1)) * self._rng.uniform(0.5, 1.0)

    def _resolve(self) -> str:
        """Asks Civitai for a fresh signed storage URL (the only request that carries the key)."""
        spec = self.spec
        url = f"{self.http.base_url}/api/download/models/{spec.version_id}"
        if spec.file_id is not None:
            url += f"?fileId={spec.file_id}"
        what = f"the file of version {spec.version_id}"
        self.progress.report(message="Asking Civitai for the download link")
        with self.http.send("GET", url, stream=True, allow_redirects=False) as response:
            raise_for_civitai(response, what=what, version_id=spec.version_id)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                raise civitai_errors.UnexpectedResponse(what, f"HTTP {response.status_code} without a link")
        target = urljoin(url, location)
        path = urlsplit(target).path
        # browser-style answers (civitai-api.md §2.7 item 12) if a proxy rewrote our User-Agent
        if path.startswith("/login"):
            raise civitai_errors.LoginRequired()
        if re.match(r"/model-versions/\d+", path) and self.http.is_civitai_host(target):
            raise civitai_errors.EarlyAccess(spec.version_id, None)
        return target

    def _request_headers(self) -> dict[str, str]:
        # identity: a compressed body would not hash to the API's SHA-256, and breaks ranges
        headers = {"Accept-Encoding": "identity"}
        if self.have:
            headers["Range"] = f"bytes={self.have}-"
            if self.validator:
                headers["If-Range"] = self.validator
        return headers

    def _attempt(self, out: Any) -> tuple[str, float | None]:
        """One storage request; returns (outcome, server-requested wait)."""
        assert self.url is not None
        try:
            response = self.http.send("GET", self.url, stream=True, allow_redirects=False, retry=False,
                                      headers=self._request_headers())
        except civitai_errors.NetworkError as exc:
            self.last_problem = exc.reason
            return "stuck", None
        with response:
            self._last_status = status = response.status_code
            if status in _REDIRECTS and response.headers.get("Location"):
                self.url = urljoin(self.url, response.headers["Location"])
                return "redirect", None
            if status in (200, 206):
                return self._receive(response, out), None
            _drain(response)
            if status == 416:
                return self._unsatisfiable(response), None
            if status in (400, 401, 403, 404, 410):
                self.last_problem = f"storage answered HTTP {status}"
                return "refused", None
            if status in (408, 429) or status >= 500:
                self.last_problem = f"storage busy (HTTP {status})"
                wait = retry_after(response)
                return "stuck", None if wait is None else min(wait, self.policy.max_retry_after)
            raise StorageRefused(status, f"unexpected HTTP {status}")

    def _unsatisfiable(self, response: requests.Response) -> str:
        """416: our part is at least as long as the file; keep it only if it is the file."""
        _, _, total = _content_range(response.headers.get("Content-Range")) or (None, None, None)
        expected = self.spec.size if self.spec.size is not None else total
        if expected is not None and self.have == expected and (total is None or total == expected):
            if not self.spec.sha256 or self.hasher.hexdigest() == self.spec.sha256:
                return "done"
            self.last_problem = "the partial download was complete but corrupt"
        else:
            self.last_problem = "the server has a different file size than our partial download"
        self._restart()
        return "stuck"

    def _restart(self) -> None:
        """Forgets the part's bytes (truncated on the next write) and its running hash."""
        log.info("Download of %s starts over from byte 0", self.final.name)
        self.hasher = StreamHasher()
        self.have, self.validator = 0, None

    def _accept(self, response: requests.Response) -> bool:
        """True when the body continues our part exactly (206 at our offset, or 200 from zero)."""
        size = self.spec.size
        if response.status_code == 200:
            if self.have:
                log.info("Storage ignored our Range for %s; starting over", self.final.name)
                self._restart()
            length = response.headers.get("Content-Length")
            if size is not None and length is not None and length.isdigit() and int(length) != size:
                self.last_problem = f"the server announces {length} bytes instead of {size}"
            self._set_validator(response)
            return True
        parsed = _content_range(response.headers.get("Content-Range"))
        if parsed is None or parsed[0] != self.have or (size is not None and parsed[2] not in (None, size)):
            self.last_problem = f"a partial answer that does not continue at byte {self.have}"
            self._restart()
            return False
        etag = response.headers.get("ETag")
        if etag and self.validator and self.validator.startswith('"') and etag != self.validator:
            self.last_problem = "the file changed on the server"
            self._restart()
            return False
        return True

    def _set_validator(self, response: requests.Response) -> None:
        etag = response.headers.get("ETag", "")
        # If-Range needs a strong validator; a weak ETag falls back to Last-Modified
        self.validator = etag if etag.startswith('"') else response.headers.get("Last-Modified")
        self._write_meta()

    def _check_document(self, response: requests.Response, head: bytes | None) -> None:
        _, ext = split_extension(self.final.name)
        ext = ext.lower().lstrip(".")
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype in _DOCUMENT_TYPES and ext not in ("json", "html", "htm", "xml"):
            raise NotAModelFile("a web page or an error document", ctype)
        if head is not None and looks_like_document(head) and ext not in ("json", "html", "htm", "xml", "txt"):
            raise NotAModelFile("a web page or an error document", ctype)

    def _receive(self, response: requests.Response, out: Any) -> str:
        self._check_document(response, None)
        if not self._accept(response):
            return "stuck"
        before = self.have
        try:
            complete = self._stream(response, out)
        except _STREAM_ERRORS as exc:
            self.last_problem = ("the download stalled" if "timed out" in str(exc).lower()
                                 else "the connection broke during the download")
            complete = False
        size = self.spec.size
        if complete and (size is None or self.have >= size):
            return "done"
        if complete:
            self.last_problem = "the server closed the download early"
        return "progress" if self.have > before else "stuck"

    def _stream(self, response: requests.Response, out: Any) -> bool:
        """Copies the body into the part; True when the body ended as announced."""
        raw = response.raw
        read = getattr(raw, "read1", None) or raw.read
        size = self.spec.size
        head = b""
        sniffing = self.have == 0  # look at a body's first bytes before any of them is written
        while True:
            chunk = read(self.policy.chunk, decode_content=True)
            if sniffing:
                head += chunk
                if chunk and len(head) < 64:
                    continue
                self._check_document(response, head)
                chunk, head, sniffing = head, b"", False
            if not chunk:
                return True
            if size is not None and self.have + len(chunk) > size:
                raise SizeMismatch(self.final.name, size, self.have + len(chunk))
            self._write(out, chunk)
            self.progress.report(done=self.have, total=size, unit="B", message="Downloading")
            self.progress.check()

    def _write(self, out: Any, chunk: bytes) -> None:
        try:
            if self._pos != self.have:  # after a restart the part is rewritten from zero
                out.seek(self.have)
                out.truncate()
                self._pos = self._kicked = self.have
            out.write(chunk)
            self._pos += len(chunk)
            if self._pos - self._kicked >= WRITEBACK_STEP:
                out.flush()
                start_writeback(out.fileno(), self._kicked, self._pos - self._kicked)
                self._kicked = self._pos
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
                raise DiskFull(self.final.parent, (self.spec.size or 0) - self.have,
                               free_bytes(self.final.parent)) from None
            raise
        self.hasher.update(chunk)
        self.have += len(chunk)

    # -- after the transfer -------------------------------------------------------------
    def _finish(self, digest: str, resumed: int) -> DownloadResult:
        spec = self.spec
        if spec.size is not None and self.have != spec.size:
            self._discard_part()
            raise SizeMismatch(self.final.name, spec.size, self.have)
        if spec.sha256 and digest != spec.sha256:
            self._discard_part()
            raise HashMismatch(self.final.name, spec.sha256, digest)
        self._place()
        self._remove(self.meta_path)
        fsync_dir(self.final.parent)
        self.progress.report(done=self.have, total=self.have, unit="B", message="Verified")
        return DownloadResult(str(self.final), self.have, digest, resumed_from=resumed)

    def _place(self) -> None:
        """Renames the part to the final name, never replacing a file that appeared meanwhile."""
        if os.name == "nt":
            os.rename(self.part, self.final)  # refuses to replace an existing file on Windows
            return
        try:
            os.link(self.part, self.final)  # fails with EEXIST instead of replacing
        except FileExistsError:
            raise FileConflict(self.final) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            # filesystems without hard links (FAT, some shares): check, then replace
            if self.final.exists():
                raise FileConflict(self.final) from None
            os.replace(self.part, self.final)
            return
        self._remove(self.part)

    def _discard_part(self) -> None:
        self._remove(self.part)
        self._remove(self.meta_path)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # already gone: the goal of the call


def download_file(http: Any, spec: DownloadSpec, *, progress: Progress | None = None,
                  policy: TransferPolicy = DEFAULT_POLICY) -> DownloadResult:
    """Downloads one file to a verified final path (see :class:`FileTransfer`)."""
    return FileTransfer(http, spec, progress=progress, policy=policy).run()


__all__ = ["DownloadResult", "DownloadSpec", "FileTransfer", "NoProgress", "Progress", "TransferPolicy",
           "download_file", "looks_like_document"]
