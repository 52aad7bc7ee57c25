"""``main.py download``: queue model files from a terminal, optionally waiting with a progress bar.

Each file is a download job, so a running app (which holds the library's workers) takes it
and shows it in its Jobs panel; otherwise this process runs it. Ctrl+C while waiting only
stops waiting with ``--cancel-on-exit`` unset: the job stays queued for the next start.
"""

from __future__ import annotations

import sys
from typing import Any

from .civitai.urls import parse_link


def add_arguments(subparsers: Any) -> None:
    """Declares ``download`` on the main parser."""
    cmd = subparsers.add_parser("download", help="download a model's files into the model folders")
    cmd.add_argument("link", help="a Civitai link, AIR or model id")
    cmd.add_argument("--version", type=int, help="version id (default: the link's version, else the newest)")
    cmd.add_argument("--file", type=int, action="append", dest="files", metavar="FILE_ID",
                     help="file id to download (repeatable; default: the primary file)")
    cmd.add_argument("--all-files", action="store_true", help="every file of the version")
    cmd.add_argument("--folder", help="folder inside the type folder (overrides the folder rule)")
    cmd.add_argument("--rule", help="folder rule for this download: type, model, model_version, template")
    cmd.add_argument("--wait", action="store_true", help="wait for the files and show a progress bar")
    cmd.set_defaults(func=run_download, runs_jobs=True)


def _choose_version(app: Any, link: str, version: int | None) -> tuple[int | None, int]:
    ref = parse_link(link, app.settings.civitai_url)
    if version is not None:
        return ref.model_id, version
    if ref.version_id is not None:
        return ref.model_id, ref.version_id
    model = app.civitai.get_model(ref.model_id)
    if not model.versions:
        raise SystemExit(f"Error: model {model.id} has no downloadable versions.")
    return model.id, model.versions[0].id


def _wait_with_bar(app: Any, job_ids: list[int]) -> int:
    from tqdm import tqdm

    failed = 0
    for job_id in job_ids:
        view = app.jobs.get(job_id)
        with tqdm(total=view.total or None, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=(view.title or f"job {job_id}")[-60:], file=sys.stderr) as bar:
            while True:
                view = app.jobs.wait(job_id, timeout=0.5)
                if view.total and bar.total != view.total:
                    bar.total = view.total
                bar.n = view.done
                bar.refresh()
                if view.finished:
                    break
        if view.state == "done":
            result = view.result or {}
            what = "already had it" if result.get("already") else "verified"
            print(f"{result.get('path')}  ({what}, sha256 {str(result.get('sha256', ''))[:12]}...)")
            for warning in result.get("warnings", []):
                print(f"  warning: {warning}", file=sys.stderr)
        else:
            failed += 1
            print(f"Error: {view.error or view.state} ({view.title})", file=sys.stderr)
    return 1 if failed else 0


def run_download(app: Any, args: Any) -> int:
    model_id, version_id = _choose_version(app, args.link, args.version)
    job_ids = app.downloads.enqueue(model_id, version_id, args.files, all_files=args.all_files,
                                    folder=args.folder, rule=args.rule)
    if not args.wait:
        for job_id in job_ids:
            print(f"Queued job #{job_id}: {app.jobs.get(job_id).title}")
        if not app.jobs.runs_workers:
            return 0
        print("Waiting for the queued jobs (Ctrl+C leaves them queued for the next start)...", file=sys.stderr)
    try:
        return _wait_with_bar(app, job_ids)
    except KeyboardInterrupt:
        print("\nStopped waiting; the downloads stay queued and resume at the next start.", file=sys.stderr)
        return 130
