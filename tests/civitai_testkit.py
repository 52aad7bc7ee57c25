"""Helpers for the civitai tests: a fake clock/sleep pair and a client wired to the fake server."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from civitai_shortcut_core.civitai import CivitaiClient, CivitaiHttp, RetryPolicy
from civitai_shortcut_core.civitai.http import DEFAULT_POLICY
from civitai_shortcut_core.settings import Settings

#: a key shaped like Civitai's (32 hex); tests grep logs and messages for it
KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class FakeTime:
    """``sleep`` records the wait and moves ``clock`` forward; nothing really sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        with self.lock:
            return self.now


def make_http(server, *, policy: RetryPolicy = DEFAULT_POLICY, min_interval: float = 0.0,
              **settings) -> tuple[CivitaiHttp, FakeTime]:
    """A ``CivitaiHttp`` pointed at ``server`` with fake time; ``settings`` override Settings fields."""
    values = {"civitai_url": server.url, "connect_timeout": 2.0, "read_timeout": 5.0, **settings}
    current = Settings(**values)
    time = FakeTime()
    http = CivitaiHttp(lambda: current, sleep=time.sleep, clock=time.clock, policy=policy,
                       min_interval=min_interval)
    return http, time


def make_client(server, **settings) -> tuple[CivitaiClient, FakeTime]:
    http, time = make_http(server, **settings)
    return CivitaiClient(http), time
