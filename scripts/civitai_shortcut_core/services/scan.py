"""Scan: map every local model file to Civitai in a handful of requests.

    walk the host's model folders          model_files.find_model_files
    hash what no cache knows               hash_index.HashIndex (library, WebUI cache, threads)
    map ALL hashes                         POST /model-versions/by-hash/ids   10,000 a call
    fetch the matched models               GET  /models?ids=                   100 a call
    per matched file, offline:             record it; optionally move it with its sidecars,
                                           write the missing sidecars, register the shortcut

Peers ask Civitai once per file (and sleep between calls); 1,000 files cost them 1,000+
requests and minutes. Here they cost 1 + 10 (peers.md §3). Per-file problems (a preview that
will not download, a name already taken) are listed in the result and the scan goes on;
Civitai being unreachable fails the job with its typed sentence.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..civitai.errors import CivitaiError, NotFound
from ..civitai.views import Model, Version
from ..files.errors import FilesError
from ..files.folders import FolderFacts, target_folder, type_folder
from ..host.base import MODEL_EXTENSIONS
from .download_extras import fetch_bytes
from .hash_index import HashedFile, HashIndex, summarize
from .local_sidecars import SidecarWants, write_missing
from .model_files import scan_roots
from .model_move import MoveRefused, move_with_sidecars

log = logging.getLogger(__name__)

Report = Callable[..., None]


@dataclass(frozen=True)
class ScanOptions:
    """What a scan does besides mapping: the job's params."""

    register: bool = False      # add matched models as shortcuts (offline, from the fetched JSON)
    write_info: bool = False    # write missing sidecars (.civitai.info, preview, WebUI .json)
    move: bool = False          # move matched files (with sidecars) into the folder rules

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ScanOptions:
        return cls(bool(params.get("register")), bool(params.get("write_info")), bool(params.get("move")))


@dataclass(frozen=True)
class Match:
    """A local file Civitai knows, with its model and version."""

    file: HashedFile
    model: Model
    version: Version


class ScanService:
    """Maps local files to Civitai and keeps the library's local-files table current."""

    def __init__(self, *, host: Any, store: Any, query: Any, hashes: HashIndex, client: Callable[[], Any],
                 settings: Callable[[], Any], register: Callable[[Mapping[str, Any]], Any] | None = None,
                 fetch: Callable[[str], bytes] | None = None,
                 on_registered: Callable[[list[int]], Any] | None = None):
        """``client`` and ``settings`` are called on each use: both change when the user edits settings.

        ``on_registered(ids)`` runs after a scan added shortcuts offline; the App queues a
        rate-limited refresh there (complete version lists and thumbnails), and its return
        value (a job id) is the result's ``refresh_job``.
        """
        self.host, self.store, self.query, self.hashes = host, store, query, hashes
        self._client = client
        self._settings = settings
        self._register = register or (lambda raw: store.upsert_model(raw))
        self._fetch = fetch or (lambda url: fetch_bytes(client().http, url))
        self._on_registered = on_registered

    @property
    def client(self) -> Any:
        return self._client()

    # -- the job ---------------------------------------------------------------------------
    def run_job(self, ctx: Any) -> dict:
        """Job kind "scan": params ``{register, write_info, move}``; the result lists every file."""
        return self.scan(ScanOptions.from_params(ctx.params), report=ctx.report, check=ctx.check)

    def scan(self, options: ScanOptions, *, report: Report | None = None,
             check: Callable[[], None] | None = None) -> dict:
        """Runs a scan; returns ``{files, matched, unmatched, errors, hash, ...}`` as plain JSON."""
        report = report or (lambda **_: None)
        check = check or (lambda: None)
        settings = self._settings()
        report(done=0, total=None, unit="files", message="Looking for model files")
        roots = scan_roots(self.host, settings)
        files = self.hashes.model_files()
        forgotten = self._forget_missing(roots, {str(f.path) for f in files})
        report(done=0, total=None, unit="bytes", message=f"Hashing {len(files)} model files")
        hashed = self.hashes.hash_files(files, check=check, progress=lambda d, t, m: report(done=d, total=t))
        ok = [h for h in hashed if h.sha256]
        report(done=0, total=len(ok), unit="files", message=f"Asking Civitai about {len(ok)} files")
        matches, errors = self._match(ok, check)
        matched_paths = {m.file.path for m in matches}
        result = {
            "files": len(hashed),
            "matched": [],
            "unmatched": [{"path": str(h.path), "sha256": h.sha256, "size": h.size}
                          for h in ok if h.path not in matched_paths],
            "errors": [{"path": str(h.path), "error": h.error} for h in hashed if h.error] + errors,
            "hash": {k: v for k, v in summarize(hashed).items() if k != "errors"},
            "forgotten": forgotten, "registered": 0, "moved": 0, "sidecars_written": 0,
        }
        registered: set[int] = set()
        for index, match in enumerate(matches, 1):
            check()
            result["matched"].append(self._apply(match, options, settings, registered, result))
            report(done=index, total=len(matches), message=f"Updating {index} of {len(matches)} matched files")
        result["registered"] = len(registered)
        if registered and self._on_registered is not None:
            result["refresh_job"] = self._on_registered(sorted(registered))
        return result

    # -- steps -----------------------------------------------------------------------------
    def _forget_missing(self, roots: Iterable[tuple[str, Path]], present: set[str]) -> int:
        """Forgets library rows of files that vanished from a folder we walked (never from an unmounted one)."""
        live_roots = [str(root) + os.sep for _, root in roots if Path(root).is_dir()]
        gone = [lf.path for lf in self.store.local_files()
                if lf.path not in present and any(lf.path.startswith(r) for r in live_roots)
                and not Path(lf.path).is_file()]
        for path in gone:
            self.store.forget_local_file(path)
        return len(gone)

    def _match(self, files: list[HashedFile], check: Callable[[], None]) -> tuple[list[Match], list[dict]]:
        """Maps hashes to versions in one request per 10,000, then models in one per 100."""
        if not files:
            return [], []
        ids = {item["hash"].upper(): (item["modelVersionId"], item.get("modelId"))
               for item in self.client.ids_by_hashes([f.sha256 for f in files])}
        check()
        wanted_models = {mid for _, mid in ids.values() if mid is not None}
        models = {m.id: m for m in self.client.get_models(sorted(wanted_models))} if wanted_models else {}
        matches: list[Match] = []
        errors: list[dict] = []
        for item in files:
            found = ids.get(item.sha256)
            if found is None:
                continue
            try:
                model, version = self._model_and_version(models, *found)
            except NotFound as exc:  # mapped a moment ago, gone now: report it, keep scanning
                errors.append({"path": str(item.path), "error": str(exc)})
                continue
            matches.append(Match(item, model, version))
        return matches, errors

    def _model_and_version(self, models: dict[int, Model], version_id: int,
                           model_id: int | None) -> tuple[Model, Version]:
        """The model and version for an id pair; list items can lack a version (or an archived
        model), so those few cost one request each."""
        model = models.get(model_id) if model_id is not None else None
        version = model.version(version_id) if model is not None else None
        if version is None:
            version = self.client.get_version(version_id)
            model_id = model_id or version.model_id
            model = models.get(model_id) if model_id is not None else None
        if model is None:
            model = self.client.get_model(model_id)
            models[model.id] = model
        return model, version

    def _apply(self, match: Match, options: ScanOptions, settings: Any, registered: set[int],
               result: dict) -> dict:
        """Records, moves, writes sidecars for and registers one matched file."""
        item, model, version = match.file, match.model, match.version
        path = item.path
        entry = {"path": str(path), "sha256": item.sha256, "model_id": model.id, "version_id": version.id,
                 "model": model.name, "version": version.name, "type": model.type,
                 "moved_to": None, "sidecars": []}
        if options.move:
            moved = self._move(item, model, version, settings, result)
            if moved is not None:
                entry["moved_to"], path = str(moved), moved
        stat = path.stat()
        self.store.record_local_file(path, size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=item.sha256,
                                     version_id=version.id, model_id=model.id)
        if options.write_info:
            wants = SidecarWants(info=settings.write_info_sidecar, preview=settings.write_preview_sidecar,
                                 meta=settings.write_webui_metadata, max_level=settings.max_browsing_level,
                                 civitai_url=settings.civitai_url, fetch=self._fetch)
            written = write_missing(path, model, version, item.sha256, wants)
            entry["sidecars"] = written.written
            result["sidecars_written"] += len(written.written)
            result["errors"] += [{"path": str(path), "error": e} for e in written.errors]
        if options.register and model.id not in registered and not self.query.exists(model.id):
            try:
                self._register(model.raw)
                registered.add(model.id)
            except (CivitaiError, FilesError, ValueError) as exc:
                result["errors"].append({"path": str(path), "error": f"register: {exc}"})
        return entry

    def _move(self, item: HashedFile, model: Model, version: Version, settings: Any, result: dict) -> Path | None:
        """Moves a matched file into its folder rule; None when it stays (already there, or refused)."""
        facts = FolderFacts(model_type=model.folder_type, model_name=model.name, version_name=version.name,
                            base_model=version.base_model or "",
                            creator=(model.creator.username or "") if model.creator else "",
                            model_id=model.id, version_id=version.id)
        try:
            if settings.folder_rule == "type" and _inside(item.path, type_folder(self.host, settings, facts.model_type)):
                return None  # "type" only asks for the type folder: the user's subfolders stay
            target = target_folder(self.host, settings, facts)
            moved = move_with_sidecars(item.path, target, model_extensions=MODEL_EXTENSIONS)
        except (MoveRefused, FilesError, OSError) as exc:
            result["errors"].append({"path": str(item.path), "error": f"move: {exc}"})
            return None
        if moved == item.path:
            return None
        self.store.forget_local_file(item.path)
        result["moved"] += 1
        self.hashes.store_webui(moved, item.model_type, item.sha256)  # checkpoint titles hold the path
        return moved


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True
