"""Thumbnails and cached images in the data folder: only real stills, named predictably.

Registration and the legacy import both come through here, so a file is kept only after
``files.stills`` has sniffed and fully decoded it (never MP4 bytes under an image name, the
original's bug), and the same image always lands on the same path (a re-run overwrites
nothing it does not need to).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..files.atomic import write_atomic
from ..files.errors import NotAnImage
from ..files.stills import make_thumbnail, open_still, sniff_kind
from .model_rows import ImageRow, ModelRows, thumbnail_candidates
from .store import Thumbnail

THUMBS_DIR = "thumbs"
IMAGES_DIR = "images"
_EXT = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp", "bmp": ".bmp", "avif": ".avif"}
_SAFE_STEM = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def url_stem(url: str) -> str:
    """A file-name-safe stem for an image URL (its basename when safe, else a hash)."""
    base = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0]
    return stem if _SAFE_STEM.match(stem) else hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def image_relpath(model_id: int, version_id: int, url: str, kind: str) -> str:
    """``images/<model>/<version>-<stem><ext>`` for a still of ``kind`` (from ``sniff_kind``)."""
    return f"{IMAGES_DIR}/{model_id}/{version_id}-{url_stem(url)}{_EXT.get(kind, '.bin')}"


class MediaStore:
    """Writes verified stills under the data folder; returns paths relative to it."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def save_image(self, model_id: int, version_id: int, url: str, data: bytes) -> str:
        """Keeps a version image's original bytes after proving they are a still image.

        Raises:
            files.errors.NotAnImage: video, HTML, or undecodable bytes.
        """
        open_still(data)
        relative = image_relpath(model_id, version_id, url, sniff_kind(data))
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.exists() and target.stat().st_size == len(data)):
            write_atomic(target, data)
        return relative

    def save_thumbnail(self, model_id: int, data: bytes, *, url: str = "", nsfw_level: int = 0) -> Thumbnail:
        """Makes the shortcut's thumbnail (re-encoded JPEG, longest side 400 px).

        Raises:
            files.errors.NotAnImage: the bytes are not a still image.
        """
        thumb = make_thumbnail(data)
        relative = f"{THUMBS_DIR}/{model_id}.jpg"
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, thumb)
        return Thumbnail(relative, url, nsfw_level)

    def thumbnail_from_cache(self, rows: ModelRows, image_paths: dict[str, str],
                             version_id: int | None = None) -> Thumbnail | None:
        """A thumbnail made from the safest image already cached, or None."""
        for image in thumbnail_candidates(rows, version_id):
            relative = image_paths.get(image.url)
            if not relative:
                continue
            try:
                return self.save_thumbnail(rows.id, (self.data_dir / relative).read_bytes(), url=image.url,
                                           nsfw_level=image.nsfw_level)
            except (OSError, NotAnImage):
                continue  # unreadable cache file: try the next candidate
        return None

    def exists(self, relative: str | None) -> bool:
        return bool(relative) and (self.data_dir / relative).is_file()


def level_of_url(rows: ModelRows, url: str) -> int:
    """The NSFW level of the image with this URL in a model (0 when unknown)."""
    for image in rows.images:
        if image.url == url:
            return image.nsfw_level
    return 0


def images_to_fetch(rows: ModelRows, per_version: int) -> list[ImageRow]:
    """The still images registration downloads: the first ``per_version`` of each version (0 = all)."""
    out: list[ImageRow] = []
    for version in rows.versions:
        stills = [i for i in version.images if i.media_type == "image"]
        out.extend(stills if per_version <= 0 else stills[:per_version])
    return out
