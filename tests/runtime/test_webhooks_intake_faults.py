"""The webhook intake when the state database cannot take the event (issue 15): the disk is full, or the
state is read-only. The shop must get a non-2xx answer (so it retries later: a 2xx would lose the event)
and the operator a log line saying why — never a 500 with a traceback."""
from __future__ import annotations

import json

from engine.runtime.session import Session
from engine.runtime.webhook_intake import Intake
from webhook_support import SECRET, webhook_project, woo_headers

FLOW = "orders_to_sage"
ENV = {"ACME_WC_URL": "http://127.0.0.1:9", "ACME_WC_KEY": "ck_x", "ACME_WC_SECRET": "cs_x",
       "ACME_WC_HOOK_SECRET": SECRET, "ACME_SAGE_URL": "http://127.0.0.1:9/WebServices100/X",
       "ACME_SAGE_TOKEN": "t"}


def _order(oid: int, size: int = 0) -> bytes:
    return json.dumps({"id": oid, "status": "processing", "date_modified_gmt": "2026-01-02T03:04:05",
                       "customer_note": "x" * size}).encode()


def _intake(tmp_path, events):
    session = Session(webhook_project(tmp_path), state_dir=tmp_path / "state", environ=ENV)
    queue = session.state.events()
    log = lambda event, **fields: events.append({"event": event, **fields})  # noqa: E731
    return session, queue, Intake(session.live.current, queue, environ=ENV, log=log)


def _deliver(intake, body: bytes):
    headers = woo_headers(body, topic="order.created")
    return intake.receive(FLOW, headers.get, body, "application/json")


def test_a_full_disk_is_answered_503_and_logged_so_the_shop_retries(tmp_path):
    events: list[dict] = []
    session, queue, intake = _intake(tmp_path, events)
    try:
        assert _deliver(intake, _order(1))[0] == 200
        pages = queue.run("PRAGMA page_count")[0][0]
        queue.run(f"PRAGMA max_page_count = {pages}")  # the disk is full: no page more
        status, answer = _deliver(intake, _order(2, size=200_000))
        assert status == 503 and "state" in answer["error"]
        refused = [e for e in events if e["event"] == "webhook_unavailable"]
        assert len(refused) == 1 and "full" in refused[0]["error"] and refused[0]["flow"] == FLOW
        assert "x" * 50 not in json.dumps(refused)  # never the body
        queue.run("PRAGMA max_page_count = 1073741823")  # space again: the shop's retry is taken
        assert _deliver(intake, _order(2, size=200_000))[0] == 200
    finally:
        session.close()


def test_a_read_only_state_is_answered_503_and_logged(tmp_path):
    events: list[dict] = []
    session, queue, intake = _intake(tmp_path, events)
    try:
        queue.run("PRAGMA query_only = 1")  # what a read-only mount gives every write
        status, _ = _deliver(intake, _order(3))
        assert status == 503
        assert [e["event"] for e in events] == ["webhook_unavailable"]
        assert "readonly" in events[0]["error"].replace("-", "").replace(" ", "")
    finally:
        session.close()


def test_a_flow_left_out_of_serve_flow_is_refused_with_why_and_logged(tmp_path):
    """`serve --flow customers_to_sage` while the shop delivers to /webhooks/orders_to_sage: a 404 that
    says the flow is not served by this process, and a line in the log (the operator's mistake is seen)."""
    events: list[dict] = []
    session = Session(webhook_project(tmp_path), state_dir=tmp_path / "state", environ=ENV)
    queue = session.state.events()
    log = lambda event, **fields: events.append({"event": event, **fields})  # noqa: E731
    intake = Intake(session.live.current, queue, environ=ENV, log=log, flows=["customers_to_sage"])
    try:
        status, answer = _deliver(intake, _order(4))
        assert status == 404 and "not served" in answer["error"] and "--flow" in answer["error"]
        assert [(e["event"], e["flow"]) for e in events] == [("webhook_not_served", FLOW)]
        assert events[0]["served"] == ["customers_to_sage"]
        status, answer = intake.receive("no_such_flow", woo_headers(b"{}").get, b"{}", "application/json")
        assert status == 404 and len(events) == 1  # a name no flow has: no line (scanners probe URLs)
    finally:
        session.close()


def test_a_reload_that_changes_the_secret_variable_is_followed_even_when_the_new_plan_reuses_an_address(
        tmp_path, monkeypatch):
    """The secrets were cached by id(plan): once the old plan is freed, CPython may give the new one the
    same address, and the old secret would go on checking every delivery. Simulated by an id() that
    answers the same for every plan."""
    from engine.runtime import webhook_intake

    env = {**ENV, "OTHER_SECRET": "another-secret-0123456789"}
    session = Session(webhook_project(tmp_path), state_dir=tmp_path / "state", environ=env)
    queue = session.state.events()
    intake = Intake(session.live.current, queue, environ=env)
    monkeypatch.setattr(webhook_intake, "id", lambda obj: 1, raising=False)
    try:
        first = session.live.current()
        assert intake.secret(first, "shop", "webhook_secret") == SECRET
        endpoints = session.project_dir / "endpoints.yaml"
        endpoints.write_text(endpoints.read_text().replace("ACME_WC_HOOK_SECRET", "OTHER_SECRET"))
        assert session.live.check()
        assert intake.secret(session.live.current(), "shop", "webhook_secret") == "another-secret-0123456789"
    finally:
        session.close()
