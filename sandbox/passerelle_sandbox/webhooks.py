"""Outbound webhooks shared by the shop simulators: subscriptions, signed deliveries after the change,
retries on a non-2xx answer with the vendor's schedule, and fault injection on demand.

A :class:`WebhookSender` holds the subscriptions (topic → delivery URL, secret) and a delivery thread.
A simulator calls :meth:`WebhookSender.fire` once a change is stored; each subscription of the topic gets
a delivery, built by the simulator's ``build(subscription, topic, payload)`` → (body bytes, headers),
and POSTed with the standard library's HTTP client; the body is built when first sent (WooCommerce builds
it at delivery time), or when fired with ``at_trigger`` (Shopify: retries carry the original payload).
Options:

* ``retries``: the delays, in seconds, between a failed attempt and the next (empty: the vendor does not
  retry); ``time_scale`` multiplies them (0.001 compresses Shopify's hours into seconds);
* ``success``: which statuses count as delivered (Shopify: 2xx; WooCommerce: 200-302);
* fault injection: ``duplicate`` (each delivery sent twice, same identity — the at-least-once case) and
  ``out_of_order`` (deliveries built when fired, held until :meth:`release`, then sent newest first).

``deliveries`` logs every attempt (subscription id, topic, status or error, attempt number) for tests.
"""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Delivery", "Subscription", "WebhookSender"]


@dataclass
class Subscription:
    id: int
    topic: str
    url: str
    secret: str
    status: str = "active"
    failures: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    subscription: Subscription
    topic: str
    payload: Any  # what the simulator builds the body from (at delivery time: the state then)
    attempt: int = 0
    due: float = 0.0
    frozen: tuple[bytes, list[tuple[str, str]]] | None = None  # body and headers of a retried delivery


Build = Callable[[Subscription, str, Any], tuple[bytes, list[tuple[str, str]]]]


class WebhookSender:
    def __init__(self, build: Build, *, retries: tuple[float, ...] = (), time_scale: float = 1.0,
                 success: Callable[[int], bool] = lambda status: 200 <= status < 300, timeout: float = 5.0,
                 at_trigger: bool = False, on_failure: Callable[[Subscription, bool], None] | None = None):
        self.build, self.retries, self.time_scale = build, tuple(retries), time_scale
        self.success, self.timeout, self.at_trigger = success, timeout, at_trigger
        self.on_failure = on_failure or (lambda subscription, ok: None)
        self.subscriptions: dict[int, Subscription] = {}
        self.duplicate = False
        self.out_of_order = False
        self.deliveries: list[dict[str, Any]] = []
        self._held: list[Delivery] = []
        self._queue: deque[Delivery] = deque()
        self._cond = threading.Condition()
        self._next_id = 1
        self._stopped = False
        self._busy = False
        self._thread: threading.Thread | None = None  # started with the first subscription

    def subscribe(self, topic: str, url: str, secret: str, **extra: Any) -> Subscription:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()
            sub = Subscription(self._next_id, topic, url, secret, extra=extra)
            self.subscriptions[sub.id] = sub
            self._next_id += 1
            return sub

    def fire(self, topic: str, payload: Any) -> int:
        """A change was stored: one delivery per active subscription of ``topic``; how many."""
        with self._cond:
            subs = [s for s in self.subscriptions.values() if s.topic == topic and s.status == "active"]
            for sub in subs:
                copies = 2 if self.duplicate else 1
                for _ in range(copies):
                    delivery = Delivery(sub, topic, payload, due=time.monotonic())
                    if self.out_of_order or self.at_trigger:  # the state when it was fired
                        delivery.frozen = self.build(sub, topic, payload)
                    if self.out_of_order:  # held back as in a slow queue
                        self._held.append(delivery)
                    else:
                        self._queue.append(delivery)
            self._cond.notify_all()
            return len(subs)

    def release(self) -> None:
        """Send the deliveries held by ``out_of_order``, newest first."""
        with self._cond:
            while self._held:
                self._queue.append(self._held.pop())
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._held)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                if not self._queue and not self._busy:
                    return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- the delivery thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not self._ready():
                    due = min((d.due for d in self._queue), default=None)
                    self._cond.wait(None if due is None else max(0.001, due - time.monotonic()))
                if self._stopped:
                    return
                delivery = next(d for d in self._queue if d.due <= time.monotonic())
                self._queue.remove(delivery)
                self._busy = True
            try:
                self._deliver(delivery)
            finally:
                with self._cond:
                    self._busy = False

    def _ready(self) -> bool:
        now = time.monotonic()
        return any(d.due <= now for d in self._queue)

    def _deliver(self, delivery: Delivery) -> None:
        sub = delivery.subscription
        if delivery.frozen is None:  # built when first sent (WooCommerce: the state then); retries resend it
            delivery.frozen = self.build(sub, delivery.topic, delivery.payload)
        body, headers = delivery.frozen
        request = urllib.request.Request(sub.url, data=body, method="POST", headers=dict(headers))
        status: int | None = None
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            error = str(exc)
        ok = status is not None and self.success(status)
        self.deliveries.append({"subscription": sub.id, "topic": delivery.topic, "status": status, "error": error,
                                "attempt": delivery.attempt + 1})
        self.on_failure(sub, ok)
        if ok or delivery.attempt >= len(self.retries) or sub.status != "active":
            return
        delivery.due = time.monotonic() + self.retries[delivery.attempt] * self.time_scale
        delivery.attempt += 1
        with self._cond:
            self._queue.append(delivery)
            self._cond.notify_all()
