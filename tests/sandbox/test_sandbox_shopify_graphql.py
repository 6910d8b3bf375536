"""Shopify simulator, GraphQL side: parsing, only the requested fields,
connections and search syntax, cost and throttling, error shapes, mutations with userErrors."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from passerelle_sandbox import Sandbox

GID = "gid://shopify/Order/5829173215423"
ORDERS = """query Orders($first: Int = 5, $after: String, $query: String, $sort: OrderSortKeys = ID) {
  orders(first: $first, after: $after, query: $query, sortKey: $sort) {
    edges { cursor node { id name updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.api_url("shopify"), timeout=10,
                        headers={"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]})


def gql(client: httpx.Client, document: str, **variables: Any) -> dict[str, Any]:
    response = client.post("graphql.json", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def shop() -> Iterator[Sandbox]:
    options = {"graphql_bucket": 100000.0, "restore_rate": 10000.0, "closed_every": 4}
    with Sandbox(systems=("shopify",), orders=40, options={"shopify": options}) as sb:
        yield sb


@pytest.fixture()
def api(shop: Sandbox) -> Iterator[httpx.Client]:
    with _client(shop) as client:
        yield client


@pytest.fixture()
def fresh() -> Iterator[Sandbox]:
    with Sandbox(systems=("shopify",), orders=12) as sb:
        yield sb


def test_only_requested_fields_aliases_typename_and_cost(api: httpx.Client) -> None:
    query = """# one order
    { o: order(id: "%s") { __typename name total: totalPriceSet { shopMoney { amount currencyCode } }
        lineItems(first: 5) { nodes { sku quantity taxLines { rate priceSet { shopMoney { amount } } } } } } }""" % GID
    body = gql(api, query)
    assert body["data"] == {"o": {"__typename": "Order", "name": "#1042",
                                  "total": {"shopMoney": {"amount": "42.0", "currencyCode": "EUR"}},
                                  "lineItems": {"nodes": [
                                      {"sku": "TSHIRT-BLU-M", "quantity": 2,
                                       "taxLines": [{"rate": 0.2, "priceSet": {"shopMoney": {"amount": "4.55"}}}]},
                                      {"sku": "MUG-CLASSIC", "quantity": 1,
                                       "taxLines": [{"rate": 0.2, "priceSet": {"shopMoney": {"amount": "1.45"}}}]}]}}}
    cost = body["extensions"]["cost"]
    # order 1 + money bag 2 + lineItems 2 + 5 × (node 1 + tax line 1 + bag 2) requested; 2 lines returned
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (25, 13)
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_cursor_pages_return_every_order_once(shop: Sandbox, api: httpx.Client) -> None:
    seen, after, pages = [], None, 0
    while True:
        page = gql(api, ORDERS, first=7, after=after, sort="UPDATED_AT")["data"]["orders"]
        pages += 1
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 6 and len(seen) == len(set(seen)) == 40  # closed orders too: no status filter
    last = gql(api, "{ orders(last: 3, reverse: true) { nodes { name } pageInfo { hasPreviousPage } } }")
    assert [n["name"] for n in last["data"]["orders"]["nodes"]] == ["#1003", "#1002", "#1001"]
    assert last["data"]["orders"]["pageInfo"]["hasPreviousPage"] is True


def test_search_syntax(shop: Sandbox, api: httpx.Client) -> None:
    records = sorted(shop.sim("shopify").orders, key=lambda r: r["_updated"])
    cut = records[-6]["_updated"].strftime("%Y-%m-%dT%H:%M:%SZ")
    names = lambda q: {e["node"]["name"] for e in gql(api, ORDERS, first=250, query=q)["data"]["orders"]["edges"]}
    assert names(f"updated_at:>'{cut}'") == {r["name"] for r in records[-5:]}  # strict
    assert names(f"updated_at:>={cut}") == {r["name"] for r in records[-6:]}
    assert len(names("status:any")) == 40 and len(names("status:open")) == 31 and len(names("status:closed")) == 9
    # every fifth order is partially refunded (seeded by shopify_payments): 6 of the 31 open ones
    assert len(names("financial_status:paid status:open")) == 25 and names("financial_status:refunded") == set()
    assert len(names("financial_status:partially_refunded status:open")) == 6
    assert names("name:#1042 OR name:1001") == {"#1042", "#1001"}
    assert names("sku:MUG-CLASSIC -name:1042") == {r["name"] for r in records if r["name"] != "#1042"
                                                   and any(li["sku"] == "MUG-CLASSIC" for li in r["line_items"])}
    body = gql(api, ORDERS, first=1, query="colour:blue")
    assert body["extensions"]["search"][0]["warnings"] == [{"field": "colour",
                                                            "message": "Invalid search field for this query."}]


def test_error_shapes(api: httpx.Client) -> None:
    syntax = gql(api, "{ orders(first: 1) { edges { node { id } }")
    assert syntax == {"errors": [{"message": "syntax error, unexpected end of file at [1, 43]",
                                  "locations": [{"line": 1, "column": 43}]}]}
    undefined = gql(api, "query Q { orders(first: 1) { nodes { id colour } } }")["errors"][0]
    assert undefined["message"] == "Field 'colour' doesn't exist on type 'Order'"
    assert undefined["path"] == ["query Q", "orders", "nodes", "colour"]
    assert undefined["extensions"]["code"] == "undefinedField" and undefined["locations"] == [{"line": 1, "column": 41}]
    argument = gql(api, "{ orders(first: 1, colour: 2) { nodes { id } } }")["errors"][0]
    assert argument["extensions"]["code"] == "argumentNotAccepted"
    variable = gql(api, "query($n: Int!) { orders(first: $n) { nodes { id } } }")["errors"][0]
    assert variable["message"] == "Variable $n of type Int! was provided invalid value"
    assert variable["extensions"]["code"] == "INVALID_VARIABLE"
    no_size = gql(api, "{ orders { nodes { id } } }")
    assert no_size["errors"][0]["message"] == "you must provide one of first or last"
    assert no_size["data"] == {"orders": None} and no_size["errors"][0]["path"] == ["orders"]
    assert api.post("graphql.json", json={"variables": {}}).json() == {
        "errors": {"query": "Required parameter missing or invalid"}}


def test_max_cost_and_throttling(fresh: Sandbox) -> None:
    sim = fresh.sim("shopify")
    sim.graphql_bucket = sim._gql_available = 1000.0
    sim.restore_rate = 0.001  # no restore during the test
    heavy = "{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { sku } } } } }"
    with _client(fresh) as api:
        too_big = gql(api, heavy)
        assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
        assert too_big["errors"][0]["extensions"]["cost"] == 2 + 250 * (1 + 2 + 10)
        costly = "{ orders(first: 99) { nodes { id } } }"  # requests 101, costs 2 + 12 actually
        first = gql(api, costly)["extensions"]["cost"]
        assert (first["requestedQueryCost"], first["actualQueryCost"]) == (101, 14)
        assert first["throttleStatus"]["currentlyAvailable"] == 1000 - 14  # the unused part is refunded
        sim._gql_available = 50.0
        throttled = gql(api, costly)
        assert throttled["errors"][0]["message"] == "Throttled"
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED" and "data" not in throttled
        assert throttled["extensions"]["cost"]["actualQueryCost"] is None
        assert throttled["extensions"]["cost"]["requestedQueryCost"] == 101
        sim.throttle_status = 429
        assert api.post("graphql.json", json={"query": costly}).status_code == 429
    assert sim.throttled == 2


def test_tags_add_appends_and_reports_user_errors(fresh: Sandbox) -> None:
    mutation = """mutation Tag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) {
        node { id ... on Order { tags } } userErrors { field message } } }"""
    with _client(fresh) as api:
        gql(api, mutation, id=GID, tags=["erp-exported"])
        body = gql(api, mutation, id=GID, tags="wave-12, ERP-EXPORTED")
        assert body["data"]["tagsAdd"] == {"node": {"id": GID, "tags": ["erp-exported", "wave-12"]}, "userErrors": []}
        assert body["extensions"]["cost"]["requestedQueryCost"] == 12  # mutation 10 + node + userErrors
        missing = gql(api, mutation, id="gid://shopify/Order/1", tags=["x"])["data"]["tagsAdd"]
        assert missing["node"] is None and missing["userErrors"][0]["field"] == ["id"]
        removed = gql(api, 'mutation { tagsRemove(id: "%s", tags: ["wave-12"]) { node { id } userErrors { message } } }'
                      % GID)
        assert removed["data"]["tagsRemove"]["userErrors"] == []
    assert fresh.sim("shopify").tags(1042) == ["erp-exported"]
    assert fresh.sim("shopify").order(1042)["tags"] == "erp-exported"


def test_order_update_and_metafields(fresh: Sandbox) -> None:
    with _client(fresh) as api:
        body = gql(api, """mutation U($input: OrderInput!) { orderUpdate(input: $input) {
            order { tags customAttributes { key value } } userErrors { field message } } }""",
                   input={"id": GID, "tags": ["a", "b"], "customAttributes": [{"key": "erp_id", "value": "A-5531"}]})
        assert body["data"]["orderUpdate"] == {"order": {"tags": ["a", "b"], "customAttributes": [
            {"key": "erp_id", "value": "A-5531"}]}, "userErrors": []}
        setter = """mutation M($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
            metafields { key value } userErrors { field message code } } }"""
        bad = gql(api, setter, m=[{"ownerId": GID, "namespace": "erp", "key": "exported_at", "value": "x"}])
        assert bad["data"]["metafieldsSet"]["userErrors"] == [
            {"field": ["metafields", "0", "type"], "message": "Type can't be blank", "code": "BLANK"}]
        good = gql(api, setter, m=[{"ownerId": GID, "namespace": "erp", "key": "exported_at",
                                    "type": "single_line_text_field", "value": "2024-05-15"}])
        assert good["data"]["metafieldsSet"]["metafields"] == [{"key": "exported_at", "value": "2024-05-15"}]
        read = gql(api, '{ order(id: "%s") { metafield(namespace: "erp", key: "exported_at") { value } } }' % GID)
        assert read["data"]["order"]["metafield"] == {"value": "2024-05-15"}
    assert fresh.sim("shopify").tags(1042) == ["a", "b"]


def test_inventory_set_quantities_is_compare_and_set(fresh: Sandbox) -> None:
    sim = fresh.sim("shopify")
    mutation = """mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
        inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange item { sku } } }
        userErrors { field message code } } }"""
    with _client(fresh) as api:
        item = gql(api, '{ inventoryItems(first: 1, query: "sku:MUG-CLASSIC") { nodes { id sku } } }')
        item_id = item["data"]["inventoryItems"]["nodes"][0]["id"]
        location = gql(api, "{ locations(first: 1) { nodes { id } } }")["data"]["locations"]["nodes"][0]["id"]
        before = sim.stock("MUG-CLASSIC")
        row = {"inventoryItemId": item_id, "locationId": location, "quantity": before + 7}
        base = {"name": "available", "reason": "correction"}
        stale = gql(api, mutation, input={**base, "quantities": [{**row, "compareQuantity": before + 1}]})
        assert stale["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
        missing = gql(api, mutation, input={**base, "quantities": [row]})
        assert missing["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
        assert sim.stock("MUG-CLASSIC") == before
        done = gql(api, mutation, input={**base, "quantities": [{**row, "compareQuantity": before}]})
        group = done["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]
        assert group["changes"][0] == {"name": "available", "delta": 7, "quantityAfterChange": before + 7,
                                       "item": {"sku": "MUG-CLASSIC"}}
        ignored = gql(api, mutation, input={**base, "ignoreCompareQuantity": True, "quantities": [
            {**row, "quantity": 3}]})
        assert ignored["data"]["inventorySetQuantities"]["userErrors"] == []
        bad = gql(api, mutation, input={"name": "free", "reason": "oops", "quantities": []})
        assert [e["code"] for e in bad["data"]["inventorySetQuantities"]["userErrors"]] == [
            "INVALID_NAME", "INVALID_REASON"]
    assert sim.stock("MUG-CLASSIC") == 3


@pytest.mark.slow
def test_ten_thousand_orders_page_fast_and_exactly_once() -> None:
    options = {"shopify": {"graphql_bucket": 100000.0, "restore_rate": 10000.0}}
    with Sandbox(systems=("shopify",), orders=10_000, options=options) as sb, _client(sb) as api:
        seen, after = [], None
        while True:
            page = gql(api, ORDERS, first=250, after=after, sort="UPDATED_AT")["data"]["orders"]
            seen += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == 10_000
