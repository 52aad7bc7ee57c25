"""Bench: registering 50 links in parallel against one after another, in the same run.

    python bench/register_parallel.py [--links 50] [--latency 0.15] [--min-interval S]

Two fake servers on loopback, each answering every request after ``--latency`` seconds:
one plays the API (``/api/v1/models/{id}``), the other the image CDN (a different host, as
image.civitai.com is). Each generated model has one version with two still images, so a
link costs three requests (model, two images; the thumbnail is made from the cached safest
image). The reference does what the original extension did: for each link in turn, fetch
the model, then its images, make the thumbnail and write, one request at a time (built
from the same client, media and store calls). The measured run is one ``register`` job
with the default ``register_concurrency`` of 4. The job with a concurrency of 1 is printed
too: its model fetches already overlap the previous link's images.

``--min-interval`` is the client's per-host spacing (``CivitaiHttp(min_interval=...)``);
by default the bench uses the client's own default, then repeats with the spacing off, so
the printout shows what the pipeline does and what the politeness limit allows.
Target: parallel >= 4x faster than one after another. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from civitai_shortcut_core.civitai import CivitaiClient, CivitaiHttp, raise_for_civitai, thumbnail_url
from civitai_shortcut_core.library import Library
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.library.media import images_to_fetch
from civitai_shortcut_core.library.model_rows import parse_model
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.registration import RegistrationService
from civitai_shortcut_core.settings import Settings
from fake_civitai import FakeCivitai
from fake_civitai.api_routes import add_model
from library_kit import generated_model, install_cdn

FIRST_ID = 700_000


def register_all(api: FakeCivitai, ids: list[int], concurrency: int, min_interval: float) -> float:
    """Registers ``ids`` into a fresh library; returns the job's wall time in seconds."""
    settings = Settings(civitai_url=api.url, register_concurrency=concurrency, images_per_version=2)
    client = CivitaiClient(CivitaiHttp(lambda: settings, min_interval=min_interval))
    with tempfile.TemporaryDirectory() as folder:
        library = Library(Database(Path(folder) / "library.sqlite3"), folder)
        jobs = JobManager(library.db)
        service = RegistrationService(library, jobs, lambda: client, lambda: settings)
        jobs.start()
        try:
            started = time.perf_counter()
            view = jobs.wait(service.register(ids), timeout=600)
            elapsed = time.perf_counter() - started
            assert view.state == "done", view.error
            statuses = {r["status"] for r in view.result["results"]}
            assert statuses == {"registered"}, view.result
            assert library.search(per_page=1).total == len(ids)
            assert all(r.thumbnail for r in library.search(per_page=len(ids)).items)
        finally:
            jobs.stop()
            library.db.close()
    return elapsed


def one_after_another(api: FakeCivitai, ids: list[int], min_interval: float) -> float:
    """The reference: every request of every link in sequence, as the original registered."""
    settings = Settings(civitai_url=api.url, images_per_version=2)
    http = CivitaiHttp(lambda: settings, min_interval=min_interval)
    client = CivitaiClient(http)
    with tempfile.TemporaryDirectory() as folder:
        library = Library(Database(Path(folder) / "library.sqlite3"), folder)
        started = time.perf_counter()
        for model_id in ids:
            raw = dict(client.get_model(model_id).raw)
            rows = parse_model(raw)
            paths = {}
            for image in images_to_fetch(rows, settings.images_per_version):
                with http.send("GET", thumbnail_url(image.url, 800), allow_redirects=True) as response:
                    raise_for_civitai(response, what="an image")
                    paths[image.url] = library.media.save_image(model_id, image.version_id, image.url,
                                                                response.content)
            thumb = library.media.thumbnail_from_cache(rows, paths)
            library.store.upsert_model(raw, thumbnail=thumb, image_paths=paths)
        elapsed = time.perf_counter() - started
        assert library.search(per_page=1).total == len(ids)
        library.db.close()
    return elapsed


def main() -> None:
    default_interval = inspect.signature(CivitaiHttp).parameters["min_interval"].default
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--min-interval", type=float, default=None,
                        help=f"client per-host spacing (default: the client's {default_interval} s, then 0)")
    args = parser.parse_args()
    intervals = [args.min_interval] if args.min_interval is not None else [default_interval, 0.0]
    with FakeCivitai(latency=args.latency) as api, FakeCivitai(latency=args.latency) as cdn:
        install_cdn(cdn)
        ids = list(range(FIRST_ID, FIRST_ID + args.links))
        for model_id in ids:
            add_model(api, generated_model(model_id, cdn.url, versions=1, images=2, levels=(1, 2)))
        print(f"{args.links} links, {args.latency * 1000:.0f} ms per request, 3 requests per link "
              f"(API host + CDN host)")
        for interval in intervals:
            serial = one_after_another(api, ids, interval)
            single = register_all(api, ids, 1, interval)
            parallel = register_all(api, ids, 4, interval)
            print(f"per-host spacing {interval:.2f} s: one after another {serial:6.2f} s | job, concurrency 1 "
                  f"{single:6.2f} s | job, concurrency 4 {parallel:6.2f} s -> {serial / parallel:4.1f}x "
                  f"(target >= 4x)")


if __name__ == "__main__":
    main()
