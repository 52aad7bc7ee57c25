"""Bench: our verified download against curl, on loopback, in the same run.

    python bench/download_vs_curl.py [--size BYTES] [--runs N]      (env BENCH_SIZE works too)

The fake storage (tests/fake_civitai) serves a deterministic generated file of ``--size``
bytes (default 2 GiB) without holding it in memory. Our side runs in a child process
(``--child``) so its peak RSS can be read from ``/proc/self/status`` (VmHWM) before and
after the download; the child times ``download_file`` itself (resolve + transfer + SHA-256
+ rename), and also reports its wall time with interpreter start-up.

(a) storage throttled to 200 MB/s: ours vs ``curl -o``            target: ours within 5 %
(b) unthrottled: ours (download + SHA-256 in one pass) vs
    ``curl -o`` followed by ``openssl dgst -sha256``               target: >= 1.2x faster
(c) peak RSS growth of our process during the download               target: < 64 MiB

Ratios are printed; nothing is asserted (tests never assert on time).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

GIB = 1024 ** 3
VID, FID = 9_999_001, 9_999_101
THROTTLE = 200_000_000


def _vm(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def child(url: str, size: int, sha256: str, folder: str) -> None:
    """Runs one download the way a job does, and prints timings and memory as JSON."""
    from civitai_shortcut_core.civitai import CivitaiHttp
    from civitai_shortcut_core.services.download_task import DownloadSpec, download_file
    from civitai_shortcut_core.settings import Settings

    settings = Settings(civitai_url=url, read_timeout=30.0, connect_timeout=5.0)
    http = CivitaiHttp(lambda: settings, min_interval=0.0)
    http.session()  # build the session before measuring memory
    before_rss, before_hwm = _vm("VmRSS"), _vm("VmHWM")
    started = time.perf_counter()
    result = download_file(http, DownloadSpec(VID, FID, folder, "bench.safetensors", size, sha256))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "sha256": result.sha256, "rss_before": before_rss,
                      "hwm_before": before_hwm, "hwm_after": _vm("VmHWM")}))


def run_ours(server_url: str, size: int, sha256: str, folder: Path) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", server_url, str(size), sha256, str(folder)],
                         check=True, capture_output=True, text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["wall"] = time.perf_counter() - started
    assert report["sha256"] == sha256, "our download did not verify"
    (folder / "bench.safetensors").unlink()
    return report


def run_curl(url: str, folder: Path, *, hash_after: bool) -> tuple[float, float]:
    target = folder / "curl.bin"
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(target), url], check=True)
    downloaded = time.perf_counter()
    if hash_after:
        subprocess.run(["openssl", "dgst", "-sha256", str(target)], check=True, capture_output=True)
    done = time.perf_counter()
    target.unlink()
    return downloaded - started, done - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SIZE", 2 * GIB)))
    parser.add_argument("--runs", type=int, default=3, help="unthrottled runs (median is reported)")
    parser.add_argument("--folder", default=None, help="where files are written (default: a temp folder)")
    parser.add_argument("--child", nargs=4, metavar=("URL", "SIZE", "SHA256", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, size, sha256, folder = args.child
        child(url, int(size), sha256, folder)
        return
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed for the reference measurements")

    from fake_civitai import FakeCivitai
    from fake_civitai.download_routes import Generated, downloads

    folder = Path(tempfile.mkdtemp(prefix="cs-bench-", dir=args.folder))
    with FakeCivitai() as server:
        files = downloads(server)
        payload = Generated(args.size, seed=5)
        print(f"size {args.size / GIB:.2f} GiB; computing the reference SHA-256 once...", flush=True)
        sha256 = payload.sha256
        files.add(version_id=VID, file_id=FID, name="bench.safetensors", payload=payload)
        try:
            # (a) throttled
            files.throttle(THROTTLE)
            curl_a, _ = run_curl(files.storage_url(FID), folder, hash_after=False)
            ours_a = run_ours(server.url, args.size, sha256, folder)
            # (b) unthrottled, alternating so cache and CPU state are shared fairly
            files.throttle(None)
            ours_b, curl_b, curl_hash_b, hwm = [], [], [], []
            for _ in range(args.runs):
                report = run_ours(server.url, args.size, sha256, folder)
                ours_b.append(report["seconds"])
                hwm.append(report["hwm_after"] - report["hwm_before"])
                download, total = run_curl(files.storage_url(FID), folder, hash_after=True)
                curl_b.append(download)
                curl_hash_b.append(total)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    mb = args.size / 1e6
    ours_b_med, curl_b_med, curl_hash_med = (statistics.median(x) for x in (ours_b, curl_b, curl_hash_b))
    growth = max(hwm + [ours_a["hwm_after"] - ours_a["hwm_before"]])
    print(f"(a) throttled to {THROTTLE / 1e6:.0f} MB/s: ours {ours_a['seconds']:.2f} s "
          f"(wall with start-up {ours_a['wall']:.2f} s), curl -o {curl_a:.2f} s; "
          f"ours/curl = {ours_a['seconds'] / curl_a:.3f}  (target <= 1.05)")
    print(f"(b) unthrottled: ours {ours_b_med:.2f} s ({mb / ours_b_med:.0f} MB/s, verified), "
          f"curl -o {curl_b_med:.2f} s + openssl = {curl_hash_med:.2f} s; "
          f"(curl+openssl)/ours = {curl_hash_med / ours_b_med:.2f}x  (target >= 1.2x)")
    print(f"    runs: ours {[round(x, 2) for x in ours_b]}, curl+openssl {[round(x, 2) for x in curl_hash_b]}")
    print(f"(c) peak RSS growth of our process: {growth / 2 ** 20:.1f} MiB  (target < 64 MiB; "
          f"RSS at start {ours_a['rss_before'] / 2 ** 20:.1f} MiB)")


if __name__ == "__main__":
    main()
