"""Update check for downloaded models: 100 models a request, and what exactly is new.

"Downloaded" comes from the library's local-files table (filled by downloads and scans),
never from walking folders. For each downloaded model, ``/models?ids=`` returns its
versions newest first; every version listed before the newest one on disk is new. The
model's ``update_available`` flag (the browser's badge and filter) is set or cleared for
each checked shortcut in one transaction. 1,000 downloaded models cost 10 requests; peers
ask once per model (peers.md §3).

A model Civitai no longer lists (archived, deleted, unpublished) is reported as
``missing`` and its flag is left as it was: no answer is not "no update".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..civitai.views import Model, Version

log = logging.getLogger(__name__)

KIND = "check_updates"


def newer_versions(model: Model, local_version_ids: set[int]) -> list[Version]:
    """The versions of ``model`` newer than the newest one on disk (Civitai lists newest first).

    When no local version is listed any more (it was unpublished), versions with a higher id
    than every local one count as newer: ids only grow.
    """
    for index, version in enumerate(model.versions):
        if version.id in local_version_ids:
            return list(model.versions[:index])
    newest_local = max(local_version_ids, default=0)
    return [v for v in model.versions if v.id > newest_local]


def _describe(model: Model, local: set[int], newer: list[Version]) -> dict[str, Any]:
    known = {v.id: v.name for v in model.versions}
    return {
        "model_id": model.id, "name": model.name, "type": model.type,
        "local_versions": [{"id": vid, "name": known.get(vid)} for vid in sorted(local)],
        "newer": [{"id": v.id, "name": v.name, "base_model": v.base_model, "published_at": v.published_at,
                   "early_access": v.is_early_access()} for v in newer],
    }


class UpdateChecker:
    """Checks downloaded models for newer versions and keeps the library's badges current."""

    def __init__(self, *, store: Any, client: Callable[[], Any]):
        """``client`` returns the current ``CivitaiClient`` (rebuilt when settings change)."""
        self.store = store
        self._client = client

    @property
    def client(self) -> Any:
        return self._client()

    def downloaded(self) -> dict[int, set[int]]:
        """Model id -> ids of its versions with a file on disk."""
        models: dict[int, set[int]] = {}
        for row in self.store.local_files():
            if row.model_id is not None:
                versions = models.setdefault(int(row.model_id), set())
                if row.version_id is not None:
                    versions.add(int(row.version_id))
        return models

    def check(self, *, report: Callable[..., None] | None = None,
              check: Callable[[], None] | None = None) -> dict[str, Any]:
        """Checks every downloaded model; returns ``{checked, updates, missing, flagged}``."""
        report = report or (lambda **_: None)
        local = self.downloaded()
        report(done=0, total=len(local), unit="models", message=f"Checking {len(local)} downloaded models")
        models = {m.id: m for m in self.client.get_models(sorted(local))} if local else {}
        if check is not None:
            check()
        updates, flags = [], {}
        for model_id, versions in sorted(local.items()):
            model = models.get(model_id)
            if model is None:
                continue
            newer = newer_versions(model, versions)
            flags[model_id] = bool(newer)
            if newer:
                updates.append(_describe(model, versions, newer))
        flagged = self.store.set_update_flags(flags) if flags else 0
        report(done=len(local), total=len(local), message=f"{len(updates)} of {len(local)} models have new versions")
        return {"checked": len(local), "updates": updates, "missing": sorted(set(local) - set(models)),
                "shortcuts_flagged": flagged}

    def run_job(self, ctx: Any) -> dict[str, Any]:
        """Job kind "check_updates"."""
        return self.check(report=ctx.report, check=ctx.check)
