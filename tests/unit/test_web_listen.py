"""Where `serve --listen` listens (engine/web/server.py): HOST:PORT or a port alone (127.0.0.1), and whether
that address makes the dashboard reachable from other machines (a warning is logged then)."""
from __future__ import annotations

import pytest

from engine.web.server import exposed, parse_listen


@pytest.mark.parametrize("text, address", [("8080", ("127.0.0.1", 8080)), ("0.0.0.0:80", ("0.0.0.0", 80)),
                                           ("[::1]:8080", ("::1", 8080)), ("localhost:8080", ("localhost", 8080))])
def test_host_and_port(text, address):
    assert parse_listen(text) == address


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_a_loopback_address_is_not_exposed(host):
    assert not exposed(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.5", "shop-sync.example.test"])
def test_every_other_address_is_exposed(host):
    assert exposed(host)
