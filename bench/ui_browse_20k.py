"""Bench: the Library page's browser over 20,000 shortcuts, end to end through Gradio.

    python bench/ui_browse_20k.py [--shortcuts 20000] [--calls 200] [--seed 7]

Builds the same generated library as ``bench/search_20k.py`` (plus a real thumbnail file per
shortcut), starts the standalone app on 127.0.0.1 and calls the browser's ``/library_browse``
event with ``gradio_client``: search text, filters, sort and deep pages. Each call includes the
query, the captions and badges, Gradio's postprocessing of 24 thumbnail files (hashing and
caching them) and the HTTP round trip. The reference, measured in the same run, is the bare
``Library.search`` for the same inputs. Target: p95 < 300 ms. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests"), str(ROOT / "bench")]

from civitai_shortcut_core.app import App
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.library import Query
from PIL import Image
from search_20k import WORDS, build, percentile


def thumbnails(data_dir: Path, count: int) -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (90, 110, 140)).save(out, format="JPEG", quality=80)
    (data_dir / "thumbs").mkdir(parents=True, exist_ok=True)
    for model_id in range(1, count + 1):
        # distinct bytes per file, as real thumbnails (Gradio hashes each one it serves)
        (data_dir / "thumbs" / f"{model_id}.jpg").write_bytes(out.getvalue() + model_id.to_bytes(4, "big"))


def inputs_mix(rng: random.Random, bases: list[str], n: int) -> list[tuple]:
    makers = [
        lambda: ("", [], [], [], "All", "Name", rng.randint(1, 800)),
        lambda: (rng.choice(WORDS), [], [], [], "All", "Name", 1),
        lambda: (f"{rng.choice(WORDS)} {rng.choice(WORDS)}", [], [], [], "All", "Updated", 1),
        lambda: ("", ["LoRA"], [rng.choice(bases)], [], "Downloaded", "Registered", rng.randint(1, 5)),
        lambda: (f"#{rng.choice(WORDS)}", [], [], ["Group 1"], "All", "Name", 1),
        lambda: ("", [], [], [], "Update available", "Updated", 1),
    ]
    return [rng.choice(makers)() for _ in range(n)]


def as_query(values: tuple, per_page: int) -> Query:
    from civitai_shortcut_core.ui.components.shortcut_browser import SORT_CHOICES, status_filter, type_value

    text, types, bases, classes, status, sort, page = values
    return Query(text=text, types=[type_value(t) for t in types], base_models=bases, classifications=classes,
                 sort=SORT_CHOICES[sort], page=page, per_page=per_page, **status_filter(status))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shortcuts", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from civitai_shortcut_core.ui import compat
    from civitai_shortcut_core.ui.shell import build_ui
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        app = App(StandaloneHost(data, models_dir=Path(tmp) / "models"))
        started = time.perf_counter()
        build(app.library, args.shortcuts, rng)
        thumbnails(data, args.shortcuts)
        print(f"library of {app.library.query.count()} shortcuts built in {time.perf_counter() - started:.1f} s")
        demo = build_ui(app)
        compat.configure_standalone_queue(demo)
        port = 7900 + rng.randint(0, 90)
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        compat.lift_queue_timeout(demo)
        try:
            import inspect
            params = inspect.signature(Client.__init__).parameters
            # the browser fetches thumbnails itself (and caches them); the client must not download them
            no_files = {"download_files": False} if "download_files" in params else {"serialize": False}
            client = Client(f"http://127.0.0.1:{port}", verbose=False, **no_files)
            per_page = app.settings.gallery_columns * app.settings.gallery_rows
            mix = inputs_mix(rng, app.library.base_models(), args.calls)
            client.predict(*mix[0], api_name="/library_browse")   # warm up
            ui, ref = [], []
            for values in mix:
                t0 = time.perf_counter()
                client.predict(*values, api_name="/library_browse")
                ui.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                app.library.search(as_query(values, per_page))
                ref.append((time.perf_counter() - t0) * 1000)
        finally:
            compat.close(demo)
            app.close()
    for name, values in (("browse through Gradio", ui), ("Library.search alone", ref)):
        print(f"{name:24s} p50 {statistics.median(values):7.1f} ms   p95 {percentile(values, 95):7.1f} ms   "
              f"max {max(values):7.1f} ms")
    print(f"ratio browse/search p50 {statistics.median(ui) / max(statistics.median(ref), 1e-6):.1f}x; "
          f"target p95 < 300 ms: {'met' if percentile(ui, 95) < 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
