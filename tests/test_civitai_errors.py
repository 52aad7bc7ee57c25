"""Every error Civitai sends (errors/index.json) becomes its typed error and its own sentence."""

from __future__ import annotations

import json

import pytest

from civitai_shortcut_core.civitai import (
    Archived,
    BadRequest,
    CivitaiError,
    CivitaiUnavailable,
    DownloadsDisabled,
    EarlyAccess,
    InvalidApiKey,
    LoginRequired,
    NoAccess,
    NotFound,
    RateLimited,
    RetryPolicy,
    raise_for_civitai,
)
from civitai_testkit import KEY, make_client, make_http
from fake_civitai import FIXTURES

INDEX = json.loads((FIXTURES / "errors" / "index.json").read_text("utf-8"))

EXPECTED: dict[str, type[CivitaiError]] = {
    "404_model": NotFound,
    "400_model_id_invalid": BadRequest,
    "404_model_version": NotFound,
    "404_missing_model_file": NotFound,
    "400_model_version_missing_id": BadRequest,
    "500_model_version": CivitaiUnavailable,
    "400_models_invalid_types_zod4": BadRequest,
    "400_models_invalid_types_zod3_legacy": BadRequest,
    "404_models_unknown_username": NotFound,
    "400_query_with_page": BadRequest,
    "401_unauthorized": LoginRequired,
    "405_method_not_allowed": BadRequest,
    "400_by_hash_bulk": BadRequest,
    "429_too_many_pages": RateLimited,
    "503_model_search_overloaded": CivitaiUnavailable,
    "503_image_search_overloaded": CivitaiUnavailable,
    "503_images_busy": CivitaiUnavailable,
    "500_generic": CivitaiUnavailable,
    "401_download_login_required": LoginRequired,
    "401_download_disabled": DownloadsDisabled,
    "403_download_early_access": EarlyAccess,
    "403_download_no_access": NoAccess,
    "403_download_forbidden": NoAccess,
    "404_download_file_not_found": NotFound,
    "410_download_archived": Archived,
    "429_download_limit": RateLimited,
    "400_download_bad_param": BadRequest,
    "401_download_login_required_browser": LoginRequired,
    "cloudflare_429": RateLimited,
    "cloudflare_524": CivitaiUnavailable,
}


def _answer(civitai, name: str, *, api_key: str = "") -> CivitaiError:
    """Has the fake server answer with fixture ``name`` and returns the error the client raises."""
    spec = INDEX[name]
    body = (FIXTURES / spec["body"]).read_bytes()
    civitai.script(r"^/api/v1/scenario$", status=spec["status"], body=body,
                   headers={"Content-Type": spec["contentType"], **spec["headers"]})
    http, _ = make_http(civitai, api_key=api_key, policy=RetryPolicy(retries=0))
    response = http.send("GET", "/api/v1/scenario", retry=False)
    with pytest.raises(CivitaiError) as info:
        raise_for_civitai(response, what="model 123", version_id=456)
    return info.value


def test_the_table_covers_every_fixture():
    assert set(EXPECTED) == set(INDEX)


@pytest.mark.parametrize("name", sorted(INDEX))
def test_each_error_fixture_maps_to_its_type(civitai, name):
    error = _answer(civitai, name)
    assert type(error) is EXPECTED[name]
    assert str(error).endswith(".") and len(str(error)) > 30


def test_each_error_fixture_has_its_own_sentence(civitai):
    sentences: dict[str, list[str]] = {}
    for name in sorted(INDEX):
        civitai.reset()
        sentences.setdefault(str(_answer(civitai, name)), []).append(name)
    shared = {s: names for s, names in sentences.items() if len(names) > 1}
    # the browser variant is the same situation as the JSON one and says the same thing
    assert list(shared.values()) == [["401_download_login_required", "401_download_login_required_browser"]]


def test_early_access_carries_its_deadline(civitai):
    error = _answer(civitai, "403_download_early_access", api_key=KEY)
    assert isinstance(error, EarlyAccess)
    assert error.ends == "2026-08-20T18:00:00.000Z" and error.version_id == 456
    assert "until 2026-08-20T18:00:00.000Z" in str(error)


def test_unauthorized_with_a_key_means_the_key_is_invalid(civitai):
    """Civitai treats unknown keys as anonymous, so a 401 despite a key is a refused key."""
    assert isinstance(_answer(civitai, "401_unauthorized", api_key=KEY), InvalidApiKey)
    civitai.reset()
    assert isinstance(_answer(civitai, "401_download_login_required", api_key=KEY), InvalidApiKey)


def test_disabled_downloads_stay_disabled_with_a_key(civitai):
    assert isinstance(_answer(civitai, "401_download_disabled", api_key=KEY), DownloadsDisabled)


def test_rate_limit_reports_the_retry_time(civitai):
    civitai.script(r"^/api/v1/scenario$", status=429, body={"error": "slow down"}, headers={"Retry-After": "42"})
    http, _ = make_http(civitai)
    response = http.send("GET", "/api/v1/scenario", retry=False)
    with pytest.raises(RateLimited) as info:
        raise_for_civitai(response, what="models")
    assert info.value.retry_after == 42 and "retry in 42 s" in str(info.value)


def test_zod_errors_name_the_bad_parameter(civitai):
    for name in ("400_models_invalid_types_zod4", "400_models_invalid_types_zod3_legacy"):
        civitai.reset()
        assert "types" in str(_answer(civitai, name))


def test_a_server_message_echoing_the_key_is_redacted(civitai):
    civitai.script(r"^/api/v1/scenario$", status=400, body={"error": f"bad token {KEY}"})
    http, _ = make_http(civitai, api_key=KEY)
    response = http.send("GET", "/api/v1/scenario", retry=False)
    with pytest.raises(BadRequest) as info:
        raise_for_civitai(response, what="x")
    assert KEY not in str(info.value) and KEY not in info.value.detail


def test_successes_and_redirects_raise_nothing(civitai):
    http, _ = make_http(civitai)
    for status in (200, 204, 307):
        civitai.script(r"^/api/v1/scenario$", status=status, headers={"Location": "/x"} if status == 307 else {})
        response = http.send("GET", "/api/v1/scenario", retry=False)
        assert raise_for_civitai(response, what="x") is None


def test_missing_model_through_the_client_names_it(civitai):
    client, _ = make_client(civitai)
    with pytest.raises(NotFound) as info:
        client.get_model(999999999)
    assert "model 999999999" in str(info.value) and isinstance(info.value, LookupError)
