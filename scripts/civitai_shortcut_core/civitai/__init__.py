"""Civitai layer: HTTP session, link parser, tolerant views of API JSON, typed errors.

Other layers import from here only; the modules behind it are implementation detail.
Never imports gradio or the WebUI's ``modules``.
"""

from .client import CivitaiClient, query_string
from .errors import (
    Archived,
    BadRequest,
    CivitaiError,
    CivitaiUnavailable,
    DownloadsDisabled,
    EarlyAccess,
    InvalidApiKey,
    LoginRequired,
    NetworkError,
    NoAccess,
    NotCivitaiLink,
    NotFound,
    RateLimited,
    UnexpectedResponse,
)
from .http import RETRYABLE_EXCEPTIONS, CivitaiHttp, HostRateLimiter, RetryPolicy
from .images import full_url, still_url, thumbnail_url
from .links import refs_from_bytes, refs_from_file
from .redact import redact
from .responses import RETRYABLE_STATUSES, raise_for_civitai, read_json
from .urls import ModelRef, find_links, parse_link
from .views import (
    MODEL_TYPES,
    Creator,
    File,
    Image,
    Model,
    Version,
    browsing_level,
    commercial_uses,
    folder_type,
    level_name,
    parse_date,
)

__all__ = [
    "Archived", "BadRequest", "CivitaiClient", "CivitaiError", "CivitaiHttp", "CivitaiUnavailable",
    "Creator", "DownloadsDisabled", "EarlyAccess", "File", "HostRateLimiter", "Image", "InvalidApiKey",
    "LoginRequired", "MODEL_TYPES", "Model", "ModelRef", "NetworkError", "NoAccess", "NotCivitaiLink",
    "NotFound", "RETRYABLE_EXCEPTIONS", "RETRYABLE_STATUSES", "RateLimited", "RetryPolicy",
    "UnexpectedResponse", "Version", "browsing_level", "commercial_uses", "find_links", "folder_type",
    "full_url", "level_name", "parse_date", "parse_link", "query_string", "raise_for_civitai", "read_json",
    "redact", "refs_from_bytes", "refs_from_file", "still_url", "thumbnail_url",
]
