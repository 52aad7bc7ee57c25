"""The standalone host: flags and a settings file, optionally managing an existing WebUI install."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from .folders import default_folders, folder_for
from .webui_hash_cache import WebUIHashCache

log = logging.getLogger(__name__)


class StandaloneHost:
    """Runs without the WebUI: ``--data-dir``, ``--models-dir`` or ``--webui-dir`` decide the folders."""

    kind = "standalone"

    def __init__(self, data_dir: str | Path, models_dir: str | Path | None = None,
                 webui_dir: str | Path | None = None):
        self._data_dir = Path(data_dir).expanduser().resolve()
        self.webui_dir = Path(webui_dir).expanduser().resolve() if webui_dir else None
        if self.webui_dir is not None:
            if not (self.webui_dir / "models").is_dir():
                raise ValueError(f"{self.webui_dir} does not look like a WebUI folder: it has no 'models' folder.")
            self.models_root = self.webui_dir / "models"
            embeddings = self.webui_dir / "embeddings"
            self._hash_cache = WebUIHashCache(self.webui_dir / "cache", self._folders_for_titles)
        else:
            self.models_root = Path(models_dir).expanduser().resolve() if models_dir else self._data_dir / "models"
            embeddings = self.models_root / "embeddings"
            self._hash_cache = None
        self._folders = default_folders(self.models_root, embeddings)
        self._settings_file = self._data_dir / "settings.json"

    def data_dir(self) -> Path:
        return self._data_dir

    def model_folders(self) -> dict[str, list[Path]]:
        return {k: list(v) for k, v in self._folders.items()}

    def folder_for_type(self, model_type: str) -> Path:
        return folder_for(self._folders, self.models_root, model_type)

    def _folders_for_titles(self) -> dict[str, list[Path]]:
        return self._folders

    def load_settings(self) -> dict[str, Any]:
        if not self._settings_file.exists():
            return {}
        try:
            data = json.loads(self._settings_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"The settings file {self._settings_file} is not valid JSON ({exc}); fix or delete it.") from exc
        if not isinstance(data, dict):
            raise ValueError(f"The settings file {self._settings_file} must hold a JSON object.")
        return data

    def save_settings(self, values: Mapping[str, Any]) -> None:
        merged = {**self.load_settings(), **dict(values)}
        self._data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._data_dir, prefix=".settings.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(merged, handle, indent=2, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._settings_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if os.name != "nt":
            os.chmod(self._settings_file, 0o600)  # it may hold the API key

    def parse_infotext(self, text: str) -> dict[str, Any] | None:
        return None  # no WebUI parser here; services use their own

    def cached_sha256(self, path: Path, model_type: str) -> str | None:
        return self._hash_cache.get(Path(path), model_type) if self._hash_cache else None

    def store_sha256(self, path: Path, model_type: str, sha256: str) -> None:
        if self._hash_cache:
            self._hash_cache.put(Path(path), model_type, sha256)

    def notify(self, message: str, level: str = "info") -> None:
        getattr(log, level if level in ("info", "warning", "error") else "info")(message)

    def can_send_to_webui(self) -> bool:
        return False

    def bind_send_to(self, button: Any, tabname: str, text_component: Any, image_component: Any = None) -> None:
        raise RuntimeError("Send to txt2img needs the WebUI; the standalone app copies the parameters instead.")
