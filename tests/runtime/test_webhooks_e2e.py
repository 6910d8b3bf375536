"""End to end (issue 15): the WooCommerce simulator's own webhooks — registered through its REST API
(the unsigned ping answered), sent signed after each change — reach `passerelle serve --listen` and
become one Sage 100 document in the Sage simulator; duplicated and out-of-order deliveries (fault
injection) change nothing: the older state is discarded, the duplicate acknowledged and ignored."""
from __future__ import annotations

import time

import httpx
import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.templates import prepare
from webhook_support import SECRET, Serve, queue_rows, webhook_project, woo_env

FLOW = "orders_to_sage"


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_an_order_placed_in_the_shop_reaches_sage_by_webhook(tmp_path):
    with Sandbox(systems=("woocommerce", "sage100"), dataset=generate(seed=2, orders=3, cases=False),
                 options={"woocommerce": {"line_price": "total", "relax_http_auth": True},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)
        shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
        serve = Serve(webhook_project(tmp_path), tmp_path / "state", woo_env(sb))
        api = f"{sb.url('woocommerce')}/wp-json/wc/v3"
        creds = sb.credentials("woocommerce")
        auth = (creds["consumer_key"], creds["consumer_secret"])
        try:
            serve.wait_for("flow_summary")  # the first poll is over: what follows comes by webhook
            for topic in ("order.created", "order.updated"):
                made = httpx.post(f"{api}/webhooks", auth=auth, json={
                    "name": "Passerelle", "topic": topic, "secret": SECRET,
                    "delivery_url": f"{serve.url}/webhooks/{FLOW}"})
                assert made.status_code == 201 and "secret" not in made.json()
            assert [p["result"] for p in shop.webhook_pings] == [200, 200]  # the ping, unsigned, answered 200

            sku = next(iter(shop.orders.values()))["line_items"][0]["sku"]
            placed = httpx.post(f"{api}/orders", auth=auth, json={
                "customer_id": 0, "set_paid": True, "payment_method": "bacs",
                "billing": {"first_name": "Zoé", "last_name": "Hook", "email": "zoe@x.test", "country": "FR"},
                "line_items": [{"sku": sku, "quantity": 2}]})
            assert placed.status_code == 201
            oid = placed.json()["id"]
            serve.wait_for("webhook_done", key=str(oid))
            documents = [d for d in sage.documents if d["Reference"] == f"WC-{oid}"]
            assert len(documents) == 1 and documents[0]["NumeroTiers"] == "CLIENT-WEB"
            first = shop.hooks.sender.deliveries[0]
            assert (first["topic"], first["status"], first["attempt"]) == ("order.created", 200, 1)
            # the flow's acknowledgements update the order: WooCommerce fires order.updated for them
            _wait(lambda: shop.hooks.sender.pending() == 0 and len(shop.hooks.sender.deliveries) >= 2)

            # at-least-once and out of order: two changes, each delivered twice, the newer state first
            sender = shop.hooks.sender
            sender.duplicate = sender.out_of_order = True
            for note in ("ring twice", "leave at the door"):
                time.sleep(1.05)  # another second: another date_modified_gmt
                assert httpx.put(f"{api}/orders/{oid}", auth=auth, json={"customer_note": note}).status_code == 200
            sent = len(sender.deliveries)
            sender.release()
            _wait(lambda: len(sender.deliveries) == sent + 4)
            serve.wait_for("webhook_duplicate", count=2)  # each change's second delivery: acknowledged, ignored
            newest = f"2|{oid}|{shop.orders[oid]['date_modified_gmt']}"
            serve.wait_for("webhook_done", delivery=newest)
        finally:
            serve.stop()
        assert [d["Reference"] for d in sage.documents].count(f"WC-{oid}") == 1
        # the older change, delivered after the newer: discarded when the newer was processed already,
        # else (both queued together) processed before it — never after
        handled = [(e["event"], e["delivery"]) for e in serve.events
                   if e["event"] in ("webhook_done", "webhook_stale") and e.get("key") == str(oid)][-2:]
        assert handled[-1] == ("webhook_done", newest) or handled[0] == ("webhook_done", newest) \
            and handled[1][0] == "webhook_stale", handled
        statuses = [row[3] for row in queue_rows(tmp_path / "state") if f"|{oid}|" in row[1]]
        assert "queued" not in statuses and len(statuses) == 4, statuses
