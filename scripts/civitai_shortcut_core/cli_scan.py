"""``main.py scan`` and ``main.py check-updates``: the scan jobs from a terminal.

Both submit a job and follow it (progress on stderr, once a second), so a scan started here
shows in the app's jobs panel, and a running app's workers take it when the app holds the
library. Ctrl+C cancels the job. ``--json`` prints the job's result as JSON on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .cli_follow import follow_job
from .services.scan_setup import SCAN_KIND, UPDATES_KIND



def add_arguments(subparsers: Any) -> None:
    """Declares ``scan`` and ``check-updates`` on the main parser."""
    scan = subparsers.add_parser(
        "scan", help="map local model files to Civitai (hashes are cached; a few requests for any number of files)")
    scan.add_argument("--register", action="store_true", help="add matched models as shortcuts")
    scan.add_argument("--write-info", action="store_true",
                      help="write missing .civitai.info, preview and WebUI .json files beside matched models")
    scan.add_argument("--move", action="store_true",
                      help="move matched files, with all their sidecars, into the download folder rule")
    scan.add_argument("--json", action="store_true", help="print the full result as JSON")
    scan.set_defaults(func=run_scan, runs_jobs=True)
    updates = subparsers.add_parser("check-updates", help="look for newer versions of downloaded models")
    updates.add_argument("--json", action="store_true", help="print the full result as JSON")
    updates.set_defaults(func=run_check_updates, runs_jobs=True)


def _follow(app: Any, job_id: int, *, quiet: bool = False) -> Any:
    return follow_job(app, job_id, quiet=quiet)


def _finish(view: Any, args: Any, summary) -> int:
    if view.state != "done":
        print(f"Error: {view.error or 'the job was ' + view.state}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(view.result, indent=2, ensure_ascii=False))
    else:
        summary(view.result)
    return 0


def run_scan(app: Any, args: Any) -> int:
    """Scans every model folder; exit code 0 when the scan ran (unmatched files are not errors)."""
    params = {"register": args.register, "write_info": args.write_info, "move": args.move}
    job_id = app.jobs.submit(SCAN_KIND, params, title="Scan model folders")
    return _finish(_follow(app, job_id, quiet=args.json), args, _print_scan)


def _print_scan(result: dict) -> None:
    hashes = result["hash"]
    print(f"{result['files']} model files: {len(result['matched'])} found on Civitai, "
          f"{len(result['unmatched'])} not found, {len(result['errors'])} problems.")
    print(f"Hashes: {hashes['from_library']} cached, {hashes['from_webui']} from the WebUI, {hashes['hashed']} computed.")
    extras = [f"{result[k]} {label}" for k, label in (("registered", "shortcuts added"), ("moved", "files moved"),
                                                       ("sidecars_written", "sidecar files written")) if result[k]]
    if extras:
        print(", ".join(extras) + ".")
    for item in result["matched"]:
        where = f"  -> {item['moved_to']}" if item.get("moved_to") else ""
        print(f"  found  {item['path']}: {item['model']} / {item['version']}{where}")
    for item in result["unmatched"]:
        print(f"  absent {item['path']}")
    for item in result["errors"]:
        print(f"  error  {item['path']}: {item['error']}")


def run_check_updates(app: Any, args: Any) -> int:
    """Checks downloaded models for newer versions."""
    job_id = app.jobs.submit(UPDATES_KIND, {}, title="Check downloaded models for updates")
    return _finish(_follow(app, job_id, quiet=args.json), args, _print_updates)


def _print_updates(result: dict) -> None:
    print(f"{result['checked']} downloaded models checked: {len(result['updates'])} have newer versions.")
    for item in result["updates"]:
        local = ", ".join(v["name"] or str(v["id"]) for v in item["local_versions"]) or "?"
        newer = ", ".join(f"{v['name']} ({v['id']})" + (" early access" if v["early_access"] else "")
                          for v in item["newer"])
        print(f"  {item['name']} [{item['model_id']}]: you have {local}; new: {newer}")
    if result["missing"]:
        print(f"  Civitai no longer lists: {', '.join(map(str, result['missing']))}")
