"""Every setting, declared once, and the frozen ``Settings`` built from them.

The hosts store values (WebUI ``shared.opts`` or the standalone ``settings.json``); this
module only knows names, defaults, types and how to validate. Unknown keys are ignored
with a log line; wrong types fail with a sentence naming the setting.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Mapping

log = logging.getLogger(__name__)

#: Browsing levels, lowest first, with Civitai's bit flags (civitai-api.md §3.1)
NSFW_LEVELS = ("PG", "PG13", "R", "X", "XXX")
FOLDER_RULES = ("type", "model", "model_version", "classification", "template")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    label: str
    help: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("api_key", "", "Civitai API key", "Sent only to Civitai hosts. Or set CIVITAI_API_KEY.", secret=True),
    Setting("civitai_url", "https://civitai.com", "Civitai base URL",
            "civitai.com, civitai.red, or a mirror; links from any Civitai domain are accepted."),
    Setting("nsfw_level", "PG13", "Highest NSFW level shown", "Images above it are hidden.", choices=NSFW_LEVELS),
    Setting("images_per_version", 0, "Images kept per version when registering (0 = all)", minimum=0, maximum=50),
    Setting("register_concurrency", 4, "Parallel requests when registering", minimum=1, maximum=8),
    Setting("download_concurrency", 2, "Downloads at once", minimum=1, maximum=6),
    Setting("folder_rule", "type", "Download folder rule",
            "type: the type folder; model: a folder per model; model_version: model/version; "
            "classification: the chosen classification; template: the template below.", choices=FOLDER_RULES),
    Setting("folder_template", "{base_model}/{model}", "Folder template",
            "Used by the 'template' rule. Fields: {type} {base_model} {creator} {model} {version} {classification}."),
    Setting("extra_folders", "", "Extra type folders",
            "One 'Type=path' per line, e.g. 'Upscaler=/models/ESRGAN'. Overrides the host's folder for that type."),
    Setting("write_info_sidecar", True, "Write <model>.civitai.info beside downloads"),
    Setting("write_preview_sidecar", True, "Write <model>.preview.png beside downloads"),
    Setting("write_webui_metadata", True, "Write the WebUI's <model>.json (activation text, sd version)"),
    Setting("download_images", False, "Also download the version's images into an images folder"),
    Setting("refresh_on_start", False, "Refresh shortcut info in the background at start-up"),
    Setting("proxy", "", "Proxy URL", "http://, https:// or socks5h:// (empty: the environment's proxy)."),
    Setting("ca_bundle", "", "Custom CA bundle file", "TLS is always verified; use this for a corporate CA."),
    Setting("connect_timeout", 10.0, "Connect timeout (s)", minimum=1, maximum=120),
    Setting("read_timeout", 60.0, "Read timeout (s)", "A download stalled this long is retried.", minimum=5, maximum=600),
    Setting("gallery_columns", 6, "Thumbnails per row", minimum=1, maximum=14),
    Setting("gallery_rows", 4, "Rows per page", minimum=1, maximum=14),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A setting has a value of the wrong type or outside its range."""


def _coerce(setting: Setting, value: Any) -> Any:
    default = setting.default
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return lowered in ("true", "1", "yes", "on")
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            value = int(value)
        elif isinstance(default, float):
            value = float(value)
        else:
            value = "" if value is None else str(value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"Setting '{setting.label}' ({setting.name}) must be a {type(default).__name__}, got {value!r}."
        ) from None
    if setting.choices and value not in setting.choices:
        raise SettingsError(
            f"Setting '{setting.label}' ({setting.name}) must be one of {', '.join(setting.choices)}; got {value!r}."
        )
    if setting.minimum is not None and value < setting.minimum:
        raise SettingsError(f"Setting '{setting.label}' ({setting.name}) must be at least {setting.minimum}.")
    if setting.maximum is not None and value > setting.maximum:
        raise SettingsError(f"Setting '{setting.label}' ({setting.name}) must be at most {setting.maximum}.")
    return value


@dataclass(frozen=True)
class Settings:
    api_key: str = ""
    civitai_url: str = "https://civitai.com"
    nsfw_level: str = "PG13"
    images_per_version: int = 0
    register_concurrency: int = 4
    download_concurrency: int = 2
    folder_rule: str = "type"
    folder_template: str = "{base_model}/{model}"
    extra_folders: str = ""
    write_info_sidecar: bool = True
    write_preview_sidecar: bool = True
    write_webui_metadata: bool = True
    download_images: bool = False
    refresh_on_start: bool = False
    proxy: str = ""
    ca_bundle: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    gallery_columns: int = 6
    gallery_rows: int = 4

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> "Settings":
        """Builds Settings from stored values; unknown keys are logged and ignored."""
        clean = {}
        for key, value in values.items():
            setting = SETTINGS_BY_NAME.get(key)
            if setting is None:
                log.info("Ignoring unknown setting %r", key)
                continue
            clean[key] = _coerce(setting, value)
        return cls(**clean)

    def replace(self, **changes: Any) -> "Settings":
        """Returns a copy with validated changes."""
        clean = {k: _coerce(SETTINGS_BY_NAME[k], v) for k, v in changes.items()}
        return dataclasses.replace(self, **clean)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __repr__(self) -> str:  # the key never reaches a log line
        shown = self.as_dict()
        if shown["api_key"]:
            shown["api_key"] = "***"
        return f"Settings({shown})"

    @property
    def max_browsing_level(self) -> int:
        """Bitmask of the browsing levels the user allows (PG=1 ... XXX=16)."""
        index = NSFW_LEVELS.index(self.nsfw_level)
        return (1 << (index + 1)) - 1


assert [f.name for f in dataclasses.fields(Settings)] == [s.name for s in SETTINGS], "keep both lists in step"
assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS)
