"""A1111 infotext: real WebUI output parses, and what we write parses back to the same
values, including values with commas, colons, quotes and newlines (hypothesis)."""

from __future__ import annotations

import pytest
from civitai_shortcut_core.services.infotext import (
    Infotext,
    format_infotext,
    format_parameters,
    infotext_from_meta,
    parse_infotext,
    parse_parameters,
)
from hypothesis import given, settings
from hypothesis import strategies as st

WEBUI_SAMPLE = (
    "masterpiece, best quality, 1girl, <lora:add_detail:0.6>\n"
    "(cinematic lighting:1.2)\n"
    "Negative prompt: lowres, bad anatomy, (worst quality:1.4)\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 3188391012, Size: 512x768, "
    "Model hash: 7c0b4b21da, Model: dreamshaper_8, Denoising strength: 0.45, Clip skip: 2, "
    'Hires upscale: 2, Lora hashes: "add_detail: 7c3c4b7f5a2e, more: 00ff", '
    'TI hashes: "easynegative: c74b4e810b03", Version: v1.10.1'
)


def test_parses_real_webui_output():
    info = parse_infotext(WEBUI_SAMPLE)
    assert info.prompt == "masterpiece, best quality, 1girl, <lora:add_detail:0.6>\n(cinematic lighting:1.2)"
    assert info.negative_prompt == "lowres, bad anatomy, (worst quality:1.4)"
    assert info.parameters["Lora hashes"] == "add_detail: 7c3c4b7f5a2e, more: 00ff"
    assert info.parameters["Schedule type"] == "Karras"
    assert info.parameters["Version"] == "v1.10.1"
    assert list(info.parameters)[:3] == ["Steps", "Sampler", "Schedule type"]


def test_values_with_commas_colons_and_quotes_are_quoted_when_written():
    line = format_parameters({"Steps": 20, "Lora hashes": "a: 1, b: 2", "Note": 'say "hi"', "Empty": ""})
    assert line == 'Steps: 20, Lora hashes: "a: 1, b: 2", Note: "say \\"hi\\"", Empty: ""'
    assert parse_parameters(line) == {"Steps": "20", "Lora hashes": "a: 1, b: 2", "Note": 'say "hi"', "Empty": ""}


def test_a_prompt_line_with_colons_is_not_taken_for_parameters():
    info = parse_infotext("portrait of a knight, (armor:1.2), style: baroque")
    assert info.prompt == "portrait of a knight, (armor:1.2), style: baroque" and info.parameters == {}


def test_prompt_only_and_negative_only():
    assert parse_infotext("just a prompt") == Infotext("just a prompt", "", {})
    assert parse_infotext("Negative prompt: ugly\nSteps: 5") == Infotext("", "ugly", {"Steps": "5"})
    assert format_infotext("", "", {}) == ""


def test_unwritable_parameter_names_are_refused():
    with pytest.raises(ValueError):
        format_parameters({"a, b": "1"})
    with pytest.raises(ValueError):
        format_parameters({"": "1"})


def test_civitai_meta_becomes_infotext():
    meta = {"prompt": "a cat", "negativePrompt": "a dog", "sampler": "Euler a", "cfgScale": 7, "steps": 20,
            "seed": 42, "Size": "512x512", "resources": [{"name": "x"}], "Model": {"name": "object"},
            "hashes": {"model": "abc"}}
    text = infotext_from_meta(meta)
    info = parse_infotext(text)
    assert info.prompt == "a cat" and info.negative_prompt == "a dog"
    assert info.parameters == {"Sampler": "Euler a", "CFG scale": "7", "Steps": "20", "Seed": "42", "Size": "512x512"}
    assert infotext_from_meta({"id": 1, "meta": {"prompt": "nested"}}).startswith("nested")
    assert infotext_from_meta(None) == "" and infotext_from_meta({"comfy": None}) == ""


# -- round trip ---------------------------------------------------------------------------
_word = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_keys = st.from_regex(r"[A-Za-z][A-Za-z0-9 _\-/]{0,14}[A-Za-z0-9]", fullmatch=True)
_values = st.text(_word, max_size=30)


def _clean_text(text: str) -> bool:
    lines = text.split("\n")
    return (text == text.strip() and not any(line.startswith("Negative prompt:") for line in lines))


_prompts = st.text(_word, max_size=80).filter(_clean_text)


@settings(max_examples=300, deadline=None)
@given(prompt=_prompts, negative=_prompts,
       extra=st.dictionaries(_keys, _values, max_size=6), steps=_values)
def test_round_trip(prompt, negative, extra, steps):
    """Whatever we write (with a standard key present, as recipes always have) reads back the same."""
    parameters = {"Steps": steps, **{k: v for k, v in extra.items() if k != "Steps"}}
    text = format_infotext(prompt, negative, parameters)
    assert parse_infotext(text) == Infotext(prompt, negative, parameters)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=8))
def test_parameter_line_round_trip(parameters):
    assert parse_parameters(format_parameters(parameters)) == parameters
