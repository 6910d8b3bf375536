"""HTTP plumbing shared by the simulators: a real HTTP/1.1 server on the standard library.

* ``ThreadingHTTPServer`` + ``BaseHTTPRequestHandler`` with ``daemon_threads = True``;
  ``protocol_version = "HTTP/1.1"`` so connections stay open (keep-alive) and every response carries
  an exact ``Content-Length`` (chunked request bodies are accepted too).
* A simulator is any object with ``handle(Request) -> Response`` plus ``faults``; the handler applies
  the :class:`~passerelle_sandbox.faults.Faults` decision around it (latency, reset, 429, error status,
  stored-but-lost reply, truncated body).
* :meth:`RunningServer.stop` shuts the listener *and* the open keep-alive connections, so tests do not
  leak threads.
"""
from __future__ import annotations

import socket
import struct
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from passerelle_sandbox.faults import Decision, Faults

__all__ = ["Request", "Response", "RunningServer", "Simulator", "serve"]


@dataclass(slots=True)
class Request:
    """One parsed HTTP request (path is still percent-encoded; ``params`` are decoded pairs)."""

    method: str
    target: str
    headers: Message
    body: bytes = b""
    path: str = ""
    query: str = ""

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path or "/"
        self.query = parts.query

    @property
    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


@dataclass(slots=True)
class Response:
    """What a simulator answers. ``head_only`` keeps the headers (incl. Content-Length) but no body."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    head_only: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Simulator:
    """Base class: request log, lock for state, fault plan, and :meth:`serve`."""

    name = "simulator"
    server_header = "Simulator"

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults: Faults | None = faults
        self.lock = threading.RLock()
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=20000)
        self.errors: list[str] = []
        # when a list: (start, end, method, path, status) of every request, on the wall clock
        # (time.time(), comparable across the simulators of a process): when each was in flight
        self.timeline: list[tuple[float, float, str, str, int]] | None = None

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "RunningServer":
        return serve(self, host, port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of new connections on a loaded machine overflows
    # it and clients see resets or stalled connects; a real web server queues far more
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away is not news; anything else is kept for the tests to see."""
        kind = sys.exc_info()[0]
        if kind is not None and not issubclass(kind, (ConnectionError, TimeoutError, OSError)):
            self.sim.errors.append(traceback.format_exc())


def _plain(status: int, extra: list[tuple[str, str]] | None = None) -> Response:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    headers = [("Content-Type", "text/plain; charset=utf-8")] + (extra or [])
    return Response(status, f"{status} {phrase}".encode(), headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: _Server

    # -- plumbing ---------------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without NODELAY, Nagle + delayed ACK add ~40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return self.server.sim.server_header

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _drop(self, reset: bool) -> None:
        """Close the socket without answering (RST when ``reset``, else a plain FIN)."""
        self.close_connection = True
        self.answered_at = time.time()
        try:
            if reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()
        except OSError:
            pass

    def _send(self, response: Response, truncate: bool = False) -> None:
        # before the first byte: the client's next request cannot start before this instant
        self.answered_at = time.time()
        body = response.body
        self.send_response(response.status)
        has_type = False
        for key, value in response.headers:
            if key.lower() == "content-length":
                continue
            has_type = has_type or key.lower() == "content-type"
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.head_only or self.command == "HEAD":
            return
        if truncate and len(body) > 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._drop(reset=False)
            return
        self.wfile.write(body)

    # -- dispatch ---------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        started, self.status_sent, self.answered_at = time.time(), 0, 0.0
        try:
            self._answer()
        finally:
            sim = self.server.sim
            if sim.timeline is not None:  # the end is taken before the answer leaves (see _send)
                sim.timeline.append((started, self.answered_at or time.time(), self.command, self.path,
                                     self.status_sent))

    def _answer(self) -> None:
        sim = self.server.sim
        try:
            body = self._read_body()
        except ValueError:  # bad Content-Length or chunk size
            self.close_connection = True
            self._send(_plain(400))
            return
        request = Request(self.command, self.path, self.headers, body)
        faults = sim.faults
        decision = faults.decide(self.command, request.path) if faults is not None else Decision()
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.kind == "reset":
            sim.requests.append((self.command, self.path, 0))
            self._drop(reset=True)
            return
        if decision.kind == "429":
            response = _plain(429, [("Retry-After", decision.retry_after)])
        elif decision.kind == "error":
            response = _plain(decision.status)
        else:
            try:
                response = sim.handle(request)
            except Exception:  # a simulator bug must still produce an answer, and be visible
                sim.errors.append(traceback.format_exc())
                response = _plain(500)
        sim.requests.append((self.command, self.path, response.status))
        self.status_sent = response.status
        if decision.lose_reply:
            self._drop(reset=False)
            return
        self._send(response, truncate=decision.truncate)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class RunningServer:
    """A simulator listening on ``host:port`` in a background thread."""

    def __init__(self, sim: Simulator, host: str, port: int) -> None:
        self.sim = sim
        self.server = _Server((host, port), sim)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
            name=f"sandbox-{sim.name}-{self.port}", daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        with self.server.connections_lock:
            open_connections = list(self.server.connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start ``sim`` on ``host:port`` (0 = ephemeral) and return the running server."""
    return RunningServer(sim, host, port)
