"""Library upkeep: refresh shortcut info, backfill LoRA metadata and previews offline, find
duplicates and orphan sidecars.

* Refresh goes through the registration service (its concurrency setting and the client's
  per-host rate limit), oldest-refreshed first, and only shortcuts not refreshed within
  ``older_than_days``: a refresh interrupted by a restart does not start from zero when run
  again. Re-registering keeps notes, dates and classifications.
* Backfill never calls Civitai: the data comes from the file's ``.civitai.info`` or the
  library's stored model JSON, and previews from images the library already cached. The
  original fetched every version again just to write a ``.json`` (original-extension.md §1.7).
* Duplicates are files with the same SHA-256 in the local-files table; orphans are
  ``.civitai.info``/``.preview.*`` files whose model file is gone (with the other sidecars
  of the same name). Both are reports; deleting orphans is a separate, explicit call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..civitai.views import Model, Version
from ..files import sidecars
from ..files.errors import NotAnImage
from ..files.stills import open_still
from .download_extras import has_preview
from .local_sidecars import PREVIEW_EXTENSIONS, SIDECAR_SUFFIXES, stem_of
from .model_files import scan_roots, walk_files

log = logging.getLogger(__name__)

BACKFILL_KIND = "backfill_sidecars"
DAY = 86400.0
_MARKERS = (sidecars.INFO_SUFFIX, *(".preview" + ext for ext in PREVIEW_EXTENSIONS))


class Maintenance:
    """Upkeep services over the library, the host's folders and the registration service."""

    def __init__(self, *, host: Any, library: Any, registration: Any = None,
                 settings: Callable[[], Any], model_extensions: Sequence[str]):
        self.host, self.library, self.registration = host, library, registration
        self._settings = settings
        self.model_extensions = tuple(model_extensions)

    # -- refresh -----------------------------------------------------------------------
    def stale_shortcuts(self, ids: Iterable[int] | None = None, *, older_than_days: float = 0.0,
                        now: float | None = None) -> list[int]:
        """Shortcut ids (all, or among ``ids``) not refreshed within ``older_than_days``, oldest first."""
        cutoff = (time.time() if now is None else now) - older_than_days * DAY
        # a read-only query; the library has no "ids by updated_at" accessor yet
        rows = self.library.db.read().execute("SELECT id, updated_at FROM model ORDER BY updated_at, id")
        wanted = None if ids is None else {int(i) for i in ids}
        return [r["id"] for r in rows if r["updated_at"] <= cutoff and (wanted is None or r["id"] in wanted)]

    def refresh_shortcuts(self, ids: Iterable[int] | None = None, *, older_than_days: float = 0.0) -> int | None:
        """Queues a registration job refreshing the stale shortcuts; None when none is stale."""
        stale = self.stale_shortcuts(ids, older_than_days=older_than_days)
        if not stale:
            return None
        return self.registration.register(stale, info_only=True)

    # -- offline backfill --------------------------------------------------------------
    def _sources(self, path: Path, model_id: int | None, version_id: int | None) -> tuple[Model | None, Version | None]:
        """The model and version for a local file from its ``.civitai.info``, else the library's JSON."""
        info = sidecars.sidecar_paths(path)["info"]
        if info.is_file():
            try:
                raw = json.loads(info.read_text(encoding="utf-8"))
                version = Version.from_json(raw)
                model = Model.from_json({"id": version.model_id or model_id, **(raw.get("model") or {})})
                return model, version
            except (OSError, ValueError) as exc:  # unreadable info: fall back to the library
                log.info("Ignoring %s: %s", info, exc)
        raw_model = self.library.query.raw_model(model_id) if model_id is not None else None
        if raw_model is None:
            return None, None
        model = Model.from_json(raw_model)
        return model, model.version(version_id) if version_id is not None else None

    def backfill(self, *, metadata: bool = True, previews: bool = True,
                 report: Callable[..., None] | None = None, check: Callable[[], None] | None = None) -> dict:
        """Writes missing LoRA ``.json`` keys and missing/broken ``.preview.png`` from cached data only."""
        report = report or (lambda **_: None)
        rows = [r for r in self.library.store.local_files() if Path(r.path).is_file()]
        result: dict[str, Any] = {"checked": len(rows), "metadata": [], "previews": [], "errors": []}
        base = self._settings().civitai_url.rstrip("/")
        for index, row in enumerate(rows, 1):
            if check is not None:
                check()
            path = Path(row.path)
            model, version = self._sources(path, row.model_id, row.version_id)
            if model is None:
                continue
            try:
                if metadata and model.type in sidecars.LORA_TYPES and self._backfill_meta(path, model, version, base):
                    result["metadata"].append(str(path))
                if previews and self._repair_preview(path, model, version):
                    result["previews"].append(str(path))
            except (OSError, NotAnImage) as exc:
                result["errors"].append({"path": str(path), "error": str(exc)})
            report(done=index, total=len(rows), unit="files", message=f"Checked {index} of {len(rows)} files")
        return result

    def run_backfill_job(self, ctx: Any) -> dict:
        """Job kind "backfill_sidecars": params ``{metadata, previews}`` (both default true)."""
        return self.backfill(metadata=ctx.params.get("metadata", True), previews=ctx.params.get("previews", True),
                             report=ctx.report, check=ctx.check)

    @staticmethod
    def _backfill_meta(path: Path, model: Model, version: Version | None, base: str) -> bool:
        meta = sidecars.sidecar_paths(path)["meta"]
        before = meta.read_bytes() if meta.is_file() else None
        url = f"{base}/models/{model.id}" + (f"?modelVersionId={version.id}" if version else "")
        ours = sidecars.webui_metadata(
            model_type=model.type, model_url=url, base_model=version.base_model if version else None,
            trained_words=list(version.trained_words) if version else [], description=model.description)
        written = sidecars.write_webui_metadata(path, ours)
        return written is not None and (before is None or meta.read_bytes() != before)

    def _repair_preview(self, path: Path, model: Model, version: Version | None) -> bool:
        """Writes ``.preview.png`` when no preview exists or ours does not decode; never replaces another."""
        ours = sidecars.sidecar_paths(path)["preview"]
        if ours.is_file():
            try:
                open_still(ours.read_bytes())
                return False
            except NotAnImage:
                pass  # our own broken preview (an old download saved a video or a page): replace it
        elif has_preview(path):
            return False
        data = self._cached_still(model, version)
        if data is None:
            return False
        sidecars.write_preview(path, data)
        return True

    def _cached_still(self, model: Model, version: Version | None) -> bytes | None:
        """Bytes of a still the library cached for this version (else the model's thumbnail)."""
        store, media = self.library.store, self.library.media
        cached = store.cached_image_paths(model.id)
        max_level = self._settings().max_browsing_level
        images = [i for i in (version.images if version else ()) if i.url in cached and i.allowed(max_level)]
        relatives = [cached[i.url] for i in images] + [store.thumbnail_of(model.id)]
        for relative in relatives:
            if relative and media.exists(relative):
                return (media.data_dir / relative).read_bytes()
        return None

    # -- reports -----------------------------------------------------------------------
    def duplicates(self) -> list[dict[str, Any]]:
        """Groups of local files with the same SHA-256 that all still exist, biggest waste first."""
        groups: dict[str, list[Any]] = {}
        for row in self.library.store.local_files():
            if row.sha256 and Path(row.path).is_file():
                groups.setdefault(row.sha256, []).append(row)
        found = [{"sha256": sha, "size": rows[0].size, "model_id": rows[0].model_id,
                  "version_id": rows[0].version_id, "paths": sorted(r.path for r in rows)}
                 for sha, rows in groups.items() if len(rows) > 1]
        return sorted(found, key=lambda g: (-g["size"] * (len(g["paths"]) - 1), g["sha256"]))

    def orphan_sidecars(self) -> list[dict[str, Any]]:
        """``[{stem, files}]``: sidecar sets whose model file is gone, in every model folder."""
        orphans: dict[str, list[str]] = {}
        for _, root in scan_roots(self.host, self._settings()):
            if not Path(root).is_dir():
                continue
            for entry in walk_files(Path(root)):
                marker = next((m for m in _MARKERS if entry.name.lower().endswith(m)), None)
                if marker is None:
                    continue
                stem = Path(entry.path[: -len(marker)])
                if str(stem) in orphans or self._has_model(stem):
                    continue
                orphans[str(stem)] = sorted(str(p) for p in self._sidecars_of_stem(stem))
        return [{"stem": stem, "files": files} for stem, files in sorted(orphans.items())]

    def delete_orphans(self, stems: Iterable[str]) -> list[str]:
        """Deletes the sidecars of the given orphan stems that are still orphans; returns the deleted paths."""
        deleted = []
        for text in stems:
            stem = Path(text)
            if self._has_model(stem):
                continue  # the model came back (or was restored) since the report
            for path in self._sidecars_of_stem(stem):
                path.unlink()
                deleted.append(str(path))
        return deleted

    def _has_model(self, stem: Path) -> bool:
        """True when a model file named ``<stem>.<model extension>`` (any case) exists."""
        return any(p.suffix.lower() in self.model_extensions and stem_of(p) == stem and p.is_file()
                   for p in stem.parent.glob(_glob_escape(stem.name) + ".*"))

    @staticmethod
    def _sidecars_of_stem(stem: Path) -> list[Path]:
        return [p for p in (stem.with_name(stem.name + s) for s in SIDECAR_SUFFIXES) if p.is_file()]


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
