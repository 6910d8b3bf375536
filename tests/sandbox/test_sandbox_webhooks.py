"""The shop simulators send signed webhooks (issue 15): Shopify (REST subscriptions, vendor headers,
HMAC over the raw body with the client secret, retries with backoff on a non-2xx answer, compressed in
time) and WooCommerce (REST webhooks, ping, its headers and signature, no retry, disabled after the 7th
failure in a row); fault injection sends duplicates and out-of-order deliveries."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from passerelle_sandbox import Sandbox, generate


class Receiver:
    """A local HTTP receiver answering the statuses it is given in turn (then 200), keeping each request."""

    def __init__(self, statuses=()):
        self.statuses, self.requests = list(statuses), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            assert time.monotonic() < deadline, f"{len(self.requests)} deliveries, wanted {count}"
            time.sleep(0.01)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_shopify_signs_its_deliveries_and_retries_a_failed_one_with_the_same_payload(receiver):
    hook = receiver([500, 503])
    with Sandbox(systems=("shopify",), dataset=generate(seed=1, orders=2, cases=False),
                 options={"shopify": {"webhooks": {"time_scale": 0.0005}}}) as sb:
        shop = sb.sim("shopify")
        api = sb.url("shopify") + f"/admin/api/{shop.api_version}"
        token = {"X-Shopify-Access-Token": shop.access_token}
        made = httpx.post(f"{api}/webhooks.json", headers=token,
                          json={"webhook": {"topic": "orders/updated", "address": hook.url, "format": "json"}})
        assert made.status_code == 201 and made.json()["webhook"]["topic"] == "orders/updated"
        refused = httpx.post(f"{api}/webhooks.json", headers=token,
                             json={"webhook": {"topic": "carts/update", "address": hook.url}})
        assert refused.status_code == 501
        rec = shop.order(1042)
        answer = httpx.put(f"{api}/orders/{rec['id']}.json", headers=token, json={"order": {"tags": "sage"}})
        assert answer.status_code == 200
        hook.wait(3)  # 500, 503, then 200: two retries
        bodies = {body for _, body in hook.requests}
        ids = {headers["x-shopify-webhook-id"] for headers, _ in hook.requests}
        assert len(bodies) == 1 and len(ids) == 1  # the original payload and delivery id each time
        headers, body = hook.requests[0]
        assert headers["x-shopify-topic"] == "orders/updated"
        assert headers["x-shopify-hmac-sha256"] == _hmac(shop.hooks.client_secret, body)
        assert headers["x-shopify-shop-domain"].endswith(".myshopify.com")
        assert json.loads(body)["id"] == rec["id"] and json.loads(body)["tags"] == "sage"
        # the sender notes an attempt once its answer is back: the receiver may count it a moment before
        deadline = time.monotonic() + 10
        while len(shop.hooks.sender.deliveries) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [d["attempt"] for d in shop.hooks.sender.deliveries] == [1, 2, 3]


def test_woocommerce_pings_signs_does_not_retry_and_disables_after_seven_failures(receiver):
    hook = receiver([500] * 7)
    with Sandbox(systems=("woocommerce",), dataset=generate(seed=1, orders=2, cases=False),
                 options={"woocommerce": {"relax_http_auth": True}}) as sb:
        shop = sb.sim("woocommerce")
        creds = sb.credentials("woocommerce")
        auth, api = (creds["consumer_key"], creds["consumer_secret"]), f"{sb.url('woocommerce')}/wp-json/wc/v3"
        hook.statuses.insert(0, 200)  # the ping
        made = httpx.post(f"{api}/webhooks", auth=auth, json={"topic": "order.updated", "delivery_url": hook.url,
                                                              "secret": "s3cret"})
        assert made.status_code == 201 and "secret" not in made.json()
        ping_headers, ping = hook.requests[0]
        assert ping == f"webhook_id={made.json()['id']}".encode() and "x-wc-webhook-signature" not in ping_headers
        oid = next(iter(shop.orders))
        for n in range(8):
            assert httpx.put(f"{api}/orders/{oid}", auth=auth, json={"customer_note": f"n{n}"}).status_code == 200
            shop.hooks.sender.wait_idle()
        assert len(hook.requests) == 1 + 7  # no retry; the 8th change finds the webhook disabled
        headers, body = hook.requests[1]
        assert headers["x-wc-webhook-signature"] == _hmac("s3cret", body)
        assert headers["x-wc-webhook-topic"] == "order.updated" and headers["x-wc-webhook-resource"] == "order"
        assert json.loads(body)["id"] == oid and b"\\/" in body  # written as PHP's json_encode does
        assert httpx.get(f"{api}/webhooks/{made.json()['id']}", auth=auth).json()["status"] == "disabled"


def test_fault_injection_duplicates_and_reverses_deliveries(receiver):
    hook = receiver()
    with Sandbox(systems=("woocommerce",), dataset=generate(seed=1, orders=2, cases=False)) as sb:
        shop = sb.sim("woocommerce")
        shop.hooks.sender.subscribe("order.updated", hook.url, "k")
        shop.hooks.sender.duplicate = shop.hooks.sender.out_of_order = True
        oid = next(iter(shop.orders))
        for note in ("first", "second"):
            shop.orders[oid]["customer_note"] = note
            shop.hooks.changed("order.updated", oid)
        assert hook.requests == []  # held
        shop.hooks.sender.release()
        hook.wait(4)
        notes = [json.loads(body)["customer_note"] for _, body in hook.requests]
        assert notes == ["second", "second", "first", "first"]


def _shopify_hook(sb, topic: str, url: str) -> tuple[str, dict]:
    shop = sb.sim("shopify")
    api = sb.url("shopify") + f"/admin/api/{shop.api_version}"
    token = {"X-Shopify-Access-Token": shop.access_token}
    made = httpx.post(f"{api}/webhooks.json", headers=token, json={"webhook": {"topic": topic, "address": url}})
    assert made.status_code == 201 and made.json()["webhook"]["topic"] == topic
    return api, token


def test_shopify_sends_signed_inventory_levels_and_products_updates(receiver):
    levels, products = receiver(), receiver()
    with Sandbox(systems=("shopify",), dataset=generate(seed=1, orders=2, cases=False)) as sb:
        shop = sb.sim("shopify")
        api, token = _shopify_hook(sb, "inventory_levels/update", levels.url)
        _shopify_hook(sb, "products/update", products.url)
        item = shop.inventory_by_sku("MUG-CLASSIC")
        rows = [{"inventoryItemId": f"gid://shopify/InventoryItem/{item['id']}", "locationId": shop.location["gid"],
                 "quantity": 17}]
        answer = httpx.post(f"{api}/graphql.json", headers=token, json={
            "query": "mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) "
                     "{ userErrors { code } } }",
            "variables": {"input": {"name": "available", "reason": "correction", "ignoreCompareQuantity": True,
                                    "quantities": rows}}})
        assert answer.json()["data"]["inventorySetQuantities"]["userErrors"] == []
        levels.wait(1)
        headers, body = levels.requests[0]
        assert headers["x-shopify-topic"] == "inventory_levels/update"
        assert headers["x-shopify-hmac-sha256"] == _hmac(shop.hooks.client_secret, body)
        level = json.loads(body)
        assert (level["inventory_item_id"], level["location_id"], level["available"]) == \
            (item["id"], shop.location["id"], 17)
        assert level["admin_graphql_api_id"] == \
            f"gid://shopify/InventoryLevel/{shop.location['id']}?inventory_item_id={item['id']}"
        variant = shop.variant_by_sku("MUG-CLASSIC")
        product = shop.product_of_variant(variant["id"])
        answer = httpx.post(f"{sb.url('shopify')}/admin/api/2025-04/graphql.json", headers=token, json={
            "query": "mutation { productSet(identifier: {handle: \"%s\"}, input: {title: \"Mug renamed\"}) "
                     "{ userErrors { message } } }" % product["handle"]})
        assert answer.json()["data"]["productSet"]["userErrors"] == []
        products.wait(1)
        headers, body = products.requests[0]
        assert headers["x-shopify-topic"] == "products/update" and "x-shopify-webhook-id" in headers
        assert headers["x-shopify-hmac-sha256"] == _hmac(shop.hooks.client_secret, body)
        rest = json.loads(body)
        assert rest["id"] == product["id"] and rest["title"] == "Mug renamed" and rest["status"] == "active"
        mug = next(v for v in rest["variants"] if v["sku"] == "MUG-CLASSIC")
        assert mug["inventory_item_id"] == item["id"] and mug["inventory_quantity"] >= 17
        assert len(levels.requests) == 1  # a product change is no inventory level change
        rest = httpx.post(f"{api}/inventory_levels/set.json", headers=token, json={
            "location_id": shop.location["id"], "inventory_item_id": item["id"], "available": 3})
        assert rest.status_code == 200 and rest.json()["inventory_level"]["available"] == 3
        levels.wait(2)
        assert json.loads(levels.requests[1][1])["available"] == 3
        listed = httpx.get(f"{api}/inventory_levels.json", headers=token,
                           params={"inventory_item_ids": str(item["id"]), "location_ids": str(shop.location["id"])})
        assert listed.json()["inventory_levels"] == [json.loads(levels.requests[1][1])]  # the webhook's shape
        assert httpx.get(f"{api}/inventory_levels.json", headers=token).status_code == 501
        missing = httpx.post(f"{api}/inventory_levels/set.json", headers=token, json={"location_id": 1})
        assert missing.status_code == 400 and "inventory_item_id" in missing.json()["errors"]


def test_woocommerce_stock_change_of_a_product_or_variation_delivers_product_updated(receiver):
    hook = receiver()
    with Sandbox(systems=("woocommerce",), dataset=generate(seed=1, orders=2, cases=False),
                 options={"woocommerce": {"relax_http_auth": True}}) as sb:
        shop = sb.sim("woocommerce")
        creds = sb.credentials("woocommerce")
        auth, api = (creds["consumer_key"], creds["consumer_secret"]), f"{sb.url('woocommerce')}/wp-json/wc/v3"
        made = httpx.post(f"{api}/webhooks", auth=auth, json={"topic": "product.updated", "delivery_url": hook.url,
                                                              "secret": "k"})
        assert made.status_code == 201
        hook.wait(1)  # the ping
        pid = next(p for p, rec in shop.products.items() if rec["variations"])
        vid = shop.products[pid]["variations"][0]
        simple = next(p for p, rec in shop.products.items() if not rec["variations"])
        assert httpx.put(f"{api}/products/{pid}/variations/{vid}", auth=auth,
                         json={"stock_quantity": 4}).status_code == 200
        assert httpx.post(f"{api}/products/batch", auth=auth,
                          json={"update": [{"id": simple, "stock_quantity": 9}]}).status_code == 200
        hook.wait(3)
        got = [(headers["x-wc-webhook-topic"], json.loads(body)["id"], json.loads(body)["stock_quantity"])
               for headers, body in hook.requests[1:]]
        assert got == [("product.updated", vid, 4), ("product.updated", simple, 9)]
        assert all(h["x-wc-webhook-signature"] == _hmac("k", b) for h, b in hook.requests[1:])
        oid, line = next((o, line) for o, rec in shop.orders.items() for line in rec["line_items"]
                         if (shop.variations.get(line["variation_id"]) or shop.products.get(line["product_id"]) or
                             {}).get("manage_stock") is True)
        stocked = line["variation_id"] or line["product_id"]
        refund = httpx.post(f"{api}/orders/{oid}/refunds", auth=auth, json={
            "api_refund": False, "line_items": [{"id": line["id"], "quantity": 1, "refund_total": 1}]})
        assert refund.status_code == 201, refund.text
        hook.wait(4)  # the restock saved the product: product.updated with its new stock
        headers, body = hook.requests[3]
        assert headers["x-wc-webhook-topic"] == "product.updated" and json.loads(body)["id"] == stocked
