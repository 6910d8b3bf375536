"""Shopify simulator: fulfillment orders, ``fulfillmentCreate`` with tracking info (whole and partial
shipments), the userErrors of a second fulfillment of a closed fulfillment order, and ``Order.fulfillments``."""
from __future__ import annotations

from typing import Any

import httpx

from passerelle_sandbox import Sandbox

FOS = """query($id: ID!) { order(id: $id) { displayFulfillmentStatus updatedAt
  fulfillmentOrders(first: 5) { nodes { id status orderName lineItems(first: 20) { nodes { id totalQuantity remainingQuantity lineItem { sku } } } } }
  fulfillments(first: 5) { id name status totalQuantity trackingInfo(first: 3) { company number url }
                           fulfillmentLineItems(first: 20) { nodes { quantity lineItem { sku } } } } } }"""
CREATE = """mutation Ship($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message } } }"""


def gql(sb: Sandbox, document: str, **variables: Any) -> dict[str, Any]:
    with httpx.Client(base_url=sb.api_url("shopify"), timeout=10,
                      headers={"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}) as client:
        response = client.post("graphql.json", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_a_whole_shipment_closes_the_fulfillment_order_and_a_second_is_refused() -> None:
    with Sandbox(systems=("shopify",), orders=5) as sb:
        order = sb.sim("shopify").order(1002)
        before = gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]
        (fo,) = before["fulfillmentOrders"]["nodes"]
        assert fo["status"] == "OPEN" and fo["orderName"] == "#1002" and before["fulfillments"] == []
        assert before["displayFulfillmentStatus"] == "UNFULFILLED"
        assert [(n["lineItem"]["sku"], n["remainingQuantity"]) for n in fo["lineItems"]["nodes"]] == [
            (li["sku"], li["quantity"]) for li in order["line_items"]]
        ship = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}], "notifyCustomer": True,
                "trackingInfo": {"number": "1Z999AA10123456784", "company": "UPS"}}
        done = gql(sb, CREATE, fulfillment=ship)["fulfillmentCreate"]
        assert done["userErrors"] == [] and done["fulfillment"]["status"] == "SUCCESS"
        assert done["fulfillment"]["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784", "url": None}]
        after = gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]
        assert after["displayFulfillmentStatus"] == "FULFILLED" and after["updatedAt"] != before["updatedAt"]
        assert after["fulfillmentOrders"]["nodes"][0]["status"] == "CLOSED"
        (made,) = after["fulfillments"]
        assert made["totalQuantity"] == sum(li["quantity"] for li in order["line_items"])
        assert made["trackingInfo"] == [{"company": "UPS", "number": "1Z999AA10123456784", "url": None}]
        # the same fulfillment again (a retry, a second run): refused, nothing changed
        again = gql(sb, CREATE, fulfillment=ship)["fulfillmentCreate"]
        assert again["fulfillment"] is None
        assert again["userErrors"][0]["field"] == ["fulfillment", "lineItemsByFulfillmentOrder", "0",
                                                   "fulfillmentOrderId"]
        assert "unfulfillable status: closed" in again["userErrors"][0]["message"]
        assert len(gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]["fulfillments"]) == 1
        assert len(sb.sim("shopify").fulfillments) == 1


def test_a_partial_shipment_leaves_the_rest_to_ship() -> None:
    with Sandbox(systems=("shopify",), orders=5) as sb:
        order = sb.sim("shopify").order(1002)
        fo = gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]["fulfillmentOrders"]["nodes"][0]
        first = fo["lineItems"]["nodes"][0]
        part = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [
            {"id": first["id"], "quantity": 1}]}], "trackingInfo": {"number": "6A123", "company": "Colissimo"}}
        assert gql(sb, CREATE, fulfillment=part)["fulfillmentCreate"]["userErrors"] == []
        after = gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]
        assert after["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
        node = after["fulfillmentOrders"]["nodes"][0]
        assert node["status"] == "IN_PROGRESS"
        assert node["lineItems"]["nodes"][0]["remainingQuantity"] == first["totalQuantity"] - 1
        # more than what remains: Shopify's own message, nothing changed
        over = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": [
            {"id": first["id"], "quantity": first["totalQuantity"]}]}]}
        refused = gql(sb, CREATE, fulfillment=over)["fulfillmentCreate"]
        assert refused["userErrors"] == [{"field": ["fulfillment"],
                                          "message": "Invalid fulfillment order line item quantity requested."}]
        # the rest: everything left, the fulfillment order closes
        rest = {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}]}
        assert gql(sb, CREATE, fulfillment=rest)["fulfillmentCreate"]["userErrors"] == []
        final = gql(sb, FOS, id=order["admin_graphql_api_id"])["order"]
        assert final["displayFulfillmentStatus"] == "FULFILLED" and len(final["fulfillments"]) == 2
        assert sum(f["totalQuantity"] for f in final["fulfillments"]) == sum(li["quantity"] for li in order["line_items"])


def test_bad_inputs_answer_user_errors() -> None:
    with Sandbox(systems=("shopify",), orders=5) as sb:
        sim = sb.sim("shopify")
        fo1 = sim.order(1001)["_fulfillment_orders"][0]["id"]
        fo2 = sim.order(1002)["_fulfillment_orders"][0]["id"]
        cases = [
            ({"lineItemsByFulfillmentOrder": []}, "At least one fulfillment order"),
            ({"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}]},
             "does not exist"),
            ({"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo1}, {"fulfillmentOrderId": fo2}]},
             "same order"),
            ({"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo1}],
              "trackingInfo": {"number": "1", "numbers": ["2"]}}, "either number or numbers"),
            ({"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo1}],
              "trackingInfo": {"url": "https://t.example/1"}}, "needs a tracking number"),
        ]
        for payload, message in cases:
            answer = gql(sb, CREATE, fulfillment=payload)["fulfillmentCreate"]
            assert answer["fulfillment"] is None and message in answer["userErrors"][0]["message"], payload
        assert sim.fulfillments == [] and sim.order(1001)["fulfillment_status"] is None
