"""A Starlette app of the given routes served by uvicorn in a thread, on 127.0.0.1 (a free port), for
the dashboard tests: real HTTP, as ``serve`` answers it."""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def served(routes):
    """Yields the base URL (``http://127.0.0.1:PORT``) while the app answers."""
    import uvicorn
    from starlette.applications import Starlette

    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say so (else each answer waits ~40 ms
    # for a delayed ACK between its head and its body)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def session_for(project: Path, state: Path, env: dict, log=None):
    """A Session of ``project`` as ``serve`` opens it (its endpoints read ``env``)."""
    from engine.runtime.session import Session

    return Session(project, state_dir=state, environ=env, log=log or (lambda event, **fields: None), settle=0.0,
                   runner_options={"backoff": 0.001})


def client(base: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base, headers=headers, timeout=60, follow_redirects=False)
