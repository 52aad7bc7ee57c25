"""Stand-in for modules/cache.py: subsections as dicts persisted to JSON (the real one uses diskcache)."""

import json
import os

cache_dir = ""
caches = {}


class _Section(dict):
    def __init__(self, path):
        super().__init__()
        self.path = path
        if os.path.exists(path):
            self.update(json.load(open(path, encoding="utf8")))

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "w", encoding="utf8") as handle:
            json.dump(dict(self), handle)


def cache(subsection):
    if subsection not in caches:
        caches[subsection] = _Section(os.path.join(cache_dir, subsection + ".json"))
    return caches[subsection]
