"""Imports the original extension's data folder into the library, offline and read-only.

Layouts (original-extension.md §2): the original keeps its files in the extension folder
itself; the standalone fork moved them to ``<ext>/data_sc/``. Both hold
``CivitaiShortCut*.json``, ``sc_infos/<id>/<id>.civitai.info`` (the full model JSON, so no
API call is needed), ``sc_infos/<id>/<version>-<stem>.png`` (cached images, sometimes video
bytes), ``sc_thumb_images/<id>.png`` and ``sc_recipes/<uuid>.png``.

Rules: the old files are only read. Everything is keyed (model id, classification name,
recipe name) and only *added*, so a second import changes nothing. What is already in the
library wins, except that an empty note takes the imported one and the earlier
registration date is kept. A broken file yields what could be read, and every loss is a
``Problem`` naming its file. Shortcut ids without an info file become "needs refresh"
stubs; info folders whose entry vanished (the original could wipe its shortcut file on a
failed load) are recovered as shortcuts and reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..files.errors import NotAnImage
from ..files.stills import STILL_KINDS, sniff_kind
from .image_info import read_image_infotext
from .legacy_formats import (
    LegacyRecipe,
    LegacyShortcut,
    Problem,
    read_backup_urls,
    read_classifications,
    read_json_file,
    read_recipes,
    read_settings,
    read_shortcuts,
)
from .library import Library
from .media import level_of_url, url_stem
from .model_rows import ModelRows, NotModelJson, parse_model
from .store import Thumbnail

log = logging.getLogger(__name__)

SHORTCUTS = "CivitaiShortCut.json"
CLASSIFICATIONS = "CivitaiShortCutClassification.json"
RECIPES = "CivitaiShortCutRecipeCollection.json"
SETTINGS = "CivitaiShortCutSetting.json"
BACKUP = "CivitaiShortCutBackupUrl.json"
MARKERS = (SHORTCUTS, CLASSIFICATIONS, RECIPES, "sc_infos")
COUNTERS = ("shortcuts", "stubs", "recovered", "already_present", "notes_merged", "images", "thumbnails",
            "classifications", "memberships", "recipes", "recipe_images", "recipes_already_present")


@dataclass
class LegacyImportResult:
    """What an import did: counts, problems (file + sentence), settings to offer, and links
    in the backup file that are not shortcuts (deleted ones included; offer to register)."""

    source: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    problems: list[Problem] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    backup_only: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        """One paragraph for the UI and the CLI."""
        c = self.counts
        text = (f"Imported {c['shortcuts'] + c['recovered']} shortcuts with full info, {c['stubs']} that need a "
                f"refresh, {c['classifications']} classifications ({c['memberships']} memberships) and "
                f"{c['recipes']} recipes from {self.source}.")
        if c["already_present"] or c["recipes_already_present"]:
            text += (f" {c['already_present']} shortcuts and {c['recipes_already_present']} recipes were "
                     "already in the library and were kept.")
        if self.problems:
            text += f" {len(self.problems)} problems; see the list."
        return text

    def as_json(self) -> dict[str, Any]:
        settings = {k: ("***" if k == "api_key" else v) for k, v in self.settings.items()}
        return {"source": self.source, "counts": self.counts, "settings": settings,
                "problems": [{"file": p.file, "message": p.message} for p in self.problems],
                "backup_only": {str(k): v for k, v in self.backup_only.items()}}


def find_legacy_data(path: str | Path) -> Path | None:
    """The folder holding the old files: ``path``, its ``data_sc/`` (preferred), or None."""
    base = Path(path)
    if base.is_file():
        base = base.parent
    for candidate in (base / "data_sc", base):
        if any((candidate / marker).exists() for marker in MARKERS):
            return candidate
    return None


def find_legacy_installs(extensions_dir: str | Path) -> list[Path]:
    """Installed copies of the original extension (or the fork) beside ours, with data."""
    folder = Path(extensions_dir)
    if not folder.is_dir():
        return []
    found = []
    for child in sorted(folder.iterdir()):
        if child.is_dir() and (child / "scripts" / "civitai_manager_libs").is_dir() and find_legacy_data(child):
            found.append(child)
    return found


def _original_cache_name(version_id: int, url: str) -> str:
    """The original's cache file name: ``<versionId>-<url basename without extension>.png``."""
    base = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return f"{version_id}-{base.rsplit('.', 1)[0]}.png"


Progress = Callable[[int, int, str], None]


class LegacyImporter:
    """Runs one import into a ``Library``; see the module docstring for the rules.

    ``progress(done, total, message)`` is called before each shortcut; it may raise to stop
    the import (the job's cancel), and what was imported so far stays: a re-run skips it.
    """

    def __init__(self, library: Library, progress: Progress | None = None):
        self.library = library
        self._progress = progress

    def run(self, path: str | Path) -> LegacyImportResult:
        """Imports everything found at ``path`` (extension folder, ``data_sc`` or a file in it).

        Raises:
            FileNotFoundError: no legacy data there.
        """
        root = find_legacy_data(path)
        if root is None:
            raise FileNotFoundError(
                f"No Civitai Shortcut data found in {path}. Choose the original extension's folder "
                f"(it holds {SHORTCUTS} and sc_infos) or its data_sc folder.")
        result = LegacyImportResult(str(root))
        if root.name == "data_sc" and (root.parent / SHORTCUTS).exists():
            result.problems.append(Problem(SHORTCUTS, f"older files also exist in {root.parent}; only data_sc "
                                                      "(the newer copy) was imported"))
        entries = self._read(root, SHORTCUTS, read_shortcuts, result) or []
        for done, entry in enumerate(sorted(entries, key=lambda e: e.id)):
            if self._progress is not None:
                self._progress(done, len(entries), entry.name or f"model {entry.id}")
            self._import_shortcut(root, entry, result, recovered=False)
        self._recover_orphan_infos(root, {e.id for e in entries}, result)
        self._import_classifications(root, result)
        self._import_recipes(root, result)
        result.settings = self._read(root, SETTINGS, read_settings, result) or {}
        backup = self._read(root, BACKUP, read_backup_urls, result) or {}
        result.backup_only = {i: n for i, n in sorted(backup.items()) if not self.library.query.exists(i)}
        log.info("Legacy import: %s", result.summary())
        return result

    @staticmethod
    def _read(root: Path, name: str, reader, result: LegacyImportResult):
        path = root / name
        if not path.is_file():
            return None
        try:
            value, problems = read_json_file(path)
        except OSError as err:
            result.problems.append(Problem(name, f"cannot be read: {err}"))
            return None
        result.problems.extend(problems)
        parsed, more = reader(value, name)
        result.problems.extend(more)
        return parsed

    # -- shortcuts ---------------------------------------------------------------------
    def _import_shortcut(self, root: Path, entry: LegacyShortcut, result: LegacyImportResult, *,
                         recovered: bool) -> None:
        store = self.library.store
        if self.library.query.exists(entry.id):
            result.counts["already_present"] += 1
            if store.merge_user_data(entry.id, note=entry.note, registered_at=entry.date):
                result.counts["notes_merged"] += 1
            return
        info = root / "sc_infos" / str(entry.id) / f"{entry.id}.civitai.info"
        rows, raw = self._read_info(info, entry.id, result)
        if rows is None:
            thumb = self._thumbnail(root, entry, None, {}, result)
            store.add_stub(entry.id, name=entry.name, model_type=entry.type, tags=entry.tags, nsfw=entry.nsfw,
                           note=entry.note, registered_at=entry.date or self._mtime(root / SHORTCUTS),
                           thumbnail=thumb)
            result.counts["stubs"] += 1
            return
        image_paths = self._cached_images(info.parent, rows, result)
        thumb = self._thumbnail(root, entry, rows, image_paths, result)
        updated = self._mtime(info)
        store.upsert_model(raw, selected_version_id=entry.version_id, thumbnail=thumb, image_paths=image_paths,
                           now=updated, registered_at=entry.date or updated, note=entry.note)
        result.counts["recovered" if recovered else "shortcuts"] += 1

    def _read_info(self, info: Path, model_id: int, result: LegacyImportResult) -> tuple[ModelRows | None, Any]:
        name = f"sc_infos/{model_id}/{info.name}"
        if not info.is_file():
            result.problems.append(Problem(name, f"missing: model {model_id} was added as a stub that needs a refresh"))
            return None, None
        raw, problems = read_json_file(info)
        try:
            if problems:
                raise NotModelJson(problems[0].message)
            rows = parse_model(raw)
        except NotModelJson as err:
            result.problems.append(Problem(name, f"unreadable ({err}); model {model_id} was added as a stub"))
            return None, None
        if rows.id != model_id:
            result.problems.append(Problem(name, f"describes model {rows.id}, not {model_id}; added as a stub"))
            return None, None
        return rows, raw

    def _cached_images(self, folder: Path, rows: ModelRows, result: LegacyImportResult) -> dict[str, str]:
        paths: dict[str, str] = {}
        for image in rows.images:
            cached = folder / _original_cache_name(image.version_id, image.url)
            if image.media_type != "image" or not cached.is_file():
                continue
            try:
                paths[image.url] = self.library.media.save_image(rows.id, image.version_id, image.url,
                                                                 cached.read_bytes())
                result.counts["images"] += 1
            except NotAnImage:
                continue  # the original cached video bytes as .png; there is no still to keep
        return paths

    def _thumbnail(self, root: Path, entry: LegacyShortcut, rows: ModelRows | None, image_paths: dict[str, str],
                   result: LegacyImportResult) -> Thumbnail | None:
        media = self.library.media
        source = root / "sc_thumb_images" / f"{entry.id}.png"
        if source.is_file():
            try:
                thumb = media.save_thumbnail(entry.id, source.read_bytes(), url=entry.image_url,
                                             nsfw_level=level_of_url(rows, entry.image_url) if rows else 0)
                result.counts["thumbnails"] += 1
                return thumb
            except NotAnImage as err:
                result.problems.append(Problem(f"sc_thumb_images/{source.name}", f"not a usable image ({err})"))
        if rows is not None:
            thumb = media.thumbnail_from_cache(rows, image_paths, entry.version_id)
            if thumb is not None:
                result.counts["thumbnails"] += 1
            return thumb
        return None

    def _recover_orphan_infos(self, root: Path, known: set[int], result: LegacyImportResult) -> None:
        infos = root / "sc_infos"
        if not infos.is_dir():
            return
        orphans = sorted(int(d.name) for d in infos.iterdir()
                         if d.is_dir() and d.name.isdigit() and int(d.name) not in known
                         and (d / f"{d.name}.civitai.info").is_file())
        for model_id in orphans:
            self._import_shortcut(root, LegacyShortcut(model_id), result, recovered=True)
        if orphans:
            result.problems.append(Problem(SHORTCUTS, f"{len(orphans)} shortcuts with info in sc_infos were missing "
                                                      f"from this file and were recovered: {orphans[:20]}"))

    # -- classifications and recipes ---------------------------------------------------
    def _import_classifications(self, root: Path, result: LegacyImportResult) -> None:
        found = self._read(root, CLASSIFICATIONS, read_classifications, result) or {}
        groups = self.library.classifications
        for name, (description, ids) in found.items():
            existing = groups.get(name)
            if existing is None:
                cid = groups.create(name, description)
                result.counts["classifications"] += 1
            else:
                cid = existing.id
                if description and not existing.description:
                    groups.describe(cid, description)
            present = [i for i in ids if self.library.query.exists(i)]
            for missing in (i for i in ids if i not in present):
                result.problems.append(Problem(CLASSIFICATIONS, f"classification {name!r}: model {missing} is not "
                                                                "a shortcut (deleted in the old extension?); skipped"))
            result.counts["memberships"] += groups.add(cid, present)

    def _import_recipes(self, root: Path, result: LegacyImportResult) -> None:
        for recipe in self._read(root, RECIPES, read_recipes, result) or []:
            if self.library.recipes.get(recipe.name) is not None:
                result.counts["recipes_already_present"] += 1
                continue
            stored = self._recipe_image(root, recipe, result)
            present = [i for i in recipe.model_ids if self.library.query.exists(i)]
            for missing in (i for i in recipe.model_ids if i not in present):
                result.problems.append(Problem(RECIPES, f"recipe {recipe.name!r}: reference model {missing} is not "
                                                        "a shortcut; skipped"))
            self.library.recipes.create(
                recipe.name, description=recipe.description, prompt=recipe.prompt,
                negative_prompt=recipe.negative_prompt, parameters=recipe.parameters,
                classification=recipe.classification, model_ids=present, stored_image=stored,
                created_at=self._mtime(root / RECIPES))
            result.counts["recipes"] += 1

    def _recipe_image(self, root: Path, recipe: LegacyRecipe, result: LegacyImportResult) -> tuple[str, str] | None:
        if not recipe.image:
            return None
        source = root / "sc_recipes" / recipe.image
        if not source.is_file():
            result.problems.append(Problem(f"sc_recipes/{recipe.image}", f"missing: recipe {recipe.name!r} "
                                                                         "was imported without its image"))
            return None
        data = source.read_bytes()
        kind = sniff_kind(data)
        if kind not in STILL_KINDS:
            result.problems.append(Problem(f"sc_recipes/{recipe.image}", f"not an image ({kind}); recipe "
                                                                         f"{recipe.name!r} was imported without it"))
            return None
        ext = {"jpeg": ".jpg"}.get(kind, f".{kind}")
        relative = f"recipes/legacy-{url_stem(recipe.image)}{ext}"
        if not (self.library.data_dir / relative).is_file():
            self.library.recipes.store_image_file(relative, data)
        result.counts["recipe_images"] += 1
        return relative, read_image_infotext(data)

    @staticmethod
    def _mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0


def import_legacy(library: Library, path: str | Path, progress: Progress | None = None) -> LegacyImportResult:
    """Imports the original extension's data at ``path``; see ``LegacyImporter``."""
    return LegacyImporter(library, progress).run(path)
