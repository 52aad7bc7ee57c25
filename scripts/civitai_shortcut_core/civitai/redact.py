"""Keeps the API key out of every log line, exception text and printed URL.

The key travels as ``Authorization: Bearer`` or, in links users copy from Civitai, as
``?token=``; proxy URLs may carry ``user:password@``. ``redact`` removes all three.
"""

from __future__ import annotations

import re

MASK = "***"

_TOKEN = re.compile(r"(?i)([?&;]token=)[^&#\s'\"]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\",}]+")
_USERINFO = re.compile(r"(?i)([a-z][a-z0-9+.\-]*://)[^/@\s'\"]+@")


def redact(text: str, *secrets: str) -> str:
    """Returns ``text`` with the secrets, ``token=`` values, bearer tokens and URL passwords masked."""
    if not text:
        return text
    text = str(text)
    for secret in secrets:
        if secret and len(secret) >= 4:  # masking 1-3 characters would mangle ordinary words
            text = text.replace(secret, MASK)
    text = _TOKEN.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
