"""HTTP to Civitai: timeouts, retries within bounds, auth by host, an honest UA, no key leaks."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests

from civitai_shortcut_core import USER_AGENT
from civitai_shortcut_core.civitai import (
    CivitaiUnavailable,
    HostRateLimiter,
    NetworkError,
    RateLimited,
    RetryPolicy,
    UnexpectedResponse,
    redact,
)
from civitai_testkit import KEY, FakeTime, make_http
from fake_civitai.api_routes import set_api_key

CLOUDFLARE_524 = "<!DOCTYPE html><html><head><title>civitai.com | 524: A timeout occurred</title></head></html>"


def test_user_agent_is_honest_and_names_the_extension(civitai):
    http, _ = make_http(civitai)
    http.get_json("/api/v1/enums", what="enums")
    agent = civitai.requests[-1].headers["user-agent"]
    assert agent == USER_AGENT and "CivitaiShortcut/" in agent
    assert not any(word in agent.lower() for word in ("mozilla", "chrome", "safari"))


def test_key_goes_to_the_configured_civitai_host_only(civitai):
    http, _ = make_http(civitai, api_key=KEY)
    http.get_json("/api/v1/enums", what="enums")
    assert civitai.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    # localhost is another host name for the same server: it must not get the key
    other = f"http://localhost:{civitai.port}/api/v1/enums"
    http.send("GET", other).close()
    assert civitai.requests[-1].headers.get("host", "").startswith("localhost")
    assert "authorization" not in civitai.requests[-1].headers


def test_redirect_to_another_host_drops_the_key(civitai):
    http, _ = make_http(civitai, api_key=KEY)
    target = f"http://localhost:{civitai.port}/api/v1/enums"
    civitai.script(r"^/api/v1/moved$", status=302, headers={"Location": target, "Content-Length": "0"})
    body = http.get_json("/api/v1/moved", what="moved")
    assert "ModelType" in body
    first, second = civitai.requests[-2:]
    assert first.path == "/api/v1/moved" and first.headers["authorization"] == f"Bearer {KEY}"
    assert second.path == "/api/v1/enums" and "authorization" not in second.headers


@pytest.mark.parametrize(("url", "authed"), [
    ("https://civitai.com/api/v1/me", True),
    ("https://www.civitai.com/api/v1/me", True),
    ("https://civitai.red/api/download/models/1", True),
    ("https://civitai.green/api/v1/models", True),
    ("http://civitai.com/api/v1/me", False),              # never in clear text
    ("https://b2.civitai.com/file/civitai-modelfiles/x", False),  # storage refuses Authorization
    ("https://image.civitai.com/x/y/width=450/1.jpeg", False),
    ("https://civitai.com.evil.example/api", False),
    ("https://evilcivitai.com/api", False),
    ("https://civitai-delivery-worker-prod.acct.r2.cloudflarestorage.com/x", False),
    ("https://civitai.com:8443/api", False),
])
def test_headers_for_sends_the_key_only_to_civitai_api_hosts(civitai, url, authed):
    http, _ = make_http(civitai, api_key=KEY)
    assert ("Authorization" in http.headers_for(url)) is authed
    assert http.headers_for(url)["User-Agent"] == USER_AGENT


def test_no_key_means_no_authorization_header(civitai):
    http, _ = make_http(civitai)
    http.get_json("/api/v1/enums", what="enums")
    assert "authorization" not in civitai.requests[-1].headers


def test_timeouts_come_from_the_current_settings(civitai):
    http, _ = make_http(civitai, connect_timeout=3.0, read_timeout=7.0)
    assert http.timeout() == (3.0, 7.0)
    assert http.request_options()["timeout"] == (3.0, 7.0)


@pytest.mark.parametrize("call", ["get_json", "post_json", "send"])
def test_a_stalled_endpoint_fails_within_the_read_timeout(civitai, call):
    """The server accepts the request and then says nothing; the old extension hung forever."""
    http, _ = make_http(civitai, read_timeout=0.5, policy=RetryPolicy(retries=0))
    civitai.script(r"^/api/v1/stall$", status=200, body={"ok": True}, delay=3.0)
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        if call == "get_json":
            http.get_json("/api/v1/stall", what="stall")
        elif call == "post_json":
            http.post_json("/api/v1/stall", [], what="stall")
        else:
            http.send("GET", "/api/v1/stall")
    assert time.monotonic() - started < 2.5  # the timeout fired; we did not wait for the server
    assert info.value.host == f"127.0.0.1:{civitai.port}"
    assert "0.5 s" in str(info.value)


def test_503_is_retried_after_retry_after_then_succeeds(civitai, caplog):
    http, clock = make_http(civitai)
    civitai.script(r"^/api/v1/enums$", status=503, body={"error": "Server busy, please retry shortly."},
                   headers={"Retry-After": "2"}, times=2)
    with caplog.at_level(logging.WARNING, logger="civitai_shortcut_core.civitai.http"):
        body = http.get_json("/api/v1/enums", what="enums")
    assert "ModelType" in body
    assert clock.sleeps == [2.0, 2.0]
    assert len(civitai.requests_to(r"^/api/v1/enums$")) == 3
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(retries) == 2 and "HTTP 503" in retries[0] and "retry 1/4 in 2.0 s" in retries[0]


def test_cloudflare_429_page_is_retried_with_backoff(civitai):
    http, clock = make_http(civitai)
    civitai.script(r"^/api/v1/enums$", status=429, body="<html><title>Error 1015</title></html>",
                   headers={"Content-Type": "text/html"}, times=1)
    assert "ModelType" in http.get_json("/api/v1/enums", what="enums")
    assert len(clock.sleeps) == 1 and 0.5 <= clock.sleeps[0] <= 1.0


def test_civitai_429_without_retry_after_is_not_hammered(civitai):
    """The page cap and the download limiter do not clear in seconds; retrying makes it worse."""
    http, clock = make_http(civitai)
    civitai.script(r"^/api/v1/models$", status=429, times=None,
                   body={"error": "You've requested too many pages, please use cursors instead"})
    with pytest.raises(RateLimited):
        http.get_json("/api/v1/models", what="models")
    assert clock.sleeps == [] and len(civitai.requests_to(r"^/api/v1/models$")) == 1


def test_a_retry_after_longer_than_the_cap_is_reported_not_waited(civitai):
    http, clock = make_http(civitai)
    civitai.script(r"^/api/v1/enums$", status=429, headers={"Retry-After": "3600"}, times=None)
    with pytest.raises(RateLimited) as info:
        http.get_json("/api/v1/enums", what="enums")
    assert info.value.retry_after == 3600 and "3600 s" in str(info.value)
    assert clock.sleeps == []


def test_retries_back_off_exponentially_and_stop(civitai):
    http, clock = make_http(civitai, policy=RetryPolicy(retries=4, base_delay=1.0, max_delay=3.0, total_budget=1000))
    civitai.script(r"^/api/v1/enums$", status=524, body=CLOUDFLARE_524, headers={"Content-Type": "text/html"},
                   times=None)
    with pytest.raises(CivitaiUnavailable) as info:
        http.get_json("/api/v1/enums", what="enums")
    assert info.value.status == 524 and "A timeout occurred" in str(info.value)
    assert len(civitai.requests_to(r"^/api/v1/enums$")) == 5
    caps = [1.0, 2.0, 3.0, 3.0]  # doubling, capped at max_delay, times a jitter of 0.5-1.0
    assert len(clock.sleeps) == 4
    assert all(cap / 2 <= slept <= cap for slept, cap in zip(clock.sleeps, caps, strict=True))


def test_retries_give_up_within_the_total_budget(civitai):
    http, clock = make_http(civitai, policy=RetryPolicy(retries=100, total_budget=10.0))
    civitai.script(r"^/api/v1/enums$", status=503, headers={"Retry-After": "4"}, times=None)
    start = clock.clock()
    with pytest.raises(CivitaiUnavailable):
        http.get_json("/api/v1/enums", what="enums")
    assert clock.sleeps == [4.0, 4.0]
    assert clock.clock() - start <= 10.0


def test_connection_refused_is_a_network_error_after_retries(civitai):
    with socket_closed_port() as port:
        http, clock = make_http(civitai, civitai_url=f"http://127.0.0.1:{port}", policy=RetryPolicy(retries=2))
        with pytest.raises(NetworkError) as info:
            http.get_json("/api/v1/enums", what="enums")
    assert info.value.host == f"127.0.0.1:{port}"
    assert len(clock.sleeps) == 2
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_html_instead_of_json_is_an_unexpected_response(civitai):
    http, _ = make_http(civitai)
    civitai.script(r"^/api/v1/enums$", status=200, body="<!DOCTYPE html><html><title>Login</title></html>",
                   headers={"Content-Type": "text/html"})
    with pytest.raises(UnexpectedResponse) as info:
        http.get_json("/api/v1/enums", what="the enums")
    assert "HTML" in str(info.value) and "the enums" in str(info.value)


def test_garbage_body_is_an_unexpected_response(civitai):
    http, _ = make_http(civitai)
    civitai.script(r"^/api/v1/enums$", status=200, body=b"\x00\x01not json")
    with pytest.raises(UnexpectedResponse):
        http.get_json("/api/v1/enums", what="enums")


# -- proxies and TLS -----------------------------------------------------------------------
def test_proxy_setting_routes_requests_through_the_proxy(civitai):
    """The fake server doubles as an HTTP proxy: it serves absolute-form request lines."""
    http, _ = make_http(civitai, civitai_url="http://civitai.invalid", proxy=civitai.url)
    assert "ModelType" in http.get_json("/api/v1/enums", what="enums")
    assert civitai.requests[-1].raw_path.startswith("http://civitai.invalid/api/v1/enums")


def test_environment_proxy_is_used_when_the_setting_is_empty(civitai, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", civitai.url)
    http, _ = make_http(civitai, civitai_url="http://civitai.invalid")
    assert "ModelType" in http.get_json("/api/v1/enums", what="enums")
    assert civitai.requests[-1].raw_path.startswith("http://civitai.invalid/")


def test_proxy_setting_wins_over_the_environment(civitai, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    http, _ = make_http(civitai, civitai_url="http://civitai.invalid", proxy=civitai.url)
    assert "ModelType" in http.get_json("/api/v1/enums", what="enums")


def test_unreachable_socks5h_proxy_is_a_network_error(civitai):
    with socket_closed_port() as port:
        http, _ = make_http(civitai, civitai_url="http://civitai.invalid", proxy=f"socks5h://user:pw@127.0.0.1:{port}",
                            policy=RetryPolicy(retries=0))
        with pytest.raises(NetworkError) as info:
            http.get_json("/api/v1/enums", what="enums")
    assert "pw" not in str(info.value) + info.value.detail


def test_tls_is_verified_and_the_ca_bundle_setting_is_used(civitai, tmp_path):
    http, _ = make_http(civitai)
    assert http.verify() is True and http.session().verify is True
    bundle = tmp_path / "corp.pem"
    bundle.write_text("not really a certificate")
    http, _ = make_http(civitai, ca_bundle=str(bundle))
    assert http.verify() == str(bundle) and http.session().verify == str(bundle)
    assert http.request_options()["verify"] == str(bundle)


def test_each_thread_gets_its_own_session(civitai):
    http, _ = make_http(civitai)
    sessions: list[requests.Session] = []
    threads = [threading.Thread(target=lambda: sessions.append(http.session())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in sessions}) == 3
    assert http.session() is http.session()


# -- rate limiter ----------------------------------------------------------------------------
def test_rate_limiter_spaces_requests_per_host():
    clock = FakeTime()
    limiter = HostRateLimiter(0.5, sleep=clock.sleep, clock=clock.clock)
    assert [limiter.wait("a") for _ in range(3)] == [0.0, 0.5, 0.5]
    assert limiter.wait("b") == 0.0


def test_rate_limiter_hands_out_distinct_slots_across_threads():
    frozen = FakeTime()
    limiter = HostRateLimiter(0.25, sleep=lambda s: None, clock=frozen.clock)  # time stands still
    delays: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            delay = limiter.wait("civitai.com")
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(delays) == [i * 0.25 for i in range(40)]


def test_a_429_with_retry_after_holds_every_thread(civitai):
    http, clock = make_http(civitai, min_interval=0.0)
    civitai.script(r"^/api/v1/enums$", status=429, headers={"Retry-After": "5"}, times=1)
    http.get_json("/api/v1/enums", what="enums")
    assert clock.sleeps == [5.0]
    assert http.limiter.wait(f"127.0.0.1:{civitai.port}") == 0.0  # the hold has passed


def test_the_limiter_runs_on_the_injected_clock(civitai):
    http, clock = make_http(civitai, min_interval=1.5)
    for _ in range(3):
        http.get_json("/api/v1/enums", what="enums")
    assert clock.sleeps == [1.5, 1.5]


# -- the key never leaks ---------------------------------------------------------------------
def test_the_key_never_reaches_logs_or_error_texts(civitai, caplog):
    http, _ = make_http(civitai, api_key=KEY, policy=RetryPolicy(retries=2))
    set_api_key(civitai, KEY)
    caplog.set_level(logging.DEBUG)  # urllib3 logs request lines at DEBUG
    texts: list[str] = []
    civitai.script(r"^/api/v1/enums$", status=503, body={"error": f"echo {KEY}"}, times=None)
    with pytest.raises(CivitaiUnavailable) as info:
        http.get_json(f"/api/v1/enums?token={KEY}", what="enums")
    texts += [str(info.value), repr(info.value)]
    # the key pasted as ?token= moves to the header, so the URL on the wire has no key
    assert all(f"token={KEY}" not in r.raw_path for r in civitai.requests)
    assert civitai.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    with socket_closed_port() as port:
        elsewhere, _ = make_http(civitai, api_key=KEY, civitai_url=f"http://127.0.0.1:{port}",
                                 policy=RetryPolicy(retries=1))
        for url in (f"/api/download/models/1?token={KEY}", f"http://localhost:{port}/x?a=1&token={KEY}"):
            with pytest.raises(NetworkError) as network:
                elsewhere.send("GET", url)
            texts += [str(network.value), network.value.detail, repr(network.value)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [repr(http), repr(http.settings)]
    assert texts and not [t for t in texts if KEY in t]


def test_redact_masks_keys_tokens_bearers_and_proxy_passwords():
    text = (f"GET https://civitai.com/api/download/models/1?type=Model&token={KEY}&x=1 "
            f"Authorization: Bearer {KEY} proxy socks5h://me:hunter2@proxy:1080 raw {KEY}")
    cleaned = redact(text, KEY)
    assert KEY not in cleaned and "hunter2" not in cleaned
    assert "token=***&x=1" in cleaned and "Bearer ***" in cleaned and "socks5h://***@proxy" in cleaned


class socket_closed_port:
    """A local port with nothing listening (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        return self.port

    def __exit__(self, *exc: object) -> None:
        return None
