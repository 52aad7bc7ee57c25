"""What the fake Civitai knows: fixture models, models a test added, and the shapes built from them.

Models come from ``fixtures/civitai/models``, ``fixtures/own/models`` and
``server.state['models']`` (``{id: raw}``, checked first, so tests and benches can add
generated models with ``add_model``). Version, by-hash and list bodies are derived from the
model JSON the way Civitai derives them (civitai-api.md §2-3), so one model file serves every
endpoint. Absolute URLs in bodies are rebuilt from the request's ``Host``, as Civitai does.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from .server import FIXTURES, OWN_FIXTURES, FakeCivitai

_CIVITAI_ORIGIN = re.compile(r"^https?://(?:api\.|www\.)?civitai\.(?:com|red|green)(?=/)")
_REHOSTED_KEYS = ("downloadUrl", "nextPage")
_CDN_ORIGIN = re.compile(r"^https://image(?:cache)?\.civitai\.com/")


def read_fixture(relative: str) -> Any:
    """A shared fixture's decoded JSON (``relative`` to ``fixtures/civitai``)."""
    return json.loads((FIXTURES / relative).read_text("utf-8"))


def _load_models() -> dict[int, dict[str, Any]]:
    models: dict[int, dict[str, Any]] = {}
    for folder in (FIXTURES / "models", OWN_FIXTURES / "models"):
        for path in sorted(Path(folder).glob("*.json")):
            raw = json.loads(path.read_text("utf-8"))
            models[int(raw["id"])] = raw
    return models


class Catalog:
    """Fixture data loaded once per server, plus per-test models from ``server.state``."""

    def __init__(self, server: FakeCivitai):
        self.server = server
        self.fixture_models = _load_models()
        self.hash_fixture_index = read_fixture("by-hash/index.json")["hashes"]
        self._index_key: Any = None
        self._versions: dict[int, tuple[dict, dict]] = {}
        self._hashes: dict[str, list[tuple[str, int, dict, dict, dict]]] = {}

    # -- models ------------------------------------------------------------------------
    def models(self) -> dict[int, dict[str, Any]]:
        """Every model by id; models added by the test override fixtures with the same id."""
        added = self.server.state.get("models") or {}
        return {**self.fixture_models, **added}

    def model(self, model_id: int) -> dict[str, Any] | None:
        added = self.server.state.get("models") or {}
        return added.get(model_id) or self.fixture_models.get(model_id)

    def _reindex(self) -> None:
        added = self.server.state.get("models") or {}
        key = tuple((k, id(v)) for k, v in added.items())
        if key == self._index_key:
            return
        versions: dict[int, tuple[dict, dict]] = {}
        hashes: dict[str, list[tuple[str, int, dict, dict, dict]]] = {}
        for model in self.models().values():
            for version in model.get("modelVersions") or []:
                versions[int(version["id"])] = (model, version)
                for file in version.get("files") or []:
                    for value in (file.get("hashes") or {}).values():
                        hashes.setdefault(str(value).upper(), []).append(
                            (version.get("publishedAt") or "", int(version["id"]), model, version, file))
        for candidates in hashes.values():
            candidates.sort(key=lambda c: (c[0], c[1]))  # earliest publishedAt, then lowest id
        self._versions, self._hashes, self._index_key = versions, hashes, key

    def version(self, version_id: int) -> tuple[dict, dict] | None:
        """``(model, version)`` for a version id, or None."""
        self._reindex()
        return self._versions.get(version_id)

    def by_hash(self, value: str) -> tuple[dict, dict] | None:
        """The ``(model, version)`` Civitai would answer for a hash of any type, or None."""
        self._reindex()
        candidates = self._hashes.get(value.upper())
        return (candidates[0][2], candidates[0][3]) if candidates else None

    def by_hash_fixture(self, value: str) -> dict[str, Any] | None:
        """The recorded by-hash body the shared index picks for this hash, if it is not a model's."""
        for entry in self.hash_fixture_index.get(value.upper(), []):
            if str(entry.get("fixture", "")).startswith("by-hash/"):
                return read_fixture(entry["fixture"])
        return None


# -- shapes --------------------------------------------------------------------------------
def version_body(model: dict[str, Any], version: dict[str, Any], *, by_hash: bool = False) -> dict[str, Any]:
    """The ``/model-versions/{id}`` (and by-hash) shape of a version inside a model."""
    body = copy.deepcopy(version)
    body.pop("index", None)
    body["modelId"] = model["id"]
    body["model"] = {"name": model.get("name"), "type": model.get("type"), "nsfw": model.get("nsfw", False),
                     "poi": model.get("poi", False)}
    files = []
    for file in body.get("files") or []:
        file["primary"] = bool(file.get("primary"))
        if not by_hash:
            file.pop("overrideName", None)
        files.append(file)
    body["files"] = files
    return body


def list_item(model: dict[str, Any], *, browsing: bool, base_models: list[str], pg_only: bool) -> dict | None:
    """The ``/models`` list shape of a model, or None when no version survives the list rules."""
    item = copy.deepcopy(model)
    versions = []
    for version in item.get("modelVersions") or []:
        if version.get("status", "Published") != "Published":
            continue
        if not any(f.get("primary") for f in version.get("files") or []):
            continue  # versions without a primary file are dropped from lists
        if browsing and version.get("availability", "Public") != "Public":
            continue  # plain browsing hides early-access versions
        if base_models and version.get("baseModel") not in base_models:
            continue
        version.pop("createdAt", None)
        version.pop("status", None)
        version.setdefault("description", None)
        version.setdefault("trainedWords", [])
        version.setdefault("images", [])
        if pg_only:
            version["images"] = [i for i in version["images"] if i.get("nsfwLevel") == 1]
        versions.append(version)
    if not versions:
        return None
    item["modelVersions"] = versions
    return item


def rehost(data: Any, origin: str) -> Any:
    """A copy of ``data`` whose ``downloadUrl``/``nextPage`` URLs point at ``origin``."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in _REHOSTED_KEYS and isinstance(value, str):
                out[key] = _CIVITAI_ORIGIN.sub(origin, value)
            elif isinstance(value, str) and value.startswith("https://image"):
                out[key] = _CDN_ORIGIN.sub(origin + "/cdn/", value)  # images come from our /cdn/ route
            else:
                out[key] = rehost(value, origin)
        return out
    if isinstance(data, list):
        return [rehost(item, origin) for item in data]
    return data
