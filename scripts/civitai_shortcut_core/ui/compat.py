"""The only module that knows Gradio versions (3.41 in A1111, 4.40 in Forge and standalone).

Everything else asks questions by name: ``compat.event_kwargs()``, ``compat.js_kwargs()``,
``compat.timer()``, ``compat.guard()``. Facts behind each answer: shared/host-gradio.md.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from typing import Any, Callable

import gradio as gr

log = logging.getLogger(__name__)

GRADIO_VERSION = tuple(int(p) for p in gr.__version__.split(".")[:2] if p.isdigit())
GRADIO_MAJOR = GRADIO_VERSION[0]
#: events that follow jobs share this id on 4.x so Forge's default limit of 1 never serialises them
JOBS_CONCURRENCY_ID = "civitai_shortcut_jobs"


def _user_error(exc: BaseException) -> gr.Error:
    """A readable gr.Error for an exception: typed errors keep their own sentence."""
    if getattr(exc, "code", None) and str(exc):
        return gr.Error(str(exc))
    return gr.Error(f"{type(exc).__name__}: {exc}")


def guard(fn: Callable) -> Callable:
    """Wraps a handler: gr.Error passes through; anything else is logged and shown readably.

    Keeps the handler's kind (plain, generator, async, async generator) and its signature,
    so Gradio still detects ``gr.Progress`` parameters and streaming.
    """
    name = getattr(fn, "__qualname__", repr(fn))

    def fail(exc: BaseException) -> gr.Error:
        if isinstance(exc, gr.Error):
            return exc
        if getattr(exc, "code", None):
            log.warning("%s: %s", name, exc)
        else:
            log.exception("Civitai Shortcut handler %s failed", name)
        return _user_error(exc)

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            try:
                async for item in fn(*args, **kwargs):
                    yield item
            except Exception as exc:
                raise fail(exc) from exc
    elif inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                raise fail(exc) from exc
    elif inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                raise fail(exc) from exc
    else:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                raise fail(exc) from exc
    return wrapper


def event_kwargs(*, api_name: str | None = None, follows_job: bool = False, show_progress: bool = True) -> dict:
    """Per-event keyword arguments the running Gradio accepts.

    On 4.x every event gets ``concurrency_limit``: None for job followers (many may wait at
    once without holding each other up) and a generous limit elsewhere, never the
    default of 1 that makes a second click wait for the first.
    """
    kwargs: dict[str, Any] = {}
    if api_name:
        kwargs["api_name"] = api_name
    if GRADIO_MAJOR >= 4:
        kwargs["concurrency_limit"] = None if follows_job else 8
        if follows_job:
            kwargs["concurrency_id"] = JOBS_CONCURRENCY_ID
        kwargs["show_progress"] = "full" if show_progress else "hidden"
    else:
        kwargs["show_progress"] = show_progress
    return kwargs


def js_kwargs(js: str) -> dict:
    """The keyword for client-side JavaScript on an event: ``_js`` on 3.x, ``js`` on 4.x."""
    return {"_js": js} if GRADIO_MAJOR < 4 else {"js": js}


def group(**kwargs):
    """A visual group (``gr.Box`` is gone in 4.x; ``gr.Group`` exists in both)."""
    return gr.Group(**kwargs)


def no_change():
    """An output value that leaves the component as it is."""
    return gr.update()


def timer(blocks: gr.Blocks, seconds: float, fn: Callable, inputs: list, outputs: list) -> Any:
    """Runs ``fn`` every ``seconds`` while the page is open (gr.Timer on 4.40+, ``every=`` before).

    Needs the queue: on 3.x ``every=`` turns the handler into a generator, which a WebUI
    started with ``--no-gradio-queue`` refuses on every page load.
    """
    if hasattr(gr, "Timer"):
        tick = gr.Timer(seconds)
        tick.tick(guard(fn), inputs=inputs, outputs=outputs, **event_kwargs(show_progress=False))
        return tick
    return blocks.load(guard(fn), inputs=inputs, outputs=outputs, every=seconds, show_progress=False)


def selected_index(evt: gr.SelectData) -> int | None:
    """The index a gallery/dataframe selection points at (never parsed from captions)."""
    index = evt.index
    if isinstance(index, (list, tuple)):  # dataframe cells: [row, col]
        index = index[0]
    return int(index) if index is not None else None


def selected_cell(evt: gr.SelectData) -> tuple[int, int] | None:
    """(row, column) of a dataframe selection."""
    index = evt.index
    if isinstance(index, (list, tuple)) and len(index) == 2:
        return int(index[0]), int(index[1])
    return None


def file_paths(value) -> list[str]:
    """Paths of the files a ``gr.File`` passed in (3.x: temp-file objects; 4.x: path strings)."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    paths = []
    for item in items:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict) and item.get("path"):
            paths.append(str(item["path"]))
        elif getattr(item, "name", None):
            paths.append(str(item.name))
    return paths


def table(rows: list, headers: list[str]):
    """A Dataframe value that keeps its headers even when empty (3.41 drops them for an empty list)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)


def progress_handler(fn: Callable, enabled: bool) -> Callable:
    """``fn(*inputs, progress)`` as a handler with a ``gr.Progress`` parameter only when ``enabled``.

    With A1111's ``--no-gradio-queue`` a ``gr.Progress`` default stops the whole WebUI from
    launching, so that build passes ``progress=None`` instead. Gradio finds the progress
    parameter through the signature, which is rebuilt here with the real input names.
    """
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())[:-1]
    if enabled:
        def handler(*args):
            return fn(*args)
        progress = inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=gr.Progress())
        handler.__signature__ = signature.replace(parameters=[*params, progress])
    else:
        def handler(*args):
            return fn(*args, None)
        handler.__signature__ = signature.replace(parameters=params)
    handler.__name__ = handler.__qualname__ = getattr(fn, "__name__", "handler")
    return handler


def configure_standalone_queue(demo: gr.Blocks) -> gr.Blocks:
    """Configures the queue we own in standalone mode (never ``concurrency_count`` on 4+)."""
    if GRADIO_MAJOR >= 4:
        return demo.queue(api_open=False, default_concurrency_limit=8)
    return demo.queue(concurrency_count=16, api_open=False)


def lift_queue_timeout(demo: Any) -> str | None:
    """Removes the 5 s death of queued events on Gradio 3.x with httpx >= 0.27.1.

    Gradio 3.41's queue forwards each event to its own ``/api/predict`` through an
    ``httpx.AsyncClient``; httpx 0.27.1 began applying its default 5 s timeout there, so every
    event longer than 5 s fails silently (host-gradio.md §3.8). Returns the log line written,
    or None when nothing needed doing.
    """
    if GRADIO_MAJOR >= 4 or demo is None:
        return None
    try:
        import httpx
    except ImportError:
        return None
    version = tuple(int(p) for p in httpx.__version__.split(".")[:3] if p.isdigit())
    if version < (0, 27, 1):
        return None
    queue = getattr(demo, "_queue", None)
    if queue is None:
        message = "Civitai Shortcut: Gradio queue not found; cannot lift the httpx 5 s timeout."
        log.warning(message)
        return message

    def lift() -> bool:
        client = getattr(queue, "queue_client", None)
        if client is None:
            return False
        client.timeout = httpx.Timeout(None)
        return True

    if not lift():
        # the queue creates its client in a background coroutine just after launch: wait for it
        def wait_and_lift() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if lift():
                    return
                time.sleep(0.05)
            log.error("Civitai Shortcut: the Gradio queue client never appeared; events over 5 s may fail.")

        threading.Thread(target=wait_and_lift, name="civitai-shortcut-httpx-guard", daemon=True).start()
    message = (f"Civitai Shortcut: Gradio {gr.__version__} with httpx {httpx.__version__} ends every queued "
               "event at 5 s; lifting the queue client's timeout.")
    log.warning(message)
    return message


def close(demo: Any) -> None:
    """Stops a launched app without waiting for browsers that keep a queue connection open.

    Gradio 3.41's ``close()`` joins uvicorn, which waits for every open WebSocket; a tab left
    open would hang the shutdown. Jobs are unaffected: they persist and resume next start.
    """
    server = getattr(demo, "server", None)
    if server is not None and hasattr(server, "force_exit"):
        server.force_exit = True
    demo.close()
