"""Retries with exponential backoff and jitter, ``Retry-After``, and a client-side request budget.

Only what is safe is retried: reads, and writes the connector declares ``idempotent``. A write that
creates a document is never retried blindly — the runtime decides after looking the document up.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base: float = 0.5  # seconds before the first retry (before jitter)
    cap: float = 30.0  # longest computed wait
    max_retry_after: float = 120.0  # longest wait a server may impose with Retry-After
    budget: float = 300.0  # longest an endpoint may spend waiting between retries, over a whole run
    connect_attempts: int = 3  # tries of a connection that is refused or a host that is not found
    statuses: frozenset = RETRY_STATUSES
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    waited: float = 0.0  # spent so far

    @classmethod
    def from_spec(cls, spec: dict | None, **overrides) -> "RetryPolicy":
        spec = dict(spec or {})
        kwargs = {k: spec[k] for k in ("attempts", "base", "cap", "max_retry_after", "budget", "connect_attempts")
                  if k in spec}
        if "statuses" in spec:
            kwargs["statuses"] = frozenset(spec["statuses"])
        kwargs.update(overrides)
        return cls(**kwargs)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` before a retry, unless that would pass the budget (False: give up)."""
        if self.waited + seconds > self.budget:
            return False
        self.waited += seconds
        self.sleep(seconds)
        return True

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        server = parse_retry_after(retry_after)
        if server is not None:
            return min(server, self.max_retry_after)
        ceiling = min(self.cap, self.base * (2 ** retry))
        return self.rng.uniform(ceiling / 2, ceiling)  # "equal jitter": spread, never zero


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RateLimiter:
    """A token bucket: ``rate`` requests per second on average, bursts up to ``burst``.

    ``observe(used, capacity)`` syncs the bucket with a server's own count (Shopify's
    ``X-Shopify-Shop-Api-Call-Limit: 32/40``) so several clients sharing one budget stay under it."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate, self.burst, self.clock, self.sleep = float(rate), int(burst), clock, sleep
        self.tokens = float(burst)
        self.stamp = clock()
        self.lock = threading.Lock()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def acquire(self) -> None:
        while True:
            with self.lock:
                self._refill()
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            self.waited += wait
            self.sleep(wait)

    def observe(self, used: int, capacity: int) -> None:
        with self.lock:
            self._refill()
            self.tokens = min(self.tokens, float(max(0, capacity - used)))
