"""Serve the fake Civitai by hand, e.g. to try the tab in a real WebUI without the internet:

    python -m fake_civitai --port 8899 [--latency 0.2] [--throttle 200000]

(run from tests/ with the project's venv), then set the "Civitai base URL" setting to
http://127.0.0.1:8899. Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from .download_routes import downloads  # noqa: E402
from .server import FakeCivitai  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fake_civitai")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    parser.add_argument("--throttle", type=float, default=None, help="storage speed in bytes per second")
    args = parser.parse_args()
    server = FakeCivitai(latency=args.latency)
    server.start(port=args.port)
    if args.throttle:
        downloads(server).throttle(args.throttle)
    print(f"Fake Civitai on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
