"""The fake image CDN: ``/cdn/...`` answers like image.civitai.com, so no test fetches a real image.

The API routes rewrite every ``https://image.civitai.com/`` (and ``imagecache.``) URL in the
bodies they serve to ``<this server>/cdn/``. Stills are small generated PNGs (a colour
derived from the path), transcoded video frames too; video URLs answer with MP4 bytes, as the
real CDN does for the 2024 ``.jpeg``-named videos.
"""

from __future__ import annotations

import hashlib
import io
import re

from .server import FakeCivitai, Request, Response

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 256
CDN_ORIGIN = re.compile(r"https://image(?:cache)?\.civitai\.com/")


def png_bytes(seed: str, size=(64, 48)) -> bytes:
    """A small real PNG whose colour depends on ``seed``."""
    from PIL import Image

    digest = hashlib.sha1(seed.encode()).digest()
    out = io.BytesIO()
    Image.new("RGB", size, tuple(digest[:3])).save(out, format="PNG")
    return out.getvalue()


def is_video_path(path: str) -> bool:
    return path.endswith((".mp4", ".webm")) or "/video-" in path


def install(server: FakeCivitai) -> None:
    """Adds the ``/cdn/`` route."""

    @server.route("GET", r"/cdn/.+")
    def cdn(req: Request, match: re.Match) -> Response:
        path = req.path
        if "transcode=true" in path and "anim=false" in path:
            return Response(200, png_bytes(path), {"Content-Type": "image/jpeg"})
        if is_video_path(path) or path in server.state.get("video_paths", ()):
            return Response(200, MP4, {"Content-Type": "video/mp4"})
        return Response(200, png_bytes(path.rsplit("/", 1)[-1]), {"Content-Type": "image/png"})
