"""RabbitMQ as the durable webhook queue, for sites that run a broker: the project setting
``webhook_queue: { amqp_url: "${env:AMQP_URL}" }`` (absent: the state store's queue, the default).

* :class:`Publisher` — the intake's side, on the HTTP server's event loop: each accepted delivery
  (its raw body and what the intake found in its headers: flow, topic, delivery id, sent_at) is
  published to a **durable** queue as a **persistent** message, on a channel with **publisher
  confirms**; the shop gets its 200 only once the broker confirmed, and a broker that is unreachable
  or does not confirm within ``timeout`` raises :class:`BrokerUnavailable` (the shop gets a 503 and
  delivers it again later).
* :class:`Consumer` — the processing side, in a thread of ``serve`` (or of ``worker``): takes the
  messages, commits each into the state store's event queue (unique per flow and delivery id: a
  message delivered again is a replay, not a second event) and acknowledges it only after that
  commit. A crash between the two makes the broker deliver it again, and the store recognises it.
  From the store on, the processing is the one of every queued event (order per key, coalescing,
  the ledger).

The URL carries a password: it is never logged nor put in an error, and the client library's own
loggers are silenced (its messages may quote the URL); errors are told by their kind, scrubbed.
aio-pika (the ``rabbitmq`` extra) is imported only when the setting is there.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import OperatorError
from engine.spec.env import MissingEnv, Secret, has_reference, resolve, scrub

SETTING = "webhook_queue"
DEFAULT_TIMEOUT = 3.0  # seconds to connect and be confirmed: the shops give up on a delivery after 5 s
DEFAULT_PREFETCH = 100
CLOSE_TIMEOUT = 0.5  # seconds to close a connection that failed before the 503 is answered
INSTALL = "pip install 'passerelle[rabbitmq]'"
# what the intake found in the delivery, carried as message headers
FLOW, TOPIC, DELIVERY, SENT_AT = "x-passerelle-flow", "x-passerelle-topic", "x-passerelle-delivery", "x-passerelle-sent-at"


class BrokerUnavailable(OperatorError):
    """The broker did not take the event (unreachable, refused, or no confirm in time): retried later."""


@dataclass(frozen=True)
class AmqpSettings:
    url: Secret = field(repr=False)  # amqp://user:password@host:5672/vhost: revealed to the client only
    queue: str
    prefetch: int = DEFAULT_PREFETCH
    timeout: float = DEFAULT_TIMEOUT


def amqp_settings(settings: Any, project: str, environ: Mapping[str, str] | None = None) -> AmqpSettings | None:
    """The project's ``webhook_queue`` setting resolved, or None (the state store's queue)."""
    block = settings.get(SETTING) if hasattr(settings, "get") else None
    if not block:
        return None
    written = block.get("amqp_url")
    if not isinstance(written, str) or not has_reference(written):
        raise OperatorError(f"project setting `{SETTING}.amqp_url` must come from the environment "
                            "(`${env:AMQP_URL}`): the URL carries the broker's password")
    try:
        value = resolve(written, environ, secret=True)
    except MissingEnv as exc:
        raise OperatorError(f"project setting `{SETTING}.amqp_url`: {exc} (it names the RabbitMQ broker, "
                            "e.g. amqp://user:password@host:5672/vhost)") from None
    url = value if isinstance(value, Secret) else Secret(value)
    if not url.reveal().startswith(("amqp://", "amqps://")):
        raise OperatorError(f"project setting `{SETTING}.amqp_url` ({written}) is not an amqp:// or amqps:// URL")
    return AmqpSettings(url, str(block.get("queue") or f"passerelle.{project}.webhooks"),
                        int(block.get("prefetch") or DEFAULT_PREFETCH), float(block.get("timeout") or DEFAULT_TIMEOUT))


def client() -> Any:
    """aio-pika, imported on first use, its loggers silenced (their messages may quote the URL)."""
    try:
        import aio_pika
    except ImportError:
        raise OperatorError(f"project setting `{SETTING}` needs the RabbitMQ client: {INSTALL}") from None
    for name in ("aio_pika", "aiormq"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    return aio_pika


def why(exc: BaseException) -> str:
    """What went wrong, for a log line: the kind of error and its message, scrubbed of the URL."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "no answer in time"
    text = str(exc).strip()
    return scrub(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


async def opened(aio_pika: Any, settings: AmqpSettings) -> tuple[Any, Any, Any]:
    """A connection, a channel with publisher confirms, and the durable queue (declared: idempotent)."""
    connection = await aio_pika.connect(settings.url.reveal(), timeout=settings.timeout)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(settings.queue, durable=True)
    except BaseException:
        await connection.close()
        raise
    return connection, channel, queue


class Publisher:
    """Publishes accepted deliveries; used from one event loop (the HTTP server's), connected on the
    first delivery and again after any failure."""

    def __init__(self, settings: AmqpSettings):
        self.settings = settings
        self.aio_pika = client()
        self._channel: Any = None
        self._connection: Any = None
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the connection belongs to

    async def _ready(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._channel is None or self._channel.is_closed:
                await self._drop()
                self._loop = asyncio.get_running_loop()
                self._connection, self._channel, _ = await opened(self.aio_pika, self.settings)
            return self._channel

    async def _drop(self) -> None:
        """Forget the connection; closing it is bounded (a blocked broker may never answer the close)."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await connection.close()
            except Exception:  # already gone, or not answering: the socket is dropped with it
                pass

    async def publish(self, flow: str, delivery: str, topic: str, body: bytes, sent_at: float | None,
                      content_type: str = "") -> None:
        """Returns once the broker confirmed the persistent message; BrokerUnavailable otherwise."""
        aio_pika = self.aio_pika
        headers: dict[str, Any] = {FLOW: flow, TOPIC: topic, DELIVERY: delivery}
        if sent_at is not None:
            headers[SENT_AT] = repr(float(sent_at))
        message = aio_pika.Message(body, headers=headers, message_id=delivery, timestamp=time.time(),
                                   content_type=content_type or None,
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        try:
            async with asyncio.timeout(self.settings.timeout):
                channel = await self._ready()
                confirm = await channel.default_exchange.publish(message, routing_key=self.settings.queue,
                                                                 mandatory=True)
        except Exception as exc:
            await self._drop()
            raise BrokerUnavailable(f"the broker did not take the event ({why(exc)})") from None
        from pamqp.commands import Basic  # aio-pika's own protocol library

        if not isinstance(confirm, Basic.Ack):  # a nack, or returned unroutable (the queue deleted meanwhile)
            await self._drop()
            raise BrokerUnavailable("the broker did not confirm the event")

    def close(self, timeout: float = 5.0) -> None:
        """Closes the connection on its own loop (from another thread, before that loop stops)."""
        loop = self._loop
        if loop is None or self._connection is None or loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._drop(), loop).result(timeout)
        except Exception:  # the loop is stopping or the broker is gone: the process ends the socket
            pass


class Consumer:
    """Moves the broker's messages into the state store's queue (``events``: an EventRows), each
    acknowledged once committed there; ``wake`` is set for the processing. Runs in its own thread with
    its own event loop until ``stop``; reconnects (every ``retry`` seconds) while the broker is away."""

    def __init__(self, settings: AmqpSettings, events: Any, wake: threading.Event,
                 log: Callable[..., None], retry: float = 2.0):
        self.settings, self.events, self.wake, self.log, self.retry = settings, events, wake, log, retry
        self.aio_pika = client()
        self.connected = threading.Event()  # set while consuming (for the tests and the status)

    def run_forever(self, stop: threading.Event) -> None:
        asyncio.run(self._run(stop))

    async def _run(self, stop: threading.Event) -> None:
        down_since: float | None = None
        while not stop.is_set():
            try:
                await self._consume(stop)
            except Exception as exc:
                self.connected.clear()
                if down_since is None:  # said once per outage, then when it is over
                    down_since = time.monotonic()
                    self.log("amqp_unavailable", queue=self.settings.queue, error=why(exc),
                             retry_s=self.retry)
                await asyncio.get_running_loop().run_in_executor(None, stop.wait, self.retry)
                continue
            down_since = None

    async def _consume(self, stop: threading.Event) -> None:
        connection, channel, queue = await opened(self.aio_pika, self.settings)
        try:
            await channel.set_qos(prefetch_count=self.settings.prefetch)
            lost = asyncio.Event()
            connection.close_callbacks.add(lambda *_: lost.set())
            tag = await queue.consume(self._take)
            self.connected.set()
            self.log("amqp_consuming", queue=self.settings.queue, prefetch=self.settings.prefetch)
            while not stop.is_set() and not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), 0.2)
                except asyncio.TimeoutError:
                    pass
            if lost.is_set():
                raise ConnectionError("the connection to the broker was lost")
            await queue.cancel(tag)
        finally:
            self.connected.clear()
            if not connection.is_closed:
                await connection.close()

    async def _take(self, message: Any) -> None:
        headers = message.headers or {}
        flow, topic, delivery = (_text(headers.get(name)) for name in (FLOW, TOPIC, DELIVERY))
        if not flow or not delivery:
            self.log("amqp_rejected", queue=self.settings.queue, reason="not a webhook event of passerelle "
                     "(no flow or delivery header)", message_id=_text(message.message_id))
            await message.reject(requeue=False)
            return
        sent_at = _number(headers.get(SENT_AT))
        try:
            text = message.body.decode("utf-8")
        except UnicodeDecodeError:
            self.log("amqp_rejected", flow=flow, delivery=delivery, reason="the body is not UTF-8")
            await message.reject(requeue=False)
            return
        try:
            queued = await asyncio.get_running_loop().run_in_executor(
                None, self.events.enqueue, flow, delivery, topic, text, sent_at)
        except Exception as exc:  # the state store cannot take it now: left in the broker, taken again
            self.log("amqp_store_unavailable", flow=flow, delivery=delivery, error=why(exc))
            await message.nack(requeue=True)
            await asyncio.sleep(self.retry)
            return
        await message.ack()  # only now: a crash before this delivers it again, and the store knows it
        if queued is None:
            self.log("webhook_duplicate", flow=flow, topic=topic, delivery=delivery)
            return
        self.log("webhook_queued", flow=flow, topic=topic, delivery=delivery, id=queued, via="amqp")
        self.wake.set()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _number(value: Any) -> float | None:
    try:
        return float(_text(value)) if value not in (None, "", b"") else None
    except ValueError:
        return None


__all__ = ["AmqpSettings", "BrokerUnavailable", "Consumer", "Publisher", "SETTING", "amqp_settings", "why"]
