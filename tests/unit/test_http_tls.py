"""The TLS settings endpoints verify servers with are made once per process (issue 10), and still verify.

httpx makes a new TLS context for every client, loading the CA bundle each time (~25 ms of CPU), and a
flow opens its endpoints at every run. The engine hands every client the context httpx would make by
default, made once per ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` setting. Against a real TLS server on
127.0.0.1: a certificate nobody vouches for is refused at once (no retry: waiting does not make it
trusted) with what to do, and the same server is accepted once ``SSL_CERT_FILE`` names its certificate
(the variable is honoured, the context is not a stale one).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine.connectors.compile import open_connector
from engine.connectors.errors import EndpointError
from engine.connectors.http import transport as transport_module


def definition(base_url: str) -> dict:
    return {"name": "shop", "protocol": "http", "settings": {}, "http": {"base_url": base_url},
            "resources": {"orders": {"path": "/orders", "records": "orders"}}}


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; yields (base URL, certificate file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "passerelle test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b'{"orders": [{"id": 1}]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert_file
    finally:
        server.shutdown()
        server.server_close()


def read_orders(base_url: str) -> list:
    with open_connector("shop", definition(base_url), {}) as shop:
        return [record for page in shop.read("orders") for record in page]


def test_an_unknown_certificate_is_refused_then_accepted_when_named(tls_server, monkeypatch):
    base_url, cert_file = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    started = time.monotonic()
    with pytest.raises(EndpointError) as refused:
        read_orders(base_url)
    assert time.monotonic() - started < 2  # not retried: waiting does not make a certificate trusted
    message = refused.value.message
    assert "TLS certificate is not trusted (self-signed certificate)" in message and "SSL_CERT_FILE" in message
    assert refused.value.unreachable  # the flow stops: every request would fail the same
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    assert read_orders(base_url) == [{"id": 1}]


def test_every_endpoint_shares_the_context_httpx_would_make(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    made: list = []
    real = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: made.append(1) or real(*a, **k))
    transport_module._tls_context.cache_clear()
    try:
        first = open_connector("shop", definition("https://shop.test/api"), {})
        second = open_connector("erp", definition("https://erp.test/api"), {})
        try:
            assert len(made) == 1  # one context for both clients (httpx itself made none)
            shared = transport_module.tls_context()
            held = [c.client._transport._pool._ssl_context for c in (first, second)]  # httpcore's pool
            assert held[0] is shared and held[1] is shared
            assert all(c.direct.pool._ssl_context is shared for c in (first, second))  # direct.py's pool too
            assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
            assert len(made) == 1
        finally:
            first.close()
            second.close()
    finally:
        transport_module._tls_context.cache_clear()
