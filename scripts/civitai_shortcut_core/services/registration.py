"""Registering shortcuts: one job per batch of links, fetched in parallel, one result per link.

The original registered links one by one inside the Gradio request, overwrote notes, and
saved whatever bytes arrived as thumbnails. Here a batch is one ``register`` job:

* model fetches run ``register_concurrency`` at a time (default 4) through the client's
  retries and per-host rate limiter; image fetches go to the image CDN, another host, with
  their own pool of the same size, so a model's images download while the next models are
  fetched (``bench/register_parallel.py``);
* a version link selects that version; images per version are capped by
  ``images_per_version`` (0 = all) and only real stills are kept; the thumbnail is the
  safest image by NSFW level, re-encoded by Pillow; ``info_only`` skips gallery images
  (a missing thumbnail is still made: the browser needs one picture per shortcut);
* each model is written in one transaction once its files are on disk, so a kill loses at
  most the models in flight; re-running the job (after a restart) repeats the batch, and
  re-registering keeps the note, the registration date and the classifications;
* a link that fails gets its error sentence in the result; the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..civitai import (
    CivitaiClient,
    CivitaiError,
    ModelRef,
    NotCivitaiLink,
    find_links,
    raise_for_civitai,
    refs_from_file,
    thumbnail_url,
)
from ..files.errors import NotAnImage
from ..library import Library, Thumbnail
from ..library.media import images_to_fetch
from ..library.model_rows import ImageRow, ModelRows, level_rank, parse_model, thumbnail_candidates
from ..settings import Settings
from .jobs import JobContext, JobManager

log = logging.getLogger(__name__)

KIND = "register"
FAVORITES_KIND = "import_favorites"
GALLERY_WIDTH = 800        # cached gallery images: sharp enough for the info page, far smaller than originals
THUMB_TRIES = 3            # candidates tried for the thumbnail before giving up
MAX_IMAGE_BYTES = 40 * 1024 * 1024
IN_FLIGHT_PER_WORKER = 4   # models fetched but not yet written, per worker


def link_of(model_id: int | None, version_id: int | None) -> str:
    """The canonical text of a link, used to name it in results."""
    if model_id is None:
        return f"https://civitai.com/model-versions/{version_id}"
    return f"https://civitai.com/models/{model_id}" + (f"?modelVersionId={version_id}" if version_id else "")


def _item(ref: ModelRef | int) -> dict[str, Any]:
    if isinstance(ref, int):
        ref = ModelRef(ref)
    return {"input": link_of(ref.model_id, ref.version_id), "model_id": ref.model_id, "version_id": ref.version_id}


@dataclass
class _Work:
    """One link's progress through the pipeline (owned by the job's coordinating thread)."""

    index: int
    item: dict[str, Any]
    rows: ModelRows | None = None
    raw: Any = None
    version_id: int | None = None
    pending_images: int = 0
    image_paths: dict[str, str] = field(default_factory=dict)
    images_failed: int = 0


class RegistrationService:
    """Queues and runs registration jobs.

    Args:
        library: where shortcuts are written.
        jobs: the job manager; ``register`` and ``import_favorites`` handlers are registered here.
        client: returns the current ``CivitaiClient`` (rebuilt when settings change).
        settings: returns the current ``Settings``.
    """

    def __init__(self, library: Library, jobs: JobManager, client: Callable[[], CivitaiClient],
                 settings: Callable[[], Settings]):
        self.library = library
        self.jobs = jobs
        self._client = client
        self._settings = settings
        jobs.register(KIND, self._run, workers=1)
        jobs.register(FAVORITES_KIND, self._run_favorites, workers=1)

    # -- queueing ----------------------------------------------------------------------
    def register(self, text_or_refs: str | Iterable[ModelRef | int], *, info_only: bool = False) -> int:
        """Queues one job registering every link in ``text_or_refs``; returns the job id.

        Args:
            text_or_refs: pasted text (any number of links, AIRs, id-only lines) or refs/ids.
            info_only: skip gallery images (the thumbnail is still made when missing).

        Raises:
            NotCivitaiLink: the text holds no Civitai link.
        """
        if isinstance(text_or_refs, str):
            refs: Sequence[ModelRef | int] = find_links(text_or_refs, self._settings().civitai_url)
        else:
            refs = list(text_or_refs)
        items = [_item(r) for r in refs]
        title = f"Register {len(items)} link{'s' if len(items) != 1 else ''}"
        return self.jobs.submit(KIND, {"items": items, "info_only": bool(info_only)}, title=title)

    def register_files(self, paths: Iterable[str | Path], *, info_only: bool = False) -> int:
        """Queues registration of the links in dropped ``.url``/``.txt``/backup ``.json`` files.

        Raises:
            NotCivitaiLink: no file holds a link.
        """
        refs: list[ModelRef] = []
        base = self._settings().civitai_url
        for path in paths:
            try:
                found = refs_from_file(path, base)
            except CivitaiError as err:
                log.info("No links in %s: %s", path, err)
                continue
            refs.extend(r for r in found if r not in refs)
        if not refs:
            raise NotCivitaiLink(", ".join(Path(p).name for p in paths) or "(no files)")
        return self.register(refs, info_only=info_only)

    def import_favorites(self, *, info_only: bool = False) -> int:
        """Queues a job that registers every model the API key's account has favourited."""
        return self.jobs.submit(FAVORITES_KIND, {"info_only": bool(info_only)}, title="Import Civitai favourites")

    # -- job handlers ------------------------------------------------------------------
    def _run_favorites(self, ctx: JobContext) -> dict[str, Any]:
        client = self._client()
        ids: list[int] = []
        cursor = None
        ctx.report(message="Listing your favourites on Civitai", unit="pages")
        pages = 0
        while True:
            ctx.check()
            models, cursor = client.favorites(cursor)
            pages += 1
            ctx.report(done=pages)
            ids.extend(m.id for m in models if m.id not in ids)
            if not cursor:
                break
        return self._register_items(ctx, [_item(i) for i in ids], bool(ctx.params.get("info_only")))

    def _run(self, ctx: JobContext) -> dict[str, Any]:
        return self._register_items(ctx, list(ctx.params.get("items") or []), bool(ctx.params.get("info_only")))

    def _register_items(self, ctx: JobContext, items: list[dict[str, Any]], info_only: bool) -> dict[str, Any]:
        settings = self._settings()
        workers = max(1, int(settings.register_concurrency))
        results: list[dict[str, Any] | None] = [None] * len(items)
        done = 0
        ctx.report(done=0, total=len(items), unit="models", message=f"Registering {len(items)} links")
        api = ThreadPoolExecutor(workers, thread_name_prefix=f"register-{ctx.id}-api")
        cdn = ThreadPoolExecutor(workers, thread_name_prefix=f"register-{ctx.id}-img")
        pending: dict[Future, tuple[str, _Work, Any]] = {}
        queue = iter(enumerate(items))
        # models in flight are bounded, so a batch of thousands (favourites) never holds
        # thousands of model bodies waiting for their images
        window = workers * IN_FLIGHT_PER_WORKER
        started = 0
        try:
            while True:
                while started - done < window:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    pending[api.submit(self._fetch_model, ctx, nxt[1])] = ("model", _Work(*nxt), None)
                    started += 1
                if not pending:
                    break
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    stage, work, extra = pending.pop(future)
                    outcome = self._advance(ctx, stage, work, extra, future, settings, info_only, cdn, pending)
                    if outcome is not None:
                        results[work.index] = outcome
                        done += 1
                        ctx.report(done=done, message=f"{outcome.get('name') or outcome['input']}: {outcome['status']}")
        finally:
            api.shutdown(wait=True, cancel_futures=True)
            cdn.shutdown(wait=True, cancel_futures=True)
        final = [r for r in results if r is not None]
        counts = {s: sum(1 for r in final if r["status"] == s) for s in ("registered", "updated", "failed")}
        ctx.report(message=f"{counts['registered']} registered, {counts['updated']} updated, {counts['failed']} failed")
        return {"results": final, **counts}

    def _advance(self, ctx: JobContext, stage: str, work: _Work, extra: Any, future: Future, settings: Settings,
                 info_only: bool, cdn: ThreadPoolExecutor, pending: dict) -> dict[str, Any] | None:
        """Moves one link to its next stage; returns its result when it is finished."""
        try:
            value = future.result()
        except Exception as exc:
            if ctx.stopping:
                raise
            if stage == "model":
                return self._failed(work, exc)
            if stage == "thumb":  # a model without a thumbnail is still registered
                log.warning("No thumbnail for model %s: %s", work.rows.id, exc)
                return self._write(work, None)
            work.images_failed += 1
            work.pending_images -= 1
            log.info("Image %s of model %s not kept: %s", extra, work.rows.id, exc)
            return self._after_images(ctx, work, settings, info_only, cdn, pending)
        try:
            if stage == "model":
                work.raw, work.version_id = value
                work.rows = parse_model(work.raw)
                self._queue_images(ctx, work, settings, info_only, cdn, pending)
            elif stage == "image":
                work.pending_images -= 1
                work.image_paths[extra] = value
            else:
                return self._write(work, value)
            return self._after_images(ctx, work, settings, info_only, cdn, pending)
        except Exception as exc:
            if ctx.stopping:
                raise
            return self._failed(work, exc)

    def _queue_images(self, ctx: JobContext, work: _Work, settings: Settings, info_only: bool,
                      cdn: ThreadPoolExecutor, pending: dict) -> None:
        if info_only:
            return
        cached = self.library.store.cached_image_paths(work.rows.id)
        for image in images_to_fetch(work.rows, settings.images_per_version):
            if image.url in cached and self.library.media.exists(cached[image.url]):
                work.image_paths[image.url] = cached[image.url]
                continue
            work.pending_images += 1
            pending[cdn.submit(self._fetch_image, ctx, work.rows.id, image)] = ("image", work, image.url)

    def _after_images(self, ctx: JobContext, work: _Work, settings: Settings, info_only: bool,
                      cdn: ThreadPoolExecutor, pending: dict) -> dict[str, Any] | None:
        if work.pending_images:
            return None
        keep_current = info_only and self.library.media.exists(self.library.store.thumbnail_of(work.rows.id))
        if keep_current:
            return self._write(work, None)
        pending[cdn.submit(self._make_thumbnail, ctx, work)] = ("thumb", work, None)
        return None

    def _write(self, work: _Work, thumbnail: Thumbnail | None) -> dict[str, Any]:
        outcome = self.library.store.upsert_model(work.raw, selected_version_id=work.version_id,
                                                  thumbnail=thumbnail, image_paths=work.image_paths)
        rows = work.rows
        return {**work.item, "model_id": rows.id, "version_id": work.version_id, "name": rows.name,
                "status": "registered" if outcome.created else "updated", "images": len(work.image_paths),
                "images_failed": work.images_failed, "thumbnail": thumbnail is not None or None}

    @staticmethod
    def _failed(work: _Work, exc: BaseException) -> dict[str, Any]:
        code = getattr(exc, "code", None)
        if not isinstance(code, str):
            log.error("Registering %s failed unexpectedly", work.item["input"], exc_info=exc)
            code, message = "unexpected", f"Unexpected error: {type(exc).__name__}: {exc}"
        else:
            message = str(exc)
        return {**work.item, "name": work.rows.name if work.rows else None, "status": "failed",
                "error_code": code, "error": message}

    # -- work done on pool threads ----------------------------------------------------
    def _fetch_model(self, ctx: JobContext, item: dict[str, Any]) -> tuple[dict, int | None]:
        ctx.check()
        client = self._client()
        model_id, version_id = item.get("model_id"), item.get("version_id")
        if model_id is None:
            model_id, version_id = client.resolve_ref(ModelRef(None, version_id))
        model = client.get_model(model_id)
        return dict(model.raw), version_id

    def _get_bytes(self, url: str) -> bytes:
        http = self._client().http
        response = http.send("GET", url, allow_redirects=True, stream=True)
        with response:
            raise_for_civitai(response, what="an image")
            data = response.raw.read(MAX_IMAGE_BYTES + 1, decode_content=True)
        if len(data) > MAX_IMAGE_BYTES:
            raise NotAnImage("larger than 40 MiB")
        return data

    def _fetch_image(self, ctx: JobContext, model_id: int, image: ImageRow) -> str:
        ctx.check()
        data = self._get_bytes(thumbnail_url(image.url, GALLERY_WIDTH, video=False))
        return self.library.media.save_image(model_id, image.version_id, image.url, data)

    def _make_thumbnail(self, ctx: JobContext, work: _Work) -> Thumbnail | None:
        """The safest still: from the cache when it is there, else fetched at thumbnail size."""
        ctx.check()
        rows, media = work.rows, self.library.media
        candidates = thumbnail_candidates(rows, work.version_id)
        videos = sorted((i for i in rows.images if i.media_type == "video"),
                        key=lambda i: (level_rank(i.nsfw_level), i.version_position, i.position))
        tries = [(c, False) for c in candidates[:THUMB_TRIES]] + [(v, True) for v in videos[:1]]
        for image, is_video in tries:
            try:
                cached = work.image_paths.get(image.url)
                if cached and not is_video:
                    data = (media.data_dir / cached).read_bytes()
                else:
                    data = self._get_bytes(thumbnail_url(image.url, video=is_video))
                return media.save_thumbnail(rows.id, data, url=image.url, nsfw_level=image.nsfw_level)
            except (CivitaiError, NotAnImage, OSError) as err:
                if ctx.stopping:
                    raise
                log.info("Thumbnail candidate %s of model %s not usable: %s", image.url, rows.id, err)
        return None
