"""The one place that turns a Civitai HTTP response into a typed error.

Civitai answers non-browser clients with precise JSON errors; this module reads them (status,
``error`` as a string or a zod object, ``message``, ``deadline``, ``Retry-After``, Cloudflare
HTML pages) and nothing else in the code base compares status codes. ``http.py`` asks
``should_retry``/``retry_after`` here, and callers catch the error types from ``errors.py``.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from . import errors
from .redact import redact

#: statuses worth another try: overload, gateway trouble and Cloudflare's 52x family
RETRYABLE_STATUSES = (408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 530)

_DETAIL_MAX = 200


def _body_text(response: requests.Response) -> str:
    try:
        return response.text or ""
    except (RuntimeError, requests.RequestException):  # a streamed body that was consumed or broke
        return ""


def is_html(response: requests.Response) -> bool:
    """True when the body is an HTML page (Cloudflare, a captive portal, a login page)."""
    ctype = response.headers.get("Content-Type", "").lower()
    if "html" in ctype:
        return True
    head = _body_text(response)[:200].lstrip().lower()
    return head.startswith(("<!doctype html", "<html"))


def _json_body(response: requests.Response) -> dict[str, Any] | None:
    text = _body_text(response).strip()
    if not text.startswith("{"):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _zod_summary(error: dict[str, Any]) -> str:
    """Summarises a zod error object (v3 ``issues`` list or v4 JSON-string ``message``)."""
    issues = error.get("issues")
    if issues is None and isinstance(error.get("message"), str):
        try:
            issues = json.loads(error["message"])
        except ValueError:
            return error["message"][:_DETAIL_MAX]
    if not isinstance(issues, list) or not issues or not isinstance(issues[0], dict):
        return "invalid parameters"
    first = issues[0]
    path = ".".join(str(p) for p in first.get("path") or []) or "request"
    received = first.get("received")
    unions = first.get("unionErrors") or first.get("errors") or []
    if received is None and unions:  # zod v3 nests the real issue inside unionErrors
        nested = unions[0].get("issues", unions[0]) if isinstance(unions[0], dict) else unions[0]
        if isinstance(nested, list) and nested and isinstance(nested[0], dict):
            received = nested[0].get("received")
    got = f" (got {received!r})" if received is not None else ""
    return f"invalid value for {path}{got}"


def server_message(response: requests.Response) -> str:
    """The server's own words: ``message`` or ``error`` (string or zod object), or a page title."""
    body = _json_body(response)
    if body is not None:
        error, message = body.get("error"), body.get("message")
        if isinstance(error, dict):
            text = _zod_summary(error)
        elif message == "An unexpected error occurred" and isinstance(error, str):
            text = f"{message}: {error}"
        elif isinstance(message, str) and message:
            text = message
        elif isinstance(error, str):
            text = error
        else:
            text = ""
    elif is_html(response):
        title = re.search(r"<title>(.*?)</title>", _body_text(response), re.I | re.S)
        text = re.sub(r"\s+", " ", title.group(1)).strip() if title else "an HTML page"
    else:
        text = _body_text(response).strip().splitlines()[0] if _body_text(response).strip() else ""
    text = re.sub(r"\s+", " ", text).strip()
    return text[:_DETAIL_MAX]


def retry_after(response: requests.Response, *, now: datetime | None = None) -> float | None:
    """Seconds from ``Retry-After`` (delta or HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def should_retry(response: requests.Response) -> bool:
    """True for answers another try may fix.

    Civitai's own 429s without ``Retry-After`` (the page cap, the download limiter) are not
    retried: they do not clear in seconds, and hammering the limiter makes it worse. Cloudflare's
    HTML 429 and any 429 with ``Retry-After`` are.
    """
    status = response.status_code
    if status not in RETRYABLE_STATUSES:
        return False
    if status == 429:
        return retry_after(response) is not None or is_html(response)
    return True


def key_sent(response: requests.Response) -> bool:
    """True when the request behind ``response`` carried an API key (header or ``?token=``)."""
    request = response.request
    if request is None:
        return False
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and auth[7:].strip():
        return True
    try:
        return bool((parse_qs(urlsplit(request.url or "").query).get("token") or [""])[0])
    except ValueError:
        return False


def _sent_key(response: requests.Response) -> str:
    request = response.request
    if request is None:
        return ""
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return (parse_qs(urlsplit(request.url or "").query).get("token") or [""])[0]


def raise_for_civitai(response: requests.Response, *, what: str, version_id: int | None = None) -> None:
    """Raises the typed error a failed Civitai response stands for; returns on 1xx-3xx.

    Args:
        response: any response from a Civitai host (API or download endpoint).
        what: what was asked for, in words ("model 123", "version 456"), for the message.
        version_id: the version concerned, recorded on ``EarlyAccess``.

    Raises:
        NotFound, LoginRequired, InvalidApiKey, EarlyAccess, NoAccess, DownloadsDisabled,
        Archived, RateLimited, CivitaiUnavailable, BadRequest, UnexpectedResponse.
    """
    status = response.status_code
    if status < 400:
        return
    detail = redact(server_message(response), _sent_key(response))
    lowered = detail.lower()
    body = _json_body(response) or {}
    html = body == {} and is_html(response)
    if status == 429:
        raise errors.RateLimited(retry_after(response), "" if html else detail)
    if status >= 500 or status == 499:
        raise errors.CivitaiUnavailable(status, detail)
    if html and status != 404:
        if status == 403 and "cloudflare" in _body_text(response).lower():
            raise errors.CivitaiUnavailable(status, f"blocked by Cloudflare: {detail}")
        raise errors.UnexpectedResponse(what, f"HTTP {status} with an HTML page ({detail})")
    if status == 401:
        if "disabled downloads" in lowered:
            raise errors.DownloadsDisabled()
        if key_sent(response):
            # Civitai treats unknown or revoked keys as anonymous, so any 401 with a key means the key
            raise errors.InvalidApiKey()
        raise errors.LoginRequired(None if "logged in" in lowered else what)
    if status == 403:
        if body.get("error") == "Early Access" or "deadline" in body or "early access" in lowered:
            deadline = body.get("deadline")
            raise errors.EarlyAccess(version_id, deadline if isinstance(deadline, str) else None)
        raise errors.NoAccess(detail)
    if status == 404:
        raise errors.NotFound(what, None, detail)
    if status == 410:
        raise errors.Archived(detail)
    if status in (400, 405, 422) or 400 <= status < 500:
        raise errors.BadRequest(f"{what}: {detail}" if detail else what)


def read_json(response: requests.Response, *, what: str) -> Any:
    """Returns the decoded JSON body of a successful response.

    Raises:
        UnexpectedResponse: the body is HTML, empty or not JSON.
    """
    if is_html(response):
        raise errors.UnexpectedResponse(what, f"an HTML page ({server_message(response)}) instead of JSON")
    try:
        return response.json()
    except ValueError:
        text = _body_text(response).strip()
        raise errors.UnexpectedResponse(what, "an empty body" if not text else "a body that is not JSON") from None
