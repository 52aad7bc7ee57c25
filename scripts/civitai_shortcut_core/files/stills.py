"""Still images from untrusted bytes: sniff, verify, re-encode, thumbnail (Pillow).

Civitai "images" can be MP4/WebM videos behind ``.jpeg`` URLs, and a CDN or proxy can
answer with an HTML or JSON page. The original extension saved whatever arrived as
``.preview.png`` (original-extension.md §5.1 item 11). Here bytes become a preview or a
thumbnail only after the magic bytes say "still image", Pillow decodes them fully, and
they are re-encoded, so the file on disk is always what its extension says.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from .errors import NotAnImage

THUMBNAIL_PX = 400
#: refuse images over this many pixels (decompression bombs); Civitai originals stay far below
MAX_PIXELS = 120_000_000

_ISO_STILL_BRANDS = (b"avif", b"heic", b"heix", b"mif1")


def sniff_kind(data: bytes) -> str:
    """Names what ``data`` starts like: png, jpeg, gif, webp, bmp, avif, video, html, json, xml or unknown."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head[:2] == b"BM":
        return "bmp"
    if head[4:8] == b"ftyp":
        return "avif" if head[8:12] in _ISO_STILL_BRANDS else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"  # Matroska / WebM
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype", b"<html", b"<head", b"<body")):
        return "html"
    if text.startswith((b"<?xml", b"<error")):
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    return "unknown"


STILL_KINDS = ("png", "jpeg", "gif", "webp", "bmp", "avif")


def open_still(data: bytes) -> Image.Image:
    """Decodes ``data`` into a loaded still image (first frame of an animation).

    Raises:
        NotAnImage: video, a web page, JSON, a truncated or undecodable image, or a bomb.
    """
    kind = sniff_kind(data)
    if kind not in STILL_KINDS:
        raise NotAnImage(f"the data looks like {kind}" if kind != "unknown" else "unknown data")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage(f"{image.width}x{image.height} is too large")
            image.seek(0)
            image.load()
    except NotAnImage:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise NotAnImage(f"{kind} data that cannot be decoded ({exc})") from None
    return ImageOps.exif_transpose(image)


def _for_saving(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    if keep_alpha and image.mode in ("RGBA", "LA", "P", "PA"):
        return image.convert("RGBA")
    if image.mode not in ("RGB", "L"):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image.convert("RGB")
    return image


def to_png(data: bytes, *, max_px: int | None = None) -> bytes:
    """Re-encodes a still image (first frame) as PNG, optionally scaled to fit ``max_px``."""
    image = open_still(data)
    if max_px:
        image.thumbnail((max_px, max_px), Image.LANCZOS)
    out = io.BytesIO()
    _for_saving(image, keep_alpha=True).save(out, format="PNG", optimize=False)
    return out.getvalue()


def make_thumbnail(data: bytes, *, max_px: int = THUMBNAIL_PX, fmt: str = "JPEG", quality: int = 85) -> bytes:
    """Returns a thumbnail (longest side ``max_px``) of a still image as JPEG (default), WEBP or PNG."""
    image = open_still(data)
    image.thumbnail((max_px, max_px), Image.LANCZOS)
    out = io.BytesIO()
    fmt = fmt.upper()
    if fmt == "PNG":
        _for_saving(image, keep_alpha=True).save(out, format="PNG")
    else:
        _for_saving(image, keep_alpha=False).save(out, format=fmt, quality=quality)
    return out.getvalue()
