"""Tolerant, frozen views over Civitai's JSON: ``Model``, ``Version``, ``File``, ``Image``.

Civitai's shapes drift (civitai-api.md §3, §6): keys go missing (``removeEmpty``), NSFW is a
bool, a string or a bit mask depending on the year, ``allowCommercialUse`` has three formats,
early access has four schemes, enums grow. Every view is built by ``from_json(raw)``, reads
each key with a default, keeps unknown enum values as strings and keeps ``raw``. A body that
is not the right kind of object at all raises ``UnexpectedResponse``, never ``KeyError``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from .errors import UnexpectedResponse

#: browsing-level bits (PG=1 ... Blocked=32) and their names, lowest first
LEVEL_NAMES = {1: "PG", 2: "PG13", 4: "R", 8: "X", 16: "XXX", 32: "Blocked"}
#: the deprecated string forms used by /images and 2024 model images
_STRING_LEVELS = {"none": 1, "soft": 2, "mature": 4, "x": 8, "blocked": 32}

#: ModelType values known in 2026; anything else is kept, and filed under "Other"
MODEL_TYPES = (
    "Checkpoint", "TextualInversion", "Hypernetwork", "AestheticGradient", "LORA", "LoCon", "DoRA",
    "Controlnet", "Upscaler", "MotionModule", "VAE", "TextEncoder", "UNet", "CLIPVision", "Poses",
    "Wildcards", "Workflows", "ComfyWorkflows", "Detection", "VisionLanguage", "CLIP", "LLM", "Other",
)
_DANGEROUS_SCANS = ("Danger", "Error")


# -- tolerant readers ----------------------------------------------------------------------
def as_int(value: Any, default: int | None = None) -> int | None:
    """An int from JSON that may carry it as int, integral float or digit string; else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return default


_int = as_int


def _float(value: Any) -> float | None:
    """A finite float, or None (NaN, infinities and numbers beyond float range included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value if v is not None and not isinstance(v, (dict, list))) \
        if isinstance(value, list) else ()


def _require(raw: Any, kind: str) -> tuple[dict[str, Any], int]:
    """The raw object and its id, or ``UnexpectedResponse`` for a body of the wrong shape."""
    if not isinstance(raw, dict):
        raise UnexpectedResponse(kind, f"expected an object, got {type(raw).__name__}")
    ident = _int(raw.get("id"))
    if ident is None:
        raise UnexpectedResponse(kind, "the object has no id")
    return raw, ident


def parse_date(value: Any) -> datetime | None:
    """Reads an ISO date; one without a zone (the 2024 list quirk) is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def level_name(level: int) -> str:
    """The name of the highest browsing-level bit set (``"PG"`` ... ``"Blocked"``), or ``"Unrated"``."""
    for bit in sorted(LEVEL_NAMES, reverse=True):
        if level & bit:
            return LEVEL_NAMES[bit]
    return "Unrated"


def browsing_level(raw: Mapping[str, Any]) -> int:
    """The browsing-level bits of an image or model in any era's form; 0 when unrated.

    ``browsingLevel`` (int) wins, then ``nsfwLevel`` (int bits or ``"None"``/``"Soft"``/``"Mature"``
    /``"X"``), then the legacy ``nsfw`` (bool or string). A bare ``nsfw: true`` counts as X, so
    an old NSFW image stays hidden from anyone who does not allow X.
    """
    for key in ("browsingLevel", "nsfwLevel", "nsfw"):
        value = raw.get(key)
        if isinstance(value, bool):
            return 8 if value else 1
        number = _int(value)
        if number is not None:
            return number if number >= 0 else 0
        if isinstance(value, str) and value.strip().lower() in _STRING_LEVELS:
            return _STRING_LEVELS[value.strip().lower()]
    return 0


def commercial_uses(value: Any) -> tuple[str, ...]:
    """``allowCommercialUse`` as a tuple: ``"Rent"``, ``["Image", "Rent"]`` or ``"{Image,Rent}"``."""
    if isinstance(value, list):
        return _strs(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{") and text.endswith("}"):
            return tuple(p.strip().strip('"') for p in text[1:-1].split(",") if p.strip().strip('"'))
        return (text,) if text else ()
    return ()


def folder_type(model_type: str | None) -> str:
    """The model type used for folders: a known ``ModelType`` value, else ``"Other"``."""
    return model_type if model_type in MODEL_TYPES else "Other"


# -- views ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Creator:
    username: str | None
    image: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Any) -> "Creator | None":
        if not isinstance(raw, dict):
            return None
        return cls(_str(raw.get("username")), _str(raw.get("image")), raw)


@dataclass(frozen=True)
class File:
    """One downloadable file of a version."""

    id: int | None
    name: str
    type: str
    size_kb: float | None
    format: str | None
    size: str | None          # "full" / "pruned"
    fp: str | None
    hashes: Mapping[str, str]
    primary: bool
    download_url: str | None
    pickle_scan: str | None
    virus_scan: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Any) -> "File":
        if not isinstance(raw, dict):
            raise UnexpectedResponse("a file", f"expected an object, got {type(raw).__name__}")
        meta = _dict(raw.get("metadata"))
        hashes = {str(k): str(v).upper() for k, v in _dict(raw.get("hashes")).items()
                  if isinstance(v, str) and v}
        return cls(
            id=_int(raw.get("id")), name=_str(raw.get("name")) or "", type=_str(raw.get("type")) or "Model",
            size_kb=_float(raw.get("sizeKB")), format=_str(meta.get("format")), size=_str(meta.get("size")),
            fp=_str(meta.get("fp")), hashes=hashes, primary=raw.get("primary") is True,
            download_url=_str(raw.get("downloadUrl")), pickle_scan=_str(raw.get("pickleScanResult")),
            virus_scan=_str(raw.get("virusScanResult")), raw=raw)

    @property
    def size_bytes(self) -> int | None:
        """The size in bytes (``sizeKB`` × 1024), or None when unknown."""
        return None if self.size_kb is None else int(round(self.size_kb * 1024))

    @property
    def sha256(self) -> str | None:
        """The SHA-256 in upper case, or None for unhashed files."""
        return self.hash("SHA256")

    def hash(self, kind: str) -> str | None:
        """The hash of ``kind`` (``AutoV2``, ``sha256``, ...; case-insensitive), upper case."""
        for key, value in self.hashes.items():
            if key.lower() == kind.lower():
                return value
        return None

    def matches_hash(self, value: str) -> bool:
        """True when any of the file's hashes equals ``value`` (case-insensitive)."""
        return bool(value) and value.strip().upper() in self.hashes.values()

    @property
    def is_dangerous(self) -> bool:
        """True when Civitai's pickle or virus scan flagged the file: never auto-download it."""
        return self.pickle_scan in _DANGEROUS_SCANS or self.virus_scan in _DANGEROUS_SCANS


def _flat_meta(value: Any) -> dict[str, Any] | None:
    """Image ``meta``: the legacy ``{id, meta}`` nesting is unwrapped; non-objects are None."""
    if isinstance(value, dict) and set(value) <= {"id", "meta"} and "meta" in value:
        value = value["meta"]
    if isinstance(value, str):  # meta has been seen as a JSON string in the wild
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Image:
    """A showcase or gallery image (or video, or audio)."""

    id: int | None
    url: str
    type: str
    width: int | None
    height: int | None
    browsing_level: int
    meta: Mapping[str, Any] | None
    blurhash: str | None
    post_id: int | None
    username: str | None
    created_at: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Any) -> "Image":
        if not isinstance(raw, dict):
            raise UnexpectedResponse("an image", f"expected an object, got {type(raw).__name__}")
        url = _str(raw.get("url")) or ""
        ident = _int(raw.get("id"))
        if ident is None:  # model endpoints omit the id; the file name is the image id there
            ident = _int(url.rsplit("/", 1)[-1].split(".", 1)[0])
        kind = _str(raw.get("type")) or ("video" if url.lower().endswith((".mp4", ".webm")) else "image")
        return cls(
            id=ident, url=url, type=kind, width=_int(raw.get("width")), height=_int(raw.get("height")),
            browsing_level=browsing_level(raw), meta=_flat_meta(raw.get("meta")),
            blurhash=_str(raw.get("hash")), post_id=_int(raw.get("postId")),
            username=_str(raw.get("username")), created_at=_str(raw.get("createdAt")), raw=raw)

    @property
    def is_video(self) -> bool:
        """True for videos, including 2024 videos whose URL ends in ``.jpeg``."""
        return self.type == "video"

    @property
    def level_name(self) -> str:
        return level_name(self.browsing_level)

    def allowed(self, max_level: int) -> bool:
        """True when every level bit of the image is within the ``max_level`` mask."""
        return self.browsing_level != 0 and self.browsing_level & ~max_level == 0


def _early_access_ends(raw: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(the end date of early access if any scheme gives one, whether a gate exists at all)."""
    paid = raw.get("paidAccess")
    if isinstance(paid, dict):
        ends = _str(paid.get("endsAt"))
        return ends, True
    for key in ("earlyAccessDeadline", "earlyAccessEndsAt"):
        ends = _str(raw.get(key))
        if ends:
            return ends, True
    days = _int(raw.get("earlyAccessTimeFrame"))
    if days is None:
        days = _int(_dict(raw.get("earlyAccessConfig")).get("timeframe")) if raw.get("earlyAccessConfig") else None
    published = parse_date(raw.get("publishedAt"))
    if days and 0 < days < 3650 and published:
        return (published + timedelta(days=days)).isoformat().replace("+00:00", "Z"), True
    return None, raw.get("availability") == "EarlyAccess"


@dataclass(frozen=True)
class Version:
    """A model version, from ``/models*``, ``/model-versions/{id}`` or by-hash."""

    id: int
    model_id: int | None
    name: str
    base_model: str | None
    base_model_type: str | None
    availability: str | None
    status: str | None
    published_at: str | None
    nsfw_level: int
    description: str | None
    trained_words: tuple[str, ...]
    files: tuple[File, ...]
    images: tuple[Image, ...]
    download_url: str | None
    early_access_ends: str | None
    early_access_gated: bool
    air: str | None
    model_name: str | None
    model_type: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Any, *, model_id: int | None = None) -> "Version":
        raw, ident = _require(raw, "a model version")
        model = _dict(raw.get("model"))
        ends, gated = _early_access_ends(raw)
        return cls(
            id=ident, model_id=_int(raw.get("modelId")) or model_id, name=_str(raw.get("name")) or "",
            base_model=_str(raw.get("baseModel")), base_model_type=_str(raw.get("baseModelType")),
            availability=_str(raw.get("availability")), status=_str(raw.get("status")),
            published_at=_str(raw.get("publishedAt")), nsfw_level=browsing_level(raw),
            description=_str(raw.get("description")), trained_words=_strs(raw.get("trainedWords")),
            files=tuple(File.from_json(f) for f in _dicts(raw.get("files"))),
            images=tuple(Image.from_json(i) for i in _dicts(raw.get("images"))),
            download_url=_str(raw.get("downloadUrl")), early_access_ends=ends, early_access_gated=gated,
            air=_str(raw.get("air")), model_name=_str(model.get("name")), model_type=_str(model.get("type")),
            raw=raw)

    @property
    def primary_file(self) -> File | None:
        """The file marked primary, else the first model-weights file, else the first file."""
        for file in self.files:
            if file.primary:
                return file
        for file in self.files:
            if file.type in ("Model", "Pruned Model"):
                return file
        return self.files[0] if self.files else None

    def is_early_access(self, now: datetime | None = None) -> bool:
        """True while the version is behind an early-access or paid gate.

        A gate with an end date is open after it; a permanent gate or ``availability:
        EarlyAccess`` without any date is always closed.
        """
        if not self.early_access_gated:
            return False
        ends = parse_date(self.early_access_ends)
        if ends is None:
            return self.early_access_ends is None
        return (now or datetime.now(timezone.utc)) < ends


@dataclass(frozen=True)
class Model:
    """A model with its versions, from ``/models/{id}`` or a ``/models`` list item."""

    id: int
    name: str
    type: str
    description: str | None
    nsfw: bool
    nsfw_level: int
    availability: str | None
    mode: str | None
    creator: Creator | None
    tags: tuple[str, ...]
    allow_commercial_use: tuple[str, ...]
    allow_no_credit: bool | None
    allow_derivatives: bool | None
    allow_different_license: bool | None
    versions: tuple[Version, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, raw: Any) -> "Model":
        raw, ident = _require(raw, "a model")
        flags = {k: raw.get(k) if isinstance(raw.get(k), bool) else None
                 for k in ("allowNoCredit", "allowDerivatives", "allowDifferentLicense")}
        return cls(
            id=ident, name=_str(raw.get("name")) or "", type=_str(raw.get("type")) or "Other",
            description=_str(raw.get("description")), nsfw=raw.get("nsfw") is True,
            nsfw_level=browsing_level(raw), availability=_str(raw.get("availability")),
            mode=_str(raw.get("mode")), creator=Creator.from_json(raw.get("creator")),
            tags=_strs(raw.get("tags")), allow_commercial_use=commercial_uses(raw.get("allowCommercialUse")),
            allow_no_credit=flags["allowNoCredit"], allow_derivatives=flags["allowDerivatives"],
            allow_different_license=flags["allowDifferentLicense"],
            versions=tuple(Version.from_json(v, model_id=ident) for v in _dicts(raw.get("modelVersions"))),
            raw=raw)

    @property
    def folder_type(self) -> str:
        """The type used for folders (unknown types become ``"Other"``)."""
        return folder_type(self.type)

    @property
    def is_archived(self) -> bool:
        return self.mode == "Archived"

    @property
    def latest_version(self) -> Version | None:
        """The newest published version (Civitai lists the newest first)."""
        return self.versions[0] if self.versions else None

    def version(self, version_id: int) -> Version | None:
        """The version with this id, or None."""
        return next((v for v in self.versions if v.id == version_id), None)

    @property
    def download_count(self) -> int | None:
        """Downloads, or None when the creator hides metrics."""
        return _int(_dict(self.raw.get("stats")).get("downloadCount"))
