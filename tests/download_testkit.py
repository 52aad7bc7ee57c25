"""Helpers for the download tests: fast settings, a recording progress, a wired service.

Also the entry point of the child process in the kill -9 test (``child_main``): it builds
the same service over a data folder and runs the job queue until it is killed.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polling import poll  # noqa: F401  (re-exported for the download tests)

from civitai_shortcut_core.civitai import CivitaiClient, CivitaiHttp, RetryPolicy
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.services.download_task import TransferPolicy
from civitai_shortcut_core.services.downloads import DownloadService
from civitai_shortcut_core.services.jobs import Cancelled, JobManager
from civitai_shortcut_core.settings import Settings

KEY = "0123456789abcdef0123456789abcdef"
#: retries in tests wait milliseconds; a stall is a read timeout of READ_TIMEOUT
FAST = TransferPolicy(chunk=16 * 1024, base_delay=0.001, max_delay=0.01, max_retry_after=0.05)
READ_TIMEOUT = 0.3




def settings_for(url: str, **changes: Any) -> Settings:
    values = {"civitai_url": url, "api_key": KEY, "connect_timeout": 2.0, "read_timeout": READ_TIMEOUT,
              "write_preview_sidecar": True, **changes}
    return Settings(**values)


class SettingsBox:
    """Mutable holder: services read ``box()`` on each use, tests change ``box.value``."""

    def __init__(self, value: Settings):
        self.value = value

    def __call__(self) -> Settings:
        return self.value


def make_http(settings: SettingsBox) -> CivitaiHttp:
    # API retries (not the storage's: the transfer runs those) wait almost nothing
    return CivitaiHttp(settings, min_interval=0.0, policy=RetryPolicy(retries=2, base_delay=0.001, max_delay=0.01))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@dataclass
class Recorder:
    """A progress object that records reports and waits, and can stop after N bytes."""

    stop_after: int | None = None
    stop_with: type[BaseException] = Cancelled
    sleeps: list[float] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    done: float = 0

    def report(self, done=None, total=None, message=None, unit=None) -> None:
        if done is not None:
            self.done = done
        self.reports.append({"done": done, "total": total, "message": message})

    def check(self) -> None:
        if self.stop_after is not None and self.done >= self.stop_after:
            raise self.stop_with()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def model_json(*, model_id: int, version_id: int, files: list[dict[str, Any]], name: str = "Ink Wash",
               model_type: str = "LORA", base_model: str = "Pony", images: list[dict[str, Any]] | None = None,
               trained_words: tuple[str, ...] = ("inkwash", "sumi-e style")) -> dict[str, Any]:
    """A ``/models/{id}`` body with one version (the shape the views read)."""
    return {
        "id": model_id, "name": name, "type": model_type, "description": "<p>Ink <b>wash</b> style.</p>",
        "creator": {"username": "brush_ghost"}, "modelVersions": [{
            "id": version_id, "name": "v2.0", "baseModel": base_model, "trainedWords": list(trained_words),
            "files": files, "images": images or [], "downloadUrl": f"/api/download/models/{version_id}",
        }],
    }


def file_json(file_id: int, name: str, data: bytes, *, primary: bool = True, **extra: Any) -> dict[str, Any]:
    return {"id": file_id, "name": name, "sizeKB": len(data) / 1024, "type": "Model", "primary": primary,
            "hashes": {"SHA256": sha(data)}, "pickleScanResult": "Success", "virusScanResult": "Success",
            "metadata": {"format": "SafeTensor"}, **extra}


@dataclass
class Rig:
    """A download service wired to the fake server over temp folders."""

    service: DownloadService
    jobs: JobManager
    db: Database
    host: StandaloneHost
    settings: SettingsBox
    recorded: list[dict[str, Any]]

    def close(self) -> None:
        self.jobs.stop()
        self.db.close()


def make_rig(root: Path, url: str, *, workers: int = 2, start: bool = True, **settings: Any) -> Rig:
    box = SettingsBox(settings_for(url, download_concurrency=workers, **settings))
    host = StandaloneHost(root / "data", models_dir=root / "models")
    db = Database(root / "data" / "library.sqlite3")
    jobs = JobManager(db)
    http = make_http(box)
    recorded: list[dict[str, Any]] = []
    lock = threading.Lock()

    def record(**kwargs: Any) -> None:
        with lock:
            recorded.append(kwargs)

    client = CivitaiClient(http)
    # providers, as app.py passes them (the Civitai layer is built in its own section)
    service = DownloadService(http=lambda: http, client=lambda: client, host=host, settings=box, jobs=jobs,
                              record_local_file=record, policy=FAST)
    if start:
        jobs.start()
    return Rig(service, jobs, db, host, box, recorded)


def child_main(root: str, url: str, job_file: str) -> None:
    """Kill -9 test child: enqueue (first run only), run the queue, print the job id, wait forever."""
    rig = make_rig(Path(root), url, workers=1)
    request = json.loads(Path(job_file).read_text(encoding="utf-8"))
    ids = rig.service.enqueue(request["model_id"], request["version_id"], model=request["model"])
    print(json.dumps({"job": ids[0]}), flush=True)
    while True:  # the parent kills us with SIGKILL mid-download
        time.sleep(0.05)


if __name__ == "__main__":
    child_main(*sys.argv[1:4])
