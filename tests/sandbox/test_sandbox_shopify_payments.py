"""Shopify simulator: an order's transactions and refunds over GraphQL (``Order.transactions``,
``Order.refunds`` with refund line items, shipping lines and the REFUND transaction), seeded
deterministically, and the ``refund`` test helper."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from passerelle_sandbox import Sandbox

PAYMENTS = """query Pay($query: String) {
  orders(first: 50, query: $query) { nodes {
    id name displayFinancialStatus totalPriceSet { shopMoney { amount } }
    transactions(first: 10) { id kind status gateway formattedGateway errorCode
                              amountSet { shopMoney { amount currencyCode } } parentTransaction { id kind }
                              order { name } }
    refunds(first: 5) { id legacyResourceId note createdAt order { name } totalRefundedSet { shopMoney { amount } }
      refundLineItems(first: 10) { nodes { quantity restockType restocked lineItem { sku }
                                           priceSet { shopMoney { amount } } subtotalSet { shopMoney { amount } }
                                           totalTaxSet { shopMoney { amount } } } }
      refundShippingLines(first: 5) { nodes { shippingLine { title } subtotalAmountSet { shopMoney { amount } }
                                              taxAmountSet { shopMoney { amount } } } }
      transactions(first: 5) { nodes { kind status gateway amountSet { shopMoney { amount } } parentTransaction { id } } } }
  } } }"""


def gql(sb: Sandbox, document: str, **variables: Any) -> dict[str, Any]:
    with httpx.Client(base_url=sb.api_url("shopify"), timeout=10,
                      headers={"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}) as client:
        response = client.post("graphql.json", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def shop() -> Iterator[Sandbox]:
    with Sandbox(systems=("shopify",), orders=20,
                 options={"shopify": {"graphql_bucket": 100000.0, "restore_rate": 10000.0,
                                     "max_query_cost": None}}) as sb:
        yield sb


@pytest.fixture(scope="module")
def orders(shop: Sandbox) -> dict[str, dict[str, Any]]:
    body = gql(shop, PAYMENTS)
    assert "errors" not in body, body
    return {o["name"]: o for o in body["data"]["orders"]["nodes"]}


def _number(name: str) -> int:
    return int(name.lstrip("#"))


def test_every_order_is_paid_once_for_its_total(orders: dict) -> None:
    for name, order in orders.items():
        paid = [t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"]
        assert len(paid) == 1, name
        assert paid[0]["amountSet"]["shopMoney"]["amount"] == order["totalPriceSet"]["shopMoney"]["amount"]
        assert paid[0]["amountSet"]["shopMoney"]["currencyCode"] == "EUR" and paid[0]["order"]["name"] == name
        assert all(t["gateway"] == paid[0]["gateway"] for t in order["transactions"])


def test_authorisations_captures_and_declined_sales_are_seeded_by_order_number(orders: dict) -> None:
    kinds = {name: [(t["kind"], t["status"]) for t in o["transactions"] if t["kind"] != "REFUND"]
             for name, o in orders.items()}
    assert kinds["#1001"] == [("AUTHORIZATION", "SUCCESS"), ("CAPTURE", "SUCCESS")]
    assert kinds["#1002"] == [("SALE", "SUCCESS")]
    assert kinds["#1004"] == [("SALE", "FAILURE"), ("SALE", "SUCCESS")]  # 1004 = 3 (mod 7)
    declined = orders["#1004"]["transactions"][0]
    assert declined["errorCode"] == "CARD_DECLINED"
    capture = orders["#1001"]["transactions"][1]
    assert capture["parentTransaction"] == {"id": orders["#1001"]["transactions"][0]["id"], "kind": "AUTHORIZATION"}


def test_partial_refunds_are_seeded_every_fifth_order(orders: dict) -> None:
    refunded = sorted(name for name, o in orders.items() if o["refunds"])
    assert refunded == sorted(n for n in orders if _number(n) % 5 == 0) and refunded
    for name in refunded:
        order = orders[name]
        (refund,) = order["refunds"]
        assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED" and refund["order"]["name"] == name
        (item,) = refund["refundLineItems"]["nodes"]
        assert (item["quantity"], item["restockType"], item["restocked"]) == (1, "RETURN", True)
        assert item["subtotalSet"]["shopMoney"]["amount"] == item["priceSet"]["shopMoney"]["amount"]
        ships = refund["refundShippingLines"]["nodes"]
        assert len(ships) == (1 if _number(name) % 10 == 0 else 0)
        expected = Decimal(item["subtotalSet"]["shopMoney"]["amount"]) + Decimal(item["totalTaxSet"]["shopMoney"]["amount"])
        expected += sum(Decimal(s["subtotalAmountSet"]["shopMoney"]["amount"])
                        + Decimal(s["taxAmountSet"]["shopMoney"]["amount"]) for s in ships)
        total = Decimal(refund["totalRefundedSet"]["shopMoney"]["amount"])
        assert total == expected < Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        (money,) = refund["transactions"]["nodes"]
        paid = [t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"]
        assert (money["kind"], money["status"], Decimal(money["amountSet"]["shopMoney"]["amount"])) == (
            "REFUND", "SUCCESS", total)
        assert money["parentTransaction"]["id"] == paid[0]["id"]
        assert order["transactions"][-1]["kind"] == "REFUND"  # the refund's money is an order transaction too


def test_the_refund_helper_adds_a_refund_and_moves_updated_at() -> None:
    with Sandbox(systems=("shopify",), orders=5) as sb:
        sim = sb.sim("shopify")
        order = sim.order(1002)
        sku, before = order["line_items"][0]["sku"], order["updated_at"]
        sim.clock = _later
        refund = sim.refund(order, {sku: 1}, shipping=True, note="damaged")
        assert order["updated_at"] != before and order["financial_status"] == "partially_refunded"
        body = gql(sb, '{ order(id: "%s") { refunds { id note refundLineItems(first: 5) { nodes { lineItem { sku } quantity } } } } }'
                   % order["admin_graphql_api_id"])
        assert body["data"]["order"]["refunds"] == [{"id": refund["id"], "note": "damaged", "refundLineItems": {
            "nodes": [{"lineItem": {"sku": sku}, "quantity": 1}]}}]
        with pytest.raises(ValueError, match="cannot refund"):
            sim.refund(order, {sku: 99})


def _later():
    from datetime import datetime, timezone
    return datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_unserved_transaction_fields_answer_not_simulated(shop: Sandbox) -> None:
    body = gql(shop, '{ orders(first: 1) { nodes { transactions { fees { id } } } } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"
    assert body["errors"][0]["extensions"]["fieldName"] == "fees"
