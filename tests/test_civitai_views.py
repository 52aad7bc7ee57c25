"""Tolerant views parse every era in the fixtures; malformed JSON is UnexpectedResponse, never KeyError."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from civitai_shortcut_core.civitai import (
    File,
    Image,
    Model,
    UnexpectedResponse,
    Version,
    browsing_level,
    commercial_uses,
    folder_type,
    full_url,
    level_name,
    parse_date,
    still_url,
    thumbnail_url,
)
from fake_civitai import FIXTURES
from fake_civitai.server import OWN_FIXTURES


def load(relative: str, root: Path = FIXTURES):
    return json.loads((root / relative).read_text("utf-8"))


MODEL_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in (FIXTURES / "models").glob("*.json"))
OWN_MODEL_FILES = sorted(p.relative_to(OWN_FIXTURES).as_posix() for p in (OWN_FIXTURES / "models").glob("*.json"))
VERSION_FILES = ["model-versions/128713_dreamshaper_8.json",
                 "by-hash/21437EC26670E230B067CA936F6657CAF5CA063F15AEC333EF249BEC7C0F0DC0.json",
                 "by-hash/F253ABB016.json"]
PAGE_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in (FIXTURES / "search").glob("*.json"))
IMAGE_PAGES = sorted(p.relative_to(FIXTURES).as_posix() for p in (FIXTURES / "images").glob("*.json"))


def _check_model(model: Model) -> None:
    assert model.id > 0 and model.name and isinstance(model.type, str)
    for version in model.versions:
        assert version.model_id == model.id
        for file in version.files:
            assert file.size_bytes is None or file.size_bytes >= 0
            assert file.sha256 is None or len(file.sha256) == 64 and file.sha256 == file.sha256.upper()
        for image in version.images:
            assert image.url and image.browsing_level >= 0 and image.level_name


@pytest.mark.parametrize("relative", MODEL_FILES + ["legacy/models_3036_2023-wiki-era.json",
                                                    "legacy/models_list_item_2024_quirks.json"])
def test_every_model_era_parses(relative):
    raw = load(relative)
    model = Model.from_json(raw)
    _check_model(model)
    assert model.raw is raw


@pytest.mark.parametrize("relative", OWN_MODEL_FILES)
def test_own_hostile_models_parse(relative):
    _check_model(Model.from_json(load(relative, OWN_FIXTURES)))


@pytest.mark.parametrize("relative", VERSION_FILES)
def test_every_version_era_parses(relative):
    version = Version.from_json(load(relative))
    assert version.model_id and version.model_name and version.primary_file is not None
    assert version.primary_file.primary


@pytest.mark.parametrize("relative", PAGE_FILES)
def test_every_search_page_parses(relative):
    for item in load(relative)["items"]:
        _check_model(Model.from_json(item))


@pytest.mark.parametrize("relative", IMAGE_PAGES)
def test_every_images_page_parses(relative):
    for item in load(relative)["items"]:
        image = Image.from_json(item)
        assert image.id and image.browsing_level == item["browsingLevel"]
        assert image.meta is None or "meta" not in image.meta or not set(image.meta) <= {"id", "meta"}


def test_legacy_2024_string_nsfw_images():
    images = [Image.from_json(raw) for raw in load("legacy/model_images_2024-string-nsfw.json")]
    assert [i.browsing_level for i in images] == [1, 1] and images[0].level_name == "PG"
    assert images[0].id == 44691  # model endpoints omit the id; it is the file name


def test_2023_wiki_era_model():
    model = Model.from_json(load("legacy/models_3036_2023-wiki-era.json"))
    assert model.allow_commercial_use == ("Rent",)
    assert all(i.browsing_level == 1 for v in model.versions for i in v.images)  # nsfw: false
    assert not any(v.is_early_access() for v in model.versions)  # earlyAccessTimeFrame: 0


def test_2024_list_item_quirks():
    model = Model.from_json(load("legacy/models_list_item_2024_quirks.json"))
    version = model.versions[0]
    assert parse_date(version.published_at) == datetime(2023, 7, 17, 9, 57, 15, 928000, tzinfo=timezone.utc)
    video = next(i for i in version.images if i.type == "video")
    assert video.is_video and video.url.endswith(".jpeg")
    assert model.allow_commercial_use == ()


def test_dreamshaper_files_and_licence():
    model = Model.from_json(load("models/4384_dreamshaper_checkpoint.json"))
    assert model.allow_commercial_use == ("Image", "RentCivit", "Rent")
    v5636 = model.version(5636)
    assert v5636 is not None and v5636.primary_file.type == "Pruned Model" and len(v5636.files) == 4
    v94081 = model.version(94081)
    assert len({f.name for f in v94081.files}) == 1 and len({f.id for f in v94081.files}) == 2
    assert model.version(111861).primary_file.type == "Training Data"
    assert model.version(128713).description is None or isinstance(model.version(128713).description, str)
    assert model.creator and model.creator.username
    assert model.version(1) is None


def test_lora_2025_recording():
    model = Model.from_json(load("models/1580878_semi-realistic_lora_recorded-2025.json"))
    assert isinstance(model.allow_commercial_use, tuple) and model.type == "LORA"
    assert all(f.format for v in model.versions for f in v.files)


def test_version_without_files_and_null_description():
    controlnet = Model.from_json(load("models/990102_openpose_controlnet_constructed.json"))
    empty = controlnet.version(9901022)
    assert empty.files == () and empty.primary_file is None and empty.download_url
    vae = Model.from_json(load("models/990103_clear_vae_constructed.json"))
    assert vae.description is None
    legacy = vae.version(9901032)
    assert legacy.images == () and legacy.files[0].hashes == {} and legacy.files[0].sha256 is None


def test_file_helpers():
    raw = {"id": 1, "sizeKB": 2.5, "name": "x.safetensors", "type": "Model", "primary": True,
           "hashes": {"SHA256": "abcdef" * 10 + "abcd", "AutoV2": "abcdef0123"}, "downloadUrl": "u",
           "metadata": {"format": "SafeTensor", "fp": "fp16"}, "pickleScanResult": "Danger"}
    file = File.from_json(raw)
    assert file.size_bytes == 2560 and file.sha256 == ("ABCDEF" * 10 + "ABCD")
    assert file.hash("autov2") == "ABCDEF0123" and file.matches_hash("abcdef0123") and not file.matches_hash("")
    assert file.primary and file.download_url == "u" and file.fp == "fp16" and file.is_dangerous


def test_hostile_fixture_keeps_names_verbatim_and_unknown_type():
    model = Model.from_json(load("models/990201_hostile_names.json", OWN_FIXTURES))
    assert model.type == "Frobnicator" and model.folder_type == "Other"
    names = [f.name for f in model.version(9920101).files]
    assert "../../evil.safetensors" in names and "C:\\x.ckpt" in names and "con.pt" in names
    assert model.version(9920101).primary_file.name == "../../evil.safetensors"
    assert any(f.is_dangerous for f in model.version(9920101).files)
    video = [i for i in model.version(9920101).images if i.is_video]
    assert video and video[0].url.endswith(".jpeg")
    assert model.version(9920102).is_early_access()


def test_archived_model():
    model = Model.from_json(load("models/990202_archived.json", OWN_FIXTURES))
    assert model.is_archived and model.versions[0].files == () and model.versions[0].download_url is None


# -- early access in all its schemes ---------------------------------------------------------
BEFORE = datetime(2026, 8, 10, tzinfo=timezone.utc)
AFTER = datetime(2026, 9, 1, tzinfo=timezone.utc)
EARLY_ACCESS = [
    ({"paidAccess": {"permanent": False, "endsAt": "2026-08-20T18:00:00.000Z"}}, "2026-08-20T18:00:00.000Z",
     True, False),
    ({"paidAccess": {"permanent": True, "endsAt": None}}, None, True, True),
    ({"paidAccess": None}, None, False, False),
    ({"earlyAccessDeadline": "2026-08-20T18:00:00.000Z"}, "2026-08-20T18:00:00.000Z", True, False),
    ({"earlyAccessEndsAt": "2026-08-20T18:00:00.000Z", "earlyAccessConfig": {"timeframe": 7}},
     "2026-08-20T18:00:00.000Z", True, False),
    ({"earlyAccessEndsAt": None, "earlyAccessConfig": None}, None, False, False),
    ({"earlyAccessTimeFrame": 10, "publishedAt": "2026-08-05T00:00:00.000Z"}, "2026-08-15T00:00:00Z", True, False),
    ({"earlyAccessTimeFrame": 0, "publishedAt": "2026-08-05T00:00:00.000Z"}, None, False, False),
    ({"earlyAccessConfig": {"timeframe": 3}, "publishedAt": "2026-08-09T00:00:00Z"}, "2026-08-12T00:00:00Z",
     True, False),
    ({"availability": "EarlyAccess"}, None, True, True),
    ({"availability": "Public"}, None, False, False),
]


@pytest.mark.parametrize(("extra", "ends", "before", "after"), EARLY_ACCESS)
def test_early_access_schemes(extra, ends, before, after):
    version = Version.from_json({"id": 1, **extra})
    assert version.early_access_ends == ends
    assert version.is_early_access(BEFORE) is before
    assert version.is_early_access(AFTER) is after


def test_search_item_early_access_version():
    item = load("search/models_query-ink_limit1_nextCursor.json")["items"][0]
    version = Model.from_json(item).version(9901013)
    assert version.availability == "EarlyAccess" and version.is_early_access(BEFORE)
    assert not version.is_early_access(AFTER)


# -- NSFW, licence and type helpers ---------------------------------------------------------
@pytest.mark.parametrize(("raw", "level", "name"), [
    ({"nsfwLevel": 1}, 1, "PG"), ({"nsfwLevel": 2}, 2, "PG13"), ({"nsfwLevel": 4}, 4, "R"),
    ({"nsfwLevel": 8}, 8, "X"), ({"nsfwLevel": 16}, 16, "XXX"), ({"nsfwLevel": 32}, 32, "Blocked"),
    ({"nsfwLevel": 31}, 31, "XXX"), ({"nsfwLevel": "None"}, 1, "PG"), ({"nsfwLevel": "Soft"}, 2, "PG13"),
    ({"nsfwLevel": "Mature"}, 4, "R"), ({"nsfwLevel": "X"}, 8, "X"), ({"nsfw": False}, 1, "PG"),
    ({"nsfw": True}, 8, "X"), ({"nsfw": "Soft"}, 2, "PG13"), ({"nsfwLevel": "X", "browsingLevel": 16}, 16, "XXX"),
    ({}, 0, "Unrated"), ({"nsfwLevel": "weird"}, 0, "Unrated"), ({"nsfwLevel": -3}, 0, "Unrated"),
])
def test_browsing_level_in_every_form(raw, level, name):
    assert browsing_level(raw) == level and level_name(level) == name


def test_image_allowed_by_mask():
    assert Image.from_json({"url": "u", "nsfwLevel": 2}).allowed(0b11)
    assert not Image.from_json({"url": "u", "nsfwLevel": 4}).allowed(0b11)
    assert not Image.from_json({"url": "u"}).allowed(0b11111)  # unrated stays hidden


@pytest.mark.parametrize(("value", "expected"), [
    ("Rent", ("Rent",)), (["Image", "RentCivit"], ("Image", "RentCivit")),
    ("{Image,RentCivit,Rent}", ("Image", "RentCivit", "Rent")), ("{}", ()), ('{"Image","Sell"}', ("Image", "Sell")),
    (None, ()), ("", ()), (3, ()),
])
def test_commercial_use_in_three_formats(value, expected):
    assert commercial_uses(value) == expected


def test_unknown_model_type_is_kept_and_filed_as_other():
    model = Model.from_json({"id": 5, "type": "Hologram"})
    assert model.type == "Hologram" and model.folder_type == "Other"
    assert folder_type("LORA") == "LORA" and folder_type(None) == "Other"


def test_nested_and_string_meta_are_flattened():
    assert Image.from_json({"url": "u", "meta": {"id": 1, "meta": {"prompt": "a"}}}).meta == {"prompt": "a"}
    assert Image.from_json({"url": "u", "meta": {"id": 1, "meta": None}}).meta is None
    assert Image.from_json({"url": "u", "meta": '{"prompt": "b"}'}).meta == {"prompt": "b"}
    assert Image.from_json({"url": "u", "meta": {"prompt": "c", "Model": {"x": 1}}}).meta["Model"] == {"x": 1}


@pytest.mark.parametrize("raw", [None, [], "x", 3, {}, {"id": "abc"}, {"id": None}, {"id": True}])
def test_malformed_shapes_raise_unexpected_response(raw):
    for view in (Model, Version):
        with pytest.raises(UnexpectedResponse):
            view.from_json(raw)


def test_absurd_numbers_do_not_overflow():
    file = File.from_json({"sizeKB": float("inf")})
    assert file.size_kb is None and file.size_bytes is None
    assert File.from_json({"sizeKB": 10 ** 400}).size_bytes is None
    version = Version.from_json({"id": 1, "earlyAccessTimeFrame": 10 ** 12, "publishedAt": "2026-01-01T00:00:00Z"})
    assert version.early_access_ends is None


def test_malformed_file_and_image_raise_unexpected_response():
    with pytest.raises(UnexpectedResponse):
        File.from_json([1])
    with pytest.raises(UnexpectedResponse):
        Image.from_json("x")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)
MODEL_KEYS = ["id", "name", "type", "nsfw", "nsfwLevel", "allowCommercialUse", "creator", "tags", "modelVersions",
              "mode", "stats", "description"]
VERSION_KEYS = ["id", "modelId", "files", "images", "paidAccess", "earlyAccessTimeFrame", "earlyAccessDeadline",
                "earlyAccessConfig", "publishedAt", "availability", "trainedWords", "model", "nsfwLevel"]
FILE_KEYS = ["id", "sizeKB", "name", "hashes", "metadata", "primary", "downloadUrl", "pickleScanResult"]
IMAGE_KEYS = ["id", "url", "type", "meta", "nsfw", "nsfwLevel", "browsingLevel", "width"]


def _shaped(keys):
    return st.fixed_dictionaries({}, optional={k: json_values for k in keys})


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, _shaped(MODEL_KEYS),
                 _shaped(MODEL_KEYS).map(lambda d: {**d, "id": 1}),
                 st.builds(lambda v, f, i: {"id": 1, "modelVersions": [{**v, "id": 2, "files": [f], "images": [i]}]},
                           _shaped(VERSION_KEYS), _shaped(FILE_KEYS), _shaped(IMAGE_KEYS))))
def test_views_never_raise_anything_but_unexpected_response(raw):
    try:
        model = Model.from_json(raw)
    except UnexpectedResponse:
        return
    for version in model.versions:
        assert isinstance(version.is_early_access(), bool)
        assert version.primary_file is None or version.primary_file in version.files
        for file in version.files:
            assert file.size_bytes is None or isinstance(file.size_bytes, int)
            assert file.sha256 is None or file.sha256 == file.sha256.upper()
            assert isinstance(file.is_dangerous, bool)
        for image in version.images:
            assert image.level_name
            assert all(isinstance(u, str) for u in (thumbnail_url(image), still_url(image), full_url(image)))


# -- image URL transforms ----------------------------------------------------------------------
CDN = "https://image.civitai.com/xG1nkqKTMzGDvpLrqFT7WA/dd9b038c-bd15-43ab-86ab-66e145ad7ff2"


@pytest.mark.parametrize(("url", "thumb"), [
    (f"{CDN}/original=true/1777041.jpeg", f"{CDN}/width=450,optimized=true/1777041.jpeg"),
    (f"{CDN}/width=1096/1777041.jpeg", f"{CDN}/width=450,optimized=true/1777041.jpeg"),
    (f"{CDN}/width=450/1777041.jpeg", f"{CDN}/width=450,optimized=true/1777041.jpeg"),
    (f"{CDN}/1777041.jpeg", f"{CDN}/width=450,optimized=true/1777041.jpeg"),
    ("https://imagecache.civitai.com/xG1nkqKTMzGDvpLrqFT7WA/u/width=450/1.jpeg",
     "https://imagecache.civitai.com/xG1nkqKTMzGDvpLrqFT7WA/u/width=450,optimized=true/1.jpeg"),
    ("https://cdn.discordapp.com/avatars/1/abc.png", "https://cdn.discordapp.com/avatars/1/abc.png"),
    ("", ""),
])
def test_thumbnail_of_images_replaces_the_params_segment(url, thumb):
    assert thumbnail_url(Image.from_json({"url": url, "type": "image"})) == thumb


def test_video_thumbnail_and_still_are_jpeg_frames():
    video = Image.from_json({"url": f"{CDN}/original=true/88.mp4", "type": "video"})
    assert thumbnail_url(video) == f"{CDN}/anim=false,transcode=true,width=450/88.jpeg"
    assert thumbnail_url(video, 800) == f"{CDN}/anim=false,transcode=true,width=800/88.jpeg"
    assert still_url(video) == f"{CDN}/anim=false,transcode=true,original=true/88.jpeg"
    assert full_url(video) == f"{CDN}/original=true/88.mp4"


def test_legacy_video_named_jpeg_is_still_treated_as_video():
    video = Image.from_json({"url": f"{CDN}/width=450/4755487.jpeg", "type": "video"})
    assert thumbnail_url(video) == f"{CDN}/anim=false,transcode=true,width=450/4755487.jpeg"


def test_transforms_take_plain_urls_too():
    assert thumbnail_url(f"{CDN}/original=true/9.mp4") == f"{CDN}/anim=false,transcode=true,width=450/9.jpeg"
    assert thumbnail_url(f"{CDN}/original=true/9.jpeg", 800) == f"{CDN}/width=800/9.jpeg"
    assert still_url(f"{CDN}/width=450/9.jpeg") == f"{CDN}/anim=false,original=true/9.jpeg"
    assert full_url(f"{CDN}/width=450/9.jpeg") == f"{CDN}/original=true/9.jpeg"
