"""Buttons that start a job and follow it: the pattern every long action of the tab uses.

A handler built here enqueues the job (``start(*inputs) -> job id``), follows it from its own
thread with progress (``ctx.follow``), then renders the finished job's result. With A1111's
``--no-gradio-queue`` there is no progress: the handler answers at once with the job's state
and the section's "Show last result" button renders the newest finished job of that kind,
which also works after a page reload.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from . import compat


def job_handler(ctx, start: Callable[..., int], render: Callable[[Any], tuple], outputs: int) -> Callable:
    """A guarded handler ``(*inputs) -> (status sentence, *render(view))``.

    Args:
        start: takes the event's inputs (explicit parameters), queues a job, returns its id
            (or a sentence saying why there is nothing to do).
        render: the finished ``JobView`` -> values for the ``outputs`` result components.
        outputs: how many result components ``render`` fills.
    """
    params = list(inspect.signature(start).parameters.values())

    def run(*args):
        inputs, progress = (args[:-1], args[-1]) if ctx.with_progress else (args, None)
        job_id = start(*inputs)
        if isinstance(job_id, str):  # nothing to do: start explains why
            return (job_id, *[compat.no_change() for _ in range(outputs)])
        sentence = ctx.follow(job_id, progress) if progress is not None else ctx.follow(job_id)
        view = ctx.app.jobs.get(job_id)
        if not view.finished:  # start-and-poll mode: the Jobs panel and "Show last result" take over
            return (sentence, *[compat.no_change() for _ in range(outputs)])
        return (sentence, *render(view))

    if ctx.with_progress:
        params.append(inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=gr.Progress()))
    run.__signature__ = inspect.Signature(params)
    run.__name__ = run.__qualname__ = getattr(start, "__name__", "job_action")
    return compat.guard(run)


def last_result_handler(ctx, kind: str, render: Callable[[Any], tuple], outputs: int) -> Callable:
    """A guarded handler ``() -> (status, *render(view))`` for the newest finished job of ``kind``."""
    def show_last():
        views = [v for v in ctx.app.jobs.list(kinds=(kind,), limit=20) if v.finished]
        if not views:
            return ("No finished job of this kind yet.", *[compat.no_change() for _ in range(outputs)])
        view = views[0]
        if view.state != "done":
            return (f"Job #{view.id} {view.state}: {view.error or ''}".strip(),
                    *[compat.no_change() for _ in range(outputs)])
        return (f"Result of job #{view.id} ({view.title}).", *render(view))
    show_last.__name__ = f"last_{kind}"
    return compat.guard(show_last)
