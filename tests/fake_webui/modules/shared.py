"""Stand-in for modules/shared.py: opts with OptionInfo sections, cmd_opts, config file."""

import json
import types
from pathlib import Path

from . import paths


class OptionInfo:
    def __init__(self, default=None, label="", component=None, component_args=None, onchange=None, section=None,
                 refresh=None, comment_before='', comment_after='', infotext=None, restrict_api=False,
                 category_id=None):
        self.default = default
        self.label = label
        self.component = component
        self.component_args = component_args
        self.onchange = onchange
        self.section = section
        self.category_id = category_id
        self.refresh = refresh
        self.comment_before = comment_before
        self.comment_after = comment_after
        self.infotext = infotext
        self.restrict_api = restrict_api

    def info(self, info):
        self.comment_after += f"<span class='info'>({info})</span>"
        return self

    def needs_reload_ui(self):
        return self

    def needs_restart(self):
        return self


class Options:
    def __init__(self):
        self.data = {}
        self.data_labels = {}

    def add_option(self, key, info):
        self.data_labels[key] = info
        if key not in self.data and not getattr(info, "do_not_save", False):
            self.data[key] = info.default

    def set(self, key, value, is_api=False, run_callbacks=True):
        old = self.data.get(key)
        if old == value:
            return False
        self.data[key] = value
        info = self.data_labels.get(key)
        if run_callbacks and info is not None and info.onchange is not None:
            info.onchange()
        return True

    def save(self, filename):
        Path(filename).write_text(json.dumps(self.data, indent=4, ensure_ascii=False), encoding="utf8")

    def __getattr__(self, item):
        data = self.__dict__.get("data", {})
        if item in data:
            return data[item]
        labels = self.__dict__.get("data_labels", {})
        if item in labels:
            return labels[item].default
        raise AttributeError(item)


opts = Options()
cmd_opts = types.SimpleNamespace()
config_filename = ""
demo = None


def configure(root, **cmd):
    """Test helper: a fresh WebUI layout under ``root`` with the given command-line options."""
    global opts, cmd_opts, config_filename
    root = Path(root)
    paths.script_path = str(root)
    paths.data_path = str(root)
    paths.models_path = str(root / "models")
    defaults = dict(ckpt_dir=None, vae_dir=None, lora_dir=str(root / "models" / "Lora"),
                    lyco_dir_backcompat=str(root / "models" / "LyCORIS"), embeddings_dir=str(root / "embeddings"),
                    hypernetwork_dir=str(root / "models" / "hypernetworks"), no_gradio_queue=False,
                    no_hashing=False, data_dir=str(root))
    defaults.update(cmd)
    cmd_opts = types.SimpleNamespace(**defaults)
    opts = Options()
    config_filename = str(root / "config.json")
    from . import cache
    cache.cache_dir = str(root / "cache")
    cache.caches.clear()
