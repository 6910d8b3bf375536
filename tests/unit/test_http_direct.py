"""Requests sent straight to httpcore's pool (engine/connectors/http/direct.py, issue 10) are httpx's own.

Against a real server on 127.0.0.1 that records the bytes it receives: every request an endpoint sends
directly is byte for byte the one httpx's ``Client.send`` sends for the same endpoint (auth none, a
header, HTTP Basic; reads with parameters, writes with bodies and extra headers); the answers read the
same (a gzip body decoded, a cookie kept and sent back); a refused connection, a reset and a read
timeout are httpx's errors, handled as before; endpoints whose auth or route is not a fixed header keep
httpx's ``Client.send``.
"""
from __future__ import annotations

import gzip
import socket
import socketserver
import threading
import time

import httpx
import pytest

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.connectors.http import direct, flows

AUTHS = {"none": None, "header": {"style": "header", "header": "X-Token", "value": "s3cret-token"},
         "basic": {"style": "basic", "username": "KEY123", "password": ""}}


class Recorded(socketserver.ThreadingTCPServer):
    """Keeps each request's bytes; answers with ``answer(request bytes) -> response bytes`` (None: hang up)."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer):
        self.received: list[bytes] = []
        self.answer = answer
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = self.rfile.readline()
                if not line:
                    return
                head += line
            length = next((int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")), 0)
            request = head + self.rfile.read(length)
            self.server.received.append(request)
            reply = self.server.answer(request)
            if reply is None:
                self.connection.close()
                return
            self.wfile.write(reply)


def ok(body: bytes = b'{"id": 7}', extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def definition(base_url: str, auth) -> dict:
    http = {"base_url": base_url, "headers": {"Accept": "application/json"}}
    if auth is not None:
        http["auth"] = auth
    return {"name": "shop", "protocol": "http", "settings": {}, "http": http,
            "resources": {"orders": {"path": "/orders", "records": "orders"}}}


def exchange(shop) -> list:
    """Reads with and without parameters, writes with bodies of several lengths (the second to a host
    reuses the headers built for the first), an empty body, extra headers: what each answer says it sent."""
    xml = {"Content-Type": "text/xml; charset=utf-8"}
    answers = [shop.send("GET", "/orders", params={"display": "full", "filter[id]": "[1|2]", "limit": "0,100"}),
               shop.send("GET", "/orders/7"), shop.send("GET", "/orders/8"),
               shop.send("POST", "order_histories", content=b"<x>\xc3\xa9</x>", headers=xml, idempotent=False),
               shop.send("POST", "order_histories", content=b"<x>" + b"y" * 5000 + b"</x>", headers=xml,
                         idempotent=False),
               shop.send("POST", "/empty", content=b"", idempotent=False), shop.send("POST", "/none", idempotent=False),
               shop.send("PUT", "/orders/42", content=b'{"a": 1}'), shop.send("DELETE", "/orders/42")]
    return [(a.request.method, str(a.request.url), a.request.headers.raw, a.request.content) for a in answers]


@pytest.mark.parametrize("auth", sorted(AUTHS))
def test_the_bytes_sent_are_the_ones_httpx_sends(auth):
    server = Recorded(lambda request: ok())
    try:
        with open_connector("shop", definition(server.url, AUTHS[auth]), {}) as shop:
            assert shop.direct is not None
            said_directly = exchange(shop)
        sent_directly = list(server.received)
        server.received.clear()
        with open_connector("shop", definition(server.url, AUTHS[auth]), {}) as shop:
            shop.direct.close()
            shop.direct = None  # httpx's Client.send
            said = exchange(shop)
        assert server.received == sent_directly
        assert said_directly == said  # the answers' requests, built only when asked for, are httpx's
        assert len(sent_directly) == 9
        if auth != "none":
            assert all((b"X-Token: s3cret-token" if auth == "header" else b"Authorization: Basic S0VZMTIzOg==")
                       in request for request in sent_directly)
    finally:
        server.stop()


def test_answers_read_as_httpx_reads_them():
    packed = gzip.compress(b'{"orders": [{"id": 1}, {"id": 2}]}')
    answers = iter([ok(packed, b"Content-Encoding: gzip\r\nSet-Cookie: session=abc; Path=/\r\n"), ok()])
    server = Recorded(lambda request: next(answers))
    try:
        with open_connector("shop", definition(server.url, None), {}) as shop:
            first = shop.send("GET", "/orders")
            assert first.json() == {"orders": [{"id": 1}, {"id": 2}]} and first.reason_phrase == "OK"
            assert first.request.url == httpx.URL(server.url + "/orders")
            assert shop.client.cookies["session"] == "abc"
            shop.send("GET", "/orders")
        assert b"Cookie: session=abc" in server.received[1]  # the jar's cookie goes back, as httpx sends it
    finally:
        server.stop()


def test_transport_failures_are_httpx_errors_and_handled_as_before():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    taken.close()  # nobody listens there
    refused = definition(f"http://127.0.0.1:{port}/api", None)
    refused["http"]["retry"] = {"attempts": 2, "base": 0.01}
    with open_connector("shop", refused, {}) as shop:
        assert shop.direct is not None
        with pytest.raises(EndpointError) as failed:
            shop.send("GET", "/orders")
        assert failed.value.unreachable and "cannot connect: ConnectError" in failed.value.message
    server = Recorded(lambda request: None)  # reads the request, hangs up without a word
    try:
        with open_connector("shop", definition(server.url, None), {}) as shop:
            with pytest.raises(EndpointError) as lost:
                shop.send("POST", "/orders", content=b"{}", idempotent=False)
        assert lost.value.transient and lost.value.outcome_unknown
        assert "RemoteProtocolError" in lost.value.message
        assert len(server.received) == 1  # a write whose outcome is unknown is not sent again
    finally:
        server.stop()


def test_a_read_timeout_is_httpx_s_and_a_read_is_retried():
    calls: list[float] = []

    def slow_then_ok(request: bytes):
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.6)
        return ok()

    server = Recorded(slow_then_ok)
    try:
        spec = definition(server.url, None)
        spec["http"].update(timeout=0.2, retry={"attempts": 2, "base": 0.01})
        with open_connector("shop", spec, {}) as shop:
            assert shop.send("GET", "/orders").json() == {"id": 7}
        assert len(calls) == 2
    finally:
        server.stop()
    with pytest.raises(httpx.ReadTimeout) as mapped:
        raise direct._as_httpx(__import__("httpcore").ReadTimeout("timed out"))
    assert str(mapped.value) == "timed out"


@pytest.mark.parametrize("auth,why", [
    (flows.TokenAuth(lambda: ("t", None)), "reads the answer (a 401 fetches a new token)"),
    (flows.QueryAuth({"key": "k"}), "changes the URL"),
    (flows.OAuth1Auth("k", "s"), "signs each request"),
])
def test_auth_that_is_not_a_fixed_header_keeps_httpx(auth, why):
    assert direct.fixed_header(auth) is False, why
    assert direct.direct_sender(auth, httpx.Cookies(), httpx.Limits(), None, None) is None


def test_a_proxy_or_a_given_transport_keeps_httpx(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with open_connector("shop", definition("http://shop.test/api", None), {}) as shop:
        assert shop.direct is not None
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={"orders": []}))
    with open_connector("shop", definition("http://shop.test/api", None), {}, transport=mock) as shop:
        assert shop.direct is None and shop.send("GET", "/orders").json() == {"orders": []}
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    with open_connector("shop", definition("http://shop.test/api", None), {}) as shop:
        assert shop.direct is None  # httpx routes through the proxy
