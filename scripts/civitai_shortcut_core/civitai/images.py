"""Image CDN URL transforms: thumbnails, stills of videos, full size (civitai-api.md §4).

CDN URLs look like ``https://image.civitai.com/<key>/<uuid>/<params>/<name>.<ext>`` where
``<params>`` is a comma list (``width=450``, ``original=true``, ``anim=false,transcode=true``).
The params segment changed over the years (``width=450`` → ``width=<w>`` → ``original=true``),
so it is found by position (the segment before the file name), never by string replacement.
Videos get ``anim=false,transcode=true`` and a ``.jpeg`` name for a still, which is what the
site itself does; 2024 videos whose URL already ends in ``.jpeg`` are handled the same way.
URLs that are not CDN URLs (Discord or GitHub avatars) are returned unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .views import Image

#: widths the CDN serves; it snaps other widths to these anyway
CDN_WIDTHS = (96, 320, 450, 512, 800, 1200, 1600)
DEFAULT_THUMBNAIL_WIDTH = 450


def _is_params(segment: str) -> bool:
    return "=" in segment and "/" not in segment


def _split(url: str) -> tuple[tuple, list[str]] | None:
    """(the URL's parts, its path segments) for a CDN URL, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not (host == "civitai.com" or host.endswith(".civitai.com")) or "/api/" in parts.path:
        return None
    segments = parts.path.split("/")
    # "", key, uuid, [params,] name
    if len(segments) < 4 or not segments[-1]:
        return None
    return tuple(parts), segments


def _rewrite(url: str, params: str, ext: str | None) -> str:
    split = _split(url)
    if split is None:
        return url
    parts, segments = split
    name = segments[-1]
    if ext is not None:
        stem = name.rsplit(".", 1)[0] if "." in name else name
        name = f"{stem}.{ext}"
    if _is_params(segments[-2]):
        segments = segments[:-2] + [params, name]
    else:
        segments = segments[:-1] + [params, name]
    return urlunsplit((parts[0], parts[1], "/".join(segments), parts[3], parts[4]))


def _url_and_video(image: Image | str, video: bool | None) -> tuple[str, bool]:
    if isinstance(image, Image):
        return image.url, image.is_video if video is None else video
    url = str(image)
    return url, bool(video) if video is not None else url.lower().endswith((".mp4", ".webm"))


def thumbnail_url(image: Image | str, width: int = DEFAULT_THUMBNAIL_WIDTH, *, video: bool | None = None) -> str:
    """A small still for galleries: ``width=N`` for images, a ``.jpeg`` frame for videos.

    Args:
        image: an ``Image`` or a CDN URL.
        width: the thumbnail width in pixels.
        video: whether the URL is a video; read from the ``Image`` (or the extension) when None.
    """
    url, is_video = _url_and_video(image, video)
    width = max(1, int(width))
    if is_video:
        return _rewrite(url, f"anim=false,transcode=true,width={width}", "jpeg")
    return _rewrite(url, f"width={width}" + (",optimized=true" if width <= 450 else ""), None)


def still_url(image: Image | str, *, video: bool | None = None) -> str:
    """A full-size still image (for ``.preview.png``): the first frame of a video or GIF."""
    url, is_video = _url_and_video(image, video)
    if is_video:
        return _rewrite(url, "anim=false,transcode=true,original=true", "jpeg")
    return _rewrite(url, "anim=false,original=true", None)


def full_url(image: Image | str) -> str:
    """The original media at full size (a video stays a video)."""
    url, _ = _url_and_video(image, None)
    return _rewrite(url, "original=true", None)
