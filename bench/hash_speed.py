"""Bench: the hash engine against ``openssl dgst -sha256``, parallel against one core, warm rescans.

    python bench/hash_speed.py [--size-gib 5] [--parallel-files 4] [--parallel-mib 768] [--small 1000]

1. Cold hash of one ``--size-gib`` file: our engine (``HashIndex``, large reads) against
   ``openssl dgst -sha256`` on the same file, each after evicting the file from the page
   cache (``posix_fadvise(DONTNEED)``), best of two alternating runs. Target >= 0.9x.
   Also the same with the file cached (CPU-bound: SHA-256 itself is the limit).
2. ``--parallel-files`` cached files hashed with one worker, then with one per CPU.
   Target >= 1.6x on 2 cores.
3. A warm rescan of ``--small`` files (walk + stat + library lookup): target < 1 s.
4. The same files with entries in a WebUI diskcache store instead of our library: none is
   read (the hashes come from the WebUI's cache).

Files live in a temp folder (``--dir``, default the system temp) and are deleted at the end.
Nothing is asserted; ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.host.webui_hash_cache import write_entry
from civitai_shortcut_core.library.db import Database
from civitai_shortcut_core.library.store import ShortcutStore
from civitai_shortcut_core.services.hash_index import HashIndex, default_workers

MIB = 1024 * 1024
FIXTURE_CACHE = ROOT / "tests" / "fixtures" / "webui_cache" / "cache"


def write_file(path: Path, size: int) -> None:
    """``size`` bytes of incompressible data (a 64 MiB random block repeated; SHA-256 does not care)."""
    block = os.urandom(64 * MIB)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)
        handle.flush()
        os.fsync(handle.fileno())


def evict(path: Path) -> None:
    """Drops ``path`` from the page cache so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as handle:
        while handle.read(16 * MIB):
            pass


class Engine:
    """A HashIndex on a throwaway library; ``fresh()`` forgets every hash so the next run reads."""

    def __init__(self, root: Path, models: Path, *, workers: int, webui: Path | None = None):
        self.root, self.models, self.workers, self.webui = root, models, workers, webui
        self.count = 0
        self.fresh()

    def fresh(self) -> None:
        self.count += 1
        data = self.root / f"data{self.count}"
        if self.webui is not None:
            self.host = StandaloneHost(data, webui_dir=self.webui)
        else:
            self.host = StandaloneHost(data, models_dir=self.models)
        self.db = Database(data / "library.sqlite3")
        self.index = HashIndex(self.host, ShortcutStore(self.db, data), workers=self.workers)

    def run(self) -> tuple[float, list]:
        """Seconds to walk the folders and hash (or look up) every file, and the results."""
        started = time.perf_counter()
        results = self.index.hash_files(self.index.model_files())
        return time.perf_counter() - started, results


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_single(root: Path, size: int) -> None:
    models = root / "single" / "models"
    big = models / "Stable-diffusion" / "big.safetensors"
    write_file(big, size)
    engine = Engine(root / "single", models, workers=1)
    gib = size / (1024 * MIB)
    for label, prepare in (("cold", evict), ("cached", warm)):
        ours, theirs = [], []
        for _ in range(2):
            prepare(big)
            theirs.append(timed(["openssl", "dgst", "-sha256", str(big)]))
            prepare(big)
            engine.fresh()
            ours.append(engine.run()[0])
        best_ours, best_theirs = min(ours), min(theirs)
        print(f"one {gib:.2f} GiB file, {label}: ours {gib / best_ours:.2f} GiB/s, openssl {gib / best_theirs:.2f} GiB/s"
              f" -> {best_theirs / best_ours:.2f}x openssl (target >= 0.9x)")
    big.unlink()


def bench_parallel(root: Path, count: int, size: int) -> None:
    models = root / "parallel" / "models"
    for i in range(count):
        write_file(models / "Lora" / f"p{i}.safetensors", size)
    for i in range(count):
        warm(models / "Lora" / f"p{i}.safetensors")
    total_gib = count * size / (1024 * MIB)
    times = {}
    for workers in (1, default_workers()):
        engine = Engine(root / f"parallel{workers}", models, workers=workers)
        runs = []
        for _ in range(2):
            engine.fresh()
            runs.append(engine.run()[0])
        times[workers] = min(runs)
    cpus = default_workers()
    print(f"{count} cached files ({total_gib:.2f} GiB): 1 worker {total_gib / times[1]:.2f} GiB/s, "
          f"{cpus} workers {total_gib / times[cpus]:.2f} GiB/s -> {times[1] / times[cpus]:.2f}x "
          f"(target >= 1.6x on 2 cores; {os.cpu_count()} CPUs here)")
    shutil.rmtree(models)


def bench_small(root: Path, count: int) -> None:
    webui = root / "webui"
    models = webui / "models"
    for i in range(count):
        path = models / "Lora" / f"s{i:05d}.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(4096))
    engine = Engine(root / "small", models, workers=default_workers())
    cold, _ = engine.run()
    warm_time, results = engine.run()
    cached = sum(r.source == "library" for r in results)
    print(f"{count} small files: cold {cold:.2f} s, warm rescan {warm_time:.3f} s ({cached} from the library; "
          f"target < 1 s)")
    shutil.copytree(FIXTURE_CACHE, webui / "cache")
    db = webui / "cache" / "hashes" / "cache.db"
    for r in results:
        write_entry(db, f"lora/{r.path.stem}", {"mtime": os.path.getmtime(r.path), "sha256": r.sha256.lower()})
    webui_engine = Engine(root / "webui-run", models, workers=default_workers(), webui=webui)
    elapsed, results = webui_engine.run()
    sources = {s: sum(r.source == s for r in results) for s in ("webui", "hashed", "library")}
    print(f"{count} files the WebUI already hashed: {sources['webui']} from its cache, {sources['hashed']} read, "
          f"in {elapsed:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=5.0, help="size of the single file (default 5)")
    parser.add_argument("--parallel-files", type=int, default=4)
    parser.add_argument("--parallel-mib", type=int, default=768, help="size of each parallel file")
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the files (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hash-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        bench_single(root, int(args.size_gib * 1024 * MIB))
        bench_parallel(root, args.parallel_files, args.parallel_mib * MIB)
        bench_small(root, args.small)


if __name__ == "__main__":
    main()
