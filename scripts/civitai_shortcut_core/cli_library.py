"""``main.py add | list | show | import-legacy | export``: the library from a terminal.

``list`` and ``show`` run the same query and detail read as the browser (``--json`` for
scripts). ``add`` queues one registration job (the app's workers take it when the app is
running) and, with ``--wait``, follows it and prints one line per link. Each command
returns an exit code: 0 done, 1 some links or the job failed, 2 bad input.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .cli_follow import follow_job
from .library import Query
from .library.export import write_backup_links, write_export
from .library.legacy import import_legacy
from .library.query import SORTS



def add_arguments(subparsers: Any) -> None:
    """Declares the library commands on the main parser."""
    add = subparsers.add_parser("add", help="register Civitai links as shortcuts (one job for the batch)")
    add.add_argument("links", nargs="*", help="model or version links, AIRs or model ids")
    add.add_argument("--file", action="append", default=[], type=Path,
                     help=".url, .txt or backup .json file with links (repeatable)")
    add.add_argument("--info-only", action="store_true", help="skip gallery images")
    add.add_argument("--favorites", action="store_true",
                     help="also register every model your Civitai account favourited (needs the API key)")
    add.add_argument("--no-wait", dest="wait", action="store_false", help="queue the job and return")
    add.set_defaults(func=lambda app, a: add_cmd(app, a.links, a.file, a.info_only, a.wait, a.favorites),
                     runs_jobs=True)

    ls = subparsers.add_parser("list", help="search shortcuts (same syntax as the browser: words, #tag, @note)")
    ls.add_argument("text", nargs="*", help="search text")
    ls.add_argument("--type", action="append", default=[], help="LoRA (LORA, LoCon, DoRA), Checkpoint, ... (repeatable)")
    ls.add_argument("--base-model", action="append", default=[], help="e.g. 'SDXL 1.0' (repeatable)")
    ls.add_argument("--classification", action="append", default=[], help="name or id (repeatable: AND)")
    ls.add_argument("--downloaded", dest="downloaded", action="store_const", const=True, default=None)
    ls.add_argument("--not-downloaded", dest="downloaded", action="store_const", const=False)
    ls.add_argument("--updates", action="store_true", help="only shortcuts with a newer version")
    ls.add_argument("--sort", choices=sorted(SORTS), default="name")
    ls.add_argument("--page", type=int, default=1)
    ls.add_argument("--per-page", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=lambda app, a: list_cmd(
        app, " ".join(a.text), types=a.type, base_models=a.base_model, classifications=a.classification,
        downloaded=a.downloaded, update_available=True if a.updates else None, sort=a.sort, page=a.page,
        per_page=a.per_page, as_json=a.json))

    show = subparsers.add_parser("show", help="everything about one shortcut")
    show.add_argument("model_id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=lambda app, a: show_cmd(app, a.model_id, a.json))

    legacy = subparsers.add_parser("import-legacy",
                                   help="import the original Civitai Shortcut extension's data (read-only)")
    legacy.add_argument("path", type=Path, help="the old extension's folder (or its data_sc folder)")
    legacy.add_argument("--json", action="store_true")
    legacy.set_defaults(func=lambda app, a: import_legacy_cmd(app, a.path, a.json))

    export = subparsers.add_parser("export", help="write a backup of the library")
    export.add_argument("path", type=Path)
    export.add_argument("--links", action="store_true",
                        help="write the original's backup-link file instead of the full JSON export")
    export.add_argument("--no-raw", action="store_true", help="leave out the stored Civitai JSON (smaller)")
    export.set_defaults(func=lambda app, a: export_cmd(app, a.path, links=a.links, include_raw=not a.no_raw))


def _follow(app: Any, job_id: int, *, quiet: bool = False) -> Any:
    return follow_job(app, job_id, quiet=quiet)


def add_cmd(app: Any, links: Sequence[str], files: Sequence[Path], info_only: bool, wait: bool,
            favorites: bool = False) -> int:
    """Registers links (and the links inside files) as one job, and/or the account's favourites;
    prints a line per link."""
    refs = _refs(app, links, files)
    if not refs and not favorites:
        print("Error: no Civitai links given. Pass links, model ids, --file or --favorites.", file=sys.stderr)
        return 2
    job_ids = [app.registration.register(refs, info_only=info_only)] if refs else []
    if favorites:
        job_ids.append(app.registration.import_favorites(info_only=info_only))
    if not wait:
        print("Queued " + ", ".join(f"job #{j}" for j in job_ids) + ".")
        return 0
    return max(_print_results(_follow(app, job_id)) for job_id in job_ids)


def _print_results(view: Any) -> int:
    """One line per link of a finished registration job; the exit code it deserves."""
    if view.state != "done":
        print(f"Error: {view.error or 'the job was ' + view.state}", file=sys.stderr)
        return 1
    for line in view.result["results"]:
        what = f"{line.get('name') or ''} ({line['model_id']})" if line.get("model_id") else line["input"]
        tail = line["error"] if line["status"] == "failed" else f"{line.get('images', 0)} images"
        print(f"{line['status']:<10} {what}: {tail}")
    r = view.result
    print(f"{r['registered']} registered, {r['updated']} updated, {r['failed']} failed.")
    return 1 if r["failed"] else 0


def _refs(app: Any, links: Sequence[str], files: Sequence[Path]) -> list:
    """Links from the arguments, then from each file, without duplicates; unreadable input is reported."""
    from .civitai import NotCivitaiLink, find_links, refs_from_file

    refs: list = []
    sources = [("\n".join(links), None)] if links else []
    sources += [(None, path) for path in files]
    for text, path in sources:
        try:
            found = find_links(text, app.settings.civitai_url) if path is None else \
                refs_from_file(path, app.settings.civitai_url)
        except NotCivitaiLink as err:
            print(f"Skipped: {err}", file=sys.stderr)
            continue
        except OSError as err:
            print(f"Skipped {path}: {err.strerror or err}", file=sys.stderr)
            continue
        refs.extend(r for r in found if r not in refs)
    return refs


def list_cmd(app: Any, text: str = "", *, types: Sequence[str] = (), base_models: Sequence[str] = (),
             classifications: Sequence[str] = (), downloaded: bool | None = None,
             update_available: bool | None = None, sort: str = "name", page: int = 1, per_page: int = 50,
             as_json: bool = False) -> int:
    """Prints one page of shortcuts matching the search."""
    groups: list[int | str] = [int(c) if c.isdigit() else c for c in classifications]
    result = app.library.search(Query(text=text, types=types, base_models=base_models, classifications=groups,
                                      downloaded=downloaded, update_available=update_available, sort=sort,
                                      page=page, per_page=per_page))
    if as_json:
        print(json.dumps({"total": result.total, "page": result.page, "pages": result.pages,
                          "items": [row.__dict__ for row in result.items]}, indent=2, ensure_ascii=False))
        return 0
    for row in result.items:
        badges = "".join(mark for flag, mark in ((row.downloaded, " [downloaded]"), (row.update_available, " [update]"),
                                                 (row.early_access, " [early access]"),
                                                 (row.needs_refresh, " [needs refresh]")) if flag)
        print(f"{row.id:>9}  {row.type_label:<18} {row.name}  by {row.creator or '?'}{badges}")
    print(f"{result.total} shortcuts; page {result.page} of {result.pages}.")
    return 0


def _date(seconds: float) -> str:
    return _dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M")


def show_cmd(app: Any, model_id: int, as_json: bool = False) -> int:
    """Prints everything about one shortcut."""
    detail = app.library.get_shortcut(model_id)
    if detail is None:
        print(f"Error: no shortcut with id {model_id}.", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(detail.as_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"{detail.name}  ({detail.type_label}, by {detail.creator or '?'})  {detail.url}")
    print(f"Registered {_date(detail.registered_at)}, updated {_date(detail.updated_at)}"
          f"{'; needs a refresh' if detail.needs_refresh else ''}{'; update available' if detail.update_available else ''}")
    if detail.tags:
        print("Tags: " + ", ".join(detail.tags))
    if detail.classifications:
        print("Classifications: " + ", ".join(name for _, name in detail.classifications))
    if detail.note:
        print("Note: " + detail.note)
    for v in detail.versions:
        mark = "*" if v.id == detail.selected_version_id else " "
        print(f" {mark} {v.id:>9}  {v.name}  [{v.base_model}]{'  downloaded' if v.downloaded else ''}"
              f"{'  early access' if v.early_access else ''}")
        for f in v.files:
            size = f"{f.size_kb / 1024:.1f} MiB" if f.size_kb else "?"
            print(f"             {f.name}  ({f.type}, {size}{', primary' if f.primary else ''})")
    for f in detail.local_files:
        print(f"On disk: {f['path']}")
    return 0


def import_legacy_cmd(app: Any, path: Path, as_json: bool = False) -> int:
    """Imports the original extension's data and prints what happened and what was lost."""
    try:
        result = import_legacy(app.library, path)
    except FileNotFoundError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return 0
    print(result.summary())
    for problem in result.problems:
        print(f"  - {problem}")
    if result.settings:
        shown = {k: ("(set)" if k == "api_key" else v) for k, v in result.settings.items()}
        print("Settings found in the old extension (not applied): " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    if result.backup_only:
        print(f"{len(result.backup_only)} links in the old backup file are not shortcuts; register them with: "
              f"main.py add --file {Path(result.source) / 'CivitaiShortCutBackupUrl.json'}")
    return 0


def export_cmd(app: Any, path: Path, *, links: bool = False, include_raw: bool = True) -> int:
    """Writes the backup-link file or the full JSON export."""
    if links:
        count = write_backup_links(app.library, path)
        print(f"Wrote {count} links to {path}.")
    else:
        counts = write_export(app.library, path, include_raw=include_raw)
        print(f"Wrote {counts['shortcuts']} shortcuts, {counts['classifications']} classifications and "
              f"{counts['recipes']} recipes to {path}.")
    return 0
