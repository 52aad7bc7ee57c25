"""A registration process for the kill-safety test: registers ids FIRST..LAST-1 from the fake
server at SERVER_URL into DATA_DIR, one model at a time, then waits to be killed.

    python tests/library_child.py DATA_DIR SERVER_URL FIRST LAST
"""

from __future__ import annotations

import sys
import threading

from civitai_shortcut_core.civitai import CivitaiClient, CivitaiHttp
from civitai_shortcut_core.library import Library
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.services.jobs import JobManager
from civitai_shortcut_core.services.registration import RegistrationService
from civitai_shortcut_core.settings import Settings


def main(data_dir: str, server_url: str, first: int, last: int) -> None:
    settings = Settings(civitai_url=server_url, register_concurrency=1, images_per_version=1)
    client = CivitaiClient(CivitaiHttp(lambda: settings, min_interval=0.0))
    library = Library(Database(f"{data_dir}/library.sqlite3"), data_dir)
    jobs = JobManager(library.db)
    service = RegistrationService(library, jobs, lambda: client, lambda: settings)
    jobs.start()
    job_id = service.register(list(range(first, last)))
    jobs.wait(job_id)
    threading.Event().wait()  # finished before the kill: stay alive so the test still kills a live process


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
