"""Gap 7 of issue 13: WooCommerce creates (orders, customers, products), order line changes, guest orders,
refunds — as ``WC_REST_Orders_Controller`` (v3), the customers/products controllers and the refunds
controller answer them."""
from __future__ import annotations

from decimal import Decimal

import httpx

from passerelle_sandbox import Sandbox
from test_sandbox_woocommerce_writes import sb, wc  # noqa: F401  (the same fresh sandbox and signed client)

BILLING = {"first_name": "Léa", "last_name": "Roux", "address_1": "3 rue Vaneau", "city": "Paris",
           "postcode": "75007", "country": "FR", "email": "lea.roux@example.test", "phone": "0600000000"}
ORDER = {"payment_method": "bacs", "payment_method_title": "Direct bank transfer", "set_paid": True,
         "customer_id": 56, "billing": BILLING, "shipping": {k: v for k, v in BILLING.items() if k != "phone"},
         "line_items": [{"sku": "LIVRE-003", "quantity": 2}],
         "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat rate", "total": "5.00"}],
         "fee_lines": [{"name": "Gift wrap", "total": "2.00", "tax_status": "taxable"}],
         "coupon_lines": [{"code": "WELCOME3"}], "meta_data": [{"key": "erp_ref", "value": "A-1"}]}


def err(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_create_order_computes_totals_like_woocommerce(wc: httpx.Client, sb: Sandbox) -> None:
    response = wc.post("orders", json=ORDER)
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["status"], order["created_via"], order["customer_id"]) == ("processing", "rest-api", 56)
    assert order["date_paid_gmt"] == "2024-06-01T08:00:00"
    line = order["line_items"][0]
    assert (line["product_id"], line["name"], line["quantity"], line["subtotal"], line["total"]) == \
        (3, sb.sim("woocommerce").products[3]["name"], 2, "53.90", "50.90")
    assert (line["subtotal_tax"], line["total_tax"], line["taxes"][0]["id"]) == ("2.96", "2.80", 2)
    assert order["shipping_lines"][0]["total_tax"] == "1.00" and order["fee_lines"][0]["total_tax"] == "0.40"
    assert order["coupon_lines"][0]["code"] == "welcome3" and order["coupon_lines"][0]["discount"] == "3.00"
    assert {k: order[k] for k in ("discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax",
                                  "total_tax", "total")} == {
        "discount_total": "3.00", "discount_tax": "0.16", "shipping_total": "5.00", "shipping_tax": "1.00",
        "cart_tax": "3.20", "total_tax": "4.20", "total": "62.10"}
    assert [(t["rate_id"], t["tax_total"], t["shipping_tax_total"]) for t in order["tax_lines"]] == \
        [(1, "0.40", "1.00"), (2, "2.80", "0.00")]
    lines_sum = sum(Decimal(x["total"]) for k in ("line_items", "shipping_lines", "fee_lines") for x in order[k])
    assert lines_sum + Decimal(order["total_tax"]) == Decimal(order["total"])
    assert order["meta_data"][0]["key"] == "erp_ref" and order["_links"]["customer"]
    assert wc.get(f"orders/{order['id']}").json() == order
    assert order["id"] in [o["id"] for o in wc.get("orders", params={"customer": 56, "per_page": 100}).json()]


def test_create_order_errors_and_guest_default(wc: httpx.Client) -> None:
    guest = wc.post("orders", json={"line_items": [{"product_id": 4}]}).json()
    assert (guest["customer_id"], guest["status"], guest["total"]) == (0, "pending", "6.54")  # 6.20 + 5.5 %
    assert "customer" not in guest["_links"]
    assert err(wc.post("orders", json={"customer_id": 99999})) == (400, "woocommerce_rest_invalid_customer_id")
    assert err(wc.post("orders", json={"line_items": [{"quantity": 1}]})) == \
        (400, "woocommerce_rest_required_product_reference")
    assert err(wc.post("orders", json={"line_items": [{"product_id": 4}], "coupon_lines": [{"code": "nope"}]})) == \
        (400, "woocommerce_rest_invalid_coupon")
    assert err(wc.post("orders", json={"shipping_lines": [{"total": "1"}]})) == \
        (400, "woocommerce_rest_invalid_shipping_item")


def test_update_order_lines(wc: httpx.Client) -> None:
    order = wc.post("orders", json={"line_items": [{"sku": "LIVRE-003", "quantity": 1}], "billing": BILLING}).json()
    line_id = order["line_items"][0]["id"]
    more = wc.put(f"orders/{order['id']}", json={"line_items": [{"id": line_id, "quantity": 3, "total": "80.85",
                                                                 "subtotal": "80.85"}]}).json()
    assert [(x["id"], x["quantity"], x["total"], x["total_tax"]) for x in more["line_items"]] == \
        [(line_id, 3, "80.85", "4.45")]
    assert more["total"] == "85.30"
    added = wc.put(f"orders/{order['id']}", json={"line_items": [{"product_id": 5, "quantity": 1}]}).json()
    assert [x["sku"] for x in added["line_items"]] == ["LIVRE-003", "CAFE-005"]  # no id: a line is added
    removed = wc.put(f"orders/{order['id']}", json={"line_items": [{"id": line_id, "quantity": 0}]}).json()
    assert [x["sku"] for x in removed["line_items"]] == ["CAFE-005"] and removed["total"] == "10.29"
    assert err(wc.put(f"orders/{order['id']}", json={"line_items": [{"id": 2201, "quantity": 1}]})) == \
        (400, "woocommerce_rest_invalid_item_id")


def test_customer_id_zero_makes_a_guest_order(wc: httpx.Client) -> None:
    response = wc.put("orders/1042", json={"customer_id": 0})
    assert response.status_code == 200 and response.json()["customer_id"] == 0
    assert "customer" not in response.json()["_links"]
    assert 1042 not in [o["id"] for o in wc.get("orders", params={"customer": 56, "per_page": 100}).json()]
    assert err(wc.put("orders/1042", json={"customer_id": 99999})) == (400, "woocommerce_rest_invalid_customer_id")


def test_create_customer(wc: httpx.Client) -> None:
    created = wc.post("customers", json={"email": "new.buyer@example.test", "first_name": "New",
                                         "billing": {"city": "Lyon"}})
    assert created.status_code == 201
    body = created.json()
    assert (body["username"], body["role"], body["billing"]["city"]) == ("new.buyer", "customer", "Lyon")
    assert wc.get("customers", params={"email": "new.buyer@example.test"}).json()[0]["id"] == body["id"]
    again = wc.post("customers", json={"email": "claire.martin@example.test"})
    assert err(again) == (400, "registration-error-email-exists")
    assert again.json()["message"] == "An account is already registered with your email address. Please log in."
    assert err(wc.post("customers", json={"first_name": "x"})) == (400, "rest_missing_callback_param")


def test_create_product(wc: httpx.Client) -> None:
    created = wc.post("products", json={"name": "Tote bag", "sku": "TOTE-001", "regular_price": "12.5",
                                        "manage_stock": True, "stock_quantity": 7})
    assert created.status_code == 201
    body = created.json()
    assert (body["price"], body["stock_status"], body["type"]) == ("12.50", "instock", "simple")
    assert wc.get("products", params={"sku": "TOTE-001"}).json()[0]["id"] == body["id"]
    duplicate = wc.post("products", json={"name": "Again", "sku": "LIVRE-003"})
    assert err(duplicate) == (400, "product_invalid_sku")
    assert duplicate.json()["data"] == {"status": 400, "resource_id": 3, "unique_sku": "LIVRE-003-1"}
    assert err(wc.post("products", json={"name": "V", "type": "grouped"})) == (501, "passerelle_sandbox_not_simulated")


def test_refunds(wc: httpx.Client, sb: Sandbox) -> None:
    order = sb.sim("woocommerce").orders[1042]
    line = order["line_items"][-1]
    refund = wc.post("orders/1042/refunds", json={
        "api_refund": False, "reason": "Broken", "line_items": [
            {"id": line["id"], "quantity": 1, "refund_total": 8, "refund_tax": [{"id": 1, "refund_total": 1.6}]}]})
    assert refund.status_code == 201, refund.text
    body = refund.json()
    assert (body["amount"], body["reason"], body["refunded_payment"]) == ("9.60", "Broken", False)
    assert body["line_items"][0]["quantity"] == -1 and body["line_items"][0]["total"] == "-8.00"
    assert body["line_items"][0]["meta_data"][0] == {"id": body["line_items"][0]["meta_data"][0]["id"],
                                                     "key": "_refunded_item_id", "value": str(line["id"])}
    after = wc.get("orders/1042").json()
    assert after["refunds"] == [{"id": body["id"], "reason": "Broken", "total": "-9.60"}]
    assert after["status"] != "refunded"
    assert [r["id"] for r in wc.get("orders/1042/refunds").json()] == [body["id"]]
    too_much = wc.post("orders/1042/refunds", json={"amount": "40.00", "api_refund": False})
    assert too_much.status_code == 500 and too_much.json() == {
        "code": "woocommerce_rest_cannot_create_order_refund", "message": "Invalid refund amount.", "data": 500}
    gateway = wc.post("orders/1042/refunds", json={"amount": "1.00"})
    assert gateway.status_code == 500 and gateway.json()["message"] == \
        "The payment gateway for this order does not support automatic refunds."
    assert err(wc.post("orders/1042/refunds", json={"amount": "0", "api_refund": False})) == \
        (400, "woocommerce_rest_invalid_order_refund")
    assert err(wc.post("orders/999999/refunds", json={"amount": "1"})) == (404, "woocommerce_rest_invalid_order_id")
    rest = wc.post("orders/1042/refunds", json={"amount": "32.40", "api_refund": False})
    assert rest.status_code == 201 and wc.get("orders/1042").json()["status"] == "refunded"


def test_known_but_unsimulated_routes_answer_501(wc: httpx.Client) -> None:
    for response in (wc.post("orders/batch", json={}), wc.delete("orders/1042"), wc.get("coupons")):
        assert err(response) == (501, "passerelle_sandbox_not_simulated")


def test_item_arguments_are_validated_like_wordpress(wc: httpx.Client) -> None:
    response = wc.post("orders", json={"line_items": [{"sku": "LIVRE-003", "quantity": "two"}]})
    assert response.status_code == 400 and response.json()["data"]["params"] == {
        "line_items": "line_items[0][quantity] is not of type integer."}
    assert err(wc.post("products", json={"name": "x", "manage_stock": True, "stock_quantity": "a"})) == \
        (400, "rest_invalid_param")
