"""The download queue: plan where each file goes, run one job per file, record the result.

``DownloadService.enqueue`` answers at once (it is called from Gradio handlers and the
CLI): it fetches the version if needed, decides every file's final folder and name, and
submits one ``download`` job per file. The job's params hold everything needed to run it
again after a restart (version, file, folder, name, size, SHA-256, sidecar data), and the
job itself (``FileTransfer``) resumes from the ``.part`` file.

Names: a name taken by a *different* file is never overwritten. At enqueue time a final
name already used by a file of another size, or by another active download, moves on to
``name (1).ext``, ``name (2).ext``... (as the original extension did); a file of the same
size keeps the name and the job decides by SHA-256: the same hash is "already have it",
another is a ``FileConflict`` (nothing is touched). A second enqueue of a file that is
already queued, running or paused joins that job.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..civitai.errors import CivitaiError, NotFound
from ..civitai.views import File, Model, Version, folder_type
from ..files.errors import FileConflict, FlaggedFile, HashMismatch, SizeMismatch
from ..files.folders import FolderFacts, target_folder
from ..files.names import resolve_inside, safe_filename, split_extension
from .download_extras import ExtrasWriter, fetch_bytes, sidecar_plan
from .download_task import (
    DEFAULT_POLICY,
    DownloadResult,
    DownloadSpec,
    FileTransfer,
    Progress,
    TransferPolicy,
)

log = logging.getLogger(__name__)

KIND = "download"
_ACTIVE = ("queued", "running", "paused")
_MAX_NUMBERED = 99

RecordLocalFile = Callable[..., None]


def file_key(version_id: int, file_id: int | None) -> str:
    """The identity a download job is joined on."""
    return f"{version_id}:{file_id}"


def _numbered(name: str, n: int) -> str:
    stem, ext = split_extension(name)
    return f"{stem} ({n}){ext}"


def _provided(value: Any, method: str) -> Any:
    """``value``, or what it returns when it is a provider function rather than the object."""
    return value() if callable(value) and not hasattr(value, method) else value


def _as_model(model: Model | Mapping[str, Any] | None) -> Model | None:
    return Model.from_json(dict(model)) if isinstance(model, Mapping) else model


def _as_version(version: Version | Mapping[str, Any] | None, model_id: int | None) -> Version | None:
    return Version.from_json(dict(version), model_id=model_id) if isinstance(version, Mapping) else version


class DownloadService:
    """Queues, runs and records file downloads (one ``download`` job per file).

    Args:
        http: ``CivitaiHttp`` (storage requests and the download endpoint), or a function
            returning it (the composition root builds the Civitai layer in its own section).
        client: ``CivitaiClient`` (version and model look-ups when not given), or a function
            returning it.
        host: the ``Host`` (type folders, the WebUI hash cache).
        settings: returns the current ``Settings``.
        jobs: the ``JobManager``; the ``download`` kind is registered here.
        record_local_file: called after each verified file with ``path, size, mtime_ns, sha256,
            version_id, model_id`` (the library records it; the lead wires it in ``app.py``).
        policy: retry policy of each transfer (tests shrink the delays).
    """

    def __init__(self, *, http: Any, client: Any, host: Any, settings: Callable[[], Any], jobs: Any,
                 record_local_file: RecordLocalFile | None = None, policy: TransferPolicy = DEFAULT_POLICY):
        self._http, self._client, self.host, self.jobs = http, client, host, jobs
        self._settings = settings
        self.record_local_file = record_local_file
        self.policy = policy
        self._enqueue_lock = threading.Lock()
        jobs.register(KIND, self.run_job, workers=settings().download_concurrency)

    @property
    def settings(self) -> Any:
        return self._settings()

    @property
    def http(self) -> Any:
        return _provided(self._http, "send")

    @property
    def client(self) -> Any:
        return _provided(self._client, "get_version")

    def apply_settings(self) -> None:
        """Resizes the worker pool after ``download_concurrency`` changed."""
        self.jobs.set_workers(KIND, self.settings.download_concurrency)

    # -- planning ---------------------------------------------------------------------
    def _fetch(self, model_id: int | None, version_id: int, model: Any, version: Any) -> tuple[Model, Version]:
        model_view = _as_model(model)
        version_view = _as_version(version, model_id if model_id is not None else getattr(model_view, "id", None))
        if version_view is None and model_view is not None:
            version_view = model_view.version(version_id)
        if version_view is None:
            version_view = self.client.get_version(version_id)
        if model_view is None:
            owner = model_id if model_id is not None else version_view.model_id
            if owner is None:
                raise NotFound("model of version", version_id)
            model_view = self.client.get_model(owner)
        return model_view, version_view

    @staticmethod
    def _pick_files(version: Version, file_ids: Iterable[int] | None, all_files: bool) -> list[File]:
        if file_ids:
            by_id = {f.id: f for f in version.files}
            missing = [i for i in file_ids if int(i) not in by_id]
            if missing:
                raise NotFound("file", missing[0], f"not a file of version {version.id}")
            return [by_id[int(i)] for i in dict.fromkeys(file_ids)]
        if all_files:
            return list(version.files)
        primary = version.primary_file
        if primary is None:
            raise NotFound("file", None, f"version {version.id} has no downloadable file")
        return [primary]

    def _file_name(self, file: File, model: Model, version: Version, rename: Mapping[int, str]) -> str:
        _, api_ext = split_extension(file.name)
        fallback = safe_filename(f"{model.name}_{version.name}_{file.id}{api_ext or '.bin'}",
                                 fallback=f"file_{file.id}{api_ext or '.bin'}")
        wanted = rename.get(file.id) if file.id is not None else None
        if wanted:
            name = safe_filename(wanted, fallback=fallback)
            if not split_extension(name)[1] and api_ext:
                name = safe_filename(name + api_ext, fallback=fallback)
            return name
        return safe_filename(file.name, fallback=fallback)

    def _free_name(self, folder: Path, name: str, size: int | None, taken: set[str]) -> str:
        """The first of ``name``, ``name (1)``... that is free, or holds a file of the same size."""
        for n in range(_MAX_NUMBERED + 1):
            candidate = name if n == 0 else _numbered(name, n)
            path = resolve_inside(folder, candidate)
            if str(path) in taken:
                continue
            if not path.exists() or (size is not None and path.is_file() and path.stat().st_size == size):
                return candidate
        raise FileConflict(resolve_inside(folder, name))

    def _active_jobs(self) -> list[Any]:
        return self.jobs.list(kinds=(KIND,), states=_ACTIVE, limit=10_000)

    def plan(self, model_id: int | None, version_id: int, file_ids: Iterable[int] | None = None, *,
             all_files: bool = False, folder: str | None = None, rule: str | None = None,
             template: str | None = None, classification: str = "", rename: Mapping[int, str] | None = None,
             allow_flagged: bool = False, model: Any = None, version: Any = None) -> list[dict[str, Any]]:
        """Decides where each requested file goes, without queueing anything.

        Returns one job-params dict per file (see :meth:`enqueue` for the arguments); a
        params dict with ``"join"`` set is a file already being downloaded by that job.
        """
        model_view, version_view = self._fetch(model_id, version_id, model, version)
        files = self._pick_files(version_view, file_ids, all_files)
        settings = self.settings
        facts = FolderFacts(model_type=folder_type(model_view.type), model_name=model_view.name,
                            version_name=version_view.name, base_model=version_view.base_model or "",
                            creator=(model_view.creator.username or "") if model_view.creator else "",
                            classification=classification, model_id=model_view.id, version_id=version_view.id)
        where = target_folder(self.host, settings, facts, folder=folder, rule=rule, template=template)
        active = self._active_jobs()
        joined = {j.params.get("key"): j.id for j in active}
        taken = {str(resolve_inside(j.params["folder"], j.params["name"])) for j in active
                 if j.params.get("folder") and j.params.get("name")}
        primary_id = version_view.primary_file.id if version_view.primary_file else None
        plans = []
        for file in files:
            if file.is_dangerous and not allow_flagged:
                raise FlaggedFile(file.name, file.pickle_scan if file.pickle_scan in ("Danger", "Error")
                                  else file.virus_scan or "unsafe")
            key = file_key(version_view.id, file.id)
            params: dict[str, Any] = {"key": key, "model_id": model_view.id, "model_type": facts.model_type}
            if key in joined:
                params["join"] = joined[key]
                plans.append(params)
                continue
            name = self._free_name(where, self._file_name(file, model_view, version_view, rename or {}),
                                   file.size_bytes, taken)
            taken.add(str(resolve_inside(where, name)))
            spec = DownloadSpec(version_view.id, file.id, str(where), name, file.size_bytes, file.sha256)
            params.update(spec.to_params())
            if file.id == primary_id:
                params["sidecars"] = sidecar_plan(model_view, version_view, settings=settings,
                                                  file_id=file.id, final_name=name)
            params["title"] = f"{model_view.name} - {version_view.name}: {name}"
            plans.append(params)
        return plans

    def enqueue(self, model_id: int | None, version_id: int, file_ids: Iterable[int] | None = None, *,
                all_files: bool = False, folder: str | None = None, rule: str | None = None,
                template: str | None = None, classification: str = "", rename: Mapping[int, str] | None = None,
                allow_flagged: bool = False, model: Any = None, version: Any = None) -> list[int]:
        """Queues one download job per file and returns the job ids (joined jobs keep their id).

        Args:
            model_id: the model (None: taken from the version).
            version_id: the version whose files are downloaded.
            file_ids: the files to download; default the primary file only.
            all_files: every file of the version (when ``file_ids`` is not given).
            folder: a folder chosen for this download (relative to the type folder, or an
                absolute path inside it); overrides the folder rule.
            rule, template: override the settings' folder rule and template.
            classification: the classification used by the ``classification`` rule.
            rename: ``{file_id: name}``; sanitised, the API extension added when missing.
            allow_flagged: download files Civitai's scan flagged (refused otherwise).
            model, version: views or raw JSON already at hand (saves the API calls).

        Raises:
            CivitaiError: the version or model cannot be fetched; an unknown file id (NotFound).
            FilesError: an unsafe folder, a bad template, a flagged file, no free name.
        """
        model, version = self._fetch(model_id, version_id, model, version)  # network: outside the lock
        with self._enqueue_lock:  # two quick clicks must not start two jobs for one .part
            plans = self.plan(model_id, version_id, file_ids, all_files=all_files, folder=folder, rule=rule,
                              template=template, classification=classification, rename=rename,
                              allow_flagged=allow_flagged, model=model, version=version)
            ids = []
            for params in plans:
                if "join" in params:
                    ids.append(params["join"])
                    continue
                title = params.pop("title")
                ids.append(self.jobs.submit(KIND, params, title=title))
            return ids

    # -- running --------------------------------------------------------------------------
    def run_job(self, ctx: Any) -> dict[str, Any]:
        """The ``download`` job handler: transfer, verify, record, then the sidecars."""
        return self.download(ctx.params, progress=ctx)

    def download(self, params: Mapping[str, Any], *, progress: Progress | None = None) -> dict[str, Any]:
        """Runs one planned download in this thread (the job handler; also the CLI and bench)."""
        spec = DownloadSpec.from_params(dict(params))
        try:
            result = FileTransfer(self.http, spec, progress=progress, policy=self.policy).run()
        except (HashMismatch, SizeMismatch):
            replaced = self._replaced_spec(spec)
            if replaced is None:
                raise
            # the author replaced the file after this job was planned: Civitai lists new bytes
            log.warning("%s changed on Civitai since it was queued; downloading the new file.", spec.name)
            spec = replaced
            result = FileTransfer(self.http, spec, progress=progress, policy=self.policy).run()
        final = Path(result.path)
        self._record(final, result, params)
        out = result.to_json()
        if params.get("sidecars"):
            writer = ExtrasWriter(lambda url: fetch_bytes(self.http, url), self.settings)
            writer.write_all(final, params["sidecars"])
            out["sidecars"], out["warnings"] = writer.written, writer.warnings
        return out

    def _replaced_spec(self, spec: DownloadSpec) -> DownloadSpec | None:
        """The spec with Civitai's current size and SHA-256 when they differ from the planned ones."""
        try:
            version = self.client.get_version(spec.version_id)
        except CivitaiError as exc:
            log.info("Could not re-check %s on Civitai after a mismatch: %s", spec.name, exc)
            return None
        current = next((f for f in version.files if f.id == spec.file_id), None)
        if current is None or not current.sha256 or current.sha256 == spec.sha256:
            return None
        return dataclasses.replace(spec, size=current.size_bytes, sha256=current.sha256)

    def _record(self, final: Path, result: DownloadResult, params: Mapping[str, Any]) -> None:
        stat = final.stat()
        if self.record_local_file is not None:
            self.record_local_file(path=str(final), size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                                   sha256=result.sha256, version_id=int(params["version_id"]),
                                   model_id=params.get("model_id"))
        try:
            self.host.store_sha256(final, str(params.get("model_type") or "Other"), result.sha256)
        except OSError as exc:  # the WebUI's cache is a speed-up; the file is verified either way
            log.warning("Could not store the hash of %s in the WebUI cache: %s", final.name, exc)


__all__ = ["KIND", "DownloadService", "file_key"]
