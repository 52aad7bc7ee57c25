"""Prompt recipes: a list (search by name and ``#description``, classification filter) and a
form (name, description, prompt, negative prompt, parameters as A1111 infotext, classification,
reference image kept as the original bytes, reference models picked in the shared shortcut
browser), with the composite generation info to send or copy, and "from image".

Parameters are written and read with ``services/infotext`` (values holding commas, colons or
quotes are quoted the way the WebUI does), so they survive a save and a reload unchanged.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ...library import RecipeImage
from ...library.image_info import read_image_infotext
from ...services.infotext import format_infotext, format_parameters, parse_infotext, parse_parameters
from .. import compat
from ..components.shortcut_browser import NO_PREVIEW, shortcut_browser
from ..send_to import recipe_target, send_buttons

ALL = "All"
LORA_TYPES = ("LORA", "LoCon", "DoRA")


def prompt_tag(detail, weight: float) -> str:
    """What a reference model adds to a prompt: ``<lora:file:weight>`` and its trigger words."""
    version = next((v for v in detail.versions if v.id == detail.selected_version_id), None) \
        or (detail.versions[0] if detail.versions else None)
    primary = next((f for f in version.files if f.primary), version.files[0] if version.files else None) \
        if version else None
    if primary is None:
        raise gr.Error(f"{detail.name} has no file to name in a prompt.")
    stem = Path(primary.name).stem
    words = ", ".join(version.trained_words) if version and version.trained_words else ""
    if detail.type in LORA_TYPES:
        tag = f"<lora:{stem}:{weight:g}>"
    elif detail.type == "Hypernetwork":
        tag = f"<hypernet:{stem}:{weight:g}>"
    elif detail.type == "TextualInversion":
        tag = stem
    else:
        raise gr.Error(f"{detail.type_label} models are not named in prompts; only LoRA, hypernetworks and "
                       "embeddings are.")
    return f"{tag}, {words}" if words else tag


def _composite(prompt, negative, params) -> str:
    return format_infotext(prompt or "", negative or "", parse_parameters(params or ""))


def render(ctx) -> None:
    app = ctx.app
    recipes = app.library.recipes
    current = gr.State(0)       # recipe being edited (0 = new)
    listed = gr.State([])       # recipe ids in the list gallery, in order
    refs = gr.State([])         # reference model ids of the form (saved by Create / Update)
    picked_ref = gr.State(0)

    with gr.Row():
        with gr.Column(scale=2):
            with gr.Row():
                search = gr.Textbox(label="Search recipes", placeholder="name, #description", elem_id="cs_rc_search",
                                    scale=3)
                filter_class = gr.Dropdown(label="Classification", choices=[ALL], value=ALL,
                                           elem_id="cs_rc_filter_class", scale=2)
            new = gr.Button("New recipe", elem_id="cs_rc_new")
            listing = gr.Gallery(label="Recipes", columns=3, height=560, allow_preview=False, object_fit="cover",
                                 elem_id="cs_rc_list")
        with gr.Column(scale=3):
            with gr.Tabs(elem_id="cs_rc_tabs"):
                with gr.Tab("Prompt", elem_id="cs_rc_tab_prompt"):
                    name = gr.Textbox(label="Name", elem_id="cs_rc_name")
                    description = gr.Textbox(label="Description", lines=2, elem_id="cs_rc_description")
                    prompt = gr.Textbox(label="Prompt", lines=4, elem_id="cs_rc_prompt")
                    negative = gr.Textbox(label="Negative prompt", lines=2, elem_id="cs_rc_negative")
                    params = gr.Textbox(label="Parameters", lines=2, placeholder="Steps: 20, Sampler: Euler a, ...",
                                        elem_id="cs_rc_params")
                    classification = gr.Dropdown(label="Recipe classification (type a new one to create it)",
                                                 choices=[], value="", allow_custom_value=True,
                                                 elem_id="cs_rc_classification")
                with gr.Tab("Reference image", elem_id="cs_rc_tab_image"):
                    upload = gr.File(label="Reference image (kept byte for byte; its PNG info too)",
                                     file_types=["image"], elem_id="cs_rc_upload")
                    picture = gr.Image(label="Stored image", interactive=False, type="filepath",
                                       elem_id="cs_rc_picture")
                    picture_info = gr.Textbox(label="PNG info of the image", lines=4, interactive=False,
                                              elem_id="cs_rc_picture_info")
                with gr.Tab("Reference models", elem_id="cs_rc_tab_models"):
                    references = gr.Gallery(label="Reference models (click one to use or remove it)", columns=5,
                                            height=240, allow_preview=False, object_fit="cover",
                                            elem_id="cs_rc_refs")
                    with gr.Row():
                        weight = gr.Slider(0, 2, value=0.7, step=0.05, label="Weight", elem_id="cs_rc_weight")
                        insert = gr.Button("Insert into prompt", elem_id="cs_rc_insert")
                        drop = gr.Button("Remove reference", elem_id="cs_rc_drop")
                    picked_text = gr.Markdown("", elem_id="cs_rc_picked")
                    gr.Markdown("Click a shortcut below to add it as a reference.")
                    browser = shortcut_browser(ctx, elem_prefix="cs_rc_browser", rows=2, show_filters=False)
                with gr.Tab("Generation info", elem_id="cs_rc_tab_info"):
                    composite = gr.Textbox(label="Generation info", lines=8, interactive=False,
                                           elem_id="cs_rc_composite")
                    send_buttons(ctx, composite, prefix="cs_rc")
                with gr.Tab("From image", elem_id="cs_rc_tab_from_image"):
                    from_image = gr.File(label="Drop an image: its PNG info fills prompt, negative prompt and "
                                               "parameters", file_types=["image"], elem_id="cs_rc_from_image")
            with gr.Row():
                create = gr.Button("Create", variant="primary", elem_id="cs_rc_create")
                update = gr.Button("Update", elem_id="cs_rc_update")
                delete = gr.Button("Delete", variant="stop", elem_id="cs_rc_delete")
            status = gr.Markdown("", elem_id="cs_rc_status")

    # -- views ---------------------------------------------------------------------------
    def list_view(text, class_value):
        found = recipes.list_all(text or "", None if class_value in (None, "", ALL) else class_value)
        pictures = [(r.image if r.image and Path(r.image).is_file() else NO_PREVIEW, r.name) for r in found]
        return pictures, [r.id for r in found], gr.update(choices=[ALL, *recipes.classifications()])

    def refs_view(ids):
        pictures = []
        for model_id in ids or []:
            detail = app.library.get_shortcut(int(model_id))
            if detail is not None:
                thumb = detail.thumbnail if detail.thumbnail and Path(detail.thumbnail).is_file() else NO_PREVIEW
                pictures.append((thumb, detail.name))
        return pictures

    def form(recipe, sentence):
        """Values for the form outputs (``form_outputs``)."""
        if recipe is None:
            return (0, "", "", "", "", "", gr.update(choices=recipes.classifications(), value=""), None, "",
                    [], [], 0, "", "", sentence)
        params_text = format_parameters(recipe.parameters)
        ids = [m.id for m in recipe.models]
        return (recipe.id, recipe.name, recipe.description, recipe.prompt, recipe.negative_prompt, params_text,
                gr.update(choices=recipes.classifications(), value=recipe.classification), recipe.image,
                recipe.image_info, refs_view(ids), ids, 0, "",
                _composite(recipe.prompt, recipe.negative_prompt, params_text), sentence)

    form_outputs = [current, name, description, prompt, negative, params, classification, picture, picture_info,
                    references, refs, picked_ref, picked_text, composite, status]
    list_outputs = [listing, listed, filter_class]

    # -- handlers --------------------------------------------------------------------------
    def open_recipe(ids, evt: gr.SelectData):
        index = compat.selected_index(evt)
        if index is None or index >= len(ids or []):
            return tuple(compat.no_change() for _ in form_outputs)
        return form(recipes.get(int(ids[index])), "")

    def image_of(files):
        paths = compat.file_paths(files)
        return RecipeImage(Path(paths[0]).read_bytes()) if paths else None

    def do_create(name_v, desc_v, prompt_v, neg_v, params_v, class_v, files, ref_ids):
        rid = recipes.create(name_v, description=desc_v or "", prompt=prompt_v or "", negative_prompt=neg_v or "",
                             parameters=parse_parameters(params_v or ""), classification=class_v or "",
                             image=image_of(files), model_ids=ref_ids or [])
        return (*form(recipes.get(rid), f"Created **{name_v.strip()}**."), None)

    def do_update(rid, name_v, desc_v, prompt_v, neg_v, params_v, class_v, files, ref_ids):
        if not rid:
            raise gr.Error("This is a new recipe: press Create.")
        recipes.update(int(rid), name=name_v, description=desc_v, prompt=prompt_v, negative_prompt=neg_v,
                       parameters=parse_parameters(params_v or ""), classification=class_v or "")
        recipes.set_models(int(rid), ref_ids or [])
        image = image_of(files)
        if image is not None:
            recipes.set_image(int(rid), image)
        return (*form(recipes.get(int(rid)), "Saved."), None)

    def do_delete(rid):
        if not rid:
            raise gr.Error("Choose a recipe to delete.")
        recipes.delete(int(rid))
        return form(None, "Deleted.")

    def add_ref(model_id, ref_ids):
        ids = list(ref_ids or [])
        if model_id and int(model_id) not in ids:
            ids.append(int(model_id))
        return refs_view(ids), ids, "Added; press Create or Update to keep it." if model_id else ""

    def pick_ref(ref_ids, evt: gr.SelectData):
        index = compat.selected_index(evt)
        if index is None or index >= len(ref_ids or []):
            return 0, ""
        detail = app.library.get_shortcut(int(ref_ids[index]))
        return ref_ids[index], f"Selected: **{detail.name if detail else ref_ids[index]}**"

    def drop_ref(model_id, ref_ids):
        if not model_id:
            raise gr.Error("Click a reference model first.")
        ids = [i for i in ref_ids or [] if int(i) != int(model_id)]
        return refs_view(ids), ids, 0, "", "Removed; press Update to keep the change."

    def insert_ref(model_id, weight_value, prompt_v, neg_v, params_v):
        if not model_id:
            raise gr.Error("Click a reference model first.")
        detail = app.library.get_shortcut(int(model_id))
        if detail is None:
            raise gr.Error("That shortcut is no longer in the library.")
        tag = prompt_tag(detail, float(weight_value))
        text = f"{prompt_v.rstrip().rstrip(',')}, {tag}" if (prompt_v or "").strip() else tag
        return text, _composite(text, neg_v, params_v)

    def fill_from_text(text, sentence):
        info = parse_infotext(text or "")
        params_text = format_parameters(info.parameters)
        return (info.prompt, info.negative_prompt, params_text,
                _composite(info.prompt, info.negative_prompt, params_text), sentence)

    def from_image_file(files):
        paths = compat.file_paths(files)
        if not paths:
            return tuple(compat.no_change() for _ in range(5))
        text = read_image_infotext(Path(paths[0]).read_bytes())
        if not text:
            raise gr.Error("That image carries no generation info.")
        return fill_from_text(text, "Filled from the image; press Create or Update to keep it.")

    def from_sent(text):
        if not (text or "").strip():
            return tuple(compat.no_change() for _ in range(5))
        return fill_from_text(text, "Generation info received; press Create to keep it as a new recipe.")

    quiet = compat.event_kwargs(show_progress=False)
    g = compat.guard
    fields = [name, description, prompt, negative, params, classification, upload, refs]
    save_outputs = [*form_outputs, upload]
    for event in (create.click(g(do_create), inputs=fields, outputs=save_outputs,
                               **compat.event_kwargs(api_name="recipe_create", show_progress=False)),
                  update.click(g(do_update), inputs=[current, *fields], outputs=save_outputs,
                               **compat.event_kwargs(api_name="recipe_update", show_progress=False)),
                  delete.click(g(do_delete), inputs=[current], outputs=form_outputs, **quiet)):
        event.then(g(list_view), inputs=[search, filter_class], outputs=list_outputs, **quiet)
    new.click(g(lambda: form(None, "A new recipe: fill it in and press Create.")), inputs=None,
              outputs=form_outputs, **quiet)
    search.submit(g(list_view), inputs=[search, filter_class], outputs=list_outputs, **quiet)
    filter_class.select(g(list_view), inputs=[search, filter_class], outputs=list_outputs, **quiet)
    listing.select(g(open_recipe), inputs=[listed], outputs=form_outputs, **quiet)
    browser.on_select(add_ref, inputs=[refs], outputs=[references, refs, picked_text])
    references.select(g(pick_ref), inputs=[refs], outputs=[picked_ref, picked_text], **quiet)
    drop.click(g(drop_ref), inputs=[picked_ref, refs], outputs=[references, refs, picked_ref, picked_text, status],
               **quiet)
    insert.click(g(insert_ref), inputs=[picked_ref, weight, prompt, negative, params], outputs=[prompt, composite],
                 **quiet)
    for box in (prompt, negative, params):
        box.blur(g(_composite), inputs=[prompt, negative, params], outputs=[composite], **quiet)
    text_outputs = [prompt, negative, params, composite, status]
    from_image.upload(g(from_image_file), inputs=[from_image], outputs=text_outputs, **quiet)
    recipe_target(ctx).change(g(from_sent), inputs=[recipe_target(ctx)], outputs=text_outputs, **quiet)
    ctx.blocks.load(g(list_view), inputs=[search, filter_class], outputs=list_outputs, **quiet)
