"""What the model information panel shows, as plain values (no Gradio): easy to test, fast to build.

``ui/pages/model_info.py`` lays the panel out and wires it; this module turns a
``library.ShortcutDetail`` into the text, tables and image lists it displays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...library.image_info import read_image_infotext
from ...services.infotext import infotext_from_meta
from ..format import escape, human_bytes
from ..sanitize import sanitize_html

FILE_HEADERS = ["✓", "ID", "Name", "Type", "Size", "Primary"]
CHECKED, UNCHECKED = "☑", "☐"


def version_labels(detail) -> list[str]:
    """One dropdown label per version; duplicates get their id so each label is unique."""
    names = [v.name or f"Version {v.id}" for v in detail.versions]
    labels = []
    for version, name in zip(detail.versions, names):
        label = name if names.count(name) == 1 else f"{name} (#{version.id})"
        if version.early_access:
            label += " ⏳"
        if version.downloaded:
            label += " ✓"
        labels.append(label)
    return labels


def pick_version(detail, version_id: int | None = None):
    """The version to show: the one asked for, else the shortcut's selected one, else the newest."""
    by_id = {v.id: v for v in detail.versions}
    for candidate in (version_id, detail.selected_version_id, detail.latest_version_id):
        if candidate in by_id:
            return by_id[candidate]
    return detail.versions[0] if detail.versions else None


def header_markdown(detail, version) -> str:
    title = escape(detail.name)
    if version is not None:
        title += f" : {escape(version.name)}"
    return f"### {title}"


def info_markdown(detail, version) -> str:
    """Type, base model, creator, tags, state badges and the Civitai link (all escaped)."""
    rows = [("Type", detail.type_label or detail.type), ("Base model", version.base_model if version else ""),
            ("Creator", detail.creator), ("Tags", ", ".join(detail.tags))]
    lines = [f"**{name}:** {escape(value)}" for name, value in rows if value]
    states = []
    if version is not None and version.early_access:
        states.append("⏳ early access")
    if detail.update_available:
        states.append("↑ update available")
    if version is not None and version.downloaded:
        states.append("✓ downloaded")
    if states:
        lines.append("**State:** " + ", ".join(states))
    lines.append(f"[Open on Civitai]({escape(detail.url)}{_version_query(version)})")
    return "  \n".join(lines)


def _version_query(version) -> str:
    return f"?modelVersionId={version.id}" if version is not None else ""


def description_html(detail, version) -> str:
    """The version's and the model's descriptions, sanitised."""
    parts = []
    raw_version = _raw_version(detail, version)
    version_text = raw_version.get("description") if isinstance(raw_version, dict) else None
    if isinstance(version_text, str) and version_text.strip():
        parts.append(f'<div class="cs-version-description">{sanitize_html(version_text)}</div>')
    if detail.description:
        parts.append(f'<div class="cs-model-description">{sanitize_html(detail.description)}</div>')
    body = "<hr>".join(parts) or "<p>No description.</p>"
    return f'<div class="cs-description">{body}</div>'


def _raw_version(detail, version) -> dict | None:
    if version is None or not isinstance(detail.raw, dict):
        return None
    for raw in detail.raw.get("modelVersions") or []:
        if isinstance(raw, dict) and raw.get("id") == version.id:
            return raw
    return None


def trigger_words(version) -> str:
    return ", ".join(w.strip() for w in (version.trained_words if version else []) if w and w.strip())


def default_file_ids(version) -> list[int]:
    """Files ticked when a version opens: the primary file (else the first)."""
    if version is None or not version.files:
        return []
    primary = [f.id for f in version.files if f.primary]
    return primary[:1] or [version.files[0].id]


def file_rows(version, selected: list[int], renames: dict | None = None) -> list[list[Any]]:
    """Rows of the files table; a renamed file shows its new name."""
    renames = renames or {}
    rows = []
    for f in version.files if version else []:
        size = human_bytes(f.size_kb * 1024) if f.size_kb else "?"
        name = renames.get(str(f.id)) or f.name
        rows.append([CHECKED if f.id in selected else UNCHECKED, f.id, name, f.type, size, "yes" if f.primary else ""])
    return rows


def image_entries(version, allowed_levels: int) -> list[dict[str, Any]]:
    """Cached stills of a version the NSFW setting allows: path, url, level, meta."""
    out = []
    for image in version.images if version else []:
        if not image.local_path or not Path(image.local_path).is_file():
            continue
        if image.nsfw_level and image.nsfw_level & ~allowed_levels:
            continue
        out.append({"path": image.local_path, "url": image.url, "level": image.nsfw_level, "meta": image.meta})
    return out


def image_infotext(entry: dict[str, Any]) -> str:
    """Generation info of one image: from the file when it carries it, else that image's API meta."""
    try:
        data = Path(entry["path"]).read_bytes()
    except OSError:
        data = b""
    text = read_image_infotext(data) if data else ""
    return text or infotext_from_meta(entry.get("meta"))


def downloaded_file_of(detail, version_id: int) -> str | None:
    """The local model file of a version (the first one recorded), if downloaded."""
    for local in detail.local_files:
        if local.get("version_id") == version_id and Path(local["path"]).is_file():
            return local["path"]
    return None
