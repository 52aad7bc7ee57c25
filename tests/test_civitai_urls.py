"""Every link shape users paste resolves to the right model and version; garbage is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from civitai_shortcut_core.civitai import ModelRef, NotCivitaiLink, find_links, parse_link
from civitai_shortcut_core.civitai.links import refs_from_bytes, refs_from_file

BASE = "http://127.0.0.1:8765"

SHAPES = [
    ("https://civitai.com/models/123", 123, None),
    ("https://civitai.com/models/123/", 123, None),
    ("https://civitai.com/models/123/dreamshaper-8", 123, None),
    ("https://civitai.com/models/123?modelVersionId=456", 123, 456),
    ("https://civitai.com/models/123/slug?modelVersionId=456", 123, 456),
    ("https://civitai.com/models/123/slug?modelVersionId=456#images", 123, 456),
    ("https://civitai.com/models/123?utm=x&modelVersionId=456&b=2", 123, 456),
    ("https://civitai.com/models/123?modelVersionId=abc", 123, None),
    ("https://civitai.com/model-versions/456", None, 456),
    ("https://civitai.com/api/download/models/456", None, 456),
    ("https://civitai.com/api/download/models/456?type=Model&format=SafeTensor&token=secret", None, 456),
    ("https://civitai.com/api/v1/models/123", 123, None),
    ("https://civitai.com/api/v1/model-versions/456", None, 456),
    ("https://www.civitai.com/models/123", 123, None),
    ("https://civitai.red/models/123?modelVersionId=456", 123, 456),
    ("https://www.civitai.red/models/123", 123, None),
    ("https://civitai.green/models/123", 123, None),
    ("http://civitai.com/models/123", 123, None),
    ("HTTPS://CIVITAI.COM/models/123", 123, None),
    ("civitai.com/models/123", 123, None),
    ("www.civitai.com/models/123/slug", 123, None),
    ("https://civitai.com/zh/models/123", 123, None),
    ("https://civitai.com/models/123/水墨画-ink?modelVersionId=456", 123, 456),
    (f"{BASE}/models/123?modelVersionId=456", 123, 456),
    (f"{BASE}/api/download/models/456?fileId=9", None, 456),
    ("urn:air:sdxl:lora:civitai:123@456", 123, 456),
    ("urn:air:sd1:checkpoint:civitai:4384@128713", 4384, 128713),
    ("URN:AIR:FLUX1:LORA:CIVITAI:123@456", 123, 456),
    ("urn:air:sdxl:lora:civitai:123", 123, None),
    ("civitai:123@456", 123, 456),
    ("123", 123, None),
    ("  123\n", 123, None),
    ("\t https://civitai.com/models/123 \n", 123, None),
    ("https://civitai.com/models/123.", 123, None),
    ("https://civitai.com/models/123,", 123, None),
    ("https://civitai.com/models/123?modelVersionId=456).", 123, 456),
    ("(https://civitai.com/models/123)", 123, None),
    ("<https://civitai.com/models/123>", 123, None),
    ('"https://civitai.com/models/123"', 123, None),
    ("URL=https://civitai.com/models/123", 123, None),
    ("url=https://civitai.com/models/123", 123, None),
    ("see https://civitai.com/models/123 for details", 123, None),
    ("https://civitai.com/models/123。", 123, None),
]


@pytest.mark.parametrize(("text", "model_id", "version_id"), SHAPES)
def test_parse_link_reads_every_shape(text, model_id, version_id):
    assert parse_link(text, BASE) == ModelRef(model_id, version_id)


GARBAGE = [
    "", "   ", "hello", "0", "-5", "2147483648", "12.5", "1e5", "123abc",
    "https://example.com/models/123", "https://civitai.com.evil.com/models/123",
    "https://evilcivitai.com/models/123", "https://civitai.com/images/123", "https://civitai.com/user/bob",
    "https://civitai.com/models/", "https://civitai.com/models/abc", "https://civitai.com/models/0",
    "https://civitai.com/models/99999999999", "https://civitai.com:8443/models/123",
    "http://127.0.0.1:9999/models/123", "urn:air:sdxl:lora:huggingface:123@456", "civitai:abc",
    "urn:air:sdxl:lora:civitai:123@abc", "ftp://civitai.com/x", "https://[::1/models/1", "https://civitai.com:99999/models/1",
    "https://civitai.com/models/1 https://civitai.com/models/2",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_parse_link_refuses_garbage_with_a_sentence(text):
    with pytest.raises(NotCivitaiLink) as info:
        parse_link(text, BASE)
    assert "Not a Civitai model link" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_configured_base_host_needs_its_port():
    assert parse_link("http://127.0.0.1:8765/models/5", BASE) == ModelRef(5)
    with pytest.raises(NotCivitaiLink):
        parse_link("http://127.0.0.1:8765/models/5")  # not a Civitai host without the setting


def test_find_links_in_running_text_keeps_order_and_drops_duplicates():
    text = (
        "Try https://civitai.com/models/1, then (https://civitai.red/models/2?modelVersionId=3).\n"
        "Also urn:air:sdxl:lora:civitai:4@5 and again https://civitai.com/models/1/slug!\n"
        "I have 3 cats and 12 dogs.\n"
        "77\n"
        "[md](https://civitai.com/api/download/models/8) and civitai.com/model-versions/9."
    )
    assert find_links(text) == [
        ModelRef(1), ModelRef(2, 3), ModelRef(4, 5), ModelRef(77), ModelRef(None, 8), ModelRef(None, 9),
    ]


def test_find_links_ignores_airs_for_other_sources():
    assert find_links("urn:air:sdxl:lora:huggingface:1@2 urn:air:sdxl:lora:civitai:3@4") == [ModelRef(3, 4)]


def test_find_links_without_any_link_raises():
    with pytest.raises(NotCivitaiLink):
        find_links("nothing to see here, version 2 of 3")


# -- files -------------------------------------------------------------------------------
def test_windows_internet_shortcut(tmp_path):
    path = tmp_path / "DreamShaper.url"
    path.write_bytes(b"[InternetShortcut]\r\nURL=https://civitai.com/models/4384?modelVersionId=128713\r\n"
                     b"IDList=\r\nHotKey=0\r\n")
    assert refs_from_file(path) == [ModelRef(4384, 128713)]


def test_text_file_with_links_ids_and_url_lines(tmp_path):
    path = tmp_path / "links.txt"
    path.write_text("https://civitai.com/models/1\nurl=https://civitai.com/models/2\n3\nurl=4\n\n# comment 5 here\n",
                    "utf-8")
    assert refs_from_file(path) == [ModelRef(1), ModelRef(2), ModelRef(3), ModelRef(4)]


def test_original_extension_backup_json():
    data = json.dumps({"url=https://civitai.com/models/4384": "DreamShaper",
                       "url=https://civitai.com/models/3036": "CharTurner"}).encode()
    assert refs_from_bytes("CivitaiShortCutBackupUrl.json", data) == [ModelRef(4384), ModelRef(3036)]


def test_json_with_escaped_slashes_is_decoded_first():
    data = b'{"url=https:\\/\\/civitai.com\\/models\\/42": "x"}'
    assert refs_from_bytes("backup.json", data) == [ModelRef(42)]


def test_broken_json_is_read_as_text_to_salvage_links(caplog):
    data = b'{"url=https://civitai.com/models/7": "a", "url=https://civitai.com/models/8": '
    assert refs_from_bytes("CivitaiShortCutBackupUrl.json", data) == [ModelRef(7), ModelRef(8)]
    assert "not valid JSON" in caplog.text


def test_utf16_text_file_from_notepad():
    data = "https://civitai.com/models/5\r\n".encode("utf-16")
    assert refs_from_bytes("links.txt", data) == [ModelRef(5)]


def test_file_without_links_names_the_file():
    with pytest.raises(NotCivitaiLink) as info:
        refs_from_bytes("notes.txt", b"just words")
    assert "notes.txt" in str(info.value)


def test_binary_garbage_file_raises_not_civitai_link():
    with pytest.raises(NotCivitaiLink):
        refs_from_bytes("x.bin", bytes(range(256)) * 4)


# -- properties ----------------------------------------------------------------------------
link_texts = st.one_of(
    st.text(),
    st.text(alphabet="civtaom/:.?=&@#-_ 0123456789urnaihtps<>()[]\"'\n"),
    st.builds(lambda a, b: f"{a}https://civitai.com/models/{b}", st.text(max_size=20), st.text(max_size=20)),
    st.builds(lambda a, b, c: f"urn:air:{a}:{b}:civitai:{c}", st.text(max_size=5), st.text(max_size=5),
              st.text(max_size=12)),
)


@settings(max_examples=300, deadline=None)
@given(link_texts)
def test_parse_link_never_crashes_with_anything_else(text):
    try:
        ref = parse_link(text, BASE)
    except NotCivitaiLink:
        return
    assert ref.model_id is None or 1 <= ref.model_id <= 2_147_483_647
    assert ref.version_id is None or 1 <= ref.version_id <= 2_147_483_647


@settings(max_examples=300, deadline=None)
@given(link_texts)
def test_find_links_never_crashes_with_anything_else(text):
    try:
        refs = find_links(text, BASE)
    except NotCivitaiLink:
        return
    assert refs and len(refs) == len(set(refs))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2_147_483_647), st.one_of(st.none(), st.integers(1, 2_147_483_647)),
       st.sampled_from(["", "see ", "(", "- ", "link: "]), st.sampled_from(["", ".", ",", ")", "!", " ok"]))
def test_any_valid_link_in_text_is_found(model_id, version_id, before, after):
    query = f"?modelVersionId={version_id}" if version_id else ""
    text = f"{before}https://civitai.com/models/{model_id}/slug{query}{after}"
    assert find_links(text) == [ModelRef(model_id, version_id)]
    assert parse_link(text) == ModelRef(model_id, version_id)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_refs_from_bytes_never_crashes(data):
    for name in ("x.json", "x.url", "x.txt"):
        try:
            refs_from_bytes(name, data)
        except NotCivitaiLink:
            pass
