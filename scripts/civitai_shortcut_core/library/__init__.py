"""library layer of Civitai Shortcut: the SQLite store of shortcuts, classifications,
recipes and local files, its one query, and the legacy importer.

Other layers use the names below; the modules stay private to this package.
"""

from .classifications import Classification, ClassificationError, Classifications
from .detail import ShortcutDetail
from .library import Library
from .query import Page, Query, SearchTooSlow, ShortcutRow
from .recipes import Recipe, RecipeError, RecipeImage, Recipes
from .store import LocalFile, ShortcutStore, Thumbnail

__all__ = [
    "Classification", "ClassificationError", "Classifications", "Library", "LocalFile", "Page", "Query",
    "Recipe", "RecipeError", "RecipeImage", "Recipes", "SearchTooSlow", "ShortcutDetail", "ShortcutRow", "ShortcutStore",
    "Thumbnail",
]
