"""Escaped HTML for job results shown in pages: registration outcomes, scan and update lists.

Every value that came from a file name, Civitai or the user goes through ``escape``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .format import escape, human_bytes


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, css: str = "cs-results", empty: str = "") -> str:
    """An HTML table; cells are escaped text."""
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    if not body:
        return f'<div class="{escape(css)} cs-empty">{escape(empty)}</div>' if empty else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f'<table class="{escape(css)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(title: str, content: str) -> str:
    return f"<h4>{escape(title)}</h4>{content}" if content else ""


def registration_html(result: dict | None) -> str:
    """Outcome per link of a registration job."""
    result = result or {}
    rows = [(r.get("name") or r.get("input"), r.get("model_id") or "", r.get("status"), r.get("error") or "")
            for r in result.get("results") or []]
    summary = (f"{result.get('registered', 0)} registered, {result.get('updated', 0)} updated, "
               f"{result.get('failed', 0)} failed.")
    return f"<p>{escape(summary)}</p>" + table(("Model", "Id", "Status", "Problem"), rows, css="cs-register-results")


def scan_html(result: dict | None) -> str:
    """Matched, unmatched and failed files of a scan job."""
    r = result or {}
    hashes = r.get("hash") or {}
    summary = (f"{r.get('files', 0)} model files: {len(r.get('matched') or [])} found on Civitai, "
               f"{len(r.get('unmatched') or [])} not found, {len(r.get('errors') or [])} problems. "
               f"Hashes: {hashes.get('from_library', 0)} cached, {hashes.get('from_webui', 0)} from the WebUI, "
               f"{hashes.get('hashed', 0)} computed. {r.get('registered', 0)} shortcuts added, "
               f"{r.get('moved', 0)} files moved, {r.get('sidecars_written', 0)} sidecar files written.")
    matched = [(m.get("path"), m.get("model"), m.get("version"), m.get("model_id"),
                ", ".join(m.get("sidecars") or []), m.get("moved_to") or "") for m in r.get("matched") or []]
    unmatched = [(u.get("path"),) for u in r.get("unmatched") or []]
    errors = [(e.get("path"), e.get("error")) for e in r.get("errors") or []]
    return (f'<p class="cs-scan-summary">{escape(summary)}</p>'
            + section("Found on Civitai", table(("File", "Model", "Version", "Model id", "Sidecars written",
                                                 "Moved to"), matched, css="cs-scan-matched"))
            + section("Not found on Civitai", table(("File",), unmatched, css="cs-scan-unmatched"))
            + section("Problems", table(("File", "Problem"), errors, css="cs-scan-errors")))


def updates_html(result: dict | None) -> str:
    """Models with newer versions, from an update check."""
    r = result or {}
    rows = []
    for item in r.get("updates") or []:
        local = ", ".join(v.get("name") or str(v.get("id")) for v in item.get("local_versions") or []) or "?"
        newer = ", ".join(f"{v.get('name')} ({v.get('id')})" + (" early access" if v.get("early_access") else "")
                          for v in item.get("newer") or [])
        rows.append((item.get("name"), item.get("model_id"), local, newer))
    summary = f"{r.get('checked', 0)} downloaded models checked: {len(rows)} have newer versions."
    missing = r.get("missing") or []
    extra = f" Civitai no longer lists: {', '.join(map(str, missing))}." if missing else ""
    return (f"<p>{escape(summary + extra)}</p>"
            + table(("Model", "Id", "You have", "New"), rows, css="cs-updates"))


def backfill_html(result: dict | None) -> str:
    r = result or {}
    summary = (f"{r.get('checked', 0)} files checked: {len(r.get('metadata') or [])} metadata files and "
               f"{len(r.get('previews') or [])} previews written, {len(r.get('errors') or [])} problems.")
    rows = [("metadata", p) for p in r.get("metadata") or []] + [("preview", p) for p in r.get("previews") or []]
    errors = [(e.get("path"), e.get("error")) for e in r.get("errors") or []]
    return (f"<p>{escape(summary)}</p>" + table(("Wrote", "For file"), rows, css="cs-backfill")
            + section("Problems", table(("File", "Problem"), errors)))


def duplicates_rows(groups: list[dict]) -> list[list[Any]]:
    """Dataframe rows: one per file of each duplicate group."""
    rows = []
    for group in groups:
        for path in group["paths"]:
            rows.append([group["sha256"][:12], human_bytes(group["size"]), group.get("model_id") or "", path])
    return rows


def legacy_html(result: dict | None) -> str:
    r = result or {}
    problems = [(p.get("file"), p.get("problem") or p.get("message")) for p in r.get("problems") or []
                if isinstance(p, dict)]
    return (f"<p>{escape(r.get('summary') or 'Import finished.')}</p>"
            + section("Problems", table(("File", "Problem"), problems)))
