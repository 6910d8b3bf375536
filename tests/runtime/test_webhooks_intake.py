"""`passerelle serve --listen`: webhook intake over real HTTP, in a real serve process (issue 15).

Forged or unsigned deliveries get 401 and a log line without the body; a replayed delivery id and a
delivery older than `max_age` are acknowledged (200) and ignored; the WooCommerce ping is answered 200
and kept nowhere; a body over the bound gets 413; an accepted delivery is in the state's queue before
its 200 — a SIGKILL of serve right after the answer loses nothing, and the next serve processes it."""
from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

import pytest

from passerelle_sandbox import Faults
from support import run_cli
from webhook_support import (SECRET, Serve, order_body, queue_rows, shop_and_sage,  # noqa: F401 (a fixture)
                             webhook_project, woo_env, woo_headers)

FLOW = "orders_to_sage"


def _sage_refs(sb) -> list[str]:
    return [doc["Reference"] for doc in sb.sim("sage100").documents]


@pytest.mark.slow
def test_forged_unsigned_replayed_pinged_and_too_large(tmp_path, shop_and_sage):
    sb = shop_and_sage
    project = webhook_project(tmp_path)
    serve = Serve(project, tmp_path / "state", woo_env(sb))
    try:
        serve.wait_for("flow_summary")  # the first poll is over
        shop = sb.sim("woocommerce")
        oid = next(iter(shop.orders))
        body = order_body(shop, oid)
        email = shop.orders[oid]["billing"]["email"]

        unsigned = {k: v for k, v in woo_headers(body).items() if k != "X-WC-Webhook-Signature"}
        assert serve.post(FLOW, body, unsigned).status_code == 401
        forged = woo_headers(body, secret="not-the-secret")
        assert serve.post(FLOW, body, forged).status_code == 401
        tampered = body.replace(b'"id":', b'"id": ', 1)  # signed before the change: refused
        assert serve.post(FLOW, tampered, woo_headers(body)).status_code == 401
        serve.wait_for("webhook_refused", count=3)  # the log is read in a thread: the 401 can come first
        refusals = [e for e in serve.events if e["event"] == "webhook_refused"]
        assert [e["reason"] for e in refusals] == ["no signature", "the signature does not match the body",
                                                   "the signature does not match the body"]
        assert not any(email in line or SECRET in line for line in serve.lines)  # no body, no secret logged
        assert queue_rows(tmp_path / "state") == []

        first = serve.post(FLOW, body, woo_headers(body))
        assert first.status_code == 200 and "queued" in first.json()
        again = serve.post(FLOW, body, woo_headers(body))
        assert again.status_code == 200 and again.json() == {"ignored": "duplicate"}
        serve.wait_for("webhook_duplicate")

        ping = serve.post(FLOW, b"webhook_id=7", {"Content-Type": "application/x-www-form-urlencoded"})
        assert ping.status_code == 200
        assert serve.post("no_such_flow", body, woo_headers(body)).status_code == 404
        big = b'{"id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
        assert serve.post(FLOW, big, woo_headers(big)).status_code == 413
        other_topic = serve.post(FLOW, body, woo_headers(body, topic="product.updated"))
        assert other_topic.status_code == 200 and other_topic.json() == {"ignored": "topic"}

        rows = queue_rows(tmp_path / "state")
        assert len(rows) == 1 and rows[0][:3] == (FLOW, f"7|{oid}|{shop.orders[oid]['date_modified_gmt']}",
                                                  "order.created")
    finally:
        serve.stop()


def test_a_delivery_older_than_max_age_is_acknowledged_and_ignored(tmp_path, shop_and_sage):
    sb = shop_and_sage
    project = webhook_project(tmp_path)
    endpoints = project / "endpoints.yaml"  # a system that dates its deliveries (as Shopify's Triggered-At)
    endpoints.write_text(endpoints.read_text().replace(
        "    use: woocommerce\n", "    use: woocommerce\n    override:\n      webhooks: { sent_at_header: X-Sent-At, "
        "max_age: 1h }\n"))
    serve = Serve(project, tmp_path / "state", woo_env(sb))
    try:
        serve.wait_for("flow_summary")
        shop = sb.sim("woocommerce")
        oid = next(iter(shop.orders))
        body = order_body(shop, oid)
        old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
        stale = serve.post(FLOW, body, {**woo_headers(body), "X-Sent-At": old})
        assert stale.status_code == 200 and stale.json() == {"ignored": "stale"}
        assert serve.wait_for("webhook_stale")["max_age_s"] == 3600
        assert queue_rows(tmp_path / "state") == []
        recent = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
        fresh = serve.post(FLOW, body, {**woo_headers(body), "X-Sent-At": recent})
        assert fresh.status_code == 200 and "queued" in fresh.json()
    finally:
        serve.stop()


@pytest.mark.slow
def test_an_accepted_webhook_survives_a_sigkill_and_is_processed_on_restart(tmp_path, shop_and_sage):
    sb = shop_and_sage
    project = webhook_project(tmp_path)
    state = tmp_path / "state"
    serve = Serve(project, state, woo_env(sb))
    shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
    try:
        serve.wait_for("flow_summary")
        before = list(_sage_refs(sb))
        oid = max(shop.orders)
        with shop.lock:  # a new paid order, created after the first poll
            from passerelle_sandbox.woo_create import create_order
            order = create_order(shop, {"customer_id": 0, "set_paid": True, "payment_method": "bacs",
                                        "billing": {"first_name": "Ana", "last_name": "Kill", "email": "ana@x.test",
                                                    "country": "FR"},
                                        "line_items": [{"sku": shop.orders[oid]["line_items"][0]["sku"],
                                                        "quantity": 1}]}, shop.clock())
        body = order_body(shop, order["id"])
        sage.faults = Faults(latency_ms=5000)  # the write to Sage cannot finish before the kill
        answer = serve.post(FLOW, body, woo_headers(body))
        assert answer.status_code == 200 and "queued" in answer.json()
        serve.process.send_signal(signal.SIGKILL)
        serve.process.wait(timeout=30)
    finally:
        serve.stop()
    rows = queue_rows(state)
    assert [(r[0], r[3]) for r in rows] == [(FLOW, "queued")]  # committed before the 200, still there
    sage.faults = None
    assert f"WC-{order['id']}" not in _sage_refs(sb)

    again = Serve(project, state, woo_env(sb))
    try:
        again.wait_for("webhook_done", key=str(order["id"]))
    finally:
        again.stop()
    assert [r[3] for r in queue_rows(state)] == ["done"]
    refs = _sage_refs(sb)
    assert refs.count(f"WC-{order['id']}") == 1 and len(refs) == len(before) + 1


def test_the_project_settings_say_where_to_listen_and_how_large_a_body_may_be(tmp_path, shop_and_sage):
    sb = shop_and_sage
    project = webhook_project(tmp_path)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace(
        "project:\n", 'project:\n  serve: { listen: "127.0.0.1:0", max_body: 2KB }\n'))
    serve = Serve(project, tmp_path / "state", woo_env(sb), listen=None)
    try:
        assert serve.wait_for("listening")["max_body"] == 2048
        assert not any(e["event"] == "listening_exposed" for e in serve.events)  # 127.0.0.1: no warning
        shop = sb.sim("woocommerce")
        body = order_body(shop, next(iter(shop.orders)))
        assert len(body) > 2048
        refused = serve.post(FLOW, body, woo_headers(body))
        assert refused.status_code == 413 and "2048 bytes" in refused.text
        assert queue_rows(tmp_path / "state") == []
    finally:
        serve.stop()


def test_a_wrong_listen_address_is_said_before_anything_runs(tmp_path):
    code, _, err = run_cli(["serve", str(webhook_project(tmp_path)), "--listen", "localhost:http"], tmp_path)
    assert code == 1 and "error[listen] --listen 'localhost:http': expected HOST:PORT or PORT" in err, err


def test_listening_on_every_interface_warns_that_the_dashboard_is_reachable(tmp_path):
    project = webhook_project(tmp_path)
    env = {"ACME_WC_URL": "http://127.0.0.1:9", "ACME_WC_KEY": "ck", "ACME_WC_SECRET": "cs",
           "ACME_WC_HOOK_SECRET": SECRET, "ACME_SAGE_URL": "http://127.0.0.1:9/WebServices100/X",
           "ACME_SAGE_TOKEN": "t", "PASSERELLE_DASHBOARD_TOKEN": "a-long-enough-dashboard-token"}
    serve = Serve(project, tmp_path / "state", env, listen="0.0.0.0:0")
    try:
        warning = serve.wait_for("listening_exposed")
        assert "reachable from the network" in warning["warning"] and "HTTPS reverse proxy" in warning["warning"]
        assert "a-long-enough-dashboard-token" not in "".join(serve.lines)
    finally:
        serve.stop()
