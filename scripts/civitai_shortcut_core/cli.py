"""``python main.py``: the standalone app and the command line, sharing one App.

Global flags pick the folders (``--data-dir``, ``--models-dir``, ``--webui-dir``) and the
Civitai base URL; each issue adds its subcommands through an ``add_arguments(subparsers)``
function in its own ``cli_*`` module.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path

from . import __version__

DEFAULT_PORT = 7865  # not 7860, so it runs beside a WebUI
COMMAND_MODULES = ("cli_library", "cli_downloads", "cli_scan")


def default_data_dir() -> Path:
    env = os.environ.get("CIVITAI_SHORTCUT_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Civitai Shortcut: an offline library of Civitai models, its downloads and its scans. "
                    "Without a command it starts the app on http://127.0.0.1:%d." % DEFAULT_PORT)
    parser.add_argument("--version", action="version", version=f"Civitai Shortcut {__version__}")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="library folder (SQLite, thumbnails, settings); default ./data or $CIVITAI_SHORTCUT_DATA")
    folders = parser.add_mutually_exclusive_group()
    folders.add_argument("--models-dir", type=Path, help="models folder with A1111-style subfolders (Lora, Stable-diffusion, ...)")
    folders.add_argument("--webui-dir", type=Path, help="manage an existing WebUI install's folders and hash cache")
    parser.add_argument("--civitai-url", help="base URL of Civitai or a mirror (default https://civitai.com)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ui = sub.add_parser("ui", help="start the app (the default)")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=DEFAULT_PORT)
    ui.add_argument("--open-api", action="store_true", help="let other programs call the app's Gradio API")
    ui.add_argument("--inbrowser", action="store_true", help="open a browser tab")
    ui.set_defaults(func=run_ui)

    jobs = sub.add_parser("jobs", help="list jobs (downloads, registrations, scans)")
    jobs.add_argument("--all", action="store_true", help="include finished jobs")
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(func=list_jobs)
    for name, action, text in (("cancel", "cancel", "cancel a job"), ("retry", "retry", "retry a failed job"),
                               ("pause", "pause", "pause a job"), ("resume", "resume", "resume a paused job")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("job_id", type=int)
        cmd.set_defaults(func=lambda app, args, action=action: job_action(app, args, action))

    for module_name in COMMAND_MODULES:
        if importlib.util.find_spec(f"{__package__}.{module_name}") is not None:
            importlib.import_module(f"{__package__}.{module_name}").add_arguments(sub)
    return parser


def make_app(args, *, start_workers: bool = True):
    from .app import App
    from .host.standalone import StandaloneHost

    host = StandaloneHost(args.data_dir or default_data_dir(), models_dir=args.models_dir, webui_dir=args.webui_dir)
    app = App(host, start_workers=start_workers)
    if args.civitai_url:
        app.update_settings(civitai_url=args.civitai_url)
    return app


def list_jobs(app, args) -> int:
    from .ui.format import progress_text

    states = () if args.all else ("queued", "running", "paused", "failed")
    views = app.jobs.list(states=states, limit=200)
    if args.json:
        print(json.dumps([{"id": v.id, "kind": v.kind, "title": v.title, "state": v.state, "done": v.done,
                           "total": v.total, "unit": v.unit, "error": v.error, "result": v.result} for v in views],
                         indent=2, ensure_ascii=False))
        return 0
    if not views:
        print("No jobs." if args.all else "No unfinished or failed jobs (use --all to see finished ones).")
    for v in views:
        detail = v.error if v.state == "failed" else progress_text(v)
        print(f"#{v.id:<5} {v.state:<9} {v.title or v.kind}  {detail}")
    return 0


def job_action(app, args, action: str) -> int:
    view = getattr(app.jobs, action)(args.job_id)
    print(f"Job #{view.id} is {view.state}.")
    return 0


def run_ui(app, args) -> int:
    from .ui import compat
    from .ui.shell import build_ui

    app.start_ui_services()
    demo = build_ui(app, with_progress=True)
    compat.configure_standalone_queue(demo) if not args.open_api else demo.queue()
    allowed = [str(app.data_dir)] + [str(p) for paths in app.host.model_folders().values() for p in paths]
    launch_kwargs = dict(server_name=args.host, server_port=args.port, inbrowser=args.inbrowser,
                         prevent_thread_lock=True, show_error=False, allowed_paths=allowed, max_threads=40)
    demo.launch(**launch_kwargs)
    compat.lift_queue_timeout(demo)
    print(f"Civitai Shortcut is running on http://{args.host}:{args.port}  (library: {app.data_dir}). Ctrl+C stops it.",
          flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        compat.close(demo)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    func = getattr(args, "func", None)
    if func is None:  # no command: start the app with its defaults
        args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "ui"])
        func = args.func
    # commands that only read or submit follow the workers of a running app instead of racing them
    app = make_app(args, start_workers=getattr(args, "runs_jobs", func is run_ui))
    try:
        return func(app, args)
    except Exception as exc:  # typed errors carry a sentence; anything else shows its type
        if getattr(exc, "code", None):
            print(f"Error: {exc}", file=sys.stderr)
            return 2
        raise
    finally:
        app.close()
