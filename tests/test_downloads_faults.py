"""100 fault-injected downloads through the job queue: each ends verified or with the right sentence.

The fault mixes are random but seeded. Each file gets an expected outcome first, then a
mix that must lead to it: benign faults (cuts, stalls, 503/429 with and without
Retry-After, an expired signature, a short Content-Length) that a good downloader rides
out, optionally followed by one decisive fault (a corrupted byte, a login page, storage
that keeps refusing, storage that never recovers) or an API error. After the run:

* every job is done with the exact bytes, or failed with the expected code and sentence;
* no final name ever holds anything but the verified file;
* every scripted fault was really consumed (the scenario happened);
* no storage request carried the API key.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from download_testkit import READ_TIMEOUT, file_json, make_rig, model_json, payload, sha
from fake_civitai.download_routes import (
    Corrupt,
    Cut,
    Drip,
    Expired,
    HtmlAsOctets,
    HtmlLogin,
    IgnoreRange,
    JsonError200,
    Stall,
    Status,
    WrongLength,
    downloads,
)

COUNT = 100
SEED = 20260808
API_ERRORS = {"401_download_disabled": "downloads_disabled", "410_download_archived": "archived",
              "403_download_early_access": "early_access"}
SENTENCES = {"hash_mismatch": "is corrupt", "not_a_model_file": "instead of the model file",
             "storage_refused": "even with a fresh link", "transfer_failed": "stopped making progress",
             "downloads_disabled": "disabled downloads", "archived": "archived", "early_access": "early access"}


def _benign(rng: random.Random, size: int, *, expired: bool = True, busy: bool = True) -> list:
    """Faults that never finish the file and never exhaust a retry budget.

    A short Content-Length leaves only ``delta`` bytes to fetch, so it goes last: any cut
    after it could finish the file and leave later faults unused.
    """
    faults: list = []
    short: list = []
    budget = {"expired": 2 if expired else 0, "busy": 3 if busy else 0, "stall": 1 if rng.random() < 0.12 else 0,
              "short": 1}
    for _ in range(rng.randint(0, 5)):
        kind = rng.choice(["cut", "cut", "busy", "expired", "stall", "short"])
        if kind == "cut" or budget.get(kind, 1) == 0:
            faults.append(Cut(after=rng.randint(1, size // 8)))
            continue
        if kind in budget:
            budget[kind] -= 1
        if kind == "busy":
            faults.append(Status(rng.choice([503, 429, 500]), rng.choice([None, "0", "0.01"])))
        elif kind == "expired":
            faults.append(Expired())
        elif kind == "stall":
            faults.append(Stall(after=rng.randint(1, size // 8), seconds=READ_TIMEOUT * 3))
        else:
            short = [WrongLength(-rng.randint(1, 500))]
    return faults + short


def _scenario(rng: random.Random, size: int) -> tuple[str, list, str | None]:
    """(expected error code or "done", the storage faults, an API error fixture)."""
    roll = rng.random()
    if roll < 0.62:
        finish = rng.choice([[], [], [Drip(rate=2_000_000)], [IgnoreRange()], [WrongLength(rng.randint(1, 300))]])
        return "done", _benign(rng, size) + finish, None
    if roll < 0.72:
        return "hash_mismatch", _benign(rng, size) + [Corrupt(offset=size - 1)], None
    if roll < 0.82:
        return "not_a_model_file", _benign(rng, size) + [rng.choice([HtmlLogin(), JsonError200(), HtmlAsOctets()])], None
    if roll < 0.88:
        return "storage_refused", _benign(rng, size, expired=False) + [Expired()] * 3, None
    if roll < 0.94:
        return "transfer_failed", _benign(rng, size, busy=False) + [Status(503, "0")] * 6, None
    fixture = rng.choice(sorted(API_ERRORS))
    return API_ERRORS[fixture], [], fixture


def test_100_fault_injected_downloads_end_verified_or_with_the_right_sentence(tmp_path, civitai):
    files = downloads(civitai)
    rig = make_rig(tmp_path, civitai.url, workers=4, write_preview_sidecar=False)
    rng = random.Random(SEED)
    cases = []
    try:
        for i in range(COUNT):
            model_id, version_id, file_id = 990_800 + i, 9_908_000 + i, 9_980_000 + i
            size = rng.randint(40_000, 80_000)
            data = payload(size, i)
            name = f"f{i:03} {rng.choice(['水墨', 'ink', 'CON', '../x'])}.safetensors"
            files.add(version_id=version_id, file_id=file_id, name=name, payload=data)
            expected, faults, api_error = _scenario(rng, size)
            files.fault(file_id, *faults)
            if api_error:
                files.error_for(version_id, api_error)
            model = model_json(model_id=model_id, version_id=version_id, files=[file_json(file_id, name, data)])
            (job_id,) = rig.service.enqueue(model_id, version_id, model=model)
            cases.append((job_id, file_id, data, expected))

        lora = rig.host.folder_for_type("LORA").resolve()
        outcomes = Counter()
        verified = {}
        for job_id, file_id, data, expected in cases:
            view = rig.jobs.wait(job_id, timeout=60)
            outcomes[view.state if view.state == "done" else view.error_code] += 1
            if expected == "done":
                assert view.state == "done", (file_id, view.error)
                path = Path(view.result["path"])
                assert path.parent == lora and path.read_bytes() == data and view.result["sha256"] == sha(data)
                verified[path.name] = data
            else:
                assert view.state == "failed" and view.error_code == expected, (file_id, view.state, view.error)
                assert SENTENCES[expected] in view.error
            assert files.pending_faults(file_id) == [], file_id

        # never a bad file under a final name: every non-part file is a verified download
        for path in lora.iterdir():
            if path.name.endswith((".part", ".part.json", ".civitai.info", ".json")):
                continue
            assert path.name in verified and path.read_bytes() == verified[path.name], path.name
        assert not any(p.name.endswith(".part") and "corrupt" in p.name for p in lora.iterdir())
        assert not any(entry["authorization"] for entry in files.log())
        assert len(verified) == outcomes["done"]
        # the mix really covered every kind of ending
        assert set(outcomes) >= {"done", "hash_mismatch", "not_a_model_file", "storage_refused", "transfer_failed"}
        assert sum(outcomes.values()) == COUNT
    finally:
        rig.close()


@pytest.mark.parametrize("seed", range(3))
def test_fault_mixes_are_reproducible(seed):
    first = [_scenario(random.Random(seed), 50_000) for _ in range(5)]
    again = [_scenario(random.Random(seed), 50_000) for _ in range(5)]
    assert first == again
