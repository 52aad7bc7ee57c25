"""Civitai description HTML made inert before the info page shows it.

An allow-list, built on ``html.parser``: only the tags below survive, with only the
attributes listed for them. Everything else is dropped; ``script``, ``style``, ``iframe``
and similar lose their content too. URLs must be http(s), protocol-relative, relative or
``mailto:``; ``javascript:``, ``data:``, ``vbscript:`` and anything with control characters
hidden in the scheme are removed (browsers ignore tabs and newlines inside a scheme, so
``java\\tscript:`` is ``javascript:``). No ``style`` or ``on*`` attribute survives. Links
open in a new tab with ``rel="noopener noreferrer nofollow"``. Text is re-escaped, so what
comes out is always well-formed, every opened tag closed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset({
    "p", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "br", "img", "div", "blockquote", "code", "pre",
    "span", "h1", "h2", "h3", "hr",
})
VOID_TAGS = frozenset({"br", "img", "hr"})
#: tags dropped together with everything inside them
DROP_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "frame", "frameset",
    "noembed", "xmp", "textarea", "select", "title", "head",
})
ALLOWED_ATTRS = {
    "a": ("href", "title"),
    "img": ("src", "alt", "title", "width", "height"),
}
LINK_REL = "noopener noreferrer nofollow"
_SAFE_SCHEMES = ("http", "https", "mailto")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_NUMBER = re.compile(r"^\d{1,4}%?$")


def safe_url(value: str | None) -> str | None:
    """The URL if it is safe to put in href/src, else None."""
    if not value:
        return None
    text = html.unescape(value).strip()
    squeezed = _CONTROL.sub("", text)
    match = _SCHEME.match(squeezed)
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        return None
    if not match and ":" in squeezed.split("/", 1)[0]:
        return None   # "javascript&colon;..." and friends that only look scheme-less
    return text


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []

    # -- tags ----------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if self.dropping:
            if tag == self.dropping[-1] or tag in DROP_WITH_CONTENT and tag not in VOID_TAGS:
                self.dropping.append(tag)
            return
        if tag in DROP_WITH_CONTENT:
            self.dropping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        rendered = self._attrs(tag, attrs)
        if rendered is None:
            return
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in VOID_TAGS or tag not in ALLOWED_TAGS:
            self.handle_starttag(tag, attrs)
            return
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag not in self.open:
            return   # a stray or disallowed closing tag
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> str | None:
        allowed = ALLOWED_ATTRS.get(tag, ())
        kept: dict[str, str] = {}
        for name, value in attrs:
            name = name.lower()
            if name not in allowed or value is None:
                continue
            if name in ("href", "src"):
                url = safe_url(value)
                if url is None:
                    continue
                value = url
            elif name in ("width", "height") and not _NUMBER.match(value.strip()):
                continue
            kept[name] = value
        if tag == "img" and "src" not in kept:
            return None   # an image without a safe source is dropped
        if tag == "a" and "href" in kept:
            kept["target"] = "_blank"
            kept["rel"] = LINK_REL
        return "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in kept.items())

    # -- text ----------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        return   # comments can hide conditional markup; never kept

    def handle_decl(self, decl: str) -> None:
        return

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return

    def result(self) -> str:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def sanitize_html(text: str | None) -> str:
    """Returns ``text`` with everything but the allow-listed markup removed (see module docstring)."""
    if not text:
        return ""
    parser = _Sanitizer()
    parser.feed(str(text))
    return parser.result()
