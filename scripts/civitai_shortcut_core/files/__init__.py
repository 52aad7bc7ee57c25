"""files layer: safe names, folder rules, sidecars, still images, atomic writes, hashing.

Never imports gradio, the WebUI's ``modules`` or the services; functions take plain data
so downloads, scans and the CLI share them. Other layers import from here.
"""

from .atomic import write_atomic
from .disk import ensure_free_space, free_bytes
from .errors import (
    BadFolderTemplate,
    DiskFull,
    FileConflict,
    FilesError,
    FlaggedFile,
    HashMismatch,
    NotAModelFile,
    NotAnImage,
    SizeMismatch,
    StorageRefused,
    TransferFailed,
    UnsafePath,
)
from .folders import FolderFacts, parse_extra_folders, target_folder, type_folder
from .hashing import StreamHasher, sha256_file
from .names import (
    clean_component,
    filename_from_content_disposition,
    resolve_inside,
    safe_dirname,
    safe_filename,
    split_extension,
)
from .sidecars import (
    merge_metadata,
    sd_version,
    sidecar_paths,
    webui_metadata,
    write_info,
    write_preview,
    write_webui_metadata,
)
from .stills import make_thumbnail, open_still, sniff_kind, to_png

__all__ = [
    "BadFolderTemplate", "DiskFull", "FileConflict", "FilesError", "FlaggedFile", "FolderFacts", "HashMismatch",
    "NotAModelFile", "NotAnImage", "SizeMismatch", "StorageRefused", "StreamHasher", "TransferFailed", "UnsafePath",
    "clean_component", "ensure_free_space", "filename_from_content_disposition", "free_bytes", "make_thumbnail",
    "merge_metadata", "open_still", "parse_extra_folders", "resolve_inside", "safe_dirname", "safe_filename",
    "sd_version", "sha256_file", "sidecar_paths", "sniff_kind", "split_extension", "target_folder", "to_png",
    "type_folder", "webui_metadata", "write_atomic", "write_info", "write_preview", "write_webui_metadata",
]
