"""Reads and writes A1111 "infotext" (generation parameters), standing alone.

The format, as the WebUI writes it::

    <prompt, possibly several lines>
    Negative prompt: <negative prompt, possibly several lines>
    Steps: 20, Sampler: DPM++ 2M, CFG scale: 7, Lora hashes: "a: 1f2e, b: 9c8d"

The last line holds ``key: value`` pairs separated by commas. A value that holds a comma,
a colon, a quote, a newline or outer spaces is written as a JSON string, which is how the
WebUI's ``quote()`` does it; the original extension split on every comma and colon and
broke such values (original-extension.md §5.1 #20). These functions are pure, import
nothing from the WebUI, and ``parse_infotext(format_infotext(x)) == x`` for every
representable ``x`` (tests/test_infotext.py checks that with hypothesis).

A last line counts as parameters when it is made only of ``key: value`` pairs and either
has three or more of them (the WebUI's own rule) or starts with a standard key such as
``Steps``; otherwise it belongs to the prompt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NEGATIVE_PREFIX = "Negative prompt:"
#: keys that mark a parameter line even when it has fewer than three pairs
STANDARD_KEYS = ("Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Model hash", "Schedule type",
                 "Clip skip", "Denoising strength", "Version")
#: a key is a word character followed by words, spaces, dashes or slashes (the WebUI's rule)
_KEY = r"\w[\w \-/]*"
_PAIR = re.compile(r'\s*(' + _KEY + r'):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
_KEY_ONLY = re.compile(_KEY + r"\Z")
#: Civitai ``meta`` keys -> infotext keys
_META_KEYS = {"sampler": "Sampler", "cfgScale": "CFG scale", "steps": "Steps", "seed": "Seed",
              "clipSkip": "Clip skip", "denoise": "Denoising strength", "scheduler": "Schedule type"}


@dataclass(frozen=True)
class Infotext:
    """Prompt, negative prompt and the parameters in their original order."""

    prompt: str = ""
    negative_prompt: str = ""
    parameters: dict[str, str] = field(default_factory=dict)


def needs_quotes(value: str) -> bool:
    """True when a value must be written as a JSON string to survive parsing."""
    return (value == "" or value != value.strip() or any(c in value for c in ',:"\n\r')
            or value.startswith("\\"))


def quote(value: str) -> str:
    """Writes a value the way the WebUI does: bare when safe, else a JSON string."""
    return json.dumps(value, ensure_ascii=False) if needs_quotes(value) else value


def unquote(value: str) -> str:
    """Reads a value written by :func:`quote` (or by the WebUI)."""
    text = value.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return text  # a value that only looks quoted: keep it as written
        return decoded if isinstance(decoded, str) else text
    return text


def parse_parameters(line: str) -> dict[str, str]:
    """Reads ``key: value, key: value`` into an ordered dict (later duplicates win)."""
    return {m.group(1).strip(): unquote(m.group(2)) for m in _PAIR.finditer(line) if m.group(0).strip()}


def _is_parameter_line(line: str) -> bool:
    pairs = [m for m in _PAIR.finditer(line) if m.group(0).strip()]
    if not pairs or "".join(m.group(0) for m in pairs).strip() != line.strip():
        return False  # some text is not a pair: a prompt line that happens to hold colons
    return len(pairs) >= 3 or pairs[0].group(1).strip() in STANDARD_KEYS


def format_parameters(parameters: Mapping[str, Any]) -> str:
    """Writes parameters as one line, quoting values that need it.

    Raises:
        ValueError: a key cannot be written (empty, or holds ``,`` ``:`` or a newline).
    """
    parts = []
    for key, value in parameters.items():
        name = str(key).strip()
        if not _KEY_ONLY.match(name) or name != str(key):
            raise ValueError(f"Cannot write the parameter name {key!r} in infotext.")
        parts.append(f"{name}: {quote('' if value is None else str(value))}")
    return ", ".join(parts)


def parse_infotext(text: str) -> Infotext:
    """Splits infotext into prompt, negative prompt and parameters."""
    lines = (text or "").strip().replace("\r\n", "\n").split("\n")
    parameters: dict[str, str] = {}
    if lines and _is_parameter_line(lines[-1]):
        parameters = parse_parameters(lines.pop())
    prompt: list[str] = []
    negative: list[str] | None = None
    for line in lines:
        if negative is None and line.startswith(NEGATIVE_PREFIX):
            negative = [line[len(NEGATIVE_PREFIX):].lstrip(" ")]
        elif negative is not None:
            negative.append(line)
        else:
            prompt.append(line)
    return Infotext("\n".join(prompt).strip(), "\n".join(negative or []).strip(), parameters)


def format_infotext(prompt: str = "", negative_prompt: str = "", parameters: Mapping[str, Any] | None = None) -> str:
    """Writes prompt, negative prompt and parameters as the WebUI would."""
    lines = []
    if prompt.strip():
        lines.append(prompt.strip())
    if negative_prompt.strip():
        lines.append(f"{NEGATIVE_PREFIX} {negative_prompt.strip()}")
    if parameters:
        lines.append(format_parameters(parameters))
    return "\n".join(lines)


def infotext_from_meta(meta: Mapping[str, Any] | None) -> str:
    """Formats a Civitai image ``meta`` object as infotext ('' when it has no prompt data)."""
    if not isinstance(meta, Mapping):
        return ""
    if isinstance(meta.get("meta"), Mapping) and "id" in meta:
        meta = meta["meta"]  # /images nested {id, meta}
    prompt = meta.get("prompt") if isinstance(meta.get("prompt"), str) else ""
    negative = meta.get("negativePrompt") if isinstance(meta.get("negativePrompt"), str) else ""
    parameters: dict[str, str] = {}
    for key, value in meta.items():
        if key in ("prompt", "negativePrompt") or value is None or isinstance(value, (dict, list)):
            continue  # structured entries (resources, hashes, comfy graphs) have no infotext form
        name = _META_KEYS.get(key, key)
        if _KEY_ONLY.match(name):
            parameters[name] = str(value)
    if not (prompt or negative or parameters):
        return ""
    return format_infotext(prompt, negative, parameters)
