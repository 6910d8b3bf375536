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


def test_a_port_in_use_is_one_clear_error_not_uvicorn_s_own_line(capfd):
    """uvicorn logs its bind failure itself ("ERROR:    [Errno 98] ..."): serve said it again as
    error[listen]. Now the one OSError says why, and uvicorn's line is not printed."""
    import socket

    from starlette.applications import Starlette

    from engine.web.server import Server

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        server = Server(Starlette(), "127.0.0.1", port)
        with pytest.raises(OSError) as caught:
            server.start()
    finally:
        taken.close()
    assert f"cannot listen on 127.0.0.1:{port}" in str(caught.value)
    assert "address already in use" in str(caught.value)
    assert "ERROR:" not in capfd.readouterr().err
