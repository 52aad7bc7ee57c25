"""The client against the fake Civitai: endpoints, batching, paging, cursors, auth."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings, strategies as st

from civitai_shortcut_core.civitai import (
    BadRequest,
    InvalidApiKey,
    LoginRequired,
    ModelRef,
    NotFound,
    parse_link,
    query_string,
)
from civitai_testkit import KEY, make_client
from fake_civitai import FIXTURES
from fake_civitai.api_routes import add_model, set_api_key


def _generated(model_id: int) -> dict:
    """A small model built from the controlnet fixture with fresh ids and hashes."""
    raw = copy.deepcopy(json.loads((FIXTURES / "models/990102_openpose_controlnet_constructed.json").read_text()))
    raw["id"], raw["name"] = model_id, f"Generated {model_id}"
    raw["modelVersions"] = raw["modelVersions"][:1]
    version = raw["modelVersions"][0]
    version["id"] = model_id * 10
    version["files"] = version["files"][:1]
    version["files"][0]["hashes"] = {"SHA256": f"{model_id:064X}", "AutoV2": f"{model_id:010X}"}
    return raw


def test_get_model_returns_all_versions_with_local_download_urls(civitai):
    client, _ = make_client(civitai)
    model = client.get_model(4384)
    assert model.name == "DreamShaper" and len(model.versions) == 6
    assert model.version(128713).primary_file.download_url == f"{civitai.url}/api/download/models/128713"
    assert civitai.requests[-1].path == "/api/v1/models/4384"


def test_get_version_has_model_id_and_prompts(civitai):
    client, _ = make_client(civitai)
    version = client.get_version(128713)
    assert version.model_id == 4384 and version.model_name == "DreamShaper"
    assert version.images[0].meta["prompt"]


def test_missing_version_is_not_found(civitai):
    client, _ = make_client(civitai)
    with pytest.raises(NotFound):
        client.get_version(123456789)


@pytest.mark.parametrize("link", [
    "https://civitai.com/model-versions/9901012",
    "https://civitai.com/api/download/models/9901012?type=Model",
    "https://civitai.com/api/v1/model-versions/9901012",
])
def test_version_only_links_resolve_to_their_model(civitai, link):
    client, _ = make_client(civitai)
    ref = parse_link(link)
    assert ref == ModelRef(None, 9901012)
    assert client.resolve_ref(ref) == (990101, 9901012)


def test_links_to_the_configured_server_resolve(civitai):
    client, _ = make_client(civitai)
    ref = parse_link(f"{civitai.url}/api/download/models/128713?fileId=93211", civitai.url)
    assert client.resolve_ref(ref) == (4384, 128713)


def test_model_links_resolve_without_a_request(civitai):
    client, _ = make_client(civitai)
    assert client.resolve_ref(ModelRef(4384, 128713)) == (4384, 128713)
    assert civitai.requests == []


def test_by_hash_matches_any_type_case_insensitively(civitai):
    client, _ = make_client(civitai)
    assert client.by_hash("879db523c3").id == 128713  # AutoV2, lower case
    assert client.by_hash("879DB523C30D3B9017143D56705015E15A2CB5628762C11D086FED9538ABD7FD").model_id == 4384
    assert civitai.requests[0].path == "/api/v1/model-versions/by-hash/879DB523C3"
    with pytest.raises(NotFound):
        client.by_hash("DEADBEEF00")
    with pytest.raises(ValueError):
        client.by_hash("not a hash")


def test_by_hashes_posts_in_chunks_of_100(civitai):
    client, _ = make_client(civitai)
    for model_id in range(700001, 700151):
        add_model(civitai, _generated(model_id))
    hashes = [f"{i:064x}" for i in range(700001, 700151)] + [f"{i:064X}" for i in range(900000, 900100)]
    versions = client.by_hashes(hashes)
    posts = civitai.requests_to(r"^/api/v1/model-versions/by-hash$")
    assert [len(p.json()) for p in posts] == [100, 100, 50]
    assert sorted(v.id for v in versions) == [i * 10 for i in range(700001, 700151)]
    with pytest.raises(ValueError):
        client.by_hashes(["879DB523C3"])  # the bulk endpoint takes SHA-256 only


def test_ids_by_hashes_posts_in_chunks_of_10000(civitai):
    client, _ = make_client(civitai)
    hashes = ["879DB523C3", "f253abb016"] + [f"{i:064X}" for i in range(10_000)]
    found = client.ids_by_hashes(hashes)
    posts = civitai.requests_to(r"by-hash/ids$")
    assert [len(p.json()) for p in posts] == [10_000, 2]
    assert {"modelVersionId": 128713, "modelId": 4384, "hash": "879DB523C3"} in found
    assert {"modelVersionId": 9857, "modelId": 3036, "hash": "F253ABB016"} in found
    assert len(found) == 2


def test_get_models_asks_100_ids_a_call_and_follows_cursors(civitai):
    client, _ = make_client(civitai)
    ids = list(range(800001, 800151))
    for model_id in ids:
        add_model(civitai, _generated(model_id))
    civitai.state["page_size"] = 40  # the server pages even within one ids call
    models = client.get_models(ids + [999_999])
    assert sorted(m.id for m in models) == ids
    calls = civitai.requests_to(r"^/api/v1/models$")
    id_sets = [tuple(c.arg("ids").split(",")) for c in calls]
    assert [len(s) for s in dict.fromkeys(id_sets)] == [100, 51]
    assert len(calls) == 3 + 2  # 100 ids -> 3 pages of 40; 51 ids -> 2 pages
    assert all(c.arg("nsfw") == "true" for c in calls)
    assert all("cursor" in c.query for c in calls if c is not calls[0] and c is not calls[3])


def test_search_sends_types_repeated_never_comma_joined(civitai):
    client, _ = make_client(civitai)
    models, _ = client.search_models(types=["LORA", "LoCon"], nsfw=True, limit=10)
    request = civitai.requests[-1]
    assert request.query["types"] == ["LORA", "LoCon"] and "%2C" not in request.raw_path
    assert {m.type for m in models} <= {"LORA", "LoCon"} and models


def test_search_replays_the_recorded_pages(civitai):
    client, _ = make_client(civitai)
    models, cursor = client.search_models(types=["Checkpoint"], sort="Highest Rated", limit=3)
    assert [m.id for m in models] == [43331, 4384, 4468] and cursor == "39749|1152396|4201"
    assert "sort=Highest%20Rated" in civitai.requests[-1].raw_path
    models, cursor = client.search_models("zzzz")
    assert models == [] and cursor is None


def test_search_hides_early_access_only_when_browsing(civitai):
    client, _ = make_client(civitai)
    browse, _ = client.search_models(types=["LoCon"], nsfw=True)
    ink = next(m for m in browse if m.id == 990101)
    assert 9901013 not in [v.id for v in ink.versions]
    found, _ = client.search_models("sumi", nsfw=True)
    assert 9901013 in [v.id for v in found[0].versions]


def test_cursors_round_trip_exactly(civitai):
    client, _ = make_client(civitai)
    _, cursor = client.search_models(nsfw=True, limit=1)
    assert cursor is not None and "|" in cursor and " " in cursor and ":" in cursor
    client.search_models(nsfw=True, limit=1, cursor=cursor)
    request = civitai.requests[-1]
    assert request.query["cursor"] == [cursor]
    assert "|" not in request.raw_path and " " not in request.raw_path and "%20" in request.raw_path


@pytest.mark.parametrize("cursor", ['bdx:{"a": 1, "b": "x y"}', "a+b&c=d|e f:g%h#i?", "水墨|画 1",
                                    "2024-06-01 00:00:00|990104", "3|1741037405876"])
def test_nasty_cursors_arrive_unchanged(civitai, cursor):
    client, _ = make_client(civitai)
    with pytest.raises(BadRequest):  # the fake does not know these cursors; it must still see them intact
        client.search_models(cursor=cursor)
    assert civitai.requests[-1].query["cursor"] == [cursor]


def test_paging_through_a_search_with_returned_cursors(civitai):
    client, _ = make_client(civitai)
    seen, cursor = [], None
    for _ in range(20):
        models, cursor = client.search_models(nsfw=True, limit=2, cursor=cursor)
        seen += [m.id for m in models]
        if cursor is None:
            break
    assert cursor is None and len(seen) == len(set(seen)) >= 6


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1))
def test_query_string_round_trips_any_cursor(cursor):
    encoded = query_string([("cursor", cursor), ("types", "LORA"), ("types", "LoCon")])
    assert parse_qs(encoded, keep_blank_values=True, strict_parsing=False)["cursor"] == [cursor]
    assert "|" not in encoded and " " not in encoded and "+" not in encoded.replace("%2B", "")


def test_iter_images_pages_lazily_with_meta(civitai):
    client, _ = make_client(civitai)
    images = client.iter_images(version_id=9901012, nsfw="X", sort="Newest", limit=3)
    first = next(images)
    assert first.id == 98765005 and first.is_video
    assert len(civitai.requests_to(r"^/api/v1/images$")) == 1  # lazy: one page so far
    rest = list(images)
    calls = civitai.requests_to(r"^/api/v1/images$")
    assert len(calls) == 2 and calls[1].query["cursor"] == ["3|1741037405876"]
    assert all(c.arg("withMeta") == "true" for c in calls)
    assert [i.id for i in [first] + rest] == [98765005, 98765004, 98765003, 98765002, 98765001]
    assert rest[-2].meta["prompt"].startswith("sumi-e")


def test_iter_images_flattens_nested_meta(civitai):
    client, _ = make_client(civitai)
    images = list(itertools.islice(client.iter_images(model_id=990101, limit=2), 2))
    assert images[0].meta is not None and "prompt" in images[0].meta and "id" not in images[0].meta


def test_iter_images_true_means_every_level(civitai):
    client, _ = make_client(civitai)
    levels = {i.browsing_level for i in client.iter_images(version_id=9901021, nsfw=True)}
    assert civitai.requests[-1].arg("nsfw") == "X" and levels == {1, 2}


def test_get_image_by_id(civitai):
    client, _ = make_client(civitai)
    image = client.get_image(88000102)
    assert image.id == 88000102 and image.browsing_level == 2
    with pytest.raises(NotFound):
        client.get_image(5)


def test_me_validates_the_key(civitai):
    client, _ = make_client(civitai)
    with pytest.raises(LoginRequired):
        client.me()
    assert civitai.requests == []  # no key: nothing to ask
    set_api_key(civitai, KEY)
    wrong, _ = make_client(civitai, api_key="f" * 32)
    with pytest.raises(InvalidApiKey):
        wrong.me()
    right, _ = make_client(civitai, api_key=KEY)
    assert right.me()["username"] == "brush_ghost"


def test_favorites_need_a_valid_key(civitai):
    set_api_key(civitai, KEY)
    civitai.state["favorites"] = [4384, 990102]
    anonymous, _ = make_client(civitai)
    with pytest.raises(LoginRequired):
        anonymous.favorites()
    wrong, _ = make_client(civitai, api_key="f" * 32)
    with pytest.raises(InvalidApiKey):
        wrong.favorites()
    client, _ = make_client(civitai, api_key=KEY)
    models, cursor = client.favorites()
    assert sorted(m.id for m in models) == [4384, 990102] and cursor is None
    assert civitai.requests[-1].arg("favorites") == "true"
    assert civitai.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_hostile_and_archived_models_come_through(civitai):
    client, _ = make_client(civitai)
    hostile = client.get_model(990201)
    assert hostile.version(9920101).primary_file.name == "../../evil.safetensors"
    assert hostile.version(9920102).is_early_access(datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert client.get_model(990202).is_archived


def test_added_models_override_fixtures(civitai):
    client, _ = make_client(civitai)
    raw = _generated(4384)
    add_model(civitai, raw)
    assert client.get_model(4384).name == "Generated 4384"
    assert client.get_version(43840).model_id == 4384
