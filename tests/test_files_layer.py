"""files/: atomic writes, hashing, free space, folder rules, still images and sidecars, on real files."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random

import pytest
from civitai_shortcut_core.files import atomic, disk, folders, hashing, sidecars, stills
from civitai_shortcut_core.files.errors import (
    BadFolderTemplate,
    DiskFull,
    NotAnImage,
    UnsafePath,
)
from civitai_shortcut_core.host.standalone import StandaloneHost
from civitai_shortcut_core.settings import Settings
from PIL import Image


# -- atomic ---------------------------------------------------------------------------------
def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a.json"
    atomic.write_atomic(target, "first")
    atomic.write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_write_atomic_failure_keeps_old_file_and_cleans_temp(tmp_path):
    target = tmp_path / "a.json"
    atomic.write_atomic(target, "old")

    class Boom:
        def __bytes__(self):
            raise RuntimeError("serialisation failed")

    with pytest.raises(RuntimeError):
        atomic.write_atomic(target, Boom())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


# -- hashing --------------------------------------------------------------------------------
def test_sha256_file_matches_hashlib_and_reports_bytes(tmp_path):
    data = random.Random(1).randbytes(3 * 1024 * 1024 + 17)
    path = tmp_path / "x.bin"
    path.write_bytes(data)
    seen = []
    assert hashing.sha256_file(path, on_bytes=seen.append, block=1 << 20) == hashlib.sha256(data).hexdigest().upper()
    assert sum(seen) == len(data) and len(seen) == 4
    assert hashing.sha256_file(path, limit=1000) == hashlib.sha256(data[:1000]).hexdigest().upper()


def test_sha256_file_stops_when_cancelled(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\0" * (3 << 20))

    class Stop(Exception):
        pass

    def cancel():
        raise Stop()

    with pytest.raises(Stop):
        hashing.sha256_file(path, cancel=cancel)


def test_stream_hasher_resumes_from_a_part_and_equals_one_pass_hash(tmp_path):
    data = random.Random(2).randbytes(2_000_003)
    path = tmp_path / "part"
    path.write_bytes(data[:700_000] + b"bytes beyond the limit are not hashed")
    hasher = hashing.StreamHasher()
    hasher.feed_file(path, 700_000)
    assert hasher.hexdigest() == hashlib.sha256(data[:700_000]).hexdigest().upper()
    for i in range(700_000, len(data), 65_536):
        hasher.update(data[i:i + 65_536])
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest().upper()
    assert hasher.bytes_hashed == len(data)


# -- disk -----------------------------------------------------------------------------------
def test_disk_full_is_a_sentence(tmp_path):
    with pytest.raises(DiskFull) as info:
        disk.ensure_free_space(tmp_path, 10 * 1024 ** 3, free=lambda _: 1024 ** 3)
    assert info.value.code == "disk_full"
    assert "needs 10,240.0 MiB more, only 1,024.0 MiB is free" in str(info.value)
    disk.ensure_free_space(tmp_path, 1024, free=lambda _: 1024 ** 3)
    disk.ensure_free_space(tmp_path / "not" / "yet", 1024)  # the nearest existing parent is asked


# -- folders --------------------------------------------------------------------------------
@pytest.fixture
def host(tmp_path):
    return StandaloneHost(tmp_path / "data", models_dir=tmp_path / "models")


FACTS = folders.FolderFacts(model_type="LORA", model_name="Ink/Wash ..", version_name="v2.0 <final>",
                            base_model="Pony", creator="brush_ghost", classification="Styles/Ink",
                            model_id=7, version_id=70)


@pytest.mark.parametrize("rule,expected", [
    ("type", ()),
    ("model", ("Ink_Wash",)),
    ("model_version", ("Ink_Wash", "v2.0 _final_")),
    ("classification", ("Styles_Ink",)),
])
def test_folder_rules(host, rule, expected):
    base = host.folder_for_type("LORA").resolve()
    got = folders.target_folder(host, Settings(folder_rule=rule), FACTS)
    assert got == base.joinpath(*expected)


def test_template_rule_sanitises_each_field_and_skips_empty_ones(host):
    base = host.folder_for_type("LORA").resolve()
    settings = Settings(folder_rule="template", folder_template="{base_model}/{creator}/{model}/{version}/{type}")
    assert folders.target_folder(host, settings, FACTS) == base / "Pony" / "brush_ghost" / "Ink_Wash" / "v2.0 _final_" / "LORA"
    no_creator = folders.FolderFacts(model_type="LORA", model_name="M", base_model="SD 1.5")
    assert folders.target_folder(host, settings, no_creator) == base / "SD 1.5" / "M" / "LORA"
    hostile = folders.FolderFacts(model_type="LORA", model_name="../../..", base_model="..")
    assert folders.target_folder(host, Settings(folder_rule="template", folder_template="{base_model}/{model}"),
                                 hostile) == base


def test_template_with_unknown_field_is_a_sentence(host):
    with pytest.raises(BadFolderTemplate) as info:
        folders.target_folder(host, Settings(folder_rule="template", folder_template="{author}/{model}"), FACTS)
    assert "{author}" in str(info.value)


def test_classification_rule_without_one_uses_the_type_folder(host):
    facts = folders.FolderFacts(model_type="Checkpoint", model_name="M")
    assert folders.target_folder(host, Settings(folder_rule="classification"), facts) == \
        host.folder_for_type("Checkpoint").resolve()


def test_user_folder_wins_and_is_kept_inside(host, tmp_path):
    base = host.folder_for_type("LORA").resolve()
    assert folders.target_folder(host, Settings(), FACTS, folder="mine/../../x") == base / "mine" / "x"
    assert folders.target_folder(host, Settings(), FACTS, folder=str(base / "abs")) == base / "abs"
    with pytest.raises(UnsafePath):
        folders.target_folder(host, Settings(), FACTS, folder=str(tmp_path / "elsewhere"))


def test_extra_folders_override_the_host(host, tmp_path):
    settings = Settings(extra_folders=f"# comment\nlora = {tmp_path / 'L'}\nbroken line\nUpscaler={tmp_path / 'U'}")
    assert folders.parse_extra_folders(settings.extra_folders) == {"lora": tmp_path / "L", "upscaler": tmp_path / "U"}
    assert folders.target_folder(host, settings, FACTS) == (tmp_path / "L").resolve()


# -- stills ---------------------------------------------------------------------------------
def _image_bytes(fmt: str, size=(64, 48), mode="RGB", frames=1) -> bytes:
    out = io.BytesIO()
    images = [Image.new(mode, size, (i * 40 % 255, 10, 200) if mode == "RGB" else None) for i in range(frames)]
    if frames > 1:
        images[0].save(out, format=fmt, save_all=True, append_images=images[1:])
    else:
        images[0].save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP"])
def test_still_images_become_real_pngs(fmt):
    png = stills.to_png(_image_bytes(fmt))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (64, 48)


def test_animated_gif_becomes_its_first_frame():
    png = stills.to_png(_image_bytes("GIF", frames=3))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and getattr(image, "n_frames", 1) == 1


NOT_STILLS = [
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\0" * 64, "video"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\0" * 64, "video"),
    (b"<!DOCTYPE html><html><title>Sign in</title></html>", "html"),
    (b'{"error":"Unauthorized"}', "json"),
    (b"<?xml version=\"1.0\"?><Error/>", "xml"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "png"),  # truncated PNG
]


@pytest.mark.parametrize("data,kind", NOT_STILLS)
def test_non_stills_are_refused(data, kind):
    assert stills.sniff_kind(data) == kind
    with pytest.raises(NotAnImage):
        stills.to_png(data)


def test_thumbnail_fits_400_px():
    thumb = stills.make_thumbnail(_image_bytes("PNG", size=(1600, 900)))
    image = Image.open(io.BytesIO(thumb))
    assert image.format == "JPEG" and image.size == (400, 225)


# -- sidecars -------------------------------------------------------------------------------
VERSION = {"id": 70, "name": "v2.0", "baseModel": "Pony", "trainedWords": ["inkwash", "sumi-e"],
           "files": [{"id": 700, "name": "api name.safetensors"}, {"id": 701, "name": "other.yaml"}]}


def test_sidecar_paths_use_the_stem(tmp_path):
    paths = sidecars.sidecar_paths(tmp_path / "ink.v2.safetensors")
    assert paths["info"].name == "ink.v2.civitai.info"
    assert paths["preview"].name == "ink.v2.preview.png"
    assert paths["meta"].name == "ink.v2.json"


def test_info_keeps_the_version_json_with_local_names(tmp_path):
    model = tmp_path / "mine.safetensors"
    sidecars.write_info(model, VERSION, local_names={700: "mine.safetensors"})
    info = json.loads((tmp_path / "mine.civitai.info").read_text(encoding="utf-8"))
    assert info["files"][0]["name"] == "mine.safetensors" and info["files"][1]["name"] == "other.yaml"
    assert info["trainedWords"] == ["inkwash", "sumi-e"]
    assert VERSION["files"][0]["name"] == "api name.safetensors"  # the caller's data is untouched


@pytest.mark.parametrize("base,expected", [
    ("SD 1.5", "SD1"), ("SD 2.1 768", "SD2"), ("SDXL 1.0", "SDXL"), ("Pony", "SDXL"), ("Illustrious", "SDXL"),
    ("NoobAI", "SDXL"), ("Flux.1 D", "Flux"), ("SD 3.5", "Unknown"), ("Wan Video 14B", "Unknown"), (None, "Unknown"),
])
def test_sd_version_mapping(base, expected):
    assert sidecars.sd_version(base) == expected


def test_webui_metadata_for_a_lora():
    meta = sidecars.webui_metadata(model_type="LORA", model_url="https://civitai.com/models/7?modelVersionId=70",
                                   base_model="Pony", trained_words=["inkwash", " sumi-e ", ""],
                                   description="<p>Ink &amp; <b>wash</b></p><p>second</p>")
    assert meta == {"description": "Ink & wash\nsecond", "notes": "https://civitai.com/models/7?modelVersionId=70",
                    "sd version": "SDXL", "activation text": "inkwash, sumi-e", "preferred weight": 0}
    checkpoint = sidecars.webui_metadata(model_type="Checkpoint", model_url="u")
    assert set(checkpoint) == {"description", "notes"}


def test_webui_metadata_merge_never_overwrites_user_edits(tmp_path):
    model = tmp_path / "ink.safetensors"
    meta_path = tmp_path / "ink.json"
    meta_path.write_text(json.dumps({"activation text": "my own words", "preferred weight": 0.7,
                                     "description": "", "notes": None, "vae": "mine.vae"}), encoding="utf-8")
    ours = sidecars.webui_metadata(model_type="LORA", model_url="link", base_model="SD 1.5",
                                   trained_words=["inkwash"], description="theirs")
    sidecars.write_webui_metadata(model, ours)
    merged = json.loads(meta_path.read_text(encoding="utf-8"))
    assert merged == {"activation text": "my own words", "preferred weight": 0.7, "description": "theirs",
                      "notes": "link", "vae": "mine.vae", "sd version": "SD1"}


def test_unreadable_webui_metadata_is_left_alone(tmp_path):
    meta_path = tmp_path / "ink.json"
    meta_path.write_text("{broken", encoding="utf-8")
    assert sidecars.write_webui_metadata(tmp_path / "ink.safetensors", {"notes": "x"}) is None
    assert meta_path.read_text(encoding="utf-8") == "{broken"


def test_preview_refuses_video_bytes_and_writes_nothing(tmp_path):
    with pytest.raises(NotAnImage):
        sidecars.write_preview(tmp_path / "m.safetensors", NOT_STILLS[0][0])
    assert not (tmp_path / "m.preview.png").exists()
    sidecars.write_preview(tmp_path / "m.safetensors", _image_bytes("JPEG"))
    assert Image.open(tmp_path / "m.preview.png").format == "PNG"


def test_files_and_services_never_import_gradio_or_modules():
    root = os.path.join(os.path.dirname(__file__), "..", "scripts", "civitai_shortcut_core")
    for layer in ("files", "services"):
        for name in os.listdir(os.path.join(root, layer)):
            if name.endswith(".py"):
                with open(os.path.join(root, layer, name), encoding="utf-8") as handle:
                    text = handle.read()
                assert "import gradio" not in text and "from modules" not in text and "import modules" not in text, name





def test_atomic_writes_get_ordinary_permissions(tmp_path):
    """mkstemp creates 0600 files; a sidecar must be readable by the WebUI like any other file."""
    import stat

    from civitai_shortcut_core.files.atomic import write_atomic

    from civitai_shortcut_core.files import atomic

    target = write_atomic(tmp_path / "model.civitai.info", "{}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._UMASK
    assert stat.S_IMODE(target.stat().st_mode) & 0o044, "group and others can read it"
