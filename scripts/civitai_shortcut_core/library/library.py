"""``Library``: the one object the UI, the CLI and the services use for shortcuts.

It bundles the write side (``store``), the read side (``query``), classifications and
recipes over one ``Database`` and one data folder, and forwards the calls pages make most.
Data-folder layout it owns::

    <data>/library.sqlite3        the database (Database owns the file)
    <data>/thumbs/<model>.jpg     one real still per shortcut, the safest by NSFW level
    <data>/images/<model>/<version>-<stem>.<ext>   cached version images (stills only)
    <data>/recipes/<uuid>.<ext>   recipe reference images, original bytes
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .classifications import Classifications
from .db import Database
from .detail import ShortcutDetail, load_detail
from .media import MediaStore
from .query import LibraryQuery, Page, Query
from .recipes import Recipes
from .store import ShortcutStore


class Library:
    """Shortcuts, classifications, recipes and local files in one SQLite database."""

    def __init__(self, db: Database, data_dir: str | Path, *,
                 civitai_url: str | Callable[[], str] = "https://civitai.com"):
        self.db = db
        self.data_dir = Path(data_dir)
        self._civitai_url = civitai_url
        self.store = ShortcutStore(db, self.data_dir)
        self.query = LibraryQuery(db.read, self.data_dir)
        self.classifications = Classifications(db)
        self.recipes = Recipes(db, self.data_dir)
        self.media = MediaStore(self.data_dir)

    @property
    def civitai_url(self) -> str:
        """The Civitai base URL for links shown to the user (a setting, read on each use)."""
        url = self._civitai_url() if callable(self._civitai_url) else self._civitai_url
        return (url or "https://civitai.com").rstrip("/")

    # -- browsing (one query behind every browser and the CLI) -------------------------
    def search(self, query: Query | None = None, **fields: Any) -> Page:
        """One page of shortcuts: ``search(Query(...))`` or ``search(text=..., page=2)``."""
        return self.query.search(query if query is not None else Query(**fields))

    def get_shortcut(self, model_id: int) -> ShortcutDetail | None:
        """Everything about one shortcut for its info page (None if it is not a shortcut)."""
        return load_detail(self.db.read(), self.data_dir, model_id, self.civitai_url)

    def base_models(self) -> list[str]:
        """Base models present in the library, for the filter."""
        return self.query.base_models()

    def types(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of the types present, LoRA family grouped."""
        return self.query.types()

    # -- the user's own data -------------------------------------------------------------
    def set_note(self, model_id: int, note: str) -> None:
        """Saves a shortcut's personal note."""
        self.store.set_note(model_id, note)

    def delete_shortcut(self, model_id: int) -> bool:
        """Deletes a shortcut, its memberships, its recipe references and its cached files."""
        return self.store.delete_shortcut(model_id)

    def set_classifications(self, model_id: int, classification_ids: Iterable[int]) -> None:
        """Makes a shortcut's classifications exactly these."""
        self.classifications.set_for_model(model_id, classification_ids)
