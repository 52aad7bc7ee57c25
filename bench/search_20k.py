"""Bench: search + filter + page over 20,000 generated shortcuts, against the original's way.

    python bench/search_20k.py [--shortcuts 20000] [--queries 600] [--seed 7]

Builds a library of generated shortcuts (names, creators and tags from vocabularies; seven
types; six base models; notes on a quarter; 12 classifications; local files for 30 %;
thumbnail levels PG..X), then runs a fixed mix of queries through ``Library.search``, the
one query behind the UI and the CLI: words (common, rare, short, non-matching), ``#tag``,
``@note``, type, base model, classification AND, downloaded, update available, NSFW, all
three sorts, and pages deep into the result. Each timing includes the COUNT for the total.

The reference is what the original extension did on every click: load the shortcut JSON
(here generated in its format, 20,000 entries) and filter it in Python. The same mix runs
on the FTS5 index and on the LIKE fallback used when SQLite lacks the trigram tokenizer.
Target: p95 < 50 ms. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from civitai_shortcut_core.library import Query, Thumbnail
from civitai_shortcut_core.library.query import SORTS
from library_kit import BASE_MODELS, TYPES, generated_model, make_library

WORDS = ("anime", "realistic", "style", "portrait", "landscape", "detail", "ink", "watercolor", "pixel", "cyber",
         "fantasy", "armor", "dress", "lighting", "cinematic", "retro", "neon", "sketch", "clay", "glass", "dragon",
         "castle", "forest", "ocean", "mecha", "chibi", "noir", "gothic", "pastel", "vivid", "soft", "sharp")
TAG_VOCAB = tuple(f"{w}{s}" for w in WORDS for s in ("", " art", " style"))


def build(library, count: int, rng: random.Random) -> list[dict]:
    """Fills the library; returns the same shortcuts in the original's JSON format."""
    creators = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}{i}" for i in range(500)]
    groups = [library.classifications.create(f"Group {i}") for i in range(12)]
    legacy: list[dict] = []

    def write_all(conn):
        for model_id in range(1, count + 1):
            name = " ".join(rng.sample(WORDS, rng.randint(2, 4))).title() + f" {rng.choice(('v1', 'v2', 'XL', ''))}"
            mtype, base = rng.choice(TYPES), rng.choice(BASE_MODELS)
            tags = tuple(rng.sample(TAG_VOCAB, rng.randint(1, 5)))
            raw = generated_model(model_id, "http://cdn.invalid", name=name.strip(), model_type=mtype,
                                  versions=rng.randint(1, 3), images=2, base_model=base,
                                  creator=rng.choice(creators), tags=tags)
            note = f"{rng.choice(WORDS)} works at {rng.random():.1f} weight" if rng.random() < 0.25 else ""
            library.store.upsert_model(raw, now=1.7e9 + rng.random() * 1e7, registered_at=1.6e9 + model_id,
                                       note=note, thumbnail=Thumbnail(f"thumbs/{model_id}.jpg",
                                                                      nsfw_level=rng.choice((1, 1, 1, 2, 4, 8))))
            if rng.random() < 0.3:
                library.store.record_local_file(f"/models/{model_id}.safetensors", size=1, mtime_ns=1,
                                                model_id=model_id, version_id=model_id * 100)
            legacy.append({"id": model_id, "type": mtype, "name": name, "tags": list(tags), "nsfw": False,
                           "url": f"https://civitai.com/api/v1/models/{model_id}", "versionid": model_id * 100,
                           "imageurl": "", "note": note, "date": "2024-01-01 00:00:00", "base": base})

    library.db.write(write_all)   # one transaction for the whole build; upserts join it
    for gid in groups:
        library.classifications.add(gid, rng.sample(range(1, count + 1), count // 4))
    library.store.set_update_flags({i: True for i in rng.sample(range(1, count + 1), count // 20)})
    return legacy


def query_mix(rng: random.Random, groups: list[int], n: int) -> list[Query]:
    makers = [
        lambda: Query(text=rng.choice(WORDS)),
        lambda: Query(text=f"{rng.choice(WORDS)} {rng.choice(WORDS)}"),
        lambda: Query(text=rng.choice(WORDS)[:2]),                          # short: LIKE path
        lambda: Query(text="zzzqqq"),                                        # nothing matches
        lambda: Query(text=f"#{rng.choice(TAG_VOCAB)}"),
        lambda: Query(text=f"@{rng.choice(WORDS)}"),
        lambda: Query(types=["LoRA"], base_models=[rng.choice(BASE_MODELS)]),
        lambda: Query(types=[rng.choice(TYPES)], downloaded=rng.choice((True, False))),
        lambda: Query(classifications=rng.sample(groups, 2)),
        lambda: Query(text=rng.choice(WORDS), classifications=[rng.choice(groups)], max_nsfw=3),
        lambda: Query(update_available=True, sort="updated"),
        lambda: Query(sort=rng.choice(sorted(SORTS)), page=rng.randint(1, 800)),      # deep pages
        lambda: Query(text=f"{rng.choice(WORDS)}, #{rng.choice(TAG_VOCAB)}", base_models=list(BASE_MODELS[:3]),
                      sort="registered", page=rng.randint(1, 3)),
    ]
    return [rng.choice(makers)() for _ in range(n)]


def legacy_search(path: Path, query: Query) -> int:
    """The original's click: re-read the JSON, then filter and sort in Python."""
    entries = list(json.loads(path.read_text()).values())
    text = query.text.strip().lower()
    out = []
    for e in entries:
        if text.startswith("#") and text[1:] not in [t.lower() for t in e["tags"]]:
            continue
        if text.startswith("@") and text[1:] not in e["note"].lower():
            continue
        if text and text[0] not in "#@" and text not in e["name"].lower():
            continue
        if query.base_models and e["base"] not in query.base_models:
            continue
        out.append(e)
    out.sort(key=lambda e: e["name"].lower())
    start = (query.page - 1) * query.per_page
    return len(out[start:start + query.per_page])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, queries) -> list[float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shortcuts", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        library = make_library(Path(folder))
        started = time.perf_counter()
        legacy = build(library, args.shortcuts, rng)
        print(f"built {args.shortcuts} shortcuts in {time.perf_counter() - started:.1f} s "
              f"(database {Path(library.db.path).stat().st_size / 1e6:.0f} MB)")
        legacy_file = Path(folder) / "CivitaiShortCut.json"
        legacy_file.write_text(json.dumps({str(e["id"]): e for e in legacy}, indent=4))
        groups = [c.id for c in library.classifications.list_all()]
        queries = query_mix(rng, groups, args.queries)
        timed(library.search, queries[:50])  # warm the page cache, as a running app has it
        results = {}
        for label, fts in (("FTS5 trigram", True), ("LIKE fallback", False)):
            library.query._fts = fts
            results[label] = timed(library.search, queries)
        reference = timed(lambda q: legacy_search(legacy_file, q), queries[:40])
        ref_p50 = statistics.median(reference)
        print(f"{len(queries)} queries (search + filters + COUNT + page) over {args.shortcuts} shortcuts:")
        for label, times in results.items():
            p50, p95 = statistics.median(times), percentile(times, 95)
            print(f"  {label:<14} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {max(times):6.1f} ms  "
                  f"(target p95 < 50 ms; {ref_p50 / p50:5.0f}x faster than the original at p50)")
        print(f"  original way   p50 {ref_p50:6.1f} ms  (re-read {legacy_file.stat().st_size / 1e6:.1f} MB JSON "
              "and filter in Python, per click)")
        library.db.close()


if __name__ == "__main__":
    main()
