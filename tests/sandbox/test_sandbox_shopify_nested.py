"""An order's nested connections (lines, shipping lines) read to their end through the shipped `shopify`
connector — or the order set aside with the reason, the others going on: never passed on short."""
from __future__ import annotations

import httpx
import pytest

from engine.connectors.base import IncompleteRecord
from passerelle_sandbox import Sandbox
from shopify_support import lengthen, read_all, shipped

GID = "gid://shopify/Order/5829173215423"  # data set order 1042


def _order(records: list, name: str = "#1042") -> dict:
    found = [r for r in records if r["name"] == name]
    assert len(found) == 1
    return found[0]


def _graphql_calls(sb: Sandbox) -> int:
    """GraphQL queries answered (a THROTTLED answer is asked again once the cost bucket refills)."""
    sim = sb.sim("shopify")
    return sum(1 for method, path, _ in sim.requests if path.endswith("graphql.json")) - sim.throttled


def test_a_40_line_order_with_two_shipping_lines_arrives_whole() -> None:
    with Sandbox(systems=("shopify",), orders=12) as sb:
        skus = lengthen(sb.sim("shopify"), 1042, lines=40, shipping=2)
        records = read_all(sb, shipped())
        assert len(records) == 12 and not [r for r in records if isinstance(r, IncompleteRecord)]
        order = _order(records)
        lines = [edge["node"] for edge in order["lineItems"]["edges"]]
        assert [line["sku"] for line in lines] == skus and [line["quantity"] for line in lines] == list(range(1, 41))
        assert [edge["node"]["title"] for edge in order["shippingLines"]["edges"]] == ["Carrier 1", "Carrier 2"]
        assert order["lineItems"]["pageInfo"]["hasNextPage"] is False
        assert _graphql_calls(sb) == 2 + 1  # two pages of orders, one follow-up for lines 11 to 40


def test_follow_ups_page_until_the_connection_ends() -> None:
    """230 lines: 10 in the order's page, then follow-up pages of 100, 100 and 20; 7 shipping lines: 3,
    then one follow-up of 4. The other orders of the page are untouched. (A wide cost bucket: waiting
    for it to refill is proven elsewhere.)"""
    with Sandbox(systems=("shopify",), orders=12,
                 options={"shopify": {"graphql_bucket": 100000.0, "restore_rate": 10000.0}}) as sb:
        skus = lengthen(sb.sim("shopify"), 1005, lines=230, shipping=7)
        records = read_all(sb, shipped())
        order = _order(records, "#1005")
        assert [edge["node"]["sku"] for edge in order["lineItems"]["edges"]] == skus
        assert [edge["node"]["title"] for edge in order["shippingLines"]["edges"]] == [f"Carrier {i}" for i in range(1, 8)]
        assert _graphql_calls(sb) == 2 + 3 + 1
        assert [e["node"]["sku"] for e in _order(records)["lineItems"]["edges"]] == ["TSHIRT-BLU-M", "MUG-CLASSIC"]


def test_without_a_follow_up_the_long_order_is_set_aside_and_the_others_go_on() -> None:
    definition = shipped()
    definition["resources"]["orders"]["nested"]["lineItems"]["follow"] = None
    with Sandbox(systems=("shopify",), orders=12) as sb:
        lengthen(sb.sim("shopify"), 1042, lines=40, shipping=2)
        records = read_all(sb, definition)
        incomplete = [r for r in records if isinstance(r, IncompleteRecord)]
        assert len(records) == 12 and [r["id"] for r in incomplete] == [GID]
        assert incomplete[0].field == "lineItems"
        assert incomplete[0].reason == ("lineItems has more than 10 entries and the connector cannot read the rest "
                                        "(no follow-up query declared)")


def test_an_undeclared_connection_that_reports_more_pages_sets_the_order_aside() -> None:
    definition = shipped()
    del definition["resources"]["orders"]["nested"]
    with Sandbox(systems=("shopify",), orders=12) as sb:
        lengthen(sb.sim("shopify"), 1042, lines=12, shipping=5)
        records = read_all(sb, definition)
        incomplete = [r for r in records if isinstance(r, IncompleteRecord)]
        assert [r["id"] for r in incomplete] == [GID]
        assert incomplete[0].field == "shippingLines"  # the first one found, in the record's key order
        assert "does not declare it under `nested`" in incomplete[0].reason


def test_a_follow_up_the_server_refuses_sets_that_order_aside_with_the_servers_words() -> None:
    definition = shipped()
    follow = definition["resources"]["orders"]["nested"]["lineItems"]["follow"]
    follow["graphql"] = follow["graphql"].replace("sku name quantity", "sku name quantity discountedTotalSet { shopMoney { amount } }")
    with Sandbox(systems=("shopify",), orders=12) as sb:
        lengthen(sb.sim("shopify"), 1042, lines=40, shipping=2)
        records = read_all(sb, definition)
        incomplete = [r for r in records if isinstance(r, IncompleteRecord)]
        assert [r["id"] for r in incomplete] == [GID] and len(records) == 12
        assert incomplete[0].reason.startswith("lineItems has more than 10 entries and the follow-up query failed: ")
        assert "Field 'discountedTotalSet' on type 'LineItem' is not simulated" in incomplete[0].reason


def test_the_simulator_pages_a_nested_connection_of_one_order_with_its_cost() -> None:
    """The follow-up Shopify serves: `order(id:)` with `lineItems(first:, after:)`, the cursor of the
    previous page, cost 1 (order) + 2 (connection) + first × (1 + the node's objects)."""
    query = """query Next($id: ID!, $first: Int!, $after: String) { order(id: $id) {
      lineItems(first: $first, after: $after) { pageInfo { hasNextPage endCursor }
        edges { cursor node { sku originalUnitPriceSet { shopMoney { amount } } } } } } }"""
    with Sandbox(systems=("shopify",), orders=3) as sb:
        skus = lengthen(sb.sim("shopify"), 1042, lines=40)
        headers = {"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}
        url = sb.api_url("shopify") + "graphql.json"
        seen, after, costs = [], None, []
        while True:
            body = httpx.post(url, headers=headers, json={"query": query, "variables": {
                "id": GID, "first": 15, "after": after}}).json()
            conn = body["data"]["order"]["lineItems"]
            seen += [edge["node"]["sku"] for edge in conn["edges"]]
            cost = body["extensions"]["cost"]
            costs.append((cost["requestedQueryCost"], cost["actualQueryCost"]))
            if not conn["pageInfo"]["hasNextPage"]:
                break
            assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
            after = conn["pageInfo"]["endCursor"]
        assert seen == skus
        assert costs == [(48, 48), (48, 48), (48, 33)]  # 1 + 2 + 15 × (1 + money bag 2); 10 lines last
        stale = httpx.post(url, headers=headers, json={"query": query, "variables": {
            "id": GID, "first": 15, "after": "not-a-cursor"}}).json()
        assert stale["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        gone = httpx.post(url, headers=headers, json={"query": query, "variables": {
            "id": "gid://shopify/Order/1", "first": 15, "after": None}}).json()
        assert gone["data"] == {"order": None}


@pytest.mark.parametrize("field, on", [("discountApplications(first: 5) { edges { node { value } } }", "Order"),
                                       ("lineItems(first: 1) { edges { node { discountedTotalSet { "
                                        "shopMoney { amount } } } } }", "LineItem")])
def test_a_real_field_the_simulator_does_not_serve_answers_not_simulated(field: str, on: str) -> None:
    with Sandbox(systems=("shopify",), orders=3) as sb:
        headers = {"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}
        body = httpx.post(sb.api_url("shopify") + "graphql.json", headers=headers,
                          json={"query": '{ order(id: "%s") { name %s } }' % (GID, field)}).json()
        assert "data" not in body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "NOT_SIMULATED" and error["extensions"]["typeName"] == on
        assert "is not simulated" in error["message"] and "doesn't exist" not in error["message"]
