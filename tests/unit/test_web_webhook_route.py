"""The HTTP side of `POST /webhooks/<flow>` (engine/web/webhooks.py) with a client that misbehaves: it
hangs up in the middle of its body, or sends it so slowly it never ends (slowloris). Neither may reach
the intake, nor leave a traceback in serve's log: a line saying what happened, and the connection freed."""
from __future__ import annotations

import asyncio

from starlette.applications import Starlette

from engine.web.webhooks import webhook_routes


class Intake:
    def __init__(self):
        self.logged: list[tuple[str, dict]] = []
        self.received: list[bytes] = []

    def log(self, event: str, **fields) -> None:
        self.logged.append((event, fields))

    broker = None  # the state store's queue: receive() answers

    def receive(self, flow, header, body, content_type=""):
        self.received.append(body)
        return 200, {"queued": "x"}


def _call(app, messages, hang: bool = False) -> list[dict]:
    """Run one request through the ASGI app; ``messages`` are what the client sends, then it hangs up
    (``http.disconnect``) or, with ``hang``, sends nothing more and never closes."""
    scope = {"type": "http", "method": "POST", "path": "/webhooks/orders", "raw_path": b"/webhooks/orders",
             "query_string": b"", "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
             "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5), "http_version": "1.1",
             "root_path": ""}
    pending = list(messages)
    sent: list[dict] = []

    async def receive():
        if pending:
            return pending.pop(0)
        if hang:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_hanging_up_mid_body_is_logged_not_a_traceback():
    intake = Intake()
    app = Starlette(routes=webhook_routes(intake))  # type: ignore[arg-type]
    _call(app, [{"type": "http.request", "body": b'{"id": 1', "more_body": True}])
    assert intake.received == []
    assert [(event, fields["flow"]) for event, fields in intake.logged] == [("webhook_incomplete", "orders")]
    assert "closed" in intake.logged[0][1]["reason"]


def test_a_body_that_never_ends_is_cut_after_the_body_timeout():
    intake = Intake()
    app = Starlette(routes=webhook_routes(intake, body_timeout=0.05))  # type: ignore[arg-type]
    sent = _call(app, [{"type": "http.request", "body": b"{", "more_body": True}], hang=True)
    assert intake.received == []
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
    assert intake.logged[0][0] == "webhook_incomplete" and "0.05 s" in intake.logged[0][1]["reason"]


def test_a_whole_body_reaches_the_intake():
    intake = Intake()
    app = Starlette(routes=webhook_routes(intake))  # type: ignore[arg-type]
    sent = _call(app, [{"type": "http.request", "body": b'{"id": 1}', "more_body": False}])
    assert intake.received == [b'{"id": 1}'] and sent[0]["status"] == 200 and intake.logged == []
