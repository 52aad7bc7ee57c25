"""The WebUI host (A1111 1.10 / Forge 2.0): the only module that imports the WebUI's ``modules``.

Folders come from the WebUI's own ``cmd_opts`` and ``paths`` (``--data-dir``, ``--ckpt-dir``,
``--lora-dir``, LyCORIS, ``--embeddings-dir`` outside models/, VAE, hypernetworks,
ControlNet, ...); settings live in ``shared.opts`` under the ``civitai_shortcut_`` prefix;
hashes go through ``modules.hashes``' cache (the ``hashes`` subsection only).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping

from .folders import default_folders, folder_for
from .hash_titles import webui_title

log = logging.getLogger(__name__)

OPTION_PREFIX = "civitai_shortcut_"
SECTION = ("civitai_shortcut", "Civitai Shortcut")


def _opt_dir(cmd_opts: Any, name: str) -> Path | None:
    value = getattr(cmd_opts, name, None)
    return Path(value) if value else None


class WebUIHost:
    """Inside A1111 or Forge."""

    kind = "webui"

    def __init__(self):
        from modules import paths, shared  # the WebUI is running: these exist

        self._shared = shared
        self._paths = paths
        self.data_path = Path(getattr(paths, "data_path", None) or paths.script_path)
        self.models_root = Path(paths.models_path)

    # -- folders ------------------------------------------------------------------------
    def data_dir(self) -> Path:
        return self.data_path / "civitai-shortcut"

    def model_folders(self) -> dict[str, list[Path]]:
        cmd = self._shared.cmd_opts
        models = self.models_root
        folders = default_folders(models, _opt_dir(cmd, "embeddings_dir") or self.data_path / "embeddings")
        lora = _opt_dir(cmd, "lora_dir") or models / "Lora"
        lyco = _opt_dir(cmd, "lyco_dir_backcompat") or models / "LyCORIS"
        for lora_type in ("LORA", "LoCon", "DoRA"):
            folders[lora_type] = [lora, lyco]
        overrides = {
            "Checkpoint": _opt_dir(cmd, "ckpt_dir"),
            "VAE": _opt_dir(cmd, "vae_dir"),
            "Hypernetwork": _opt_dir(cmd, "hypernetwork_dir"),
            "Controlnet": _opt_dir(cmd, "controlnet_dir"),
            "Upscaler": _opt_dir(cmd, "esrgan_models_path"),
            "TextEncoder": _opt_dir(cmd, "text_encoder_dir"),
        }
        for model_type, folder in overrides.items():
            if folder is not None:
                folders[model_type] = [folder] + [f for f in folders.get(model_type, []) if f != folder]
        if "Checkpoint" in folders:
            folders["UNet"] = list(folders["Checkpoint"])
        return folders

    def folder_for_type(self, model_type: str) -> Path:
        return folder_for(self.model_folders(), self.models_root, model_type)

    # -- settings -----------------------------------------------------------------------
    def load_settings(self) -> dict[str, Any]:
        data = getattr(self._shared.opts, "data", {}) or {}
        return {k[len(OPTION_PREFIX):]: v for k, v in data.items() if k.startswith(OPTION_PREFIX)}

    def save_settings(self, values: Mapping[str, Any]) -> None:
        opts = self._shared.opts
        for key, value in values.items():
            opts.set(OPTION_PREFIX + key, value)
        config = getattr(self._shared, "config_filename", None)
        if config:
            opts.save(config)

    # -- generation parameters -----------------------------------------------------------
    def parse_infotext(self, text: str) -> dict[str, Any] | None:
        try:
            from modules import infotext_utils
        except ImportError:  # WebUI < 1.8 used the old module name
            from modules import generation_parameters_copypaste as infotext_utils
        return infotext_utils.parse_generation_parameters(text)

    def can_send_to_webui(self) -> bool:
        return True

    def bind_send_to(self, button: Any, tabname: str, text_component: Any, image_component: Any = None) -> None:
        try:
            from modules import infotext_utils
        except ImportError:
            from modules import generation_parameters_copypaste as infotext_utils
        infotext_utils.register_paste_params_button(infotext_utils.ParamBinding(
            paste_button=button, tabname=tabname, source_text_component=text_component,
            source_image_component=image_component,
        ))

    # -- hashes -------------------------------------------------------------------------
    def cached_sha256(self, path: Path, model_type: str) -> str | None:
        from modules import hashes

        title = webui_title(Path(path), model_type, self.model_folders())
        if title is None:  # the WebUI keeps no per-file hash for this type (VAE, ControlNet, ...)
            return None
        return hashes.sha256_from_cache(str(path), title)

    def store_sha256(self, path: Path, model_type: str, sha256: str) -> None:
        from modules import cache

        title = webui_title(Path(path), model_type, self.model_folders())
        if title is None:
            return
        entry = {"mtime": os.path.getmtime(path), "sha256": sha256.lower()}
        cache.cache("hashes")[title] = entry

    def notify(self, message: str, level: str = "info") -> None:
        getattr(log, level if level in ("info", "warning", "error") else "info")(message)

    # -- WebUI specifics used by the entry point -----------------------------------------
    @property
    def no_gradio_queue(self) -> bool:
        return bool(getattr(self._shared.cmd_opts, "no_gradio_queue", False))


def register_settings(component_for, on_change) -> None:
    """Adds every setting to the WebUI's Settings tab under a "Civitai Shortcut" section.

    ``component_for(setting)`` returns ``(component, component_args)`` for the WebUI's
    OptionInfo (the UI layer decides widgets; this module never imports gradio).
    The API key is an ordinary option: with ``--api``, ``GET /sdapi/v1/options`` returns it;
    users of ``--api`` should set ``CIVITAI_API_KEY`` instead (README).
    """
    from ..settings import SETTINGS
    from modules import shared

    for setting in SETTINGS:
        component, component_args = component_for(setting)
        info = shared.OptionInfo(
            setting.default, setting.label, component=component, component_args=component_args,
            section=SECTION, onchange=on_change,
        )
        if setting.help:
            info = info.info(setting.help)
        shared.opts.add_option(OPTION_PREFIX + setting.name, info)
