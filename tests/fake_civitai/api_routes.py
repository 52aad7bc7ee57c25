"""Routes of the fake Civitai REST API (``/api/v1/...``), per civitai-api.md §2 and §7.

Serves the shared fixtures, the tests' own hostile fixtures and models added per test:

    add_model(server, raw)           # server.state['models'][id] = raw, checked before fixtures
    set_api_key(server, "k")         # the one key /me, favourites and downloads accept
    server.state['favorites'] = [id, ...]
    server.state['images'] = [raw /images item, ...]   # replaces the images derived from models
    server.state['page_size'] = 2    # /models pages hold at most this many items

Statuses and bodies follow ``errors/index.json``; cursors are opaque and contain ``|``, a
space and ``:`` so clients must URL-encode them; ``nextPage`` and ``downloadUrl`` use the
request's Host, so a client that follows them stays on this server. Requests that match a
recorded fixture's query exactly get that fixture.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from .api_catalog import Catalog, list_item, read_fixture, rehost, version_body
from .server import FIXTURES, FakeCivitai, Request, Response

MAX_ID = 2_147_483_647
_MODEL_SEARCH_FIXTURES = {
    "limit=3&sort=Highest Rated&types=Checkpoint": "search/models_types-Checkpoint_sort-HighestRated_limit3.json",
    "limit=1&query=ink": "search/models_query-ink_limit1_nextCursor.json",
    "limit=1&sort=Newest&types=Poses": "search/models_sort-Newest_cursor-with-space.json",
    "limit=1&page=1&types=VAE": "search/models_paged_page1.json",
    "query=zzzz": "search/models_empty_result.json",
}
_IMAGE_FIXTURES = {
    "limit=3&modelVersionId=9901012&nsfw=X&sort=Newest&withMeta=true":
        "images/page1_modelVersionId_withMeta_nextCursor.json",
    "cursor=3|1741037405876&limit=3&modelVersionId=9901012&nsfw=X&sort=Newest&withMeta=true":
        "images/page2_last_no_cursor.json",
    "limit=2&modelId=990101&withMeta=true": "images/modelId_legacy_nested_meta.json",
    "limit=2&page=2&username=brush_ghost": "images/page2_paged_username_no_meta.json",
}
_IMAGE_NSFW = {"none": 1, "false": 1, "soft": 3, "mature": 7, "x": 31, "true": 28}
_LEVEL_STRINGS = {1: "None", 2: "Soft", 4: "Mature", 8: "X", 16: "X", 32: "Blocked"}


def add_model(server: FakeCivitai, raw: dict[str, Any]) -> None:
    """Serves ``raw`` (a ``/models/{id}`` body) for its id on every endpoint, before fixtures."""
    server.state.setdefault("models", {})[int(raw["id"])] = raw


def set_api_key(server: FakeCivitai, key: str) -> None:
    """Makes ``key`` the one valid API key (Bearer header or ``?token=``)."""
    server.state["api_key"] = key


def caller_key(req: Request) -> str:
    """The key the request carries: the Bearer header wins over ``?token=`` (as on Civitai)."""
    header = req.headers.get("authorization")
    if header is not None:
        parts = header.split(" ")
        return parts[1] if len(parts) > 1 and parts[0] == "Bearer" else ""
    return req.arg("token", "") or ""


def is_authed(server: FakeCivitai, req: Request) -> bool:
    """True when the request carries the configured key; unknown keys count as anonymous."""
    key = server.state.get("api_key")
    return bool(key) and caller_key(req) == key


def origin(server: FakeCivitai, req: Request) -> str:
    return "http://" + req.headers.get("host", f"127.0.0.1:{server.port}")


def _error(name: str) -> Response:
    spec = read_fixture("errors/index.json")[name]
    body = (FIXTURES / spec["body"]).read_bytes()
    return Response(spec["status"], body, {"Content-Type": spec["contentType"], **spec["headers"]})


def _canonical(req: Request) -> str:
    pairs = sorted(parse_qsl(urlsplit(req.raw_path).query, keep_blank_values=True))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _valid_id(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_ID else None


def _make_cursor(offset: int) -> str:
    """An opaque cursor with a pipe, a space and a colon, like Civitai's ``Newest`` cursors."""
    return f"{offset}|2024-06-01 00:00:{offset % 60:02d}"


def _read_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return 0
    match = re.fullmatch(r"(\d+)\|2024-06-01 00:00:\d\d", cursor)
    return int(match.group(1)) if match else None


def _page(server: FakeCivitai, req: Request, items: list[Any], limit: int, path: str) -> dict[str, Any]:
    """Slices ``items`` by ``cursor``/``page`` and builds Civitai's ``metadata``."""
    page = req.arg("page")
    cursor = req.arg("cursor")
    offset = _read_cursor(cursor) if cursor is not None else (int(page) - 1) * limit if page else 0
    chunk = items[offset:offset + limit]
    metadata: dict[str, Any] = {}
    if offset + limit < len(items):
        next_cursor = _make_cursor(offset + limit)
        kept = [(k, v) for k, v in parse_qsl(urlsplit(req.raw_path).query, keep_blank_values=True) if k != "cursor"]
        query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in kept + [("cursor", next_cursor)])
        metadata = {"nextCursor": next_cursor, "nextPage": f"{origin(server, req)}{path}?{query}"}
    if page and cursor is None:
        metadata.update(currentPage=int(page), pageSize=limit)
    return {"items": chunk, "metadata": metadata}


def _limit(req: Request, maximum: int, default: int) -> int | None:
    text = req.arg("limit")
    if text is None:
        return default
    return int(text) if text.isdigit() and int(text) <= maximum else None


def _paging_error(req: Request, limit: int) -> Response | None:
    page = req.arg("page")
    if page is not None and not page.isdigit():
        return Response.json({"error": "✖ Invalid input: expected number\n  → at page"}, 400)
    if page and req.arg("query") and req.arg("cursor") is None:
        return _error("400_query_with_page")
    if page and int(page) * limit > 1000:
        return _error("429_too_many_pages")
    if req.arg("cursor") is not None and _read_cursor(req.arg("cursor")) is None:
        return Response.json({"error": "Invalid cursor"}, 400)
    return None


def install(server: FakeCivitai) -> None:
    """Adds the REST API routes to ``server``."""
    catalog = Catalog(server)
    model_types = set(read_fixture("misc/enums.json")["ModelType"])

    @server.route("GET", r"/api/v1/models/(?P<id>[^/]+)")
    def get_model(req: Request, match: re.Match) -> Response:
        model_id = _valid_id(match.group("id"))
        if model_id is None:
            return _error("400_model_id_invalid")
        model = catalog.model(model_id)
        if model is None:
            return Response.json({"error": f"No model with id {model_id}"}, 404)
        return Response.json(rehost(model, origin(server, req)))

    def _version_response(req: Request, found: tuple[dict, dict] | None, *, by_hash: bool = False) -> Response:
        if found is None:
            return _error("404_model_version")
        model, version = found
        if not version.get("files"):
            return _error("404_missing_model_file")
        return Response.json(rehost(version_body(model, version, by_hash=by_hash), origin(server, req)))

    @server.route("GET", r"/api/v1/model-versions/(?P<id>[^/]+)")
    def get_version(req: Request, match: re.Match) -> Response:
        text = match.group("id")
        if text == "0":
            return _error("400_model_version_missing_id")
        version_id = _valid_id(text)
        if version_id is None:
            return _error("400_model_id_invalid")
        fixture = sorted((FIXTURES / "model-versions").glob(f"{version_id}_*.json"))
        if fixture and version_id not in (server.state.get("models") or {}):
            return Response.json(rehost(json.loads(fixture[0].read_text("utf-8")), origin(server, req)))
        return _version_response(req, catalog.version(version_id))

    @server.route("GET", r"/api/v1/model-versions/by-hash/(?P<hash>[^/]+)")
    def get_by_hash(req: Request, match: re.Match) -> Response:
        value = match.group("hash").upper()
        exact = FIXTURES / "by-hash" / f"{value}.json"
        if re.fullmatch(r"[0-9A-F]+", value) and exact.is_file():
            return Response.json(rehost(json.loads(exact.read_text("utf-8")), origin(server, req)))
        found = catalog.by_hash(value)
        recorded = catalog.by_hash_fixture(value) if found is None else None
        if recorded is not None:
            return Response.json(rehost(recorded, origin(server, req)))
        return _version_response(req, found, by_hash=True)

    def _hash_list(req: Request, maximum: int) -> list[str] | Response:
        try:
            body = req.json()
        except ValueError:
            body = None
        if not isinstance(body, list) or len(body) > maximum or not all(isinstance(h, str) for h in body):
            return _error("400_by_hash_bulk")
        return [h.upper() for h in body]

    @server.route("POST", r"/api/v1/model-versions/by-hash")
    def post_by_hash(req: Request, match: re.Match) -> Response:
        hashes = _hash_list(req, 100)
        if isinstance(hashes, Response):
            return hashes
        if not all(re.fullmatch(r"[0-9A-F]{64}", h) for h in hashes):
            return _error("400_by_hash_bulk")
        out, seen = [], set()
        for value in hashes:
            found = catalog.by_hash(value)
            if found and found[1]["id"] not in seen and found[1].get("files"):
                seen.add(found[1]["id"])
                out.append(version_body(*found, by_hash=True))
        return Response.json(rehost(out, origin(server, req)))

    @server.route("POST", r"/api/v1/model-versions/by-hash/ids")
    def post_by_hash_ids(req: Request, match: re.Match) -> Response:
        hashes = _hash_list(req, 10_000)
        if isinstance(hashes, Response):
            return hashes
        out = []
        for value in hashes:
            found = catalog.by_hash(value)
            if found:
                out.append({"modelVersionId": found[1]["id"], "modelId": found[0]["id"], "hash": value})
        return Response.json(out)

    @server.route("GET", r"/api/v1/models")
    def list_models(req: Request, match: re.Match) -> Response:
        limit = _limit(req, 100, 100)
        if limit is None:
            return Response.json({"error": "✖ Too big: expected number to be <=100\n  → at limit"}, 400)
        limit = min(limit, server.state.get("page_size", limit))  # tests force paging with small pages
        types = req.query.get("types", [])
        if any(t not in model_types for t in types):
            return _error("400_models_invalid_types_zod4")
        problem = _paging_error(req, limit)
        if problem is not None:
            return problem
        if ("favorites" in req.query or "hidden" in req.query) and not is_authed(server, req):
            return _error("401_unauthorized")
        recorded = _MODEL_SEARCH_FIXTURES.get(_canonical(req))
        if recorded and not server.state.get("models"):
            return Response.json(rehost(read_fixture(recorded), origin(server, req)))
        items = _filter_models(server, catalog, req, types)
        if isinstance(items, Response):
            return items
        return Response.json(rehost(_page(server, req, items, limit, "/api/v1/models"), origin(server, req)))

    @server.route("GET", r"/api/v1/images")
    def list_images(req: Request, match: re.Match) -> Response:
        limit = _limit(req, 200, 100)
        if limit is None:
            return Response.json({"error": "✖ Too big: expected number to be <=200\n  → at limit"}, 400)
        recorded = _IMAGE_FIXTURES.get(_canonical(req))
        if recorded and "images" not in server.state:  # recorded pages carry recorded cursors
            return Response.json(rehost(read_fixture(recorded), origin(server, req)))
        problem = _paging_error(req, limit)
        if problem is not None:
            return problem
        items = _filter_images(server, catalog, req)
        return Response.json(_page(server, req, items, limit, "/api/v1/images"))

    @server.route("GET", r"/api/v1/me")
    def me(req: Request, match: re.Match) -> Response:
        if not is_authed(server, req):
            return _error("401_unauthorized")
        return Response.json(read_fixture("misc/me.json"))

    for name, fixture in (("enums", "misc/enums.json"), ("tags", "misc/tags_limit3.json"),
                          ("creators", "misc/creators_query.json")):
        server.route("GET", rf"/api/v1/{name}")(
            lambda req, match, fixture=fixture: Response.json(rehost(read_fixture(fixture), origin(server, req))))

    for path in (r"/api/v1/models/[^/]+", r"/api/v1/model-versions/[^/]+", r"/api/v1/me"):
        server.route("POST", path)(lambda req, match: _error("405_method_not_allowed"))


def _sort_key(sort: str | None):
    def newest(model: dict) -> str:
        return max((v.get("publishedAt") or "" for v in model.get("modelVersions") or []), default="")

    if sort == "Newest":
        return lambda m: (newest(m), m["id"]), True
    if sort == "Oldest":
        return lambda m: (newest(m), m["id"]), False
    return lambda m: ((m.get("stats") or {}).get("downloadCount") or 0, m["id"]), True


def _filter_models(server: FakeCivitai, catalog: Catalog, req: Request, types: list[str]) -> list[dict] | Response:
    query = (req.arg("query") or "").lower()
    ids_text = req.arg("ids")
    ids: set[int] | None = None
    if ids_text:
        parsed = [_valid_id(p.strip()) for p in ids_text.split(",") if p.strip()]
        if any(i is None for i in parsed):
            return Response.json({"error": "✖ Invalid input: expected number\n  → at ids"}, 400)
        ids = {i for i in parsed if i is not None}
    username, tag = req.arg("username"), req.arg("tag")
    models = list(catalog.models().values())
    if username and not any((m.get("creator") or {}).get("username") == username for m in models):
        return Response.json({"message": "User not found"}, 404)
    favorites = set(server.state.get("favorites") or []) if "favorites" in req.query else None
    nsfw = (req.arg("nsfw") or "false").lower() in ("true", "1", "yes")
    browsing = not (query or ids is not None or username or favorites is not None)
    base_models = req.query.get("baseModels", [])
    known_tags = {t for m in models for t in m.get("tags") or []}
    out = []
    for model in models:
        if ids is not None and model["id"] not in ids:
            continue
        if favorites is not None and model["id"] not in favorites:
            continue
        if types and model.get("type") not in types:
            continue
        tags = [str(t).lower() for t in model.get("tags") or []]
        if query and query not in str(model.get("name", "")).lower() and query not in tags:
            continue
        if username and (model.get("creator") or {}).get("username") != username:
            continue
        if tag and tag in known_tags and tag not in (model.get("tags") or []):
            continue  # an unknown tag is ignored, as on Civitai
        if model.get("mode") == "Archived" and "archived" not in req.query:
            continue
        if not nsfw and not (int(model.get("nsfwLevel") or 0) & 1):
            continue
        item = list_item(model, browsing=browsing, base_models=base_models, pg_only=not nsfw)
        if item is not None:
            out.append(item)
    key, reverse = _sort_key(req.arg("sort"))
    out.sort(key=key, reverse=reverse)
    return out


def _image_items(catalog: Catalog) -> list[dict[str, Any]]:
    """``/images`` items derived from every model's showcase images."""
    items = []
    for model in catalog.models().values():
        for version in model.get("modelVersions") or []:
            for image in version.get("images") or []:
                url = image.get("url", "")
                stem = url.rsplit("/", 1)[-1].split(".", 1)[0]
                if not stem.isdigit():
                    continue
                level = int(image.get("nsfwLevel") or 1) if isinstance(image.get("nsfwLevel"), int) else 1
                items.append({
                    "id": int(stem), "url": url, "hash": image.get("hash"), "width": image.get("width"),
                    "height": image.get("height"), "nsfwLevel": _LEVEL_STRINGS.get(level, "X"),
                    "type": image.get("type", "image"), "nsfw": level > 1, "browsingLevel": level,
                    "createdAt": version.get("publishedAt"), "postId": None, "stats": {},
                    "meta": image.get("meta"), "username": (model.get("creator") or {}).get("username"),
                    "baseModel": version.get("baseModel"), "modelVersionIds": [version["id"]],
                    "_modelId": model["id"],
                })
    items.sort(key=lambda i: i["id"], reverse=True)
    return items


def _filter_images(server: FakeCivitai, catalog: Catalog, req: Request) -> list[dict[str, Any]]:
    pool = server.state.get("images")
    items = list(pool) if pool is not None else _image_items(catalog)
    nsfw = (req.arg("nsfw") or "").lower()
    mask = int(req.arg("browsingLevel")) if (req.arg("browsingLevel") or "").isdigit() else _IMAGE_NSFW.get(nsfw, 1)
    with_meta = (req.arg("withMeta") or "").lower() == "true"
    model_only = req.arg("modelId") is not None and req.arg("modelVersionId") is None
    nested = with_meta and model_only and (req.arg("flatMeta") or "").lower() != "true"
    out = []
    for item in items:
        if req.arg("modelId") and str(item.get("_modelId")) != req.arg("modelId"):
            continue
        if req.arg("modelVersionId") and int(req.arg("modelVersionId") or 0) not in item.get("modelVersionIds", []):
            continue
        if req.arg("imageId") and str(item.get("id")) != req.arg("imageId"):
            continue
        if req.arg("username") and item.get("username") != req.arg("username"):
            continue
        if not int(item.get("browsingLevel") or 1) & mask:
            continue
        shown = {k: v for k, v in item.items() if not k.startswith("_")}
        meta = shown.get("meta") if with_meta else None
        shown["meta"] = {"id": shown["id"], "meta": meta} if nested else meta
        out.append(shown)
    return out
