"""Reads the generation text an image carries (A1111 "PNG info"), without the WebUI.

A1111 writes it as a PNG text chunk ``parameters``; for JPEG and WebP it goes into the EXIF
``UserComment`` with piexif's 8-byte charset header. The original extension re-saved
recipe images through Pillow and lost this text (its README lists it as a known bug);
we keep the original bytes and read the text from them.
"""

from __future__ import annotations

import io
import logging

from PIL import Image, UnidentifiedImageError

from ..files.stills import sniff_kind

log = logging.getLogger(__name__)

_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286


def _decode_user_comment(value: bytes | str) -> str:
    if isinstance(value, str):
        return value
    header, body = value[:8], value[8:]
    if header.startswith(b"UNICODE"):
        # piexif writes UTF-16 big-endian; some tools write little-endian without a BOM
        text = body.decode("utf-16-be", errors="replace")
        if text and sum(1 for c in text[:20] if ord(c) > 0x2FFF) > len(text[:20]) // 2:
            text = body.decode("utf-16-le", errors="replace")
        return text
    if header.startswith(b"ASCII") or header.strip(b"\x00") == b"":
        return body.decode("utf-8", errors="replace")
    return value.decode("utf-8", errors="replace")


def read_image_infotext(data: bytes) -> str:
    """Returns the infotext embedded in an image, or '' when there is none or it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            text = image.info.get("parameters")
            if isinstance(text, bytes):
                text = text.decode("utf-8", errors="replace")
            if isinstance(text, str) and text.strip():
                return text.strip()
            comment = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
            if comment:
                return _decode_user_comment(comment).strip("\x00 \n")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        log.info("No infotext read from image: %s", err)
    return ""


def image_extension(data: bytes) -> str:
    """The file extension for image bytes (``.png``, ``.jpg``, ``.webp``, ...), '.bin' if unknown."""
    kind = sniff_kind(data)
    return {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp", "bmp": ".bmp",
            "avif": ".avif"}.get(kind, ".bin")
