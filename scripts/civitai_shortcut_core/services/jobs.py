"""Jobs: long work (downloads, registration, scans) runs here, never inside a Gradio request.

A job is a row in the library database plus a handler registered for its kind. Worker
threads (a bounded pool per kind) claim queued rows, run the handler with a ``JobContext``
and store the outcome. Progress lives in memory and reaches the row at most once a second,
so following a job is cheap and a restart still shows where it was. Unfinished jobs are
queued again when the next process starts; handlers must therefore be restartable
(downloads resume from their ``.part`` file).

Only one process per data folder runs workers: it holds ``workers.lock``. Another process
(the CLI while the app runs) only submits jobs and follows their rows.

States: queued -> running -> done | failed | cancelled; running <-> paused (via queued).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..library.db import Database

log = logging.getLogger(__name__)

STATES = ("queued", "running", "paused", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
FLUSH_INTERVAL = 1.0   # seconds between progress writes to the row
IDLE_POLL = 0.5        # seconds an idle worker waits before looking for rows from other processes


class Cancelled(Exception):
    """Raised inside a handler by ``ctx.check()`` when the user cancelled the job."""


class Paused(Exception):
    """Raised inside a handler by ``ctx.check()`` when the user paused the job."""


class _Shutdown(Exception):
    """Raised inside a handler when the process stops; the job is queued for the next start."""


class UnknownJob(LookupError):
    """No job with that id."""

    code = "unknown_job"

    def __init__(self, job_id: int):
        super().__init__(f"There is no job {job_id}.")


class JobStateError(ValueError):
    """The action does not fit the job's state (e.g. resuming a finished job)."""

    code = "job_state"


@dataclass(frozen=True)
class JobView:
    """A snapshot of one job, safe to hand to any thread."""

    id: int
    kind: str
    title: str
    state: str
    params: dict
    done: float
    total: float | None
    unit: str
    rate: float | None
    message: str
    error_code: str | None
    error: str | None
    result: Any
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, when both are known."""
        if self.state != "running" or not self.total or not self.rate or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


@dataclass
class _Live:
    """In-memory state of a running job, shared by its worker and the manager."""

    done: float = 0.0
    total: float | None = None
    unit: str = ""
    message: str = ""
    rate: float | None = None
    stop: str | None = None          # None, "cancel", "pause" or "shutdown"
    last_flush: float = 0.0
    last_rate_at: float = field(default_factory=time.monotonic)
    last_rate_done: float = 0.0
    wake: threading.Event = field(default_factory=threading.Event)


class JobContext:
    """What a handler sees: its params, a progress reporter and the stop check."""

    def __init__(self, manager: "JobManager", job_id: int, kind: str, params: dict, live: _Live):
        self.id, self.kind, self.params = job_id, kind, params
        self._manager, self._live = manager, live

    def report(self, done: float | None = None, total: float | None = None,
               message: str | None = None, unit: str | None = None) -> None:
        """Records progress; cheap enough to call for every chunk."""
        live = self._live
        if total is not None:
            live.total = total
        if unit is not None:
            live.unit = unit
        if message is not None:
            live.message = message
        now = time.monotonic()
        if done is not None:
            if done < live.done:  # restarted from zero: the old rate means nothing
                live.last_rate_done, live.last_rate_at, live.rate = done, now, None
            live.done = done
        span = now - live.last_rate_at
        if span >= 0.5:
            instant = (live.done - live.last_rate_done) / span
            live.rate = instant if live.rate is None else 0.5 * live.rate + 0.5 * instant
            live.last_rate_at, live.last_rate_done = now, live.done
        if now - live.last_flush >= FLUSH_INTERVAL:
            live.last_flush = now
            self._manager._flush(self.id, live)

    @property
    def stopping(self) -> bool:
        return self._live.stop is not None

    def check(self) -> None:
        """Raises Cancelled or Paused (or stops for shutdown) when asked; call between units of work."""
        stop = self._live.stop
        if stop == "cancel":
            raise Cancelled()
        if stop == "pause":
            raise Paused()
        if stop == "shutdown":
            raise _Shutdown()

    def sleep(self, seconds: float) -> None:
        """Waits, but wakes at once for cancel, pause or shutdown."""
        if seconds > 0:
            self._live.wake.wait(seconds)
        self.check()


Handler = Callable[[JobContext], Any]


@dataclass
class _Kind:
    handler: Handler
    workers: int
    threads: list = field(default_factory=list)


def _row_to_view(row: sqlite3.Row) -> JobView:
    return JobView(
        id=row["id"], kind=row["kind"], title=row["title"], state=row["state"],
        params=json.loads(row["params"] or "{}"), done=row["done"], total=row["total"],
        unit=row["unit"], rate=row["rate"], message=row["message"], error_code=row["error_code"],
        error=row["error"], result=json.loads(row["result"]) if row["result"] else None,
        created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"],
    )


def _describe_failure(exc: BaseException) -> tuple[str, str]:
    """Turns an exception into (code, sentence); typed errors carry both already."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and str(exc):
        return code, str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return "os_error", f"{exc.strerror}{where}."
    return "unexpected", f"Unexpected error: {type(exc).__name__}: {exc}"


class JobManager:
    """Bounded worker pools per job kind over persisted job rows."""

    def __init__(self, db: Database, *, lock_dir: Path | None = None):
        self.db = db
        self._kinds: dict[str, _Kind] = {}
        self._live: dict[int, _Live] = {}
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._running = False
        self._shutdown = threading.Event()
        self._lock_dir = Path(lock_dir) if lock_dir else Path(db.path).parent
        self._lock_file = None

    # -- registration and lifecycle ----------------------------------------------------
    def register(self, kind: str, handler: Handler, workers: int = 1) -> None:
        """Declares a job kind; its workers start with ``start()`` (or now, if started)."""
        with self._lock:
            self._kinds[kind] = _Kind(handler, max(1, int(workers)))
            if self._running:
                self._spawn(kind)

    def set_workers(self, kind: str, workers: int) -> None:
        """Changes a pool's size; extra workers exit after their current job."""
        with self._lock:
            entry = self._kinds[kind]
            entry.workers = max(1, int(workers))
            if self._running:
                self._spawn(kind)
            self._changed.notify_all()

    @property
    def runs_workers(self) -> bool:
        """True when this process executes jobs (it holds the data folder's worker lock)."""
        return self._running

    def start(self) -> bool:
        """Recovers unfinished jobs and starts workers; False if another process runs them."""
        with self._lock:
            if self._running:
                return True
            if not self._acquire_process_lock():
                log.info("Another Civitai Shortcut process runs the jobs of this library; following only.")
                return False
            self._shutdown.clear()
            recovered = self.db.write(lambda c: c.execute(
                "UPDATE job SET state='queued', updated_at=? WHERE state='running'", (time.time(),)).rowcount)
            if recovered:
                log.info("Resuming %d unfinished job(s) from the last run.", recovered)
            self._running = True
            for kind in self._kinds:
                self._spawn(kind)
            return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stops workers; running jobs go back to 'queued' for the next start."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._shutdown.set()
            for live in self._live.values():
                live.stop = live.stop or "shutdown"
                live.wake.set()
            self._changed.notify_all()
            threads = [t for k in self._kinds.values() for t in k.threads]
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for entry in self._kinds.values():
                entry.threads = [t for t in entry.threads if t.is_alive()]
        self._release_process_lock()

    def _acquire_process_lock(self) -> bool:
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_dir / "workers.lock", "a+")
        try:
            if os.name == "nt":
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def _release_process_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases flock/msvcrt locks
            self._lock_file = None

    def _spawn(self, kind: str) -> None:
        entry = self._kinds[kind]
        entry.threads = [t for t in entry.threads if t.is_alive()]
        while len(entry.threads) < entry.workers:
            slot = len(entry.threads)
            thread = threading.Thread(target=self._work, args=(kind, slot), daemon=True,
                                      name=f"civitai-shortcut-{kind}-{slot}")
            entry.threads.append(thread)
            thread.start()

    # -- public actions -----------------------------------------------------------------
    def submit(self, kind: str, params: dict | None = None, title: str = "") -> int:
        """Queues a job and returns its id."""
        payload = json.dumps(params or {})
        now = time.time()
        job_id = self.db.write(lambda c: c.execute(
            "INSERT INTO job(kind, title, state, params, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (kind, title, "queued", payload, now, now)).lastrowid)
        with self._lock:
            self._changed.notify_all()
        return job_id

    def get(self, job_id: int) -> JobView:
        """The job's current state (live progress for running jobs of this process)."""
        row = self.db.read().execute("SELECT * FROM job WHERE id=?", (job_id,)).fetchone()
        if row is None:
            raise UnknownJob(job_id)
        view = _row_to_view(row)
        live = self._live.get(job_id)
        if live is not None and view.state == "running":
            view = JobView(**{**view.__dict__, "done": live.done, "total": live.total, "unit": live.unit,
                              "rate": live.rate, "message": live.message})
        return view

    def list(self, *, kinds: tuple[str, ...] = (), states: tuple[str, ...] = (), limit: int = 100) -> list[JobView]:
        """Newest jobs first, optionally filtered."""
        sql, args = "SELECT * FROM job", []
        where = []
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            args += list(kinds)
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args += list(states)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        rows = self.db.read().execute(sql, args).fetchall()
        return [self.get(r["id"]) if r["state"] == "running" else _row_to_view(r) for r in rows]

    def find_active(self, kind: str, key: str, value: Any) -> JobView | None:
        """An unfinished job of ``kind`` whose params[key] == value (to join instead of duplicating)."""
        for view in self.list(kinds=(kind,), states=("queued", "running", "paused"), limit=10_000):
            if view.params.get(key) == value:
                return view
        return None

    def cancel(self, job_id: int) -> JobView:
        """Cancels a queued, paused or running job; a running handler stops at its next check."""
        return self._stop(job_id, "cancel", "cancelled")

    def pause(self, job_id: int) -> JobView:
        """Pauses a queued or running job; ``resume`` continues it (downloads from their .part)."""
        return self._stop(job_id, "pause", "paused")

    def _stop(self, job_id: int, action: str, target: str) -> JobView:
        with self._lock:
            view = self.get(job_id)
            if view.finished or (action == "pause" and view.state == "paused"):
                raise JobStateError(f"Job {job_id} is {view.state}; it cannot be {target}.")
            live = self._live.get(job_id)
            if view.state == "running" and live is not None:
                live.stop = action
                live.wake.set()
            else:  # queued, paused, or running in another process that follows the row
                self._set_state(job_id, target, from_states=("queued", "paused", "running"))
            self._changed.notify_all()
        return self.get(job_id)

    def resume(self, job_id: int) -> JobView:
        """Queues a paused job again."""
        if not self._set_state(job_id, "queued", from_states=("paused",)):
            raise JobStateError(f"Job {job_id} is {self.get(job_id).state}, not paused.")
        with self._lock:
            self._changed.notify_all()
        return self.get(job_id)

    def retry(self, job_id: int) -> JobView:
        """Queues a failed or cancelled job again with the same params."""
        def write(c: sqlite3.Connection) -> int:
            return c.execute(
                "UPDATE job SET state='queued', error=NULL, error_code=NULL, result=NULL, finished_at=NULL,"
                " message='', rate=NULL, updated_at=? WHERE id=? AND state IN ('failed','cancelled')",
                (time.time(), job_id)).rowcount
        if not self.db.write(write):
            raise JobStateError(f"Job {job_id} is {self.get(job_id).state}; only failed or cancelled jobs can be retried.")
        with self._lock:
            self._changed.notify_all()
        return self.get(job_id)

    def wait(self, job_id: int, timeout: float | None = None) -> JobView:
        """Blocks until the job finishes (or ``timeout`` passes) and returns its state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            view = self.get(job_id)
            if view.finished:
                return view
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return view
            with self._lock:
                self._changed.wait(min(IDLE_POLL, left) if left is not None else IDLE_POLL)

    # -- workers ------------------------------------------------------------------------
    def _set_state(self, job_id: int, state: str, *, from_states: tuple[str, ...]) -> bool:
        now = time.time()
        finished = now if state in FINISHED else None
        marks = ",".join("?" * len(from_states))
        return bool(self.db.write(lambda c: c.execute(
            f"UPDATE job SET state=?, updated_at=?, finished_at=COALESCE(?, finished_at) WHERE id=? AND state IN ({marks})",
            (state, now, finished, job_id, *from_states)).rowcount))

    def _claim(self, kind: str) -> sqlite3.Row | None:
        def write(c: sqlite3.Connection) -> sqlite3.Row | None:
            row = c.execute("SELECT * FROM job WHERE kind=? AND state='queued' ORDER BY id LIMIT 1", (kind,)).fetchone()
            if row is None:
                return None
            now = time.time()
            c.execute("UPDATE job SET state='running', started_at=COALESCE(started_at, ?), updated_at=? WHERE id=?",
                      (now, now, row["id"]))
            return row
        return self.db.write(write)

    def _work(self, kind: str, slot: int) -> None:
        while not self._shutdown.is_set():
            entry = self._kinds[kind]
            if slot >= entry.workers:
                return  # the pool shrank
            try:
                row = self._claim(kind)
            except sqlite3.Error:
                log.exception("Could not read the job queue; retrying")
                row = None
            if row is None:
                with self._lock:
                    if not self._shutdown.is_set():
                        self._changed.wait(IDLE_POLL)
                continue
            self._run(entry.handler, row)

    def _run(self, handler: Handler, row: sqlite3.Row) -> None:
        job_id = row["id"]
        live = _Live(done=row["done"] or 0.0, total=row["total"], unit=row["unit"] or "")
        live.last_rate_done = live.done
        with self._lock:
            self._live[job_id] = live
        ctx = JobContext(self, job_id, row["kind"], json.loads(row["params"] or "{}"), live)
        state, result, code, error = "done", None, None, None
        try:
            result = handler(ctx)
            json.dumps(result)  # fail here, not later when storing
        except Cancelled:
            state = "cancelled"
        except Paused:
            state = "paused"
        except _Shutdown:
            state = "queued"
        except Exception as exc:  # every failure is stored with its sentence, and logged
            state = "failed"
            code, error = _describe_failure(exc)
            if code == "unexpected":
                log.error("Job %d (%s) failed:\n%s", job_id, row["kind"], traceback.format_exc())
            else:
                log.warning("Job %d (%s) failed: %s", job_id, row["kind"], error)
        self._finish(job_id, live, state, result, code, error)

    def _flush(self, job_id: int, live: _Live) -> None:
        def write(c: sqlite3.Connection) -> str | None:
            changed = c.execute(
                "UPDATE job SET done=?, total=?, unit=?, rate=?, message=?, updated_at=? WHERE id=? AND state='running'",
                (live.done, live.total, live.unit, live.rate, live.message, time.time(), job_id)).rowcount
            if changed:
                return None
            row = c.execute("SELECT state FROM job WHERE id=?", (job_id,)).fetchone()
            return row["state"] if row else "cancelled"
        try:
            other = self.db.write(write)
        except sqlite3.Error:
            log.exception("Could not store progress of job %d", job_id)
            return
        # another process (the CLI) cancelled or paused this job through its row
        if other in ("cancelled", "paused") and live.stop is None:
            live.stop = "cancel" if other == "cancelled" else "pause"
            live.wake.set()

    def _finish(self, job_id: int, live: _Live, state: str, result: Any, code: str | None, error: str | None) -> None:
        now = time.time()
        # a stop request that raced with the handler's last check still wins for cancel
        if state == "done" and live.stop == "cancel":
            state = "cancelled"
        finished = now if state in FINISHED else None
        message = live.message if state in ("done", "queued", "paused") else (error or state)
        self.db.write(lambda c: c.execute(
            "UPDATE job SET state=?, result=?, error_code=?, error=?, done=?, total=?, unit=?, rate=?, message=?,"
            " finished_at=?, updated_at=? WHERE id=?",
            (state, json.dumps(result) if result is not None else None, code, error, live.done, live.total,
             live.unit, None, message, finished, now, job_id)))
        with self._lock:
            self._live.pop(job_id, None)
            self._changed.notify_all()
