"""Bench: how many Civitai requests a scan and an update check cost, against the fake server.

    python bench/scan_requests.py [--files 1000] [--unmatched 50]

Generates ``--files`` small model files, each the primary file of its own generated model
(the worst case for ``/models?ids=``: one model per file), plus ``--unmatched`` files Civitai
does not know. Then, on a fresh library:

1. a scan (map only), counting API requests (targets: <= 15 for 1,000 files);
2. a scan with --write-info on models without images (info and WebUI .json come from the
   JSON already fetched: no extra request per file);
3. a warm rescan (no file is hashed again);
4. the same 1,000 models as shortcuts with a downloaded version, then an update check
   (target: <= 12 requests).

The reference is what the peers do: one by-hash request per file and one model request per
shortcut (peers.md §3), i.e. ``files`` and ``models`` requests. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from civitai_shortcut_core.services.scan import ScanOptions
from civitai_shortcut_core.services.updates import UpdateChecker
from fake_civitai import FakeCivitai
from fake_civitai.api_routes import add_model
from fake_civitai.scan_routes import generated_model
from scan_env import ScanEnv

FIRST_ID = 600_000


def api_calls(server: FakeCivitai) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests if r.path.startswith("/api/")]


def summarize(calls: list[str]) -> str:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return ", ".join(f"{n}x {call}" for call, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--unmatched", type=int, default=50)
    args = parser.parse_args()
    with FakeCivitai() as server, tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        env = ScanEnv(Path(tmp), server)
        started = time.perf_counter()
        for i in range(args.files):
            data = f"bench model file {i}".encode() * 32
            model_id = FIRST_ID + i
            sha = hashlib.sha256(data).hexdigest()
            # two versions: the file is the older one, so every model has an update
            add_model(server, generated_model(server.url, model_id, image=None, versions=[
                [(model_id * 100 + 2, f"m{i}_v2.safetensors", hashlib.sha256(data + b"v2").hexdigest())],
                [(model_id * 100 + 1, f"m{i}.safetensors", sha)]]))
            env.place("Lora", f"m{i:05d}.safetensors", data)
        for i in range(args.unmatched):
            env.place("Stable-diffusion", f"unknown{i:04d}.safetensors", f"not on civitai {i}".encode() * 32)
        print(f"setup: {args.files} + {args.unmatched} files and {args.files} fake models in "
              f"{time.perf_counter() - started:.1f} s")

        server.requests.clear()
        started = time.perf_counter()
        result = env.scan.scan(ScanOptions())
        elapsed = time.perf_counter() - started
        calls = api_calls(server)
        total = args.files + args.unmatched
        print(f"scan (map): {len(result['matched'])} matched, {len(result['unmatched'])} unmatched, "
              f"{len(calls)} requests ({summarize(calls)}) in {elapsed:.2f} s; target <= 15; "
              f"peers: {total} requests -> {total / max(1, len(calls)):.0f}x fewer")

        server.requests.clear()
        started = time.perf_counter()
        result = env.scan.scan(ScanOptions(write_info=True))
        calls = api_calls(server)
        print(f"scan --write-info: {result['sidecars_written']} sidecars written, {len(calls)} requests "
              f"({summarize(calls)}) in {time.perf_counter() - started:.2f} s")

        server.requests.clear()
        started = time.perf_counter()
        result = env.scan.scan(ScanOptions())
        print(f"warm rescan: hashed {result['hash']['hashed']}, cached {result['hash']['from_library']}, "
              f"{len(api_calls(server))} requests in {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        raws = {m.id: m.raw for m in env.client.get_models(range(FIRST_ID, FIRST_ID + args.files))}
        for raw in raws.values():
            env.library.store.upsert_model(raw)
        print(f"registered {len(raws)} shortcuts (setup) in {time.perf_counter() - started:.1f} s")

        server.requests.clear()
        started = time.perf_counter()
        report = UpdateChecker(store=env.library.store, client=lambda: env.client).check()
        calls = api_calls(server)
        print(f"check updates: {report['checked']} downloaded models, {len(report['updates'])} with updates, "
              f"{report['shortcuts_flagged']} badges set, {len(calls)} requests ({summarize(calls)}) in "
              f"{time.perf_counter() - started:.2f} s; target <= 12; peers: {args.files} requests -> "
              f"{args.files / max(1, len(calls)):.0f}x fewer")
        env.close()


if __name__ == "__main__":
    main()
