"""Where a download goes: the type folder, then the folder rule, all names sanitised.

    <type folder>                       rule "type"           (host folder, or settings.extra_folders)
    <type folder>/<model>               rule "model"
    <type folder>/<model>/<version>     rule "model_version"
    <type folder>/<classification>      rule "classification" (the type folder if none is chosen)
    <type folder>/<template result>     rule "template", e.g. {base_model}/{creator}/{model}
    <type folder>/<user folder>         an explicit per-download folder wins over the rule

Every component goes through :func:`names.safe_dirname` and the result is proven to be
inside the type folder, whatever the API or the user typed. The functions take plain
data (:class:`FolderFacts`), not services, so scans and the CLI reuse them.
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BadFolderTemplate, UnsafePath
from .names import clean_component, resolve_inside, safe_dirname

TEMPLATE_FIELDS = ("type", "base_model", "creator", "model", "version", "classification")


@dataclass(frozen=True)
class FolderFacts:
    """What the folder rules may use about one version (all optional but the type)."""

    model_type: str
    model_name: str = ""
    version_name: str = ""
    base_model: str = ""
    creator: str = ""
    classification: str = ""
    model_id: int | None = None
    version_id: int | None = None


def parse_extra_folders(text: str) -> dict[str, Path]:
    """Parses ``settings.extra_folders`` ("Type=path" per line) into {lower-case type: path}.

    Blank lines and ``#`` comments are skipped; a line without ``=`` is ignored (the settings
    page shows the raw text, so a typo costs an override, not the start-up).
    """
    folders: dict[str, Path] = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        model_type, _, path = line.partition("=")
        if model_type.strip() and path.strip():
            folders[model_type.strip().lower()] = Path(os.path.expanduser(path.strip()))
    return folders


def type_folder(host: Any, settings: Any, model_type: str) -> Path:
    """The base folder for ``model_type``: a settings override, else the host's folder."""
    override = parse_extra_folders(getattr(settings, "extra_folders", "")).get((model_type or "").lower())
    return override if override is not None else Path(host.folder_for_type(model_type))


def _components(facts: FolderFacts) -> dict[str, str]:
    model = facts.model_name or (f"model_{facts.model_id}" if facts.model_id else "")
    version = facts.version_name or (f"version_{facts.version_id}" if facts.version_id else "")
    return {
        "type": facts.model_type, "base_model": facts.base_model, "creator": facts.creator,
        "model": model, "version": version, "classification": facts.classification,
    }


def _render_template(template: str, values: dict[str, str]) -> list[str]:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise BadFolderTemplate(template, str(exc)) from None
    for field in fields:
        if field not in TEMPLATE_FIELDS:
            raise BadFolderTemplate(template, f"unknown field {{{field}}}")
    parts = []
    for raw in re.split(r"[/\\]+", template):
        if not raw.strip():
            continue
        # format each component on its own, so a "/" inside a value cannot add a level
        text = clean_component(raw.format(**values))
        if text and set(text) - set(" -_.,"):
            parts.append(text)
    return parts


def _user_parts(folder: str) -> list[str]:
    return [safe_dirname(p, fallback="_") for p in re.split(r"[/\\]+", folder)
            if p.strip() and p.strip() not in (".", "..")]


def rule_parts(settings: Any, facts: FolderFacts, *, rule: str | None = None,
               template: str | None = None) -> list[str]:
    """The sanitised sub-folder names the rule gives for ``facts`` (empty = the type folder)."""
    values = _components(facts)
    rule = rule or getattr(settings, "folder_rule", "type")
    model = safe_dirname(values["model"], fallback="model") if values["model"] else ""
    if rule == "model":
        return [model] if model else []
    if rule == "model_version":
        version = safe_dirname(values["version"], fallback="version") if values["version"] else ""
        return [p for p in (model, version) if p]
    if rule == "classification":
        return [safe_dirname(facts.classification, fallback="_")] if facts.classification.strip() else []
    if rule == "template":
        return _render_template(template or getattr(settings, "folder_template", ""), values)
    return []


def target_folder(host: Any, settings: Any, facts: FolderFacts, *, folder: str | None = None,
                  rule: str | None = None, template: str | None = None) -> Path:
    """Returns the folder a download of ``facts`` goes to, proven to be inside its type folder.

    Args:
        host: anything with ``folder_for_type(model_type)``.
        settings: ``Settings`` (``folder_rule``, ``folder_template``, ``extra_folders``).
        facts: the model/version facts the rule uses.
        folder: an explicit folder chosen by the user for this download: relative to the
            type folder, or absolute inside it. Wins over the rule.
        rule, template: override the settings for this download.

    Raises:
        UnsafePath: an absolute ``folder`` outside the type folder.
        BadFolderTemplate: the template names an unknown field.
    """
    base = type_folder(host, settings, facts.model_type)
    if folder:
        chosen = Path(os.path.expanduser(folder))
        if chosen.is_absolute():
            try:
                folder = str(chosen.resolve().relative_to(base.resolve()))
            except ValueError:
                raise UnsafePath(str(folder), base) from None
        parts = _user_parts(folder)
    else:
        parts = rule_parts(settings, facts, rule=rule, template=template)
    return resolve_inside(base, *parts)
