"""Links from files users drop on us: ``.url`` shortcuts, link lists and the old backup JSON.

Users move libraries around as Windows internet shortcuts (``[InternetShortcut]`` /
``URL=...``), plain text files (one link per line, or ``url=...`` lines) and the original
extension's ``CivitaiShortCutBackupUrl.json`` (``{"url=https://civitai.com/models/ID": "name"}``).
All of them reduce to "find the links in this text"; JSON is decoded first only because JSON
may escape slashes (``https:\\/\\/civitai.com``). A broken file is read as text so that the
links it still holds are salvaged; it never crashes the import.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterator

from .errors import NotCivitaiLink
from .urls import ModelRef, find_links

log = logging.getLogger(__name__)

#: a link list larger than this is not something a user dropped on purpose
MAX_BYTES = 32 * 1024 * 1024


def _decode(data: bytes) -> str:
    """Decodes text in the encodings Windows and the old extension produced."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _strings(value: Any) -> Iterator[str]:
    """Yields every string (keys included) inside decoded JSON, in document order."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refs_from_bytes(name: str, data: bytes, base_url: str | None = None) -> list[ModelRef]:
    """Returns the links inside a dropped file's bytes, in order, without duplicates.

    Args:
        name: the file name, used to recognise JSON and in the error message.
        data: the file content.
        base_url: the configured Civitai base URL, whose links count too.

    Raises:
        NotCivitaiLink: the file holds no Civitai link.
    """
    if len(data) > MAX_BYTES:
        raise NotCivitaiLink(f"{name} (larger than {MAX_BYTES // (1024 * 1024)} MiB)")
    text = _decode(data)
    if name.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            log.warning("%s is not valid JSON (%s); reading it as text to salvage its links", name, exc)
        else:
            text = "\n".join(_strings(decoded))
    try:
        return find_links(text, base_url)
    except NotCivitaiLink:
        raise NotCivitaiLink(name) from None


def refs_from_file(path: str | Path, base_url: str | None = None) -> list[ModelRef]:
    """Reads a ``.url``, text or backup JSON file and returns its links (see ``refs_from_bytes``).

    Raises:
        NotCivitaiLink: the file holds no Civitai link.
        OSError: the file cannot be read.
    """
    path = Path(path)
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    return refs_from_bytes(path.name, data, base_url)
