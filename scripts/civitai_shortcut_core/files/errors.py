"""Typed errors of the files layer and the downloader.

Each class carries its facts as attributes, a short ``code`` (stored with failed jobs) and
a sentence the user can act on as ``str(err)``. Callers catch types, never parse text.

    FilesError
    ├── UnsafePath        (ValueError) a name or path would leave its target folder
    ├── FileConflict      (FileExistsError) a different file already has the final name
    ├── DiskFull          (OSError) not enough free space in the target folder
    ├── NotAModelFile     the server sent an HTML/JSON page instead of the file
    ├── NotAnImage        bytes that are not a still image (video, HTML, JSON, broken)
    ├── SizeMismatch      the finished download has the wrong number of bytes
    ├── HashMismatch      the finished download has the wrong SHA-256
    ├── StorageRefused    the storage host kept refusing the signed URL
    ├── TransferFailed    the transfer kept failing without progress (stalls, cuts, 5xx)
    ├── BadFolderTemplate (ValueError) the folder template names an unknown field
    └── FlaggedFile       Civitai's scan flagged the file; not downloaded unless allowed
"""

from __future__ import annotations

from pathlib import Path


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MiB"


class FilesError(Exception):
    """Base class; ``str(err)`` is the sentence shown to the user."""

    code = "files_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsafePath(FilesError, ValueError):
    """A file or folder name would resolve outside the folder it must stay in."""

    code = "unsafe_path"

    def __init__(self, name: str, base: str | Path):
        self.name, self.base = name, str(base)
        super().__init__(
            f"Refusing the path {name!r}: it would end up outside {self.base}. "
            "Choose another file or folder name."
        )


class FileConflict(FilesError, FileExistsError):
    """A different file already has the final name; it is never overwritten."""

    code = "file_conflict"

    def __init__(self, path: str | Path):
        self.path = str(path)
        super().__init__(
            f"A different file named {Path(path).name!r} already exists in {Path(path).parent}. "
            "It was left alone; rename the download or move that file."
        )


class DiskFull(FilesError, OSError):
    """Not enough free space for the rest of the download."""

    code = "disk_full"

    def __init__(self, folder: str | Path, needed: int, free: int):
        self.folder, self.needed, self.free = str(folder), needed, free
        super().__init__(
            f"Not enough disk space in {self.folder}: the download needs {_mib(needed)} more, "
            f"only {_mib(free)} is free. Free some space and retry."
        )


class NotAModelFile(FilesError):
    """The server answered with a web page or an error document instead of the file."""

    code = "not_a_model_file"

    def __init__(self, what: str, content_type: str = ""):
        self.what, self.content_type = what, content_type
        kind = f" ({content_type})" if content_type else ""
        super().__init__(
            f"The storage server sent {what}{kind} instead of the model file; nothing was saved. "
            "Retry later; if it persists, check your API key and proxy."
        )


class NotAnImage(FilesError, ValueError):
    """Bytes that are not a still image we can re-encode (video, HTML, JSON, truncated)."""

    code = "not_an_image"

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(f"Not a still image: {detail}.")


class SizeMismatch(FilesError):
    """The download ended with a different size than Civitai lists; it was deleted."""

    code = "size_mismatch"

    def __init__(self, name: str, expected: int, actual: int):
        self.name, self.expected, self.actual = name, expected, actual
        super().__init__(
            f"The download of {name!r} has {actual:,} bytes but Civitai lists {expected:,}; "
            "the broken file was deleted. Retry the download."
        )


class HashMismatch(FilesError):
    """The download's SHA-256 differs from the one Civitai lists; it was deleted."""

    code = "hash_mismatch"

    def __init__(self, name: str, expected: str, actual: str):
        self.name, self.expected, self.actual = name, expected.upper(), actual.upper()
        super().__init__(
            f"The download of {name!r} is corrupt (SHA-256 {self.actual[:12]}... instead of "
            f"{self.expected[:12]}...); it was deleted. Retry the download."
        )


class StorageRefused(FilesError):
    """The storage host refused the signed URL even after asking Civitai for a new one."""

    code = "storage_refused"

    def __init__(self, status: int, detail: str = ""):
        self.status, self.detail = status, detail
        super().__init__(
            f"The file storage refused the download (HTTP {status}) even with a fresh link. "
            "Retry later; the bytes already downloaded are kept."
        )


class TransferFailed(FilesError):
    """The transfer kept failing (stalls, cut connections, server errors) without progress."""

    code = "transfer_failed"

    def __init__(self, name: str, attempts: int, reason: str):
        self.name, self.attempts, self.reason = name, attempts, reason
        super().__init__(
            f"The download of {name!r} stopped making progress after {attempts} attempts "
            f"({reason}). The bytes already downloaded are kept; retry to continue."
        )


class BadFolderTemplate(FilesError, ValueError):
    """The folder template names a field we do not have, or is malformed."""

    code = "bad_folder_template"

    def __init__(self, template: str, detail: str):
        self.template, self.detail = template, detail
        super().__init__(
            f"The folder template {template!r} is not usable ({detail}). Use only the fields "
            "{type} {base_model} {creator} {model} {version} {classification}."
        )


class FlaggedFile(FilesError):
    """Civitai's pickle or virus scan flagged the file; it is not downloaded unless asked."""

    code = "flagged_file"

    def __init__(self, name: str, scan: str):
        self.name, self.scan = name, scan
        super().__init__(
            f"Civitai's malware scan marked {name!r} as {scan}; it was not downloaded. "
            "Download it only if you trust the creator (allow flagged files for this download)."
        )
