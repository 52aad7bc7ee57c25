"""Civitai link parser: every shape users paste becomes a ``ModelRef``.

The original extension read ``/models/123?modelVersionId=456`` and download links wrongly and
registered the wrong model, so every shape is handled here, in one place, and nothing else in
the code base cuts URLs apart. Accepted:

- ``https://civitai.com/models/123``, ``/models/123/slug``, ``?modelVersionId=456`` (kept)
- ``/model-versions/456`` and ``/api/download/models/456`` (a version id only; the client
  resolves its model later), ``/api/v1/models/123``, ``/api/v1/model-versions/456``
- any Civitai domain (civitai.com, www./api., civitai.red, civitai.green) and the configured
  base URL's host:port (a mirror or the test server); the scheme may be missing
- AIR URNs ``urn:air:sdxl:lora:civitai:123@456`` (and the short ``civitai:123@456``)
- a bare model id ``123``
- whitespace, quotes, brackets and trailing punctuation around any of these
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .errors import NotCivitaiLink

#: Civitai's ids are Postgres int4: 1..2**31-1 (anything else is a 400 on the server)
MAX_ID = 2_147_483_647

#: Domains whose links we accept, with or without ``www.`` / ``api.``
CIVITAI_DOMAINS = ("civitai.com", "civitai.red", "civitai.green")

_STRIP = " \t\r\n\"'`<>()[]{}.,;:!?\u3000\u3001\u3002\uff0c"
_AIR = re.compile(
    r"(?<![\w.])(?:urn:air:[a-z0-9_.\-]+:[a-z0-9_.\-]+:)?civitai:(\d{1,12})(?:@(\d{1,12}))?(?![\w@])",
    re.IGNORECASE,
)
_AIR_FULL = re.compile(r"urn:air:[a-z0-9_.\-]+:[a-z0-9_.\-]+:([a-z0-9_.\-]+):", re.IGNORECASE)
# a URL-ish token: optional scheme, a host (with optional port), then a path
_URLISH = re.compile(
    r"(?<![\w@.\-])(?:https?://)?(?:[a-z0-9\-]+\.)*[a-z0-9\-]+(?::\d{1,5})?/[^\s<>\"'`\\]*",
    re.IGNORECASE,
)
_PATHS = (
    # (regex on the path, which group is the model id, which is the version id)
    (re.compile(r"/api/v1/models/(\d+)/?", re.I), "model"),
    (re.compile(r"/api/v1/model-versions/(\d+)/?", re.I), "version"),
    (re.compile(r"/api/download/models/(\d+)/?", re.I), "version"),
    (re.compile(r"(?:/[a-z]{2}(?:-[a-z]{2})?)?/models/(\d+)(?:/[^/]*)?/?", re.I), "model"),
    (re.compile(r"(?:/[a-z]{2}(?:-[a-z]{2})?)?/model-versions/(\d+)/?", re.I), "version"),
)


@dataclass(frozen=True)
class ModelRef:
    """What a link points at: a model, a model plus a version, or a version only.

    ``model_id`` is ``None`` for version-only links (``/model-versions/456``,
    ``/api/download/models/456``); ``CivitaiClient.resolve_ref`` finds the model.
    """

    model_id: int | None
    version_id: int | None = None

    def __post_init__(self) -> None:
        if self.model_id is None and self.version_id is None:
            raise ValueError("a ModelRef needs a model id or a version id")


def _valid_id(text: str | None) -> int | None:
    """Returns the id when ``text`` is a decimal in Civitai's id range, else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _base_netloc(base_url: str | None) -> tuple[str, int | None] | None:
    if not base_url:
        return None
    try:
        split = urlsplit(base_url if "://" in base_url else "http://" + base_url)
        return (split.hostname or "").lower(), split.port
    except ValueError:
        return None


def is_civitai_link_host(host: str, port: int | None, base_url: str | None = None) -> bool:
    """True for civitai.com/.red/.green and their subdomains, and the configured base host."""
    host = host.lower().rstrip(".")
    base = _base_netloc(base_url)
    if base and base[0] == host and (base[1] == port or port is None or base[1] is None):
        return True
    if port not in (None, 80, 443):
        return False
    return any(host == d or host.endswith("." + d) for d in CIVITAI_DOMAINS)


def _from_air(text: str) -> ModelRef | None:
    full = _AIR_FULL.match(text)
    if full and full.group(1).lower() != "civitai":
        return None  # an AIR for another source (huggingface, ...)
    match = _AIR.fullmatch(text)
    if not match:
        return None
    model_id, version = _valid_id(match.group(1)), match.group(2)
    if model_id is None:
        return None
    version_id = _valid_id(version) if version else None
    if version and version_id is None:
        return None
    return ModelRef(model_id, version_id)


def _from_url(text: str, base_url: str | None) -> ModelRef | None:
    candidate = text if re.match(r"(?i)https?://", text) else "https://" + text
    try:
        split = urlsplit(candidate)
        host, port = split.hostname, split.port
    except ValueError:  # bad port or IPv6 literal: not a link we know
        return None
    if not host or not is_civitai_link_host(host, port, base_url):
        return None
    path = re.sub(r"/{2,}", "/", split.path)
    for pattern, kind in _PATHS:
        match = pattern.fullmatch(path)
        if not match:
            continue
        ident = _valid_id(match.group(1))
        if ident is None:
            return None
        if kind == "version":
            return ModelRef(None, ident)
        query = parse_qs(split.query)
        # a malformed modelVersionId is ignored: the model is still what the user meant
        version_id = _valid_id((query.get("modelVersionId") or [""])[0].strip())
        return ModelRef(ident, version_id)
    return None


def _clean(text: str) -> str:
    text = text.strip(_STRIP)
    if text.lower().startswith("url="):
        text = text[4:].strip(_STRIP)
    return text


def _parse_token(token: str, base_url: str | None) -> ModelRef | None:
    token = _clean(token)
    if not token or any(ch.isspace() for ch in token):
        return None  # several words: leave it to the scanner
    model_id = _valid_id(token)
    if model_id is not None:
        return ModelRef(model_id)
    if ":" in token and "/" not in token:
        return _from_air(token)
    return _from_url(token, base_url)


def parse_link(text: str, base_url: str | None = None) -> ModelRef:
    """Parses one pasted link, AIR or model id into a ``ModelRef``.

    Args:
        text: what the user pasted; surrounding whitespace, quotes and punctuation are ignored.
        base_url: the configured Civitai base URL, whose host (and port) is accepted too.

    Raises:
        NotCivitaiLink: the text is not a Civitai model link, version link, AIR or id.
    """
    if not isinstance(text, str):
        raise NotCivitaiLink(repr(text))
    ref = _parse_token(text, base_url)
    if ref is None:
        refs = _scan(text, base_url)
        if len(refs) == 1:  # one link with a prefix, e.g. "URL=https://..." or "see: https://..."
            return refs[0]
        raise NotCivitaiLink(text.strip())
    return ref


def _scan(text: str, base_url: str | None) -> list[ModelRef]:
    """Finds every link in running text, in order, without duplicates."""
    found: list[tuple[int, ModelRef]] = []
    for match in _AIR.finditer(text):
        start = match.start()
        # include the urn: prefix so AIRs for other sources are rejected as a whole
        urn = re.search(r"urn:air:[^\s]*$", text[:start], re.IGNORECASE)
        token = (urn.group(0) if urn else "") + match.group(0)
        ref = _from_air(token)
        if ref is not None:
            found.append((start, ref))
    for match in _URLISH.finditer(text):
        ref = _from_url(_clean(match.group(0)), base_url)
        if ref is not None:
            found.append((match.start(), ref))
    for offset, line in _lines_with_offsets(text):
        model_id = _valid_id(_clean(line))
        if model_id is not None:  # only a line that is nothing but an id counts as one
            found.append((offset, ModelRef(model_id)))
    found.sort(key=lambda item: item[0])
    seen: set[ModelRef] = set()
    refs: list[ModelRef] = []
    for _, ref in found:
        if ref not in seen:
            seen.add(ref)
            refs.append(ref)
    return refs


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    lines, offset = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((offset, line))
        offset += len(line)
    return lines


def find_links(text: str, base_url: str | None = None) -> list[ModelRef]:
    """Finds every Civitai link, AIR and id-only line in ``text``, in order, deduplicated.

    Words and numbers inside sentences are not ids; a line holding only a number is.

    Raises:
        NotCivitaiLink: the text holds no Civitai link at all.
    """
    if not isinstance(text, str):
        raise NotCivitaiLink(repr(text))
    refs = _scan(text, base_url)
    if not refs:
        raise NotCivitaiLink(text.strip())
    return refs
