"""HTTP to Civitai: per-thread sessions, timeouts, auth by host, bounded polite retries.

Why each piece exists (DESIGN.md "Civitai"):

- one ``requests.Session`` per thread, because sessions are not thread-safe and registration
  runs several threads at once;
- ``(connect, read)`` timeouts on every call, read from the current settings: the old
  extension had none and a stalled socket hung the WebUI forever;
- ``Authorization: Bearer`` only for Civitai's API hosts (``headers_for``): storage hosts
  (R2, ``b2.civitai.com``) refuse requests that carry it, and the key must not leak;
- bounded retries with capped exponential backoff and jitter for connection errors, timeouts,
  5xx, Cloudflare pages and 429 (``Retry-After`` honoured, capped, within a total budget);
- a per-host limiter shared by all threads, so a batch registration stays polite;
- an honest User-Agent: Civitai answers browsers with redirects and text, us with JSON errors.

``sleep`` and ``clock`` are injected so tests never sleep for real.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any, Callable, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from .. import USER_AGENT
from ..settings import Settings
from . import errors
from .redact import redact
from .responses import raise_for_civitai, read_json, retry_after, should_retry

log = logging.getLogger(__name__)

#: exceptions another try may fix; TLS failures and bad URLs are not among them
RETRYABLE_EXCEPTIONS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
NOT_RETRYABLE_EXCEPTIONS = (requests.exceptions.SSLError, requests.exceptions.InvalidProxyURL)

#: API hosts that get the key; other subdomains (``b2.civitai.com`` storage, the image CDN) do not
API_HOSTS = frozenset({
    "civitai.com", "www.civitai.com", "api.civitai.com",
    "civitai.red", "www.civitai.red", "civitai.green", "www.civitai.green",
})


class RetryPolicy(NamedTuple):
    """How hard to try: ``retries`` extra attempts, waits doubling from ``base_delay`` up to
    ``max_delay`` (times a jitter of 0.5-1.0), a server ``Retry-After`` up to ``max_retry_after``
    (longer asks are not waited for: the caller gets ``RateLimited`` at once), and no retry that
    would end later than ``total_budget`` seconds after the first attempt."""

    retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    total_budget: float = 120.0


DEFAULT_POLICY = RetryPolicy()


class HostRateLimiter:
    """Spaces requests to one host at least ``min_interval`` apart, across all threads."""

    def __init__(self, min_interval: float, *, sleep: Callable[[float], None], clock: Callable[[], float]):
        self.min_interval = min_interval
        self._sleep, self._clock = sleep, clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Blocks until this thread may send to ``host``; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.min_interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay

    def hold(self, host: str, seconds: float) -> None:
        """Makes every thread wait ``seconds`` before its next request to ``host`` (after a 429)."""
        with self._lock:
            until = self._clock() + seconds
            self._next[host] = max(self._next.get(host, 0.0), until)


def _host_of(url: str) -> str:
    try:
        split = urlsplit(url)
        return split.netloc.rsplit("@", 1)[-1] or url
    except ValueError:
        return "?"


def _pop_token(url: str) -> tuple[str, str]:
    """``url`` without its ``token=`` parameter, and that token ("" when absent)."""
    try:
        split = urlsplit(url)
    except ValueError:
        return url, ""
    if "token=" not in split.query.lower():
        return url, ""
    pairs = parse_qsl(split.query, keep_blank_values=True)
    token = next((v for k, v in pairs if k.lower() == "token"), "")
    kept = urlencode([(k, v) for k, v in pairs if k.lower() != "token"])
    return urlunsplit((split.scheme, split.netloc, split.path, kept, split.fragment)), token


def _effective_port(scheme: str, port: int | None) -> int | None:
    if port is not None:
        return port
    return {"http": 80, "https": 443}.get(scheme.lower())


def _network_reason(exc: BaseException, timeout: tuple[float, float]) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {timeout[0]:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout[1]:g} s"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy could not be reached or refused the connection"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS certificate could not be verified (see the CA bundle setting)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke during the answer"
    if isinstance(exc, requests.exceptions.InvalidSchema) and "socks" in str(exc).lower():
        return "SOCKS proxies need the PySocks package"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "the connection failed"
    return f"the request failed ({type(exc).__name__})"


class CivitaiHttp:
    """HTTP client for Civitai hosts, shared by all threads of the app.

    Args:
        settings: returns the current ``Settings`` (key, base URL, proxy, CA bundle, timeouts);
            read on every request so a changed setting applies without a restart.
        sleep: waits between retries and for the rate limiter (tests pass a recorder).
        clock: monotonic seconds, for the retry budget and the limiter.
        policy: the retry policy.
        min_interval: seconds between two requests to the same Civitai API host, over all
            threads (20 a second by default: polite, yet 4 parallel fetches at real latencies
            are never held back). Image CDN and storage hosts are not spaced, only held
            after a 429 with Retry-After.
    """

    def __init__(self, settings: Callable[[], Settings], *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, policy: RetryPolicy = DEFAULT_POLICY,
                 min_interval: float = 0.05, rng: random.Random | None = None):
        self._settings = settings
        self._sleep, self._clock = sleep, clock
        self.policy = policy
        self.limiter = HostRateLimiter(min_interval, sleep=sleep, clock=clock)
        self._other_hosts = HostRateLimiter(0.0, sleep=sleep, clock=clock)
        self._local = threading.local()
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"CivitaiHttp(base_url={self.base_url!r})"

    # -- configuration ---------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings()

    @property
    def base_url(self) -> str:
        """The configured Civitai origin without a trailing slash."""
        return (self.settings.civitai_url or "https://civitai.com").rstrip("/")

    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` timeout every request must pass."""
        s = self.settings
        return (float(s.connect_timeout), float(s.read_timeout))

    def proxies(self) -> dict[str, str]:
        """The proxy setting for both schemes, or ``{}`` to use the environment's proxy."""
        proxy = self.settings.proxy.strip()
        return {"http": proxy, "https": proxy} if proxy else {}

    def verify(self) -> bool | str:
        """TLS verification is always on; a CA bundle path replaces the default store."""
        return self.settings.ca_bundle.strip() or True

    def request_options(self) -> dict[str, Any]:
        """``timeout``, ``proxies`` and ``verify`` for a request made with ``session()`` directly."""
        return {"timeout": self.timeout(), "proxies": self.proxies(), "verify": self.verify()}

    def session(self) -> requests.Session:
        """This thread's session, configured from the current settings.

        With a proxy setting the environment is ignored (``trust_env`` off), so the setting wins
        over ``HTTPS_PROXY``; without one, the environment's proxy and ``NO_PROXY`` apply.
        """
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        proxies = self.proxies()
        session.trust_env = not proxies
        session.proxies = dict(proxies)
        session.verify = self.verify()
        return session

    def is_civitai_host(self, url: str) -> bool:
        """True when ``url`` goes to a Civitai API host or to the configured base URL's host:port."""
        try:
            split = urlsplit(url)
            host, port = (split.hostname or "").lower().rstrip("."), split.port
        except ValueError:
            return False
        try:
            base = urlsplit(self.base_url)
            base_host, base_port = (base.hostname or "").lower(), _effective_port(base.scheme, base.port)
        except ValueError:
            base_host, base_port = "", None
        if host and host == base_host and _effective_port(split.scheme, port) == base_port:
            return True
        return host in API_HOSTS and split.scheme.lower() == "https" and port in (None, 443)

    def headers_for(self, url: str) -> dict[str, str]:
        """Headers for a request to ``url``: the User-Agent always, the key only for Civitai hosts."""
        headers = {"User-Agent": USER_AGENT}
        key = self.settings.api_key.strip()
        if key and self.is_civitai_host(url):
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def redact(self, text: str) -> str:
        """``text`` without the API key, ``token=`` values or proxy passwords."""
        return redact(text, self.settings.api_key.strip())

    def url(self, path_or_url: str) -> str:
        """An absolute URL: relative paths are joined to the configured base URL."""
        if "://" in path_or_url:
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    # -- requests --------------------------------------------------------------------
    def send(self, method: str, url: str, *, params: Any = None, json: Any = None, stream: bool = False,
             allow_redirects: bool = False, headers: dict[str, str] | None = None,
             retry: bool = True) -> requests.Response:
        """Sends one request with timeouts, auth by host, the rate limit and retries.

        Returns the last response whatever its status (retryable statuses only after the retries
        ran out); pass it to ``raise_for_civitai``. Redirects are not followed unless asked, so a
        download's 307 comes back to the caller.

        Raises:
            NetworkError: no answer (connection, DNS, proxy, TLS, timeout) after the retries.
            RateLimited: a 429 asked for a wait longer than the policy's ``max_retry_after``.
        """
        url = self.url(url)
        host = _host_of(url)
        merged = self.headers_for(url)
        if self.is_civitai_host(url):
            # a pasted link may carry the key as ?token=; it moves to the header so that it never
            # shows in a URL that urllib3, a proxy or an error message might print
            url, token = _pop_token(url)
            if token and "Authorization" not in merged:
                merged["Authorization"] = f"Bearer {token}"
        merged.update(headers or {})
        started = self._clock()
        attempt = 0
        limiter = self.limiter if self.is_civitai_host(url) else self._other_hosts
        while True:
            limiter.wait(host)
            try:
                response = self.session().request(
                    method, url, params=params, json=json, headers=merged, stream=stream,
                    allow_redirects=allow_redirects, timeout=self.timeout(),
                    proxies=self.proxies(), verify=self.verify())
            except requests.exceptions.RequestException as exc:
                error = errors.NetworkError(host, _network_reason(exc, self.timeout()), self.redact(str(exc)))
                retryable = isinstance(exc, RETRYABLE_EXCEPTIONS) and not isinstance(exc, NOT_RETRYABLE_EXCEPTIONS)
                delay = self._next_delay(attempt, started, None) if retry and retryable else None
                if delay is None:
                    raise error from None  # the requests exception text may hold a ?token= URL
                self._log_retry(error.reason, attempt, delay)
            else:
                if not (retry and should_retry(response)):
                    return response
                wait = retry_after(response)
                if wait is not None and wait > self.policy.max_retry_after:
                    response.close()
                    raise errors.RateLimited(wait, "")
                delay = self._next_delay(attempt, started, wait)
                if delay is None:
                    return response
                if wait is not None:
                    limiter.hold(host, delay)
                self._log_retry(f"HTTP {response.status_code}", attempt, delay)
                response.close()
            self._sleep(delay)
            attempt += 1

    def _next_delay(self, attempt: int, started: float, server_wait: float | None) -> float | None:
        """The wait before the next try, or None when the retries or the time budget ran out."""
        policy = self.policy
        if attempt >= policy.retries:
            return None
        if server_wait is not None:
            delay = min(server_wait, policy.max_retry_after)
        else:
            delay = min(policy.max_delay, policy.base_delay * (2 ** attempt)) * self._rng.uniform(0.5, 1.0)
        if self._clock() - started + delay > policy.total_budget:
            return None
        return delay

    def _log_retry(self, reason: str, attempt: int, delay: float) -> None:
        log.warning("Civitai busy or unreachable (%s); retry %d/%d in %.1f s",
                    self.redact(reason), attempt + 1, self.policy.retries, delay)

    def get_json(self, path_or_url: str, params: Any = None, *, what: str = "the request",
                 version_id: int | None = None) -> Any:
        """GETs JSON from Civitai.

        Raises:
            CivitaiError: the typed error for the answer (see ``raise_for_civitai``).
        """
        response = self.send("GET", path_or_url, params=params, allow_redirects=True)
        with response:
            raise_for_civitai(response, what=what, version_id=version_id)
            return read_json(response, what=what)

    def post_json(self, path: str, body: Any, *, what: str = "the request") -> Any:
        """POSTs a JSON body and returns the decoded answer (errors as for ``get_json``)."""
        response = self.send("POST", path, json=body)
        with response:
            raise_for_civitai(response, what=what)
            return read_json(response, what=what)
