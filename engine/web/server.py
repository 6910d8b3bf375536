"""The Starlette application of ``serve`` and its uvicorn server, run in a thread of the serve process.

:func:`build_app` assembles the routes: the webhook intake's, then every list in ``extra_routes`` (an
operator page, ``/healthz``, ``/metrics`` — each a function of the session returning Starlette routes).
:func:`serving` is what ``passerelle serve --listen`` runs around the scheduler: the durable queue (the
state store's, so that a shared state's events are processed by any serve of the project), the intake,
the thread processing the queue, and the server; all stopped when serve stops. With a RabbitMQ broker
(``webhook_queue:``, :mod:`engine.runtime.amqp_queue`) the intake publishes there and one more thread
moves the broker's messages into the store's queue.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from engine.runtime.amqp_queue import Consumer, Publisher, amqp_settings
from engine.runtime.event_store import EventRows
from engine.runtime.webhook_intake import Intake
from engine.runtime.webhook_run import EventProcessor
from engine.web.dashboard import DashboardContext, dashboard_routes
from engine.web.webhooks import DEFAULT_MAX_BODY, webhook_routes

RouteSource = Callable[[Any], Sequence[BaseRoute]]  # session -> routes (extra pages of the server)
_LISTEN = re.compile(r"(?:(?P<host>[A-Za-z0-9.:\[\]-]+):)?(?P<port>[0-9]{1,5})")
_SIZE = re.compile(r"([0-9]{1,9})(B|KB|MB)")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``PORT`` (127.0.0.1); ValueError with why."""
    match = _LISTEN.fullmatch(text.strip())
    if match is None or int(match.group("port")) > 65535:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT or PORT (e.g. 127.0.0.1:8080)")
    return (match.group("host") or "127.0.0.1").strip("[]"), int(match.group("port"))


def exposed(host: str) -> bool:
    """Does listening on ``host`` make the server reachable from other machines? Any address but a
    loopback one: ``0.0.0.0`` and ``::`` are every interface, a host name may resolve to anything."""
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def parse_size(text: Any) -> int:
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return DEFAULT_MAX_BODY
    return int(match.group(1)) * {"B": 1, "KB": 1024, "MB": 1024 * 1024}[match.group(2)]


def build_app(routes: Iterable[BaseRoute], extra_routes: Iterable[Sequence[BaseRoute]] = ()) -> Starlette:
    """The application: ``routes`` (the webhook intake), then each extra list, in order."""
    return Starlette(routes=[*routes, *(route for more in extra_routes for route in more)])


class _StartupErrors(logging.Filter):
    """Keeps (and holds back) the errors uvicorn logs while it starts."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())
            return False
        return True


class Server:
    """uvicorn serving ``app`` in a daemon thread; :attr:`port` is the bound one (``PORT`` 0: any free)."""

    def __init__(self, app: Starlette, host: str, port: int):
        import uvicorn

        self.config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                     lifespan="off", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._run, name="passerelle-http", daemon=True)
        self.host, self.port = host, port

    def _run(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn's way of giving up a bind: start() says why
            pass

    def start(self, timeout: float = 10.0) -> None:
        startup = _StartupErrors()  # uvicorn logs a bind failure itself: said once, in the OSError
        logger = logging.getLogger("uvicorn.error")
        logger.addFilter(startup)
        try:
            self.thread.start()
            deadline = time.monotonic() + timeout
            while not self.server.started:
                if not self.thread.is_alive() or time.monotonic() > deadline:
                    why = startup.errors[-1] if startup.errors else "in use, or not an address of this host"
                    raise OSError(f"cannot listen on {self.host}:{self.port} ({why})")
                time.sleep(0.01)
        finally:
            logger.removeFilter(startup)
        sockets = [s for server in getattr(self.server, "servers", []) for s in server.sockets]
        if sockets:
            self.port = sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def queue_status(queue: EventRows) -> Callable[[], tuple[int, float | None]]:
    """The dashboard's view of the queue: events waiting, and the age in seconds of the oldest."""
    def status() -> tuple[int, float | None]:
        waiting, oldest = queue.depth()
        return waiting, None if oldest is None else max(0.0, time.time() - oldest)
    return status


@contextmanager
def serving(session: Any, listen: str, *, max_body: int | None = None, flows: Sequence[str] | None = None,
            extra_routes: Iterable[RouteSource] = ()) -> Iterator[Server]:
    """The HTTP side of serve around the scheduler: queue, intake, processing thread and server, with the
    operator dashboard, ``/healthz`` and ``/metrics`` (engine.web.dashboard).
    ``flows`` (``serve --flow``): only these take webhooks; ``extra_routes``: more pages of the server."""
    host, port = parse_listen(listen)
    settings = session.live.current().settings.get("serve") or {}
    limit = max_body if max_body is not None else parse_size(settings.get("max_body"))
    queue = session.state.events()  # the store's: any serve on a shared (PostgreSQL) state processes it
    wake = threading.Event()
    amqp = amqp_settings(session.live.current().settings, session.location.project, session.environ)
    broker = Publisher(amqp) if amqp is not None else None
    intake = Intake(session.live.current, queue, environ=session.environ, log=session.log, wake=wake, flows=flows,
                    broker=broker)
    processor = EventProcessor(session, queue, wake, flows=flows)
    worker = threading.Thread(target=processor.run_forever, args=(session.stop,), name="passerelle-webhooks",
                              daemon=True)
    consumer = None
    if amqp is not None:  # the broker's messages move into the store's queue, then processed as above
        consumer = threading.Thread(target=Consumer(amqp, queue, wake, session.log).run_forever,
                                    args=(session.stop,), name="passerelle-amqp", daemon=True)
    pages = [dashboard_routes(DashboardContext(session, queue_status=queue_status(queue)))]
    server = Server(build_app(webhook_routes(intake, limit), [*pages, *(source(session) for source in extra_routes)]),
                    host, port)
    server.start()
    session.log("listening", url=server.url, webhooks=f"{server.url}/webhooks/<flow>", max_body=limit)
    if exposed(host):
        session.log("listening_exposed", url=server.url, warning=(
            f"{host} is reachable from the network: the dashboard and /metrics answer only with the token, "
            "but over plain HTTP; put an HTTPS reverse proxy in front, or listen on 127.0.0.1 behind one"))
    worker.start()
    if consumer is not None:
        consumer.start()
    wake.set()  # events left from before (a restart): processed at once
    try:
        yield server
    finally:
        if broker is not None:
            broker.close()  # on the server's loop, while it still runs
        server.stop()
        session.stop.set()
        if consumer is not None:
            consumer.join(timeout=10)
        worker.join(timeout=30)  # the queue closes with the session's store


__all__ = ["Server", "build_app", "exposed", "parse_listen", "parse_size", "serving"]
