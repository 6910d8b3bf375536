"""Issue 13's hard cases: one neutral data set (the same seed for every system) has each of them, and every
shop simulator renders them in its own shape, read through its HTTP API.

Cases: B2B and B2C customers, guests, returning customers, several coupons on one order, fees, free
shipping, local pickup, tax-exempt lines, a SKU longer than Sage's 19 characters, partial refunds, partial
shipments, another currency. Seeds 1..5 at 15 and 20 orders.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from passerelle_sandbox import Sandbox
from passerelle_sandbox.dataset import Dataset, Order, generate
from sandbox_helpers import ps_client
from test_sandbox_woocommerce import woo_client

SIZES = [(seed, orders) for seed in range(1, 6) for orders in (15, 20)]
SHOPS = ("prestashop", "woocommerce", "shopify", "magento", "smartstore")
SHOPIFY_BASE = 5829173214381


def _partial_refund(order: Order) -> bool:
    refunded = sum(i.quantity for r in order.refunds for i in r.items)
    return bool(order.refunds) and (refunded < sum(line.quantity for line in order.lines)
                                    or not any(r.shipping for r in order.refunds) and order.shipping_excl > 0)


def _partial_shipment(order: Order) -> bool:
    shipped = sum(i.quantity for s in order.shipments for i in s.items)
    return bool(order.shipments) and 0 < shipped < sum(line.quantity for line in order.lines)


def cases(ds: Dataset) -> dict[str, list[int]]:
    """Order ids per case, found from the data itself (not from the generator's rule)."""
    carriers = {c.id: c for c in ds.carriers}
    counts = Counter(o.customer_id for o in ds.orders)
    found: dict[str, list[int]] = {}

    def add(case: str, order: Order, present: bool) -> None:
        if present and order.id != 1042:
            found.setdefault(case, []).append(order.id)
    for o in ds.orders:
        customer = ds.customer(o.customer_id)
        add("guest", o, customer.is_guest)
        add("b2b", o, bool(customer.company) and not customer.is_guest)
        add("b2c", o, not customer.company and not customer.is_guest)
        add("returning", o, counts[o.customer_id] > 1 and not customer.is_guest)
        add("coupons", o, len(o.vouchers) > 1)
        add("fee", o, bool(o.fees))
        add("free_shipping", o, o.shipping_excl == 0 and not carriers[o.carrier_id].pickup)
        add("pickup", o, carriers[o.carrier_id].pickup and o.shipping_excl == 0)
        add("tax_exempt", o, any(line.tax_rate == 0 for line in o.lines))
        add("long_sku", o, any(len(line.reference) > 19 for line in o.lines))
        add("partial_refund", o, _partial_refund(o))
        add("partial_shipment", o, _partial_shipment(o))
        add("currency", o, o.currency != "EUR")
    return found


ALL = {"guest", "b2b", "b2c", "returning", "coupons", "fee", "free_shipping", "pickup", "tax_exempt", "long_sku",
       "partial_refund", "partial_shipment", "currency"}


@pytest.mark.parametrize("seed,orders", SIZES)
def test_every_case_is_in_the_neutral_data_set(seed: int, orders: int) -> None:
    ds = generate(seed=seed, orders=orders)
    found = cases(ds)
    assert set(found) == ALL, ALL - set(found)
    assert all(len(ids) <= orders // 2 for case, ids in found.items() if case not in ("b2c", "tax_exempt",
                                                                                       "free_shipping"))
    anchor = ds.order(1042)  # the reference order keeps none of them
    assert (anchor.customer_id, anchor.carrier_id, [v.name for v in anchor.vouchers], anchor.fees, anchor.currency,
            anchor.refunds, anchor.shipments, anchor.total_paid_incl) == (56, 3, ["WELCOME3"], [], "EUR", [], [],
                                                                         D("42.00"))
    for o in ds.orders:  # the money rules hold with fees and several coupons
        assert o.total_paid_excl == o.products_excl + o.shipping_excl + o.fees_excl - o.discounts_excl
        assert o.total_paid_incl == o.products_incl + o.shipping_incl + o.fees_incl - o.discounts_incl
        assert o.voucher is (o.vouchers[0] if o.vouchers else None)
        for movement in [*o.refunds, *o.shipments]:
            assert all(0 < i.quantity <= o.line(i.line_id).quantity for i in movement.items)
    assert generate(seed=seed, orders=orders).to_dict() == ds.to_dict()  # deterministic
    assert Dataset.from_dict(ds.to_dict()).to_dict() == ds.to_dict()  # and round-trips through JSON


def _one(found: dict[str, list[int]], case: str) -> int:
    return found[case][0]


def _prestashop(sb: Sandbox, ds: Dataset, found: dict[str, list[int]]) -> None:
    js = {"output_format": "JSON", "display": "full"}
    with ps_client(sb) as ps:
        guests = ps.get("customers", params={**js, "filter[is_guest]": "[1]"}).json()["customers"]
        assert {int(c["id"]) for c in guests} == {ds.order(i).customer_id for i in found["guest"]}
        oid = _one(found, "coupons")
        rules = ps.get("order_cart_rules", params={**js, "filter[id_order]": f"[{oid}]"}).json()["order_cart_rules"]
        assert sorted(r["name"] for r in rules) == sorted(v.name for v in ds.order(oid).vouchers)
        fee = ps.get(f"orders/{_one(found, 'fee')}", params={"output_format": "JSON"}).json()["order"]
        assert str(fee["gift"]) == "1" and D(fee["total_wrapping_tax_excl"]) == ds.order(int(fee["id"])).fees_excl
        other = ps.get(f"orders/{_one(found, 'currency')}", params={"output_format": "JSON"}).json()["order"]
        currency = ps.get(f"currencies/{other['id_currency']}", params={"output_format": "JSON"}).json()["currency"]
        assert currency["iso_code"] == "GBP" and D(other["conversion_rate"]) == D("0.85")
        for oid in found["partial_refund"]:
            slips = ps.get("order_slip", params={**js, "filter[id_order]": f"[{oid}]"}).json()["order_slips"]
            assert len(slips) == 1 and str(slips[0]["partial"]) == "1"
        oid = _one(found, "partial_shipment")
        carriers = ps.get("order_carriers", params={**js, "filter[id_order]": f"[{oid}]"}).json()["order_carriers"]
        assert carriers[0]["tracking_number"] == ds.order(oid).shipments[0].tracking_number
        pickup = ps.get(f"orders/{_one(found, 'pickup')}", params={"output_format": "JSON"}).json()["order"]
        assert str(pickup["id_carrier"]) == "5" and D(pickup["total_shipping"]) == 0
        oid = _one(found, "long_sku")
        rows = ps.get("order_details", params={**js, "filter[id_order]": f"[{oid}]"}).json()["order_details"]
        assert any(len(r["product_reference"]) > 19 for r in rows)


def _woocommerce(sb: Sandbox, ds: Dataset, found: dict[str, list[int]]) -> None:
    with woo_client(sb) as wc:
        def order(case: str) -> dict[str, Any]:
            return wc.get(f"orders/{_one(found, case)}").json()
        assert order("guest")["customer_id"] == 0
        assert all(c["id"] < 500000 for c in wc.get("customers", params={"per_page": 100}).json())
        coupons = order("coupons")
        assert [c["code"] for c in coupons["coupon_lines"]] == [v.name.lower() for v in ds.order(coupons["id"]).vouchers]
        fee = order("fee")
        assert [(f["name"], f["total"]) for f in fee["fee_lines"]] == [("Gift wrapping", "2.50")]
        assert order("currency")["currency"] == "GBP"
        assert order("pickup")["shipping_lines"][0]["method_id"] == "local_pickup"
        assert order("free_shipping")["shipping_lines"][0]["total"] == "0.00"
        for oid in found["partial_refund"]:
            refunds = wc.get(f"orders/{oid}/refunds").json()
            assert len(refunds) == 1 and D(refunds[0]["amount"]) < D(wc.get(f"orders/{oid}").json()["total"])
        assert any(len(i["sku"]) > 19 for i in order("long_sku")["line_items"])


FULFIL = """query($id: ID!) { order(id: $id) { displayFulfillmentStatus presentmentCurrencyCode discountCodes
  customer { id } refunds(first: 5) { id } fulfillments(first: 5) { trackingInfo(first: 3) { number }
  fulfillmentLineItems(first: 20) { nodes { quantity } } } } }"""


def _shopify(sb: Sandbox, ds: Dataset, found: dict[str, list[int]]) -> None:
    token = sb.credentials("shopify")["access_token"]
    with httpx.Client(base_url=sb.api_url("shopify"), timeout=10, headers={"X-Shopify-Access-Token": token}) as api:
        def order(case: str) -> dict[str, Any]:
            gid = f"gid://shopify/Order/{SHOPIFY_BASE + _one(found, case)}"
            body = api.post("graphql.json", json={"query": FULFIL, "variables": {"id": gid}}).json()
            assert "errors" not in body, body
            return body["data"]["order"]
        assert order("guest")["customer"] is None
        oid = _one(found, "coupons")
        assert order("coupons")["discountCodes"] == [v.name for v in ds.order(oid).vouchers]
        assert order("currency")["presentmentCurrencyCode"] == "GBP"
        shipped = order("partial_shipment")
        assert shipped["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
        assert shipped["fulfillments"][0]["trackingInfo"][0]["number"] == \
            ds.order(_one(found, "partial_shipment")).shipments[0].tracking_number
        assert len(order("partial_refund")["refunds"]) == 1
        rest = api.get(f"orders/{SHOPIFY_BASE + _one(found, 'long_sku')}.json").json()["order"]
        assert any(len(i["sku"]) > 19 for i in rest["line_items"])


def _magento(sb: Sandbox, ds: Dataset, found: dict[str, list[int]]) -> None:
    token = httpx.post(f"{sb.url('magento')}/rest/V1/integration/admin/token", json=sb.credentials("magento")).json()
    with httpx.Client(base_url=sb.api_url("magento"), headers={"Authorization": f"Bearer {token}"}, timeout=10) as mg:
        def order(case: str) -> dict[str, Any]:
            return mg.get(f"orders/{_one(found, case)}").json()

        def by_order(kind: str, oid: int) -> list[dict[str, Any]]:
            params = {"searchCriteria[filter_groups][0][filters][0][field]": "order_id",
                      "searchCriteria[filter_groups][0][filters][0][value]": str(oid)}
            return mg.get(kind, params=params).json()["items"]
        guest = order("guest")
        assert guest["customer_is_guest"] == 1 and "customer_id" not in guest
        assert order("coupons")["applied_rule_ids"] == "3,4"
        other = order("currency")
        assert (other["order_currency_code"], other["base_currency_code"]) == ("GBP", "EUR")
        pickup = order("pickup")["extension_attributes"]["shipping_assignments"][0]["shipping"]["method"]
        assert pickup == "instore_pickup"
        for oid in found["partial_refund"]:
            assert len(by_order("creditmemos", oid)) == 1
        oid = _one(found, "partial_shipment")
        (shipment,) = by_order("shipments", oid)
        assert shipment["tracks"][0]["track_number"] == ds.order(oid).shipments[0].tracking_number
        assert mg.get(f"orders/{oid}").json()["state"] == "processing"  # not complete: partial
        assert any(len(i["sku"]) > 19 for i in order("long_sku")["items"])


def _smartstore(sb: Sandbox, ds: Dataset, found: dict[str, list[int]]) -> None:
    creds = sb.credentials("smartstore")
    with httpx.Client(base_url=sb.api_url("smartstore"), auth=(creds["public_key"], creds["secret_key"]),
                      headers={"Accept": "application/json"}, timeout=10) as api:
        def order(case: str) -> dict[str, Any]:
            return api.get(f"Orders({_one(found, case)})", params={"$expand": "Customer,Shipments"}).json()
        assert order("guest")["Customer"]["Email"] is None
        other = order("currency")
        assert (other["CustomerCurrencyCode"], other["CurrencyRate"]) == ("GBP", 0.85)
        refunded = order("partial_refund")
        assert refunded["PaymentStatus"] == "PartiallyRefunded" and 0 < refunded["RefundedAmount"] < refunded["OrderTotal"]
        shipped = order("partial_shipment")
        assert shipped["ShippingStatus"] == "PartiallyShipped"
        oid = _one(found, "partial_shipment")
        assert shipped["Shipments"][0]["TrackingNumber"] == ds.order(oid).shipments[0].tracking_number


@pytest.mark.parametrize("seed,orders", SIZES)
def test_every_shop_renders_every_case(seed: int, orders: int) -> None:
    ds = generate(seed=seed, orders=orders)
    found = cases(ds)
    with Sandbox(systems=SHOPS, dataset=ds) as sb:
        _prestashop(sb, ds, found)
        _woocommerce(sb, ds, found)
        _shopify(sb, ds, found)
        _magento(sb, ds, found)
        _smartstore(sb, ds, found)
