"""Safe names and the inside-the-folder proof: hostile names from the API or the user never escape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from civitai_shortcut_core.files.errors import UnsafePath
from civitai_shortcut_core.files.names import (
    MAX_NAME_BYTES,
    filename_from_content_disposition,
    fix_mojibake,
    resolve_inside,
    safe_dirname,
    safe_filename,
    split_extension,
)
from hypothesis import given, settings
from hypothesis import strategies as st

#: names seen from Civitai (civitai-api.md §3.3: decodeURIComponent-ed, CJK, separators) or typed by users
UNSAFE_NAMES = [
    ("../../x.safetensors", "x.safetensors"),
    ("..\\..\\sumie_v1_legacy.pt", "sumie_v1_legacy.pt"),
    ("/etc/passwd", "etc_passwd"),
    ("C:\\Windows\\System32\\evil.dll", "C__Windows_System32_evil.dll"),
    ("\\\\server\\share\\x.ckpt", "server_share_x.ckpt"),
    ("Style 1/2.pt", "Style 1_2.pt"),
    ("CON.safetensors", "_CON.safetensors"),
    ("nul", "_nul"),
    ("com1.txt", "_com1.txt"),
    ("LPT9 .yaml", "_LPT9 .yaml"),
    ("a<b>c:d\"e|f?g*.safetensors", "a_b_c_d_e_f_g_.safetensors"),
    ("trailing dots... ", "trailing dots"),
    ("name.safetensors. .", "name.safetensors"),
    (" \t.hidden.safetensors", "hidden.safetensors"),
    ("tab\tand\nnewline\x00.pt", "tabandnewline.pt"),
    ("evil\u202egnp.safetensors", "evilgnp.safetensors"),
    ("..", None),
    ("...", None),
    ("/", None),
    ("", None),
    ("  ", None),
    ("\x01\x02", None),
]
SAFE_NAMES = [
    "水墨画_inkwash_v2.safetensors",
    "训练集 images (v2).zip",
    "café au lait ☕ v1.safetensors",
    "dreamshaper_8.yaml",
    "a..b.safetensors",
    "model-v1.0_fp16.safetensors",
]


@pytest.mark.parametrize("name,expected", UNSAFE_NAMES)
def test_unsafe_names_are_made_safe(name, expected):
    result = safe_filename(name, fallback="fallback.bin")
    assert result == (expected if expected is not None else "fallback.bin")
    assert "/" not in result and "\\" not in result and result not in (".", "..")


@pytest.mark.parametrize("name", SAFE_NAMES)
def test_safe_names_are_kept(name):
    assert safe_filename(name, fallback="x") == name


@pytest.mark.parametrize("name,expected", UNSAFE_NAMES)
def test_unsafe_names_stay_inside_the_folder(tmp_path, name, expected):
    path = resolve_inside(tmp_path, safe_filename(name, fallback="fallback.bin"))
    assert path.parent == tmp_path.resolve()


def test_overlong_name_keeps_its_extension_and_whole_characters():
    name = "水" * 150 + ".safetensors"
    result = safe_filename(name, fallback="x")
    assert result.endswith(".safetensors")
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES
    assert set(result[: -len(".safetensors")]) == {"水"}


def test_fallback_must_be_usable():
    with pytest.raises(ValueError):
        safe_filename("..", fallback="..")


def test_dirname_rules_match_filename_rules():
    assert safe_dirname("../Pony/..", fallback="x") == "Pony"
    assert safe_dirname("AUX", fallback="x") == "_AUX"
    assert safe_dirname("SDXL 1.0", fallback="x") == "SDXL 1.0"


def test_split_extension():
    assert split_extension("a.b.safetensors") == ("a.b", ".safetensors")
    assert split_extension("noext") == ("noext", "")
    assert split_extension(".safetensors") == (".safetensors", "")
    assert split_extension("v 1.5 final") == ("v 1.5 final", "")


@pytest.mark.parametrize("part", ["../x", "..", "a/../../x", "/abs/x", "C:\\x", "\\\\unc\\share\\x", "a\\..\\..\\x"])
def test_resolve_inside_refuses_escapes_before_touching_disk(tmp_path, part):
    with pytest.raises(UnsafePath) as info:
        resolve_inside(tmp_path, part)
    assert "outside" in str(info.value)


def test_resolve_inside_refuses_a_symlink_pointing_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    base = tmp_path / "base"
    base.mkdir()
    os.symlink(outside, base / "link")
    with pytest.raises(UnsafePath):
        resolve_inside(base, "link", "x.safetensors")
    assert resolve_inside(base, "sub", "x.safetensors") == base.resolve() / "sub" / "x.safetensors"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_becomes_one_safe_component(text):
    result = safe_filename(text, fallback="f.bin")
    assert result and "/" not in result and "\\" not in result
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES
    assert not result.endswith((".", " ")) and not result.startswith((".", " "))
    assert not any(ord(ch) < 32 for ch in result)
    base = Path("/tmp/civitai-shortcut-names")
    assert resolve_inside(base, result).parent == base.resolve()


def test_content_disposition_raw_utf8_is_recovered():
    # requests decodes raw header bytes as latin-1 (civitai-api.md §2.7, Civitai-Helper PR #235)
    header = 'attachment; filename="' + "水墨画_inkwash_v2.safetensors".encode().decode("latin-1") + '"'
    assert filename_from_content_disposition(header) == "水墨画_inkwash_v2.safetensors"


def test_content_disposition_forms():
    assert filename_from_content_disposition("attachment; filename*=UTF-8''%E6%B0%B4.pt") == "水.pt"
    assert filename_from_content_disposition("attachment; filename=plain.ckpt") == "plain.ckpt"
    assert filename_from_content_disposition('attachment; filename="a \\"q\\".pt"') == 'a "q".pt'
    assert filename_from_content_disposition("inline") is None
    assert filename_from_content_disposition(None) is None
    # genuine latin-1 names that are not UTF-8 mojibake stay as they are
    assert fix_mojibake("café") == "café"
