"""The Host contract: what Civitai Shortcut needs from where it runs.

Two adapters implement it: ``webui.WebUIHost`` (inside A1111/Forge, the only importer of
``modules.*``) and ``standalone.StandaloneHost`` (our own app, flags and a config file).
Tests use the standalone host on temp folders, or the WebUI host over a stand-in
``modules`` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Protocol

#: Civitai model types and the A1111-style subfolder of ``models/`` each goes to when the
#: host has no folder of its own for it. Unknown types go to OTHER_FOLDER/<type>.
DEFAULT_SUBFOLDERS: dict[str, str] = {
    "Checkpoint": "Stable-diffusion",
    "LORA": "Lora",
    "LoCon": "Lora",     # the WebUI's built-in Lora loader reads LyCORIS/LoCon from models/Lora
    "DoRA": "Lora",
    "TextualInversion": "../embeddings",
    "Hypernetwork": "hypernetworks",
    "VAE": "VAE",
    "Controlnet": "ControlNet",
    "Upscaler": "ESRGAN",
    "MotionModule": "AnimateDiff",
    "TextEncoder": "text_encoder",
    "UNet": "Stable-diffusion",
    "Poses": "Poses",
    "Wildcards": "Wildcards",
    "AestheticGradient": "AestheticGradient",
}
OTHER_FOLDER = "Other"
#: File extensions that can hold a model, for scans
MODEL_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".zip")


class Host(Protocol):
    """What the rest of the code may ask of the environment it runs in."""

    #: "webui" or "standalone"; decided by the entry point, never by sniffing folders
    kind: str

    def data_dir(self) -> Path:
        """Folder for the library database, thumbnails and caches."""

    def model_folders(self) -> dict[str, list[Path]]:
        """Civitai model type -> folders holding that type; the first is where downloads go."""

    def folder_for_type(self, model_type: str) -> Path:
        """The folder downloads of ``model_type`` go to (unknown types: a folder for other types)."""

    def load_settings(self) -> dict[str, Any]:
        """Stored setting values (names from ``settings.SETTINGS``); missing ones use defaults."""

    def save_settings(self, values: Mapping[str, Any]) -> None:
        """Stores setting values."""

    def parse_infotext(self, text: str) -> dict[str, Any] | None:
        """The WebUI's own parse of generation parameters; None when the host has no parser."""

    def cached_sha256(self, path: Path, model_type: str) -> str | None:
        """Full-file SHA-256 from the WebUI's hash cache, if it has a fresh entry for ``path``."""

    def store_sha256(self, path: Path, model_type: str, sha256: str) -> None:
        """Records a full-file SHA-256 in the WebUI's hash cache (no-op without one)."""

    def notify(self, message: str, level: str = "info") -> None:
        """Tells the user something outside a request (log line; the UI shows job states)."""

    def can_send_to_webui(self) -> bool:
        """True when send-to-txt2img/img2img buttons can be wired (inside the WebUI)."""

    def bind_send_to(self, button: Any, tabname: str, text_component: Any, image_component: Any = None) -> None:
        """Wires a button to paste infotext into txt2img/img2img (WebUI only)."""
