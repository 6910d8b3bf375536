"""Taking one webhook delivery: the answer the shop gets, decided before anything is processed.

In this order, for ``POST /webhooks/<flow>`` (the HTTP side, :mod:`engine.web.webhooks`, reads the raw
body, bounded, and calls :meth:`Intake.receive`):

1. a flow of the live plan that takes webhooks (one of ``serve --flow``, when given), else 404 — logged
   ``webhook_not_served`` when the flow takes webhooks but is left out of ``--flow``;
2. the connector's unsigned ping (a form body with its one field, WooCommerce's ``webhook_id=N`` when a
   webhook is created) is answered 200 and kept nowhere;
3. the signature is checked over the RAW body, in constant time, with the secret of the source
   endpoint's setting, before the body is parsed: missing or wrong → 401 and a log line naming the flow
   and the header, never the body;
4. a topic the flow does not take → 200, ignored (logged): answering an error would only make the shop
   retry it;
5. a delivery older than the flow's ``max_age`` (by the connector's ``sent_at_header``) → 200, ignored
   (logged ``webhook_stale``): the safety-net poll brings the record's current state anyway;
6. the event is committed to the durable queue (the state store's, :mod:`engine.runtime.event_store`); a delivery id
   already there is a replay → 200, ignored (``webhook_duplicate``). Only then the 200 is sent; a state
   store that cannot take it (a full disk, a read-only state, an unreachable PostgreSQL) → 503
   (``webhook_unavailable``), so that the shop delivers it again later. With a RabbitMQ broker
   (:mod:`engine.runtime.amqp_queue`) the event is published there instead, and the 200 waits for the
   broker's confirm (a replay is then recognised when the event moves on to the state store's queue).
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from engine.connectors.webhook_schemes import verify
from engine.errors import OperatorError
from engine.runtime.endpoints import ConfigError, resolve_settings
from engine.spec.env import Secret

Headers = Callable[[str], "str | None"]  # a header by name, case-insensitively
_FRACTION = re.compile(r"(\.\d{6})\d+")


def instant(value: Any) -> float | None:
    """An ISO 8601 date-time as seconds since the epoch (no offset: UTC, as ``*_gmt`` fields are);
    None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def body_value(record: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        record = record.get(part) if isinstance(record, dict) else None
    return record


def parse_body(body: str) -> Any:
    return json.loads(body, parse_float=Decimal)


def _fast_loads(text: str) -> Any:
    import orjson  # a locked dependency (engine.util.jsonout); imported on the first delivery

    return orjson.loads(text)


@dataclass(frozen=True)
class Accepted:
    """A delivery to queue: checked, and its identity found."""
    flow: str
    delivery: str
    topic: str
    text: str
    sent_at: float | None


class Intake:
    """Decides the answer to each delivery and queues the accepted ones in ``queue`` (an EventRows: the
    state store's ``events()``), or publishes them to ``broker`` (an
    :class:`engine.runtime.amqp_queue.Publisher`, awaited by :meth:`areceive`) when the project has one.
    ``plan`` gives the live plan (hot reload applies to the next delivery); ``wake`` is set when an
    event was queued."""

    def __init__(self, plan: Callable[[], Any], queue: Any, *, environ: Mapping[str, str] | None = None,
                 log: Callable[..., None] = lambda event, **fields: None, wake: threading.Event | None = None,
                 clock: Callable[[], float] = time.time, flows: Collection[str] | None = None, broker: Any = None):
        self.plan, self.queue, self.environ, self.log = plan, queue, environ, log
        self.broker = broker
        self.flows = frozenset(flows) if flows else None  # `serve --flow`: only these take webhooks
        self.wake = wake or threading.Event()
        self.clock = clock
        # the secrets of one plan, by endpoint; the plan itself is held (never its id(): a freed plan's
        # address is given to the next one, and the old secret would go on checking the deliveries)
        self._secrets: tuple[Any, dict[str, str]] = (None, {})

    def secret(self, plan: Any, endpoint: str, setting: str) -> str:
        held, secrets = self._secrets
        if held is not plan:
            secrets = {}
        cached = secrets.get(endpoint)
        if cached is None:
            value: Any = resolve_settings(plan, endpoint, self.environ).get(setting)
            cached = value.reveal() if isinstance(value, Secret) else str(value or "")
            self._secrets = (plan, {**secrets, endpoint: cached})
        return cached

    def receive(self, name: str, header: Headers, body: bytes, content_type: str = "") -> tuple[int, dict]:
        """The answer to one delivery, the accepted event committed to the state store's queue."""
        decided = self.decide(name, header, body, content_type)
        return decided if isinstance(decided, tuple) else self.commit(decided)

    async def areceive(self, name: str, header: Headers, body: bytes, content_type: str = "") -> tuple[int, dict]:
        """The same, on the HTTP server's event loop: with a broker, the accepted event is published there
        (confirmed before the answer) instead of committed to the state store."""
        decided = self.decide(name, header, body, content_type)
        if isinstance(decided, tuple):
            return decided
        if self.broker is None:
            return self.commit(decided)
        try:
            await self.broker.publish(decided.flow, decided.delivery, decided.topic, body, decided.sent_at,
                                      content_type)
        except OperatorError as exc:  # engine.runtime.amqp_queue.BrokerUnavailable: its message is scrubbed
            self.log("webhook_unavailable", flow=decided.flow, topic=decided.topic, delivery=decided.delivery,
                     error=str(exc))
            return 503, {"error": "the queue cannot take the event now: retry later"}
        self.log("webhook_queued", flow=decided.flow, topic=decided.topic, delivery=decided.delivery, via="amqp")
        return 200, {"queued": decided.delivery}

    def decide(self, name: str, header: Headers, body: bytes, content_type: str = "") -> tuple[int, dict] | Accepted:
        """Steps 1 to 5: the answer when the delivery is not to be queued, else what to queue."""
        plan = self.plan()
        flow = plan.flows.get(name)
        hooks = getattr(flow, "webhooks", None)
        if hooks is not None and self.flows is not None and name not in self.flows:
            self.log("webhook_not_served", flow=name, served=sorted(self.flows))
            return 404, {"error": f"flow '{name}' takes webhooks but is not served here (serve --flow)"}
        if hooks is None:
            return 404, {"error": f"no flow '{name}' takes webhooks"}
        decl = hooks.decl
        given = header(decl.signature_header)
        if given is None and decl.ping_field and content_type.startswith("application/x-www-form-urlencoded") \
                and list(parse_qs(body.decode("latin-1"))) == [decl.ping_field]:
            self.log("webhook_ping", flow=name)
            return 200, {"ok": True}
        try:
            secret = self.secret(plan, hooks.endpoint, hooks.secret_setting)
        except ConfigError as exc:
            self.log("webhook_unconfigured", flow=name, error=str(exc))
            return 503, {"error": "the webhook secret is not configured"}
        if not verify(decl.style, secret, body, given):
            self.log("webhook_refused", flow=name, header=decl.signature_header,
                     reason="no signature" if not given else "the signature does not match the body",
                     bytes=len(body))
            return 401, {"error": "invalid signature"}
        topic = header(decl.topic_header) or ""
        if topic not in hooks.topics:
            self.log("webhook_ignored", flow=name, topic=topic, reason="a topic this flow does not take")
            return 200, {"ignored": "topic"}
        sent_at = instant(header(decl.sent_at_header)) if decl.sent_at_header else None
        if hooks.max_age is not None and sent_at is not None and self.clock() - sent_at > hooks.max_age:
            self.log("webhook_stale", flow=name, topic=topic, age_s=round(self.clock() - sent_at, 1),
                     max_age_s=hooks.max_age)
            return 200, {"ignored": "stale"}
        try:
            text = body.decode("utf-8")
            delivery = self.delivery_id(decl, header, text)
        except (UnicodeDecodeError, ValueError) as exc:
            self.log("webhook_invalid", flow=name, topic=topic, reason=str(exc))
            return 400, {"error": str(exc)}
        return Accepted(name, delivery, topic, text, sent_at)

    def commit(self, event: Accepted) -> tuple[int, dict]:
        """Step 6 with the state store's queue."""
        name, topic, delivery = event.flow, event.topic, event.delivery
        try:
            queued = self.queue.enqueue(name, delivery, topic, event.text, event.sent_at)
        except (sqlite3.Error, OSError, OperatorError) as exc:  # a full disk, a read-only state: retried later
            self.log("webhook_unavailable", flow=name, topic=topic, delivery=delivery,
                     error=f"the state store did not take the event: {exc}")
            return 503, {"error": "the state store cannot take the event now: retry later"}
        if queued is None:
            self.log("webhook_duplicate", flow=name, topic=topic, delivery=delivery)
            return 200, {"ignored": "duplicate"}
        self.log("webhook_queued", flow=name, topic=topic, delivery=delivery, id=queued)
        self.wake.set()
        return 200, {"queued": queued}

    @staticmethod
    def delivery_id(decl: Any, header: Headers, text: str) -> str:
        parts, parsed = [], None
        for kind, name in decl.delivery_id:
            if kind == "header":
                value: Any = header(name)
            else:
                if parsed is None:
                    try:
                        parsed = _fast_loads(text)  # ids and dates only: no Decimal needed here
                    except ValueError:
                        raise ValueError("the body is not JSON") from None
                value = body_value(parsed, tuple(name.split(".")))
            if value in (None, ""):
                raise ValueError(f"the delivery has no {kind} {name}, part of its identity")
            parts.append(str(value))
        return "|".join(parts)


__all__ = ["Accepted", "Intake", "body_value", "instant", "parse_body"]
