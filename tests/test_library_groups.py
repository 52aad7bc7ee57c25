"""Classifications and recipes: create, rename, describe, delete, members and references,
and the recipe image kept as its original bytes with its PNG info."""

from __future__ import annotations

import io

import pytest
from civitai_shortcut_core.library import ClassificationError, RecipeError, RecipeImage
from library_kit import generated_model, make_library
from PIL import Image, PngImagePlugin

URL = "http://cdn.invalid"
INFOTEXT = 'a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, Lora hashes: "x: 1, y: 2"'


@pytest.fixture
def lib(tmp_path):
    library = make_library(tmp_path)
    for i in (1, 2, 3):
        library.store.upsert_model(generated_model(i, URL, name=f"Model {i}"))
    return library


def _png_with_info(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_classification_lifecycle(lib):
    groups = lib.classifications
    cid = groups.create("  Styles ", "painterly", [1, 2, 999])
    assert groups.get(cid).name == "Styles" and groups.get("Styles").count == 2
    with pytest.raises(ClassificationError, match="already exists"):
        groups.create("Styles")
    with pytest.raises(ClassificationError, match="needs a name"):
        groups.create("   ")
    other = groups.create("Other")
    with pytest.raises(ClassificationError, match="already exists"):
        groups.rename(other, "Styles")
    groups.rename(cid, "Painterly")
    groups.describe(cid, "oil and ink")
    assert (groups.get(cid).name, groups.get(cid).description) == ("Painterly", "oil and ink")
    assert groups.add(cid, [2, 3]) == 1
    assert groups.remove(cid, [1, 7]) == 1
    assert sorted(groups.members(cid)) == [2, 3]
    groups.set_members(cid, [1])
    assert groups.members(cid) == [1]
    groups.set_members(cid, [])
    assert groups.members(cid) == []
    assert [c.name for c in groups.list_all()] == ["Other", "Painterly"]
    assert groups.delete(cid) and not groups.delete(cid)
    assert lib.query.count() == 3, "deleting a classification never deletes shortcuts"
    with pytest.raises(ClassificationError):
        groups.add(cid, [1])


def test_set_classifications_of_a_shortcut(lib):
    a = lib.classifications.create("A")
    b = lib.classifications.create("B")
    lib.set_classifications(1, [a, b])
    assert [c for c, _ in lib.get_shortcut(1).classifications] == [a, b]
    lib.set_classifications(1, [b])
    assert lib.get_shortcut(1).classifications == [(b, "B")]
    with pytest.raises(KeyError):
        lib.set_classifications(404, [a])


def test_recipe_keeps_original_image_bytes_and_reads_its_png_info(lib):
    data = _png_with_info(INFOTEXT)
    rid = lib.recipes.create("Cat", description="d", prompt="a cat", negative_prompt="dog",
                             parameters={"Steps": 20, "Lora hashes": "x: 1, y: 2"}, classification="Animals",
                             image=RecipeImage(data), model_ids=[2, 1, 2, 404])
    recipe = lib.recipes.get(rid)
    with open(recipe.image, "rb") as handle:
        assert handle.read() == data, "the original bytes, not a Pillow re-save"
    assert recipe.image_info == INFOTEXT
    assert recipe.parameters == {"Steps": "20", "Lora hashes": "x: 1, y: 2"}
    assert [m.id for m in recipe.models] == [2, 1]
    assert lib.recipes.classifications() == ["Animals"]


def test_recipe_updates_rename_image_replacement_and_delete(lib):
    rid = lib.recipes.create("One", image=RecipeImage(_png_with_info("x")))
    old_image = lib.recipes.get(rid).image
    lib.recipes.create("Two")
    with pytest.raises(RecipeError, match="already exists"):
        lib.recipes.rename(rid, "Two")
    with pytest.raises(RecipeError, match="no field"):
        lib.recipes.update(rid, colour="red")
    lib.recipes.update(rid, name="Uno", prompt="p", parameters={"Seed": "1"})
    lib.recipes.describe(rid, "desc")
    lib.recipes.set_image(rid, RecipeImage(_png_with_info("y"), info="given"))
    recipe = lib.recipes.get("Uno")
    assert (recipe.prompt, recipe.description, recipe.parameters, recipe.image_info) == ("p", "desc", {"Seed": "1"}, "given")
    assert recipe.image != old_image
    import os
    assert not os.path.exists(old_image), "the replaced image file is removed after the commit"
    lib.recipes.set_models(rid, [3, 1])
    lib.recipes.add_models(rid, [2, 3])
    lib.recipes.remove_models(rid, [1])
    assert [m.id for m in lib.recipes.get(rid).models] == [3, 2]
    lib.recipes.set_models(rid, [])
    assert lib.recipes.get(rid).models == [], "an empty reference list is saved (the original skipped it)"
    image = lib.recipes.get(rid).image
    assert lib.recipes.delete(rid) and not os.path.exists(image)
    assert not lib.recipes.delete(rid)
    with pytest.raises(RecipeError):
        lib.recipes.update(rid, prompt="x")


def test_failed_create_leaves_no_image_file(lib):
    lib.recipes.create("Taken")
    before = set((lib.data_dir / "recipes").glob("*")) if (lib.data_dir / "recipes").exists() else set()
    with pytest.raises(RecipeError):
        lib.recipes.create("Taken", image=RecipeImage(_png_with_info("z")))
    after = set((lib.data_dir / "recipes").glob("*"))
    assert after == before


def test_recipe_search_like_the_original_browser(lib):
    lib.recipes.create("Portrait soft", description="studio light", classification="People", model_ids=[1, 2])
    lib.recipes.create("Landscape", description="golden hour", classification="Places", model_ids=[2])
    lib.recipes.create("Portrait hard", description="rim light", classification="People")
    names = lambda rs: [r.name for r in rs]
    assert names(lib.recipes.list_all("portrait")) == ["Portrait hard", "Portrait soft"]
    assert names(lib.recipes.list_all("#golden, #studio")) == ["Landscape", "Portrait soft"]
    assert names(lib.recipes.list_all("portrait, #rim")) == ["Portrait hard"]
    assert names(lib.recipes.list_all(classification="Places")) == ["Landscape"]
    assert names(lib.recipes.list_all(model_ids=[1, 2])) == ["Portrait soft"]
    assert names(lib.recipes.list_all(model_ids=[2])) == ["Landscape", "Portrait soft"]
