"""Pages of a model's Civitai gallery (``/images``), one request per page, never fetched ahead.

The original fetched every image of a model (dozens of 200-item requests) before showing the
first page, which made Civitai's 429s likely (original-extension.md §5.1 #9). Here the caller
keeps the opaque cursor of each page it has seen and asks for one page at a time. Images
above the user's NSFW level are left out (and counted); videos are shown as stills; each
item keeps its own ``meta``, so the generation info shown is that exact image's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..civitai.images import thumbnail_url
from .infotext import infotext_from_meta

#: the ``/images`` ``nsfw`` filter that returns everything up to a browsing-level name
_LEVEL_FILTER = {"PG": "None", "PG13": "Soft", "R": "Mature", "X": "X", "XXX": "X"}


@dataclass(frozen=True)
class GalleryPage:
    items: list[dict[str, Any]]    # plain data (it lives in gr.State): id, url, thumbnail, infotext, ...
    next_cursor: str | None
    hidden: int                    # images on this page above the NSFW level


def nsfw_filter(level_name: str) -> str:
    """The ``nsfw`` query value for a settings NSFW level name."""
    return _LEVEL_FILTER.get(level_name, "None")


def item_of(image, web_base: str) -> dict[str, Any]:
    """What the gallery keeps of one image."""
    return {"id": image.id, "url": image.url, "thumbnail": thumbnail_url(image), "type": image.type,
            "level": image.level_name, "username": image.username or "", "width": image.width,
            "height": image.height, "infotext": infotext_from_meta(image.meta),
            "link": f"{web_base}/images/{image.id}" if image.id is not None else ""}


def fetch_page(client, *, model_id: int, version_id: int | None, cursor: str | None, limit: int,
               level_name: str, max_level: int, web_base: str) -> GalleryPage:
    """One page of a model's (or one version's) gallery, filtered by the NSFW level."""
    images, next_cursor = client.images_page(
        model_id=None if version_id else model_id, version_id=version_id, nsfw=nsfw_filter(level_name),
        sort="Newest", limit=limit, cursor=cursor)
    shown = [i for i in images if i.allowed(max_level)]
    return GalleryPage([item_of(i, web_base) for i in shown], next_cursor, len(images) - len(shown))
