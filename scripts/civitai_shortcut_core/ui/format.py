"""Human-readable numbers for the UI and the CLI (sizes, speeds, durations)."""

from __future__ import annotations

import html


def human_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_text(view) -> str:
    """'12.0 MiB / 100.0 MiB · 5.1 MiB/s · 17 s left · message' for a JobView."""
    parts = []
    if view.unit in ("bytes", "B"):
        parts.append(f"{human_bytes(view.done)} / {human_bytes(view.total)}" if view.total else human_bytes(view.done))
        if view.rate and view.state == "running":
            parts.append(f"{human_bytes(view.rate)}/s")
    elif view.total:
        parts.append(f"{view.done:.0f} / {view.total:.0f} {view.unit}".rstrip())
    eta = view.eta
    if eta is not None:
        parts.append(f"{human_duration(eta)} left")
    if view.message and view.state != "failed":
        parts.append(view.message)
    return " · ".join(parts)


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)
