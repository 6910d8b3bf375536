"""Fault injection shared by every simulator.

A :class:`Faults` object is consulted once per HTTP request, before the simulator sees it. It can:

* add latency (``latency_ms``, every request);
* reset the connection without answering (``reset_rate``; TCP RST, the request is *not* applied);
* answer ``429 Too Many Requests`` with ``Retry-After: <retry_after>`` (``rate_429``);
* answer an error status drawn from ``statuses`` (``error_rate``; the request is *not* applied);
* for writes (POST/PUT/PATCH/DELETE), apply the request and then drop the connection so the reply
  never arrives (``stored_but_lost_rate``) — the "did my order get stored?" case that makes
  look-up-before-retry necessary;
* send the headers with the full ``Content-Length`` but only part of the body, then close
  (``truncate_rate``).

Neither PrestaShop nor WebServices100 rate-limit by themselves; 429 and 5xx here stand
for a proxy, a WAF or an overloaded host in front of them, so their bodies are short plain text.

Decisions are drawn from ``random.Random(seed)`` in a fixed order (six draws per request, whatever
the outcome), so a sequential client sees the same faults on every run. ``limit`` caps the number of
injected faults (latency is not counted); ``methods`` and ``path_contains`` restrict which requests
are eligible. ``injected`` counts what was injected, per kind. Swap the object on a running simulator
with ``sim.faults = Faults(...)``.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

__all__ = ["Decision", "Faults", "WRITE_METHODS"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one request. ``kind`` is None (serve normally), "reset", "429" or "error"."""

    latency_s: float = 0.0
    kind: str | None = None
    status: int = 0
    retry_after: str = ""
    lose_reply: bool = False
    truncate: bool = False


def _rate(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return value


class Faults:
    """Seeded, thread-safe fault plan. See the module docstring for each kind."""

    def __init__(
        self,
        error_rate: float = 0.0,
        statuses: tuple[int, ...] = (500, 502, 503),
        rate_429: float = 0.0,
        retry_after: float | int = 1,
        latency_ms: int = 0,
        reset_rate: float = 0.0,
        truncate_rate: float = 0.0,
        stored_but_lost_rate: float = 0.0,
        seed: int = 0,
        limit: int | None = None,
        methods: tuple[str, ...] | None = None,
        path_contains: str | None = None,
    ) -> None:
        self.error_rate = _rate("error_rate", error_rate)
        self.rate_429 = _rate("rate_429", rate_429)
        self.reset_rate = _rate("reset_rate", reset_rate)
        self.truncate_rate = _rate("truncate_rate", truncate_rate)
        self.stored_but_lost_rate = _rate("stored_but_lost_rate", stored_but_lost_rate)
        if not statuses:
            raise ValueError("statuses must not be empty")
        self.statuses = tuple(int(s) for s in statuses)
        self.retry_after = retry_after
        if latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        self.latency_ms = latency_ms
        self.seed = seed
        self.limit = limit
        self.methods = None if methods is None else frozenset(m.upper() for m in methods)
        self.path_contains = path_contains
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        parts = [
            f"{name}={getattr(self, name)!r}"
            for name in ("error_rate", "rate_429", "reset_rate", "truncate_rate", "stored_but_lost_rate",
                         "latency_ms", "seed", "limit")
            if getattr(self, name)
        ]
        return f"Faults({', '.join(parts)})"

    def _eligible(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def _budget_left(self) -> bool:
        return self.limit is None or sum(self.injected.values()) < self.limit

    def decide(self, method: str, path: str) -> Decision:
        """Draw the decision for one request (always six draws, to keep the sequence stable)."""
        with self._lock:
            draws = [self._rng.random() for _ in range(5)]
            pick = self._rng.choice(self.statuses)
            latency = self.latency_ms / 1000.0
            if not self._eligible(method, path):
                return Decision(latency_s=latency)
            r_reset, r_429, r_error, r_lost, r_trunc = draws
            if r_reset < self.reset_rate and self._budget_left():
                self.injected["reset"] += 1
                return Decision(latency_s=latency, kind="reset")
            if r_429 < self.rate_429 and self._budget_left():
                self.injected["429"] += 1
                return Decision(latency_s=latency, kind="429", status=429, retry_after=str(self.retry_after))
            if r_error < self.error_rate and self._budget_left():
                self.injected["error"] += 1
                return Decision(latency_s=latency, kind="error", status=pick)
            lose = method.upper() in WRITE_METHODS and r_lost < self.stored_but_lost_rate and self._budget_left()
            if lose:
                self.injected["stored_but_lost"] += 1
                return Decision(latency_s=latency, lose_reply=True)
            if r_trunc < self.truncate_rate and self._budget_left():
                self.injected["truncate"] += 1
                return Decision(latency_s=latency, truncate=True)
            return Decision(latency_s=latency)
