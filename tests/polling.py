"""Waiting in tests means polling a condition with a deadline, never a bare sleep."""

from __future__ import annotations

import time


def poll(predicate, timeout: float = 10.0, interval: float = 0.01):
    """Returns ``predicate()``'s first truthy value, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
