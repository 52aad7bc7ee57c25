"""Tolerant readers for the original extension's JSON files (original-extension.md §2).

Those files were written in place, non-atomically, by code that swallowed errors, so real
users have truncated files, entries of the wrong type, and bare ids. Every reader here
returns what it could read plus a list of problems in words; none raises on bad content.
A truncated object is read entry by entry up to the damage (``salvage_json``).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the original's NSFW filter levels -> our setting values
NSFW_LEVEL_SETTING = {"none": "PG", "soft": "PG13", "mature": "R", "x": "X", "xx": "XXX"}
_MODEL_URL = re.compile(r"/models/(\d+)")


@dataclass
class Problem:
    """Something that could not be imported, and where."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class LegacyShortcut:
    id: int
    name: str = ""
    type: str = ""
    tags: list[str] = field(default_factory=list)
    nsfw: bool = False
    version_id: int | None = None
    image_url: str = ""
    note: str = ""
    date: float | None = None       # registration time, Unix seconds


@dataclass
class LegacyRecipe:
    name: str
    description: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    classification: str = ""
    image: str | None = None
    model_ids: list[int] = field(default_factory=list)


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def salvage_json(text: str) -> tuple[Any, str | None]:
    """Parses JSON; if that fails, keeps the complete top-level entries before the damage.

    Returns ``(value, None)`` for valid JSON, ``(partial, reason)`` for a damaged object or
    list, and ``(None, reason)`` when nothing could be read.
    """
    try:
        return json.loads(text), None
    except ValueError as err:
        reason = f"broken JSON at line {err.lineno}, column {err.colno}" if hasattr(err, "lineno") else str(err)
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] not in "{[":
        return None, reason
    is_object, out = text[i] == "{", ({} if text[i] == "{" else [])
    i += 1
    try:
        while True:
            i = _skip_ws(text, i)
            if i < len(text) and text[i] in "}]":
                break
            if is_object:
                key, i = decoder.raw_decode(text, i)
                i = _skip_ws(text, i)
                if i >= len(text) or text[i] != ":" or not isinstance(key, str):
                    break
                value, i = decoder.raw_decode(text, _skip_ws(text, i + 1))
                out[key] = value
            else:
                value, i = decoder.raw_decode(text, i)
                out.append(value)
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ",":
                break
            i += 1
    except ValueError:
        pass  # the damage: keep the entries read so far, the reason below says so
    return out, f"{reason}; kept the {len(out)} complete entries before it"


def read_json_file(path: Path) -> tuple[Any, list[Problem]]:
    """Reads one legacy JSON file (any encoding the original could have written)."""
    data = path.read_bytes()
    if not data.strip():
        return None, [Problem(path.name, "the file is empty")]
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    value, reason = salvage_json(text)
    problems = [Problem(path.name, reason)] if reason else []
    return value, problems


def to_int(value: Any) -> int | None:
    """An id from an int, a float, a digit string, or a Civitai model URL."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text) or None
        match = _MODEL_URL.search(text)
        if match:
            return int(match.group(1))
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def parse_date(value: Any) -> float | None:
    """The original's ``YYYY-MM-DD HH:MM:SS`` (local time), ISO text, or a Unix time."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value / 1000 if value > 1e11 else value)
    text = _text(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            continue
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp()


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    out = []
    for tag in value if isinstance(value, list) else []:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip():
            out.append(name.strip())
    return out


def read_shortcuts(value: Any, file: str) -> tuple[list[LegacyShortcut], list[Problem]]:
    """``CivitaiShortCut.json``: ``{"<id>": {...}}``; also a list, and bare ids as values."""
    problems: list[Problem] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(None, v) for v in value]
    else:
        return [], ([Problem(file, "not a shortcut list (expected a JSON object)")] if value is not None else [])
    found: dict[int, LegacyShortcut] = {}
    for key, entry in items:
        if not isinstance(entry, dict):
            model_id = to_int(entry) or to_int(key)
            if model_id is None:
                problems.append(Problem(file, f"entry {key if key is not None else entry!r} has no model id; skipped"))
                continue
            found.setdefault(model_id, LegacyShortcut(model_id))
            continue
        model_id = to_int(entry.get("id")) or to_int(key) or to_int(entry.get("url"))
        if model_id is None:
            problems.append(Problem(file, f"entry {key!r} has no model id; skipped"))
            continue
        date = parse_date(entry.get("date"))
        if entry.get("date") not in (None, "") and date is None:
            problems.append(Problem(file, f"model {model_id}: unreadable date {entry.get('date')!r}"))
        found[model_id] = LegacyShortcut(
            id=model_id, name=_text(entry.get("name")).strip(), type=_text(entry.get("type")).strip(),
            tags=_tags(entry.get("tags")), nsfw=bool(entry.get("nsfw")) and entry.get("nsfw") not in ("false", "0"),
            version_id=to_int(entry.get("versionid")), image_url=_text(entry.get("imageurl")),
            note=_text(entry.get("note")), date=date)
    return list(found.values()), problems


def read_classifications(value: Any, file: str) -> tuple[dict[str, tuple[str, list[int]]], list[Problem]]:
    """``CivitaiShortCutClassification.json``: ``{name: {info, shortcuts: ["<id>", ...]}}``."""
    if not isinstance(value, dict):
        return {}, ([Problem(file, "not a classification list (expected a JSON object)")] if value is not None else [])
    out: dict[str, tuple[str, list[int]]] = {}
    problems: list[Problem] = []
    for name, entry in value.items():
        if not name.strip():
            problems.append(Problem(file, "a classification without a name; skipped"))
            continue
        if isinstance(entry, list):  # very old shape: the member list itself
            entry = {"shortcuts": entry}
        if not isinstance(entry, dict):
            entry = {}
        members = entry.get("shortcuts")
        ids = []
        for item in members if isinstance(members, list) else []:
            model_id = to_int(item)
            if model_id is None:
                problems.append(Problem(file, f"classification {name!r}: {item!r} is not a model id"))
            elif model_id not in ids:
                ids.append(model_id)
        out[name.strip()] = (_text(entry.get("info")), ids)
    return out, problems


def _parameters(value: Any) -> dict[str, str] | None:
    """The recipe's ``options`` object; None when it is something else (reported)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k).strip(): _text(v) for k, v in value.items() if str(k).strip()}
    return None


def read_recipes(value: Any, file: str) -> tuple[list[LegacyRecipe], list[Problem]]:
    """``CivitaiShortCutRecipeCollection.json``: ``{name: {description, generate, classification, image, shortcuts}}``."""
    if not isinstance(value, dict):
        return [], ([Problem(file, "not a recipe list (expected a JSON object)")] if value is not None else [])
    out, problems = [], []
    for name, entry in value.items():
        if not name.strip():
            problems.append(Problem(file, "a recipe without a name; skipped"))
            continue
        entry = entry if isinstance(entry, dict) else {}
        generate = entry.get("generate") if isinstance(entry.get("generate"), dict) else {}
        if entry.get("generate") is not None and not isinstance(entry.get("generate"), dict):
            problems.append(Problem(file, f"recipe {name!r}: its prompt data is not an object; left empty"))
        ids = [i for i in (to_int(x) for x in (entry.get("shortcuts") or []) if not isinstance(x, dict)) if i]
        parameters = _parameters(generate.get("options"))
        if parameters is None:
            problems.append(Problem(file, f"recipe {name!r}: parameters are not a key/value object; left empty"))
        image = _text(entry.get("image")).strip() or None
        if image and (Path(image).name != image or image in (".", "..")):
            problems.append(Problem(file, f"recipe {name!r}: image name {image!r} is not a plain file name; skipped"))
            image = None
        out.append(LegacyRecipe(
            name=name.strip(), description=_text(entry.get("description")), prompt=_text(generate.get("prompt")),
            negative_prompt=_text(generate.get("negativePrompt")), parameters=parameters or {},
            classification=_text(entry.get("classification")).strip(), image=image,
            model_ids=list(dict.fromkeys(ids))))
    return out, problems


def read_settings(value: Any, file: str) -> tuple[dict[str, Any], list[Problem]]:
    """``CivitaiShortCutSetting.json`` -> the settings that mean something here (names from settings.py)."""
    if not isinstance(value, dict):
        return {}, ([Problem(file, "not a settings object")] if value is not None else [])
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    allow = value.get("application_allow") if isinstance(value.get("application_allow"), dict) else {}
    key = allow.get("civitai_api_key")
    if isinstance(key, str) and key.strip():
        out["api_key"] = key.strip()
    images = to_int(allow.get("shortcut_max_download_image_per_version"))
    if allow.get("shortcut_max_download_image_per_version") in (0, "0"):
        images = 0
    if images is not None:
        out["images_per_version"] = min(images, 50)
    nsfw = value.get("NSFW_filter") if isinstance(value.get("NSFW_filter"), dict) else {}
    if nsfw.get("nsfw_filter_enable") is False:
        out["nsfw_level"] = "XXX"  # filter off in the original = show everything
    elif isinstance(nsfw.get("nsfw_level"), str):
        level = NSFW_LEVEL_SETTING.get(nsfw["nsfw_level"].strip().casefold())
        if level:
            out["nsfw_level"] = level
        else:
            problems.append(Problem(file, f"unknown NSFW level {nsfw['nsfw_level']!r}; not imported"))
    style = value.get("image_style") if isinstance(value.get("image_style"), dict) else {}
    for old, new, low, high in (("shortcut_column", "gallery_columns", 1, 14),
                                ("shortcut_rows_per_page", "gallery_rows", 1, 14)):
        number = to_int(style.get(old))
        if number is not None:
            out[new] = max(low, min(high, number))
    return out, problems


def read_backup_urls(value: Any, file: str) -> tuple[dict[int, str], list[Problem]]:
    """``CivitaiShortCutBackupUrl.json``: ``{"url=https://civitai.com/models/<id>": name}``."""
    if not isinstance(value, dict):
        return {}, ([Problem(file, "not a backup link list")] if value is not None else [])
    out: dict[int, str] = {}
    for url, name in value.items():
        model_id = to_int(url)
        if model_id is not None:
            out[model_id] = _text(name)
    return out, []
