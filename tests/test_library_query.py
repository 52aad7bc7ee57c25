"""The one search: words over name, creator and file names; #tags; @notes; every filter;
sorting and paging with totals. Run with and without the FTS5 index."""

from __future__ import annotations

import pytest
from civitai_shortcut_core.library import Query, Thumbnail
from civitai_shortcut_core.library.query import parse_text
from library_kit import generated_model, make_library

URL = "http://cdn.invalid"


@pytest.fixture(params=["fts", "like"])
def lib(request, tmp_path):
    """A small library: the same data searched through FTS5 and through the LIKE fallback."""
    library = make_library(tmp_path)
    if request.param == "like":
        library.query._fts = False
    specs = [
        (1, "DreamShaper XL", "Checkpoint", "Lykon", ("photorealistic", "base model"), "SDXL 1.0"),
        (2, "Ink Style", "LORA", "brush_ghost", ("Style", "ink"), "SD 1.5"),
        (3, "Über Détail", "LoCon", "ÉCOLE", ("detail",), "Pony"),
        (4, "Muscle Dora", "DoRA", "gym", ("style",), "Illustrious"),
        (5, "Clear VAE", "VAE", "vae_smith", ("tool",), "SDXL 1.0"),
        (6, "100% Pure_Ink", "LORA", "x", ("ink",), "SD 1.5"),
    ]
    for model_id, name, mtype, creator, tags, base in specs:
        library.store.upsert_model(generated_model(model_id, URL, name=name, model_type=mtype, creator=creator,
                                                   tags=tags, base_model=base), now=float(model_id))
    library.set_note(2, "Great for LINEART, use 0.6")
    library.set_note(5, "fixes washed-out colours")
    return library


def ids(page):
    return [row.id for row in page.items]


def test_words_match_name_creator_and_file_names_case_insensitively(lib):
    assert ids(lib.search(text="dreamshaper")) == [1]
    assert ids(lib.search(text="LYKON")) == [1]
    assert ids(lib.search(text="Ink_Style_v0.safetensors")) == [2]   # a file name
    assert ids(lib.search(text="über")) == [3] == ids(lib.search(text="ÜBER"))
    assert ids(lib.search(text="école")) == [3]


def test_words_of_one_term_are_all_needed_and_terms_are_ored(lib):
    assert ids(lib.search(text="clear vae")) == [5]
    assert ids(lib.search(text="clear ink")) == []
    assert sorted(ids(lib.search(text="clear, dream"))) == [1, 5]


def test_short_words_and_like_wildcards_are_literal(lib):
    assert ids(lib.search(text="xl")) == [1]
    assert ids(lib.search(text="100%")) == [6]
    assert ids(lib.search(text="e_i")) == [6]    # "pure_ink": "_" is not a wildcard
    assert ids(lib.search(text='"')) == []


def test_hash_matches_tags_exactly_and_at_matches_notes(lib):
    assert sorted(ids(lib.search(text="#style"))) == [2, 4]
    assert ids(lib.search(text="#sty")) == []
    assert ids(lib.search(text="@lineart")) == [2]       # the original lost this: note folded, term not
    assert ids(lib.search(text="@LineArt")) == [2]
    assert sorted(ids(lib.search(text="@lineart, @colours"))) == [2, 5]
    assert ids(lib.search(text="ink, #style, @lineart")) == [2]   # kinds are AND-ed


def test_type_filter_groups_the_lora_family(lib):
    assert sorted(ids(lib.search(types=["LoRA"]))) == [2, 3, 4, 6]
    assert ids(lib.search(types=["LoCon"])) == [3]
    assert sorted(ids(lib.search(types=["Checkpoint", "VAE"]))) == [1, 5]
    assert ("LoRA", "LoRA", 4) in lib.types()


def test_base_models_come_from_the_data(lib):
    assert lib.base_models() == ["Illustrious", "Pony", "SD 1.5", "SDXL 1.0"]
    assert sorted(ids(lib.search(base_models=["SDXL 1.0"]))) == [1, 5]
    assert sorted(ids(lib.search(base_models=["Pony", "SD 1.5"]))) == [2, 3, 6]


def test_several_classifications_are_anded_and_unknown_ones_match_nothing(lib):
    a = lib.classifications.create("A", model_ids=[1, 2, 3])
    lib.classifications.create("B", model_ids=[2, 3, 4])
    assert sorted(ids(lib.search(classifications=[a, "B"]))) == [2, 3]
    assert ids(lib.search(classifications=["nope"])) == []
    assert sorted(ids(lib.search(exclude_classification=a))) == [4, 5, 6]


def test_downloaded_update_and_nsfw_filters(lib):
    lib.store.record_local_file("/m/a.safetensors", size=1, mtime_ns=1, model_id=2, version_id=200)
    lib.store.set_update_flags({3: True})
    lib.store.set_thumbnail(4, Thumbnail("thumbs/4.jpg", nsfw_level=8))   # X
    lib.store.set_thumbnail(5, Thumbnail("thumbs/5.jpg", nsfw_level=2))   # PG13
    assert ids(lib.search(downloaded=True)) == [2]
    assert 2 not in ids(lib.search(downloaded=False, per_page=50))
    assert ids(lib.search(update_available=True)) == [3]
    assert sorted(ids(lib.search(max_nsfw=0b11))) == [1, 2, 3, 5, 6]
    assert sorted(ids(lib.search(max_nsfw=0b1))) == [1, 2, 3, 6]
    row = next(r for r in lib.search(per_page=50).items if r.id == 2)
    assert row.downloaded and not row.update_available


def test_sorting_and_paging_with_total(lib):
    by_name = lib.search(sort="name", per_page=4)
    assert by_name.total == 6 and by_name.pages == 2
    assert [r.name for r in by_name.items] == ["100% Pure_Ink", "Clear VAE", "DreamShaper XL", "Ink Style"]
    assert ids(lib.search(sort="name", per_page=4, page=2)) == [4, 3]
    assert ids(lib.search(sort="updated", per_page=2)) == [6, 5]
    assert ids(lib.search(sort="registered", per_page=2, page=3)) == [2, 1]
    assert lib.search(page=99).items == [] and lib.search(page=99).total == 6
    with pytest.raises(ValueError, match="sort"):
        lib.search(sort="random")


def test_query_object_and_keywords_are_the_same_call(lib):
    assert lib.search(Query(text="#ink", sort="name")) == lib.search(text="#ink", sort="name")


def test_parse_text_shapes():
    parsed = parse_text(" Dream  Shaper , #Anime, @Note text,, #, @ ")
    assert parsed.words == [["dream", "shaper"]]
    assert parsed.tags == ["anime"] and parsed.notes == ["note text"]


def test_a_search_past_its_time_limit_stops_with_a_typed_error(tmp_path):
    from civitai_shortcut_core.library import SearchTooSlow

    library = make_library(tmp_path)
    library.db.write(lambda conn: [library.store.add_stub(i, name=f"stub {i}") for i in range(1, 2001)])
    library.query.time_limit = -1.0   # already past: the first progress check interrupts
    with pytest.raises(SearchTooSlow, match="longer than"):
        library.search(text="@nothing")
    library.query.time_limit = 30.0
    assert library.search(text="stub 1999").total == 1, "the connection works again after an interrupt"
