"""Issue 16 with webhooks: on a PostgreSQL state the event queue is in the database, so a webhook
accepted by one `serve` front end is processed by any serve of the project. A signed WooCommerce
delivery is answered 200 by a serve that cannot reach Sage, which is then killed (SIGKILL); a serve of
the same project on another machine (another copy of the project: another state folder, the same
PostgreSQL) processes the event into exactly one Sage document."""
from __future__ import annotations

from datetime import datetime, timezone

import psycopg
import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare
from passerelle_sandbox.woo_create import create_order
from pg_support import pg_state_cluster  # noqa: F401 (fixture)
from support import ROOT, run_cli
from webhook_support import Serve, order_body, webhook_project, woo_env, woo_headers

FLOW = "orders_to_sage"


def _machine(tmp_path, name: str):
    """A copy of the project on one machine, its state in PostgreSQL (`state:` from the environment)."""
    project = webhook_project(tmp_path / name)
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace("project:\n", 'project:\n  state: "${env:PASSERELLE_STATE}"\n', 1))
    return project


def _queue(url: str) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT project, flow, status FROM passerelle.webhook_events").fetchall()


@pytest.mark.slow
def test_an_event_accepted_by_a_killed_serve_is_processed_by_a_serve_on_another_machine(tmp_path, pg_state_cluster):  # noqa: F811
    url = pg_state_cluster.create_database("webhook_queue_e2e")
    code, out, err = run_cli(["db", "upgrade", "--state", url], ROOT)
    assert code == 0, err
    first, second = _machine(tmp_path, "front"), _machine(tmp_path, "worker")
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=3, orders=2, cases=False),
                 options={"woocommerce": {"line_price": "total"},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
        env = {**woo_env(sb), "PASSERELLE_STATE": url}
        front = Serve(first, None, {**env, "ACME_SAGE_URL": "http://127.0.0.1:9"})  # Sage out of its reach
        try:
            sku = next(iter(shop.orders.values()))["line_items"][0]["sku"]
            with shop.lock:
                oid = create_order(shop, {"customer_id": 0, "set_paid": True, "payment_method": "bacs",
                                          "billing": {"first_name": "Kill", "last_name": "Nine", "email": "k@x.test",
                                                      "country": "FR"},
                                          "line_items": [{"sku": sku, "quantity": 1}]},
                                   datetime.now(timezone.utc))["id"]
            body = order_body(shop, oid)
            answer = front.post(FLOW, body, woo_headers(body, topic="order.created"))
            front.process.kill()  # SIGKILL right after the 200
            front.process.wait()
        finally:
            front.stop()
        assert answer.status_code == 200 and "queued" in answer.json()
        assert ("project", FLOW, "queued") in _queue(url)  # in PostgreSQL, not in the front end's folder
        assert not (first / ".passerelle" / "state.db").exists()

        worker = Serve(second, None, env)
        try:
            done = worker.wait_for("webhook_done", key=str(oid), timeout=120)
        finally:
            worker.stop()
        assert done["delivery"].startswith("7|")
        assert [d["Reference"] for d in sage.documents].count(f"WC-{oid}") == 1
        assert ("project", FLOW, "done") in _queue(url) and ("project", FLOW, "queued") not in _queue(url)
        assert not (second / ".passerelle" / "state.db").exists()
