"""Safe file and folder names, and the proof that a path stays inside its folder.

Civitai file names are not sanitised by the server (civitai-api.md §3.3): they can hold
``/``, ``\\``, ``..`` (a stored ``..%2F..%2Fx`` is URL-decoded into ``../../x``), CJK,
emoji, control characters and Windows-reserved names. Users rename downloads too. Every
name that becomes part of a path goes through :func:`safe_filename` or
:func:`safe_dirname`, and every final path through :func:`resolve_inside`.

Choices (and why):

* Separators split the name into parts; empty, ``.`` and ``..`` parts are dropped and the
  rest joined with ``_``. ``../../x.safetensors`` becomes ``x.safetensors`` and
  ``Style 1/2.pt`` becomes ``Style 1_2.pt``: no traversal, nothing silently lost.
* ``<>:"|?*`` become ``_`` (invalid on Windows, where many users keep models).
* Control characters and bidi overrides are removed (the latter can fake an extension:
  ``evil\\u202egnp.exe``).
* Windows-reserved device names (``CON``, ``NUL``, ``COM1``...) get a leading ``_`` whatever
  their extension, because Windows reserves ``NUL.safetensors`` too.
* Trailing dots and spaces are stripped (Windows drops them silently, so two names could
  collide); leading dots too, so a download is never a hidden file.
* Names are NFC-normalised (macOS) and shortened to 200 UTF-8 bytes, keeping the extension;
  CJK and emoji are kept.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import UnsafePath

#: Longest name we produce, in UTF-8 bytes (most filesystems allow 255; keep room for
#: ``.part.json``, `` (12)`` and sidecar suffixes such as ``.preview.png``).
MAX_NAME_BYTES = 200
_MAX_EXT_CHARS = 16

_SEPARATORS = re.compile(r"[/\\]+")
_WINDOWS_INVALID = re.compile(r'[<>:"|?*]')
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")
}


def _clean_part(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_BIDI)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    text = _WINDOWS_INVALID.sub("_", text)
    return text


def _join_parts(name: str) -> str:
    parts = [p for p in _SEPARATORS.split(name) if p.strip() not in ("", ".", "..")]
    return "_".join(p.strip() for p in parts)


def _strip_edges(text: str) -> str:
    text = text.strip(" .\t")
    # ".." inside a single component is harmless ("a..b") but a component made only of dots is not
    return "" if set(text) <= {"."} else text


def _unreserve(text: str) -> str:
    stem = text.split(".", 1)[0].rstrip(" ")
    return "_" + text if stem.upper() in _RESERVED else text


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip(" .")


def split_extension(name: str) -> tuple[str, str]:
    """Splits ``name`` into stem and extension (``.safetensors``); a long or spaced tail is no extension."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or len(ext) > _MAX_EXT_CHARS or " " in ext:
        return name, ""
    return stem, "." + ext


def _shorten(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, ext = split_extension(name)
    room = MAX_NAME_BYTES - len(ext.encode("utf-8"))
    return _truncate_utf8(stem, room) + ext


def _sanitise(name: str | None) -> str:
    if not name:
        return ""
    text = _strip_edges(_join_parts(_clean_part(str(name))))
    if not text:
        return ""
    return _strip_edges(_shorten(_unreserve(text)))


def clean_component(name: str | None) -> str:
    """``name`` made safe as one path component, or ``""`` when nothing usable is left."""
    return _sanitise(name)


def safe_filename(name: str | None, *, fallback: str) -> str:
    """Returns ``name`` made safe as one file name, or the (sanitised) ``fallback`` if nothing is left.

    Args:
        name: a name from the API, a Content-Disposition header or the user.
        fallback: used when ``name`` is empty or sanitises to nothing (e.g. ``"model_123.safetensors"``).

    Raises:
        ValueError: if the fallback itself sanitises to nothing (a programming error).
    """
    result = _sanitise(name) or _sanitise(fallback)
    if not result:
        raise ValueError(f"fallback file name {fallback!r} is not usable")
    return result


def safe_dirname(name: str | None, *, fallback: str) -> str:
    """Returns ``name`` made safe as one folder name (same rules; no extension is kept apart)."""
    result = _sanitise(name) or _sanitise(fallback)
    if not result:
        raise ValueError(f"fallback folder name {fallback!r} is not usable")
    return result


def _check_part(part: str, base: Path) -> None:
    if not part:
        return
    if os.path.isabs(part) or PureWindowsPath(part).drive or PureWindowsPath(part).root:
        raise UnsafePath(part, base)
    for piece in list(PurePosixPath(part).parts) + list(PureWindowsPath(part).parts):
        if piece == "..":
            raise UnsafePath(part, base)


def resolve_inside(base: str | Path, *parts: str) -> Path:
    """Returns ``base/parts...`` resolved, after proving it is ``base`` or inside it.

    Absolute, drive, UNC and ``..`` parts are refused before the disk is touched; then both
    paths are resolved (following symlinks) and compared, so a symlink pointing out of
    ``base`` is refused too.

    Raises:
        UnsafePath: the result would not be inside ``base``.
    """
    base_path = Path(base)
    for part in parts:
        _check_part(str(part), base_path)
    root = base_path.resolve()
    target = root.joinpath(*[str(p) for p in parts if p]).resolve()
    try:
        target.relative_to(root)
    except ValueError:
        raise UnsafePath(os.path.join(*[str(p) for p in parts]) if parts else str(base), base_path) from None
    return target


_CD_EXTENDED = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_CD_QUOTED = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_CD_BARE = re.compile(r"filename\s*=\s*([^;\s]+)", re.IGNORECASE)


def fix_mojibake(text: str) -> str:
    """Recovers UTF-8 text that was decoded as Latin-1 (how ``requests`` reads raw header bytes)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def filename_from_content_disposition(header: str | None) -> str | None:
    """Returns the (unsanitised) file name in a Content-Disposition header, or None.

    Civitai's storage sends the name as raw UTF-8 bytes, not RFC 5987 (civitai-api.md §2.7),
    so the quoted form is re-decoded from Latin-1 mojibake. ``filename*=UTF-8''...`` wins
    when present.
    """
    if not header:
        return None
    from urllib.parse import unquote

    match = _CD_EXTENDED.search(header)
    if match:
        charset = match.group(1).strip() or "utf-8"
        try:
            return unquote(match.group(2).strip(), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # a bad charset label: fall back to the plain filename= form below
    match = _CD_QUOTED.search(header)
    if match:
        return fix_mojibake(re.sub(r"\\(.)", r"\1", match.group(1)))
    match = _CD_BARE.search(header)
    if match:
        return fix_mojibake(match.group(1))
    return None
