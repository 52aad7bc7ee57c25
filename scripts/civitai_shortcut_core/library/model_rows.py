"""Turns a ``/api/v1/models/{id}`` body (any era) into the rows the library stores.

Civitai's JSON drifts (civitai-api.md §3, §6): keys go missing (removeEmpty), ``nsfw`` was
a boolean, then a string, then ``nsfwLevel`` numbers; early access has had four shapes;
``creator`` is absent for the system user. This module reads all of them with defaults
and never raises on a missing key, so one odd model never breaks a batch. It does no I/O;
``store.py`` writes what it returns.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..civitai.views import as_int

#: Civitai ModelType values shown together as one "LoRA" filter entry
LORA_FAMILY = ("LORA", "LoCon", "DoRA")
#: labels for raw types in filters and badges; unknown types show as sent
TYPE_LABELS = {
    "LORA": "LoRA", "LoCon": "LyCORIS", "DoRA": "DoRA", "TextualInversion": "Textual Inversion",
    "AestheticGradient": "Aesthetic Gradient", "MotionModule": "Motion Module",
    "TextEncoder": "Text Encoder", "CLIPVision": "CLIP Vision", "ComfyWorkflows": "Comfy Workflows",
    "VisionLanguage": "Vision Language",
}
#: legacy string levels (2024 images, the original's NSFW filter) -> browsing-level bit
LEVEL_BY_NAME = {"none": 1, "pg": 1, "soft": 2, "pg13": 2, "mature": 4, "r": 4, "x": 8, "xx": 16,
                 "xxx": 16, "blocked": 32}
#: sorts unknown levels after every real one when picking the safest thumbnail
UNKNOWN_LEVEL_RANK = 64


def type_group(model_type: str) -> str:
    """The filter group of a Civitai type: the LoRA family collapses to ``LoRA``."""
    return "LoRA" if model_type in LORA_FAMILY else model_type


def fold(text: str) -> str:
    """Case-folds for search columns (Unicode-aware, unlike SQLite's ``lower``)."""
    return (text or "").casefold()


@dataclass
class FileRow:
    file_id: int
    position: int
    name: str
    type: str
    size_kb: float | None
    is_primary: bool
    sha256: str | None
    download_url: str | None


@dataclass
class ImageRow:
    position: int
    url: str
    nsfw_level: int
    width: int | None
    height: int | None
    media_type: str
    meta: dict | None
    version_id: int = 0
    version_position: int = 0


@dataclass
class VersionRow:
    id: int
    position: int
    name: str
    base_model: str
    published_at: str | None
    nsfw_level: int
    early_access: bool
    trained_words: list[str]
    download_url: str | None
    files: list[FileRow] = field(default_factory=list)
    images: list[ImageRow] = field(default_factory=list)


@dataclass
class ModelRows:
    id: int
    name: str
    type: str
    creator: str
    nsfw: bool
    nsfw_level: int
    tags: list[str]
    versions: list[VersionRow]

    @property
    def early_access(self) -> bool:
        return bool(self.versions) and self.versions[0].early_access

    @property
    def images(self) -> list[ImageRow]:
        return [image for version in self.versions for image in version.images]

    def search_text(self) -> str:
        """Folded name, creator and every file name: what plain search words match."""
        names = [f.name for v in self.versions for f in v.files if f.name]
        return fold("\n".join([self.name, self.creator, *names]))


class NotModelJson(ValueError):
    """The JSON is not a Civitai model (no integer ``id``)."""


_int = as_int  # the same tolerant reader the API views use


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def image_level(raw: dict) -> int:
    """The browsing-level bit of an image from any era; 0 when unknown."""
    level = raw.get("nsfwLevel")
    number = _int(level)
    if number is not None:
        return max(number, 0)
    if isinstance(level, str):
        return LEVEL_BY_NAME.get(level.strip().casefold(), 0)
    nsfw = raw.get("nsfw")
    if isinstance(nsfw, str):
        return LEVEL_BY_NAME.get(nsfw.strip().casefold(), 0)
    if isinstance(nsfw, bool):
        return 4 if nsfw else 1  # 2023 boolean: "not safe" is at least R
    return 0


def level_rank(level: int) -> int:
    """Sort key that puts unknown (0) levels after every known one."""
    return level if level > 0 else UNKNOWN_LEVEL_RANK


def _media_type(raw: dict, url: str) -> str:
    kind = _str(raw.get("type")).lower()
    if kind in ("image", "video", "audio"):
        return kind
    lowered = url.lower().split("?")[0]
    if lowered.endswith((".mp4", ".webm", ".mov")):
        return "video"
    return "image"


def _parse_time(value: Any) -> _dt.datetime | None:
    text = _str(value).strip()
    if not text:
        return None
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)  # 2024: no Z


def is_early_access(raw: dict, now: _dt.datetime | None = None) -> bool:
    """True when any of Civitai's early-access shapes says the version is gated now."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    if _str(raw.get("availability")) == "EarlyAccess":
        return True
    for key in ("earlyAccessDeadline", "earlyAccessEndsAt"):
        ends = _parse_time(raw.get(key))
        if ends is not None and ends > now:
            return True
    paid = raw.get("paidAccess")
    if isinstance(paid, dict):
        ends = _parse_time(paid.get("endsAt"))
        if paid.get("permanent") is True or (ends is not None and ends > now):
            return True
    days = _int(raw.get("earlyAccessTimeFrame"), 0) or 0
    published = _parse_time(raw.get("publishedAt"))
    return bool(days and published and published + _dt.timedelta(days=days) > now)


def _sha256(raw_file: dict) -> str | None:
    hashes = raw_file.get("hashes")
    if isinstance(hashes, dict):
        value = hashes.get("SHA256") or hashes.get("sha256")
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None


def _files(raw_version: dict) -> list[FileRow]:
    rows = []
    for position, raw in enumerate(_list(raw_version.get("files"))):
        if not isinstance(raw, dict) or _int(raw.get("id")) is None:
            continue
        size = raw.get("sizeKB")
        rows.append(FileRow(
            file_id=_int(raw.get("id")), position=position, name=_str(raw.get("name")),
            type=_str(raw.get("type")),
            size_kb=float(size) if isinstance(size, (int, float)) and not isinstance(size, bool) else None,
            is_primary=raw.get("primary") is True, sha256=_sha256(raw),
            download_url=_str(raw.get("downloadUrl")) or None,
        ))
    return rows


def _images(raw_version: dict, version_id: int, version_position: int) -> list[ImageRow]:
    rows = []
    for raw in _list(raw_version.get("images")):
        if not isinstance(raw, dict) or not _str(raw.get("url")):
            continue
        url = _str(raw.get("url"))
        meta = raw.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("meta"), dict) and "id" in meta:
            meta = meta["meta"]  # /images nested {id, meta} shape
        rows.append(ImageRow(
            position=len(rows), url=url, nsfw_level=image_level(raw),
            width=_int(raw.get("width")), height=_int(raw.get("height")),
            media_type=_media_type(raw, url), meta=meta if isinstance(meta, dict) else None,
            version_id=version_id, version_position=version_position,
        ))
    return rows


def _versions(raw_model: dict, now: _dt.datetime | None) -> list[VersionRow]:
    rows: list[VersionRow] = []
    seen: set[int] = set()
    for raw in _list(raw_model.get("modelVersions")):
        version_id = _int(raw.get("id")) if isinstance(raw, dict) else None
        if version_id is None or version_id in seen:
            continue
        seen.add(version_id)
        position = len(rows)
        words = [w for w in _list(raw.get("trainedWords")) if isinstance(w, str)]
        rows.append(VersionRow(
            id=version_id, position=position, name=_str(raw.get("name")),
            base_model=_str(raw.get("baseModel")).strip(), published_at=_str(raw.get("publishedAt")) or None,
            nsfw_level=_int(raw.get("nsfwLevel"), 0) or 0, early_access=is_early_access(raw, now),
            trained_words=words, download_url=_str(raw.get("downloadUrl")) or None,
            files=_files(raw), images=_images(raw, version_id, position),
        ))
    return rows


def parse_model(raw: Any, now: _dt.datetime | None = None) -> ModelRows:
    """Reads a model body into rows.

    Raises:
        NotModelJson: ``raw`` is not a dict with an integer ``id``.
    """
    if not isinstance(raw, dict) or _int(raw.get("id")) is None:
        raise NotModelJson("not a Civitai model: no integer 'id'")
    creator = raw.get("creator")
    versions = _versions(raw, now)
    level = _int(raw.get("nsfwLevel"))
    if level is None:  # older bodies: derive the mask from the images we have
        level = 0
        for version in versions:
            for image in version.images:
                level |= image.nsfw_level
    tags = []
    for tag in _list(raw.get("tags")):
        name = tag.get("name") if isinstance(tag, dict) else tag  # 2023: [{name}]
        if isinstance(name, str) and name.strip() and fold(name.strip()) not in {fold(t) for t in tags}:
            tags.append(name.strip())
    nsfw = raw.get("nsfw")
    return ModelRows(
        id=_int(raw.get("id")), name=_str(raw.get("name")).strip(), type=_str(raw.get("type")).strip(),
        creator=_str(creator.get("username")) if isinstance(creator, dict) else "",
        nsfw=nsfw is True or (isinstance(nsfw, str) and nsfw.lower() not in ("", "none", "false")),
        nsfw_level=level, tags=tags, versions=versions,
    )


def thumbnail_candidates(rows: ModelRows, version_id: int | None = None) -> list[ImageRow]:
    """Still images, safest first: the order to try when making the thumbnail.

    Videos and audio are left out (their bytes are never a still). The selected version's
    images come first among equals, then newer versions.
    """
    stills = [i for i in rows.images if i.media_type == "image"]
    return sorted(stills, key=lambda i: (level_rank(i.nsfw_level), i.version_id != version_id,
                                         i.version_position, i.position))
