"""Typed errors for everything that can go wrong talking to Civitai.

Every class carries its facts as attributes and a message a user can act on. The API key
never appears in any of them.

    CivitaiError
    ├── NotCivitaiLink            (ValueError) input is not a Civitai model link
    ├── NotFound                  (LookupError) no such model, version or file
    ├── LoginRequired             the creator requires a logged-in download; no key set
    ├── InvalidApiKey             the key was refused (checked with /api/v1/me)
    ├── EarlyAccess               the version is in early access until a date
    ├── NoAccess                  signed in but without a grant for this file
    ├── DownloadsDisabled         the creator allows generation only
    ├── Archived                  the model is archived, files are gone
    ├── RateLimited               too many requests; retry after N seconds
    ├── CivitaiUnavailable        5xx or a Cloudflare error page after retries
    ├── NetworkError              connection, DNS, proxy or timeout failure
    ├── BadRequest                Civitai rejected our parameters (400)
    └── UnexpectedResponse        HTML where JSON was expected, or JSON of the wrong shape
"""

from __future__ import annotations


class CivitaiError(Exception):
    """Base class; ``str(err)`` is the sentence shown to the user."""

    #: short machine name stored with failed jobs and shown in JSON output
    code = "civitai_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotCivitaiLink(CivitaiError, ValueError):
    """The text holds no Civitai model link, version link, AIR or model id."""

    code = "not_civitai_link"

    def __init__(self, text: str):
        self.text = text
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(
            f"Not a Civitai model link: {shown!r}. Paste a link such as "
            "https://civitai.com/models/123 or a model id."
        )


class NotFound(CivitaiError, LookupError):
    """No such model, version or file on Civitai (or it is unpublished)."""

    code = "not_found"

    def __init__(self, what: str = "model", ident: object = None, detail: str = ""):
        self.what, self.ident, self.detail = what, ident, detail
        name = f"{what} {ident}" if ident is not None else what
        super().__init__(
            f"Civitai has no {name}{f' ({detail})' if detail else ''}. "
            "It may have been deleted or unpublished; check the link."
        )


class LoginRequired(CivitaiError):
    """The creator requires a logged-in download and no API key is set."""

    code = "login_required"

    def __init__(self, what: str | None = None):
        self.what = what
        first = (f"Civitai needs you to be logged in for {what}. " if what else
                 "The creator of this model requires you to be logged in to download it. ")
        super().__init__(
            first + "Add your Civitai API key in the settings (civitai.com > Account settings > API keys)."
        )


class InvalidApiKey(CivitaiError):
    """Civitai refused the API key (expired, revoked or mistyped)."""

    code = "invalid_api_key"

    def __init__(self):
        super().__init__(
            "Civitai did not accept your API key. Create a new key on civitai.com "
            "(Account settings > API keys) and paste it in the settings."
        )


class EarlyAccess(CivitaiError):
    """The version is in early access and this account has not bought it."""

    code = "early_access"

    def __init__(self, version_id: object = None, ends: str | None = None):
        self.version_id, self.ends = version_id, ends
        when = f"until {ends}" if ends else "for now"
        super().__init__(
            f"This version is in early access {when}. Buy access on Civitai with the "
            "account of your API key, or download it after that date."
        )


class NoAccess(CivitaiError):
    """Signed in, but this account has no access grant for the file."""

    code = "no_access"

    def __init__(self, detail: str = ""):
        self.detail = detail
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"Your Civitai account does not have access to download this file{why}. "
            "Check on the model page whether it must be bought or requested."
        )


class DownloadsDisabled(CivitaiError):
    """The creator allows on-site generation only; files cannot be downloaded."""

    code = "downloads_disabled"

    def __init__(self):
        super().__init__(
            "The creator of this model has disabled downloads of its files; it can only be "
            "used for generation on Civitai."
        )


class Archived(CivitaiError):
    """The model is archived: its files are no longer available."""

    code = "archived"

    def __init__(self, detail: str = ""):
        self.detail = detail
        super().__init__(
            "This model is archived on Civitai and its files are no longer available for download."
        )


class RateLimited(CivitaiError):
    """Civitai asked us to slow down (429)."""

    code = "rate_limited"

    def __init__(self, retry_after: float | None = None, detail: str = ""):
        self.retry_after, self.detail = retry_after, detail
        wait = f"retry in {max(1, int(round(retry_after)))} s" if retry_after else "retry in a few minutes"
        why = f" ({detail})" if detail else ""
        super().__init__(f"Civitai is rate limiting requests{why}; {wait}.")


class CivitaiUnavailable(CivitaiError):
    """Civitai answered with a server error or a Cloudflare page, even after retries."""

    code = "unavailable"

    def __init__(self, status: int | None = None, detail: str = ""):
        self.status, self.detail = status, detail
        parts = [f"HTTP {status}"] if status else []
        if detail:
            parts.append(detail)
        why = f" ({': '.join(parts)})" if parts else ""
        super().__init__(f"Civitai is unavailable right now{why}. Try again in a few minutes.")


class NetworkError(CivitaiError):
    """The request never got an answer: DNS, connection, proxy, TLS or timeout."""

    code = "network"

    def __init__(self, host: str, reason: str, detail: str = ""):
        #: ``detail`` is the redacted technical text of the underlying exception, for logs
        self.host, self.reason, self.detail = host, reason, detail
        super().__init__(
            f"Could not reach {host}: {reason}. Check your internet connection and the proxy setting."
        )


class BadRequest(CivitaiError):
    """Civitai rejected the request's parameters (400)."""

    code = "bad_request"

    def __init__(self, detail: str = ""):
        self.detail = detail
        shown = detail.rstrip(". ") or "invalid parameters"
        super().__init__(f"Civitai rejected the request: {shown}.")


class UnexpectedResponse(CivitaiError):
    """The body was not what this endpoint returns (HTML instead of JSON, wrong shape)."""

    code = "unexpected_response"

    def __init__(self, what: str, detail: str = ""):
        self.what, self.detail = what, detail
        super().__init__(
            f"Civitai sent an unexpected response for {what}"
            f"{f': {detail}' if detail else ''}. Try again later; if it persists, report it."
        )
