"""Conformance probe (issue 13): ShopifyAPI (``import shopify``, 12.x), the official Python library, against
the Shopify simulator, used the way its README shows — a ``shopify.Session`` activated on
``ShopifyResource``, REST resources (``shopify.Order.find``, ``save``), cursor pages through the
``Link`` header (``has_next_page`` / ``next_page``), ``shopify.Shop.current()`` and
``shopify.GraphQL().execute`` with ``pageInfo`` paging. It lists, pages, filters, reads one, writes one and
provokes errors; what the simulator does not serve must fail as "not simulated" (501), not as a
Shopify 404.

The library always builds ``https://<shop>.myshopify.com``; the session's protocol and address are
pointed at the local simulator (instance attributes, nothing global is patched)."""
from __future__ import annotations

import json
import urllib.error
from collections.abc import Iterator

import pyactiveresource.connection
import pytest
import shopify

from passerelle_sandbox import Sandbox

O1042 = 5829173215423


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("shopify",), orders=12) as sandbox:
        yield sandbox


@pytest.fixture()
def session(sb: Sandbox) -> Iterator[shopify.Session]:
    token = sb.credentials("shopify")["access_token"]
    session = shopify.Session("passerelle-sandbox.myshopify.com", "2024-10", token)
    session.protocol = "http"  # the library's default is https to <shop>.myshopify.com
    session.url = sb.url("shopify").split("://", 1)[1]
    shopify.ShopifyResource.activate_session(session)
    try:
        yield session
    finally:
        shopify.ShopifyResource.clear_session()


def test_shop_current(session: shopify.Session) -> None:
    shop = shopify.Shop.current()
    assert shop.name == "Passerelle Sandbox" and shop.myshopify_domain == "passerelle-sandbox.myshopify.com"
    assert shop.currency == "EUR"


def test_list_and_page_through_link_headers(session: shopify.Session) -> None:
    every = {o.id for o in shopify.Order.find(status="any", limit=250)}
    assert len(every) == 12
    page = shopify.Order.find(status="any", limit=5)
    seen = [o.id for o in page]
    while page.has_next_page():
        page = page.next_page()
        seen += [o.id for o in page]
    assert len(seen) == len(set(seen)) == 12 and set(seen) == every


def test_filter_read_one_and_write_one(session: shopify.Session) -> None:
    paid = shopify.Order.find(status="any", financial_status="paid", limit=250)
    assert paid and all(o.financial_status == "paid" for o in paid)
    assert shopify.Order.count(status="any") == 12
    order = shopify.Order.find(O1042)
    assert order.name == "#1042" and {li.sku for li in order.line_items} == {"TSHIRT-BLU-M", "MUG-CLASSIC"}
    order.tags = "erp-exported, wave-12"
    assert order.save()
    assert shopify.Order.find(O1042).tags == "erp-exported, wave-12"


def test_errors(session: shopify.Session) -> None:
    with pytest.raises(pyactiveresource.connection.ResourceNotFound):
        shopify.Order.find(999)  # an order the shop does not hold: Shopify's own 404
    with pytest.raises(pyactiveresource.connection.ServerError) as unserved:
        shopify.Product.find()  # a real endpoint the simulator does not serve: 501, said so
    assert unserved.value.args == ("Not Implemented",)  # HTTP 501's reason: pyactiveresource keeps no body


def test_bad_token_is_unauthorized(sb: Sandbox) -> None:
    session = shopify.Session("passerelle-sandbox.myshopify.com", "2024-10", "shpat_wrong")
    session.protocol, session.url = "http", sb.url("shopify").split("://", 1)[1]
    shopify.ShopifyResource.activate_session(session)
    try:
        with pytest.raises(pyactiveresource.connection.UnauthorizedAccess):
            shopify.Shop.current()
    finally:
        shopify.ShopifyResource.clear_session()


ORDERS = """query Orders($after: String) {
  orders(first: 5, after: $after, query: "financial_status:paid") {
    pageInfo { hasNextPage endCursor }
    nodes { id name displayFinancialStatus }
  }
}"""


def test_graphql_lists_pages_filters_reads_and_writes(session: shopify.Session) -> None:
    client = shopify.GraphQL()
    names, after = [], None
    while True:
        body = json.loads(client.execute(ORDERS, {"after": after}))
        connection = body["data"]["orders"]
        names += [n["name"] for n in connection["nodes"]]
        assert all(n["displayFinancialStatus"] == "PAID" for n in connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert names and len(names) == len(set(names))
    shop = json.loads(client.execute("{ shop { name currencyCode } }"))
    assert shop["data"]["shop"] == {"name": "Passerelle Sandbox", "currencyCode": "EUR"}
    one = json.loads(client.execute('{ order(id: "gid://shopify/Order/%d") { name tags } }' % O1042))
    assert one["data"]["order"]["name"] == "#1042"
    added = json.loads(client.execute('mutation($id: ID!) { tagsAdd(id: $id, tags: ["probe"]) '
                                      '{ userErrors { message } } }', {"id": f"gid://shopify/Order/{O1042}"}))
    assert added["data"]["tagsAdd"]["userErrors"] == []
    assert "probe" in json.loads(client.execute('{ order(id: "gid://shopify/Order/%d") { tags } }'
                                                % O1042))["data"]["order"]["tags"]


def test_graphql_errors(session: shopify.Session, capsys: pytest.CaptureFixture[str]) -> None:
    client = shopify.GraphQL()
    undefined = json.loads(client.execute("{ orders(first: 1) { nodes { colour } } }"))
    assert undefined["errors"][0]["extensions"]["code"] == "undefinedField"  # Order is simulated whole
    with pytest.raises(urllib.error.HTTPError) as unserved:
        client.execute("{ fulfillmentOrders(first: 1) { nodes { id } } }")
    assert unserved.value.code == 501
    assert "NOT_SIMULATED" in capsys.readouterr().out  # the library prints the error body
