"""The Civitai REST endpoints the app uses, returning tolerant views.

Batch endpoints come first (DESIGN.md): ``by-hash/ids`` maps thousands of local files in one
call and ``/models?ids=`` fetches 100 models a call. Cursors are opaque strings sent back
exactly as returned, percent-encoded (they hold ``|``, spaces and ``:``). Every URL is built
against the configured base URL, never a hard-coded civitai.com.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import quote, urlencode

from . import errors
from .http import CivitaiHttp
from .urls import ModelRef
from .views import Image, Model, Version

log = logging.getLogger(__name__)

API = "/api/v1"
BY_HASH_CHUNK = 100
IDS_BY_HASH_CHUNK = 10_000
MODELS_PER_CALL = 100
#: a safety stop for paging loops in case a server keeps returning cursors
MAX_PAGES = 1000
_HEX = re.compile(r"[0-9A-Fa-f]{8,64}")

Params = list[tuple[str, str]]


def query_string(params: Params) -> str:
    """Encodes ``params`` with ``%20`` for spaces and every reserved character escaped.

    Repeated keys stay repeated (``types=LORA&types=LoCon``); Civitai rejects comma lists.
    """
    return urlencode(params, quote_via=quote, safe="")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _unique_upper(hashes: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in hashes:
        text = str(value).strip().upper()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _nsfw_param(nsfw: bool | str | None) -> str | None:
    """``/images`` reads ``nsfw=true`` as "mature only", so True means every level (``X``)."""
    if nsfw is None:
        return None
    if isinstance(nsfw, bool):
        return "X" if nsfw else "None"
    return str(nsfw)


class CivitaiClient:
    """Calls Civitai's REST API through a ``CivitaiHttp`` and returns views."""

    def __init__(self, http: CivitaiHttp):
        self.http = http

    def _get(self, path: str, params: Params | None = None, *, what: str, version_id: int | None = None) -> Any:
        url = self.http.url(API + path)
        if params:
            url = f"{url}?{query_string(params)}"
        return self.http.get_json(url, what=what, version_id=version_id)

    @staticmethod
    def _page(body: Any, what: str) -> tuple[list[Any], str | None]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise errors.UnexpectedResponse(what, "expected {items, metadata}")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        cursor = metadata.get("nextCursor")
        return body["items"], (str(cursor) if cursor not in (None, "") else None)

    # -- single objects ----------------------------------------------------------------
    def get_model(self, model_id: int) -> Model:
        """``GET /models/{id}``: the model with all its published versions."""
        return Model.from_json(self._get(f"/models/{int(model_id)}", what=f"model {model_id}"))

    def get_version(self, version_id: int) -> Version:
        """``GET /model-versions/{id}``: one version, with its model id and image prompts."""
        what = f"model version {version_id}"
        return Version.from_json(self._get(f"/model-versions/{int(version_id)}", what=what, version_id=version_id))

    def resolve_ref(self, ref: ModelRef) -> tuple[int, int | None]:
        """``(model_id, version_id)`` for a parsed link; version-only links ask Civitai for the model."""
        if ref.model_id is not None:
            return ref.model_id, ref.version_id
        assert ref.version_id is not None
        version = self.get_version(ref.version_id)
        if version.model_id is None:
            raise errors.UnexpectedResponse(f"model version {ref.version_id}", "it names no model")
        return version.model_id, version.id

    def by_hash(self, file_hash: str) -> Version:
        """``GET /model-versions/by-hash/{hash}``: the version owning a file with this hash.

        Any hash type Civitai stores matches (AutoV1/V2/V3, SHA256, CRC32, BLAKE3).

        Raises:
            ValueError: ``file_hash`` is not 8-64 hex digits.
            NotFound: no published file has this hash.
        """
        value = str(file_hash).strip().upper()
        if not _HEX.fullmatch(value):
            raise ValueError(f"not a file hash: {file_hash!r}")
        return Version.from_json(self._get(f"/model-versions/by-hash/{value}", what=f"a file with hash {value}"))

    def by_hashes(self, sha256s: Iterable[str]) -> list[Version]:
        """``POST /model-versions/by-hash`` in chunks of 100: versions for SHA-256s; misses are absent.

        Raises:
            ValueError: a value is not a 64-digit SHA-256 (the endpoint takes nothing else).
        """
        hashes = _unique_upper(sha256s)
        bad = [h for h in hashes if not re.fullmatch(r"[0-9A-F]{64}", h)]
        if bad:
            raise ValueError(f"not a SHA-256: {bad[0]!r}")
        versions: list[Version] = []
        for chunk in _chunks(hashes, BY_HASH_CHUNK):
            body = self.http.post_json(self.http.url(API + "/model-versions/by-hash"), list(chunk),
                                       what=f"{len(chunk)} file hashes")
            if not isinstance(body, list):
                raise errors.UnexpectedResponse("a hash lookup", "expected a list of versions")
            versions.extend(Version.from_json(item) for item in body)
        return versions

    def ids_by_hashes(self, hashes: Iterable[str]) -> list[dict[str, Any]]:
        """``POST /model-versions/by-hash/ids`` in chunks of 10,000.

        Returns:
            ``[{"modelVersionId": int, "modelId": int, "hash": str}]`` for the hashes Civitai knows.
        """
        found: list[dict[str, Any]] = []
        for chunk in _chunks(_unique_upper(hashes), IDS_BY_HASH_CHUNK):
            body = self.http.post_json(self.http.url(API + "/model-versions/by-hash/ids"), list(chunk),
                                       what=f"{len(chunk)} file hashes")
            if not isinstance(body, list):
                raise errors.UnexpectedResponse("a hash lookup", "expected a list of ids")
            for item in body:
                if isinstance(item, dict) and isinstance(item.get("modelVersionId"), int):
                    found.append({"modelVersionId": item["modelVersionId"], "modelId": item.get("modelId"),
                                  "hash": str(item.get("hash") or "").upper()})
        return found

    # -- lists ---------------------------------------------------------------------------
    def _models_pages(self, params: Params, what: str, *, max_pages: int = MAX_PAGES) -> Iterator[list[Model]]:
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            page_params = params + ([("cursor", cursor)] if cursor else [])
            items, cursor = self._page(self._get("/models", page_params, what=what), what)
            yield [Model.from_json(item) for item in items]
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)

    def get_models(self, ids: Iterable[int], *, nsfw: bool = True) -> list[Model]:
        """``GET /models?ids=`` 100 ids a call, following cursors; unknown ids are simply absent.

        List items carry only published versions that have a primary file; use ``get_model``
        for the complete list of a model's versions.
        """
        unique = list(dict.fromkeys(int(i) for i in ids))
        models: list[Model] = []
        for chunk in _chunks(unique, MODELS_PER_CALL):
            params: Params = [("ids", ",".join(str(i) for i in chunk)), ("limit", str(MODELS_PER_CALL))]
            if nsfw:
                params.append(("nsfw", "true"))
            for page in self._models_pages(params, f"{len(chunk)} models"):
                models.extend(page)
        return models

    def search_models(self, query: str | None = None, *, types: Sequence[str] = (), sort: str | None = None,
                      period: str | None = None, base_models: Sequence[str] = (), nsfw: bool | None = None,
                      tag: str | None = None, username: str | None = None, cursor: str | None = None,
                      limit: int | None = None) -> tuple[list[Model], str | None]:
        """``GET /models``: one page of a search; returns ``(models, next_cursor or None)``.

        ``types`` and ``base_models`` are sent as repeated parameters. Note that a plain browse
        (no query) hides early-access versions and archived models, as Civitai does.
        """
        params: Params = []
        if query:
            params.append(("query", query))
        params += [("types", t) for t in types]
        params += [("baseModels", b) for b in base_models]
        for name, value in (("tag", tag), ("username", username), ("sort", sort), ("period", period)):
            if value:
                params.append((name, value))
        if nsfw is not None:
            params.append(("nsfw", "true" if nsfw else "false"))
        if limit is not None:
            params.append(("limit", str(int(limit))))
        if cursor:
            params.append(("cursor", cursor))
        items, next_cursor = self._page(self._get("/models", params, what="the model search"), "the model search")
        return [Model.from_json(item) for item in items], next_cursor

    def favorites(self, cursor: str | None = None, *, limit: int = 100) -> tuple[list[Model], str | None]:
        """One page of the key owner's favourite models: ``(models, next_cursor or None)``.

        Raises:
            LoginRequired: no API key is set.
            InvalidApiKey: Civitai refused the key.
        """
        if not self.http.settings.api_key.strip():
            raise errors.LoginRequired("your favourites")
        params: Params = [("favorites", "true"), ("nsfw", "true"), ("limit", str(int(limit)))]
        if cursor:
            params.append(("cursor", cursor))
        items, next_cursor = self._page(self._get("/models", params, what="your favourites"), "your favourites")
        return [Model.from_json(item) for item in items], next_cursor

    def iter_images(self, *, model_id: int | None = None, version_id: int | None = None,
                    username: str | None = None, nsfw: bool | str | None = None, sort: str | None = None,
                    limit: int | None = None, max_pages: int = MAX_PAGES) -> Iterator[Image]:
        """Lazily pages through ``GET /images`` with ``withMeta=true``, one request per page.

        Nested ``{id, meta}`` meta (``modelId``-only queries) is flattened. ``nsfw=True`` asks
        for every level (``X``); Civitai's own ``nsfw=true`` would mean "mature only".
        """
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            items, cursor = self.images_page(model_id=model_id, version_id=version_id, username=username,
                                             nsfw=nsfw, sort=sort, limit=limit, cursor=cursor)
            yield from items
            if cursor is None or cursor in seen:
                return
            seen.add(cursor)

    def images_page(self, *, model_id: int | None = None, version_id: int | None = None,
                    username: str | None = None, nsfw: bool | str | None = None, sort: str | None = None,
                    limit: int | None = None, cursor: str | None = None) -> tuple[list[Image], str | None]:
        """One page of ``GET /images`` (``withMeta=true``): ``(images, next_cursor or None)``.

        For pages a user asks for one at a time (the Civitai gallery): the caller keeps the
        opaque cursor and sends it back exactly as returned; nothing is fetched ahead.
        """
        params: Params = []
        for name, value in (("modelId", model_id), ("modelVersionId", version_id), ("username", username)):
            if value is not None:
                params.append((name, str(value)))
        if limit is not None:
            params.append(("limit", str(int(limit))))
        if sort:
            params.append(("sort", sort))
        level = _nsfw_param(nsfw)
        if level:
            params.append(("nsfw", level))
        params.append(("withMeta", "true"))
        if cursor:
            params.append(("cursor", cursor))
        items, next_cursor = self._page(self._get("/images", params, what="images"), "images")
        return [Image.from_json(item) for item in items], next_cursor

    def get_image(self, image_id: int) -> Image:
        """One image by id (``/images?imageId=``), with its generation data.

        Raises:
            NotFound: no such image, or it is not visible.
        """
        params: Params = [("imageId", str(int(image_id))), ("nsfw", "X"), ("withMeta", "true")]
        items, _ = self._page(self._get("/images", params, what=f"image {image_id}"), f"image {image_id}")
        for item in items:
            image = Image.from_json(item)
            if image.id == int(image_id):
                return image
        raise errors.NotFound("image", image_id)

    # -- account ---------------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        """``GET /me``: the key owner's account (``id``, ``username``, ...); validates the key.

        Raises:
            LoginRequired: no API key is set.
            InvalidApiKey: Civitai refused the key.
        """
        if not self.http.settings.api_key.strip():
            raise errors.LoginRequired("checking your API key")
        body = self._get("/me", what="your account")
        if not isinstance(body, dict):
            raise errors.UnexpectedResponse("your account", "expected an object")
        return body
