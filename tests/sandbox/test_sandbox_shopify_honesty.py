"""Shopify simulator honesty (issue 13, gap 4): what it does not simulate answers 501 "not simulated",
naming what, never Shopify's genuine ``404 Not Found`` or ``undefinedField``; the shop itself is served
(REST ``shop.json``, what ``shopify.Shop.current()`` reads, and GraphQL ``shop``)."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from passerelle_sandbox import Sandbox


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with Sandbox(systems=("shopify",), orders=3) as sb:
        token = sb.credentials("shopify")["access_token"]
        with httpx.Client(base_url=sb.api_url("shopify"), headers={"X-Shopify-Access-Token": token},
                          timeout=10) as client:
            yield client


@pytest.mark.parametrize("method, path", [
    ("GET", "products.json"), ("GET", "customers/1.json"), ("POST", "orders.json"),
    ("DELETE", "orders/5829173215423.json"), ("POST", "orders/5829173215423/cancel.json"),
    ("GET", "orders/5829173215423/fulfillment_orders.json"), ("POST", "inventory_levels/adjust.json"),
    ("PUT", "shop.json"),
])
def test_an_unsimulated_rest_route_answers_501_naming_it(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, json={})
    assert response.status_code == 501, response.text
    body = response.json()
    assert body["not_simulated"] == f"{method} {path}"
    assert "is not simulated" in body["errors"] and body["errors"] != "Not Found"


def test_an_order_the_shop_lacks_is_still_shopifys_404(api: httpx.Client) -> None:
    assert api.get("orders/999.json").status_code == 404  # a resource the simulator does serve


def test_shop_json_is_served(api: httpx.Client) -> None:
    shop = api.get("shop.json").json()["shop"]
    assert shop["name"] == "Passerelle Sandbox" and shop["myshopify_domain"] == "passerelle-sandbox.myshopify.com"
    assert shop["currency"] == "EUR" and shop["iana_timezone"] == "Europe/Paris"
    assert api.get("shop.json", params={"fields": "id,name"}).json() == {"shop": {"id": shop["id"],
                                                                                  "name": shop["name"]}}


def _gql(api: httpx.Client, query: str) -> httpx.Response:
    return api.post("graphql.json", json={"query": query})


def test_graphql_shop_is_served(api: httpx.Client) -> None:
    response = _gql(api, "{ shop { id name myshopifyDomain currencyCode ianaTimezone } }")
    assert response.status_code == 200
    assert response.json()["data"]["shop"] == {
        "id": "gid://shopify/Shop/60123456789", "name": "Passerelle Sandbox",
        "myshopifyDomain": "passerelle-sandbox.myshopify.com", "currencyCode": "EUR", "ianaTimezone": "Europe/Paris"}


@pytest.mark.parametrize("query, root, field", [
    ("{ fulfillmentOrders(first: 1) { nodes { id } } }", "QueryRoot", "fulfillmentOrders"),
    ("{ ordrs(first: 1) { nodes { id } } }", "QueryRoot", "ordrs"),  # unknown to the simulator: not "doesn't exist"
    ('mutation { orderCancel(orderId: "gid://shopify/Order/1") { userErrors { message } } }', "Mutation",
     "orderCancel"),
])
def test_an_unsimulated_root_field_answers_501(api: httpx.Client, query: str, root: str, field: str) -> None:
    response = _gql(api, query)
    assert response.status_code == 501
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "NOT_SIMULATED", "typeName": root, "fieldName": field}
    assert "is not simulated" in error["message"] and "doesn't exist" not in error["message"]


def test_a_field_missing_from_a_simulated_type_keeps_shopifys_error(api: httpx.Client) -> None:
    response = _gql(api, "{ shop { name colour } }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "undefinedField"
    unserved = _gql(api, "{ shop { plan { displayName } } }")
    assert unserved.status_code == 200 and unserved.json()["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"
