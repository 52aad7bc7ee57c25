"""ui/sanitize.py: Civitai description HTML is made inert - hostile inputs from real XSS tricks."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from civitai_shortcut_core.ui.sanitize import safe_url, sanitize_html


class _Collect(HTMLParser):
    """Every tag and attribute in sanitised output, parsed back the way a browser would see them."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)


def parsed(html_text: str) -> _Collect:
    c = _Collect()
    c.feed(html_text)
    return c


HOSTILE = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.example.com/x.js></SCRIPT>',
    '<img src=x onerror=alert(1)>',
    '<img src="javascript:alert(1)">',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe src="https://evil.example.com"></iframe>',
    '<svg onload=alert(1)><circle/></svg>',
    '<math><mtext><script>alert(1)</script></mtext></math>',
    '<p style="background:url(javascript:alert(1))">s</p>',
    '<div onclick="alert(1)" onmouseover=alert(2)>d</div>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<style>body{display:none}</style>',
    '<form action="https://evil.example.com"><input name=a></form>',
    '<!--<script>alert(1)</script>-->',
    '<p>unclosed <b>bold <script>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<a href="https://ok.example.com" onclick="alert(1)" style="x">ok</a>',
    '"><script>alert(1)</script>',
    '<textarea><script>alert(1)</script></textarea>',
    '<base href="https://evil.example.com/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_markup_comes_out_inert(hostile):
    out = sanitize_html(hostile)
    found = parsed(out)
    assert not set(found.tags) & {"script", "iframe", "svg", "math", "object", "embed", "style", "form", "input",
                                  "base", "meta", "textarea", "noscript"}, out
    for tag, name, value in found.attrs:
        assert not name.startswith("on") and name != "style", out
        if name in ("href", "src"):
            assert not re.match(r"\s*(javascript|vbscript|data):", value or "", re.IGNORECASE), out
    assert "<script" not in out.lower()


def test_allowed_markup_is_kept_and_links_open_safely():
    text = ('<h2>Title</h2><p>Some <strong>bold</strong>, <em>em</em>, <u>u</u>, <s>s</s> and <code>code</code>.</p>'
            '<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>q</blockquote><pre>pre</pre><hr>'
            '<p><a href="https://civitai.com/models/1" title="t">link</a><br><img src="https://image.civitai.com/a.jpeg" '
            'alt="a" width="300" height="abc"></p>')
    out = sanitize_html(text)
    for tag in ("h2", "strong", "em", "u", "s", "code", "ul", "ol", "li", "blockquote", "pre", "hr", "br", "img"):
        assert f"<{tag}" in out
    assert ('<a href="https://civitai.com/models/1" title="t" target="_blank" rel="noopener noreferrer nofollow">'
            in out)
    assert 'width="300"' in out and "height" not in out, "sizes must be numbers"


def test_text_is_escaped_and_every_tag_closed():
    out = sanitize_html('<p>1 < 2 & "3" <b>open <i>deeper')
    assert out == '<p>1 &lt; 2 &amp; "3" <b>open <i>deeper</i></b></p>'
    assert sanitize_html("</div></p>stray") == "stray"
    assert sanitize_html("") == "" and sanitize_html(None) == ""


def test_unknown_tags_are_dropped_but_their_text_stays():
    assert sanitize_html("<custom-tag>kept text</custom-tag><table><tr><td>cell</td></tr></table>") == \
        "kept textcell"


@pytest.mark.parametrize("url,ok", [
    ("https://civitai.com/x", True), ("http://a.b/c", True), ("//cdn.example.com/x.png", True),
    ("/models/1", True), ("relative/page", True), ("mailto:a@b.c", True), ("#anchor", True),
    ("javascript:alert(1)", False), (" JAVASCRIPT:alert(1)", False), ("jav\nascript:x", False),
    ("data:image/png;base64,AAAA", False), ("vbscript:x", False), ("file:///etc/passwd", False),
    ("javascript&colon;alert(1)", False), ("", False),
])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok
