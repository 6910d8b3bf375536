"""Smartstore Web API simulator: Basic auth and its failure answers, the dev-environment switch (421),
the Smartstore-Api-* headers, OData reads ($filter parser, $orderby, $top/MaxTop, $skip, $count, $select,
$expand, server paging with @odata.nextLink), 501 for what is not simulated."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox


def client(sb: Sandbox, auth: tuple[str, str] | None = None) -> httpx.Client:
    creds = sb.credentials("smartstore")
    return httpx.Client(base_url=sb.api_url("smartstore"), auth=auth or (creds["public_key"], creds["secret_key"]),
                        headers={"Accept": "application/json"})


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("smartstore",), orders=150) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with client(sb) as c:
        yield c


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["Id"] for r in response.json()["value"]]


# -- authentication ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, result, desc", [
    (None, 2, "InvalidAuthorizationHeader"),
    ("Bearer abc", 2, "InvalidAuthorizationHeader"),
    ("Basic !!!", 2, "InvalidAuthorizationHeader"),
    ("Basic " + base64.b64encode(b":secret").decode(), 2, "InvalidAuthorizationHeader"),
    ("Basic " + base64.b64encode(b"unknown:secret").decode(), 4, "UserUnknown"),
])
def test_auth_failures_answer_401_with_the_result_headers(sb, header, result, desc):
    headers = {"Accept": "application/json"} | ({"Authorization": header} if header else {})
    response = httpx.get(sb.api_url("smartstore") + "Orders", headers=headers)
    assert response.status_code == 401
    assert response.headers["Smartstore-Api-AuthResultId"] == str(result)
    assert response.headers["Smartstore-Api-AuthResultDesc"] == desc
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Smartstore.WebApi", charset="UTF-8"'
    error = response.json()["error"]
    assert error["code"] == "401" and error["message"].startswith(f"Access to the Web API was denied ({desc})")
    assert {"code": str(result), "target": "Reason", "message": desc} in error["details"]


def test_a_wrong_secret_is_invalid_credentials_and_only_json_gets_a_body(sb):
    public = sb.credentials("smartstore")["public_key"]
    response = httpx.get(sb.api_url("smartstore") + "Orders", auth=(public, "wrong"), headers={"Accept": "text/xml"})
    assert response.status_code == 401 and response.headers["Smartstore-Api-AuthResultId"] == "3"
    assert response.content == b""


def test_a_production_store_over_http_answers_421_ssl_required():
    with Sandbox(systems=("smartstore",), orders=3, options={"smartstore": {"dev_environment": False}}) as prod:
        with client(prod) as c:
            response = c.get("Orders")
    assert response.status_code == 421
    assert response.headers["Smartstore-Api-AuthResultDesc"] == "SslRequired"
    assert response.json()["error"]["code"] == "421"


def test_a_disabled_api_user_is_refused():
    with Sandbox(systems=("smartstore",), orders=3, options={"smartstore": {"user_enabled": False}}) as off:
        with client(off) as c:
            response = c.get("Orders")
    assert response.status_code == 401 and response.headers["Smartstore-Api-AuthResultDesc"] == "UserDisabled"


def test_every_answer_carries_the_api_headers(api):
    response = api.get("Orders(1042)")
    assert response.status_code == 200
    for name in ("Smartstore-Api-AppVersion", "Smartstore-Api-Version", "Smartstore-Api-Date"):
        assert response.headers[name]
    assert response.headers["Smartstore-Api-MaxTop"] == "120"
    assert response.headers["Smartstore-Api-CustomerId"] == "1" and response.headers["Cache-Control"] == "no-cache"


# -- reads --------------------------------------------------------------------------------------------------

def test_the_reference_order_and_its_expansions(api):
    body = api.get("Orders(1042)", params={"$expand": "OrderItems,BillingAddress,ShippingAddress,Customer"}).json()
    assert body["@odata.context"].endswith("$metadata#Orders/$entity")
    assert body["OrderStatus"] == "Processing" and body["OrderStatusId"] == 20 and body["PaymentStatus"] == "Paid"
    assert Decimal(str(body["OrderTotal"])) == Decimal("42.00")
    assert Decimal(str(body["OrderSubTotalDiscountExclTax"])) == Decimal("3.00")
    assert body["ShippingMethod"] == "DHL Express" and body["UpdatedOnUtc"].endswith("Z")
    assert [i["Id"] for i in body["OrderItems"]] == [2201, 2202]
    assert body["Customer"]["Id"] == 56 and body["BillingAddress"]["Id"] == body["BillingAddressId"]


def test_a_missing_entity_is_404_in_the_odata_error_shape(api):
    response = api.get("Orders(999)")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Cannot find Order entity with identifier 999."}}


def test_without_top_the_server_pages_by_max_top_and_links_the_rest(api, sb):
    first = api.get("Orders", params={"$orderby": "Id"})
    body = first.json()
    assert len(body["value"]) == 120 and "$skip=120" in body["@odata.nextLink"]
    rest = httpx.get(body["@odata.nextLink"], auth=api.auth, headers=api.headers).json()
    assert "@odata.nextLink" not in rest
    assert len(body["value"]) + len(rest["value"]) == len(sb.sim("smartstore").orders)


def test_top_above_max_top_is_refused_and_top_skip_count_page(api):
    response = api.get("Orders", params={"$top": "121"})
    assert response.status_code == 400 and "'120'" in response.json()["error"]["message"]
    page = api.get("Orders", params={"$top": "10", "$skip": "5", "$count": "true"}).json()
    assert len(page["value"]) == 10 and page["@odata.count"] == 150 and "@odata.nextLink" not in page


def test_filter_on_dates_numbers_strings_and_enums(api, sb):
    orders = sb.sim("smartstore").orders.values()
    cut = sorted(o["UpdatedOnUtc"] for o in orders)[-10]
    found = ids(api.get("Orders", params={"$filter": f"UpdatedOnUtc gt {cut}", "$top": "120"}))
    assert sorted(found) == sorted(o["Id"] for o in orders if o["UpdatedOnUtc"] > cut) and len(found) == 9
    assert ids(api.get("Orders", params={"$filter": "Id in (1042, 1043) and OrderNumber eq '1042'"})) == [1042]
    by_name = ids(api.get("Orders", params={"$filter": "OrderStatus eq 'Processing'", "$top": "120"}))
    by_id = ids(api.get("Orders", params={"$filter": "OrderStatusId eq 20 or OrderStatus eq 'Pending'", "$top": "120"}))
    assert by_name and by_name == by_id
    assert ids(api.get("Orders", params={"$filter": "OrderStatus in ('Complete','Cancelled')"})) == []
    total = ids(api.get("Orders", params={"$filter": "not (OrderTotal le 42.00) and (Id ge 1040)", "$top": "120"}))
    assert sorted(total) == sorted(o["Id"] for o in orders if o["OrderTotal"] > 42 and o["Id"] >= 1040)
    assert ids(api.get("Orders", params={"$filter": "PurchaseOrderNumber ne null", "$top": "1"})) == []


@pytest.mark.parametrize("expr, message", [
    ("Nope eq 1", "Could not find a property named 'Nope' on type 'Smartstore.Core.Checkout.Orders.Order'."),
    ("UpdatedOnUtc gt '2024-05-14T10:00:00Z'", "incompatible types"),
    ("Id eq 'x'", "incompatible types"),
    ("Id eq", "ended unexpectedly"),
    ("Id = 3", "Syntax error"),
])
def test_bad_filters_are_400(api, expr, message):
    response = api.get("Orders", params={"$filter": expr})
    assert response.status_code == 400 and message in response.json()["error"]["message"]


@pytest.mark.parametrize("params", [
    {"$filter": "contains(OrderNumber, '10')"}, {"$filter": "Id add 1 eq 2"}, {"$filter": "Customer/Email eq 'a'"},
    {"$expand": "OrderItems($select=Sku)"}, {"$apply": "groupby((Id))"}, {"$orderby": "Customer/Email"},
])
def test_what_is_not_simulated_answers_501(api, params):
    response = api.get("Orders", params=params)
    assert response.status_code == 501 and b"not simulated" in response.content


def test_unknown_paths_are_not_simulated(api):
    for path in ("$metadata", "Manufacturers", "Orders(1042)/OrderNumber", "Products(1)/CreateAttributeCombinations"):
        assert api.get(path).status_code == 501


def test_orderby_select_and_expand_on_lists(api):
    body = api.get("Orders", params={"$orderby": "OrderTotal desc,Id", "$select": "Id,OrderTotal",
                                     "$expand": "OrderItems", "$top": "5"}).json()
    totals = [Decimal(str(r["OrderTotal"])) for r in body["value"]]
    assert totals == sorted(totals, reverse=True)
    assert set(body["value"][0]) == {"Id", "OrderTotal", "OrderItems"}
    assert all(i["OrderId"] == body["value"][0]["Id"] for i in body["value"][0]["OrderItems"])
    assert api.get("Orders", params={"$expand": "Nope"}).status_code == 400
    assert api.get("Orders", params={"$orderby": "Nope"}).status_code == 400


def test_guests_b2b_numbers_and_tax_exempt_lines_are_in_the_data(sb):
    sim = sb.sim("smartstore")
    guests = [o for o in sim.orders.values() if sim.sets["Customers"][o["CustomerId"]]["Email"] is None]
    assert guests and all(sim.sets["Addresses"][o["BillingAddressId"]]["Email"] for o in guests)
    assert any(c["CustomerNumber"].startswith("WEB") for c in sim.sets["Customers"].values())
    assert any(i["TaxRate"] == 0 for i in sim.sets["OrderItems"].values())
