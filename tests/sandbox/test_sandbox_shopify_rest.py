"""Shopify simulator, REST side: auth, versions, the orders list and
its cursor pages, filters, single orders, PUT tags (replace), close/open, the leaky bucket."""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from passerelle_sandbox import Sandbox

INVALID = "[API] Invalid API key or access token (unrecognized login or wrong password)"
O1042 = 5829173215423


def _client(sb: Sandbox, token: str | None = None) -> httpx.Client:
    token = token if token is not None else sb.credentials("shopify")["access_token"]
    return httpx.Client(base_url=sb.api_url("shopify"), headers={"X-Shopify-Access-Token": token}, timeout=10)


@pytest.fixture(scope="module")
def shop() -> Iterator[Sandbox]:
    with Sandbox(systems=("shopify",), orders=30, options={"shopify": {"closed_every": 5}}) as sb:
        yield sb


@pytest.fixture()
def api(shop: Sandbox) -> Iterator[httpx.Client]:
    with _client(shop) as client:
        yield client


@pytest.fixture()
def fresh() -> Iterator[Sandbox]:
    with Sandbox(systems=("shopify",), orders=12) as sb:
        yield sb


def _links(response: httpx.Response) -> dict[str, str]:
    return {link["rel"]: link["url"] for link in response.links.values()} if response.headers.get("link") else {}


def test_missing_or_wrong_token_is_401_with_the_documented_body(shop: Sandbox) -> None:
    for token in ("", "shpat_" + "0" * 32):
        with _client(shop, token) as client:
            response = client.get("orders.json")
        assert response.status_code == 401
        assert response.json() == {"errors": INVALID}
        assert "X-Shopify-Shop-Api-Call-Limit" not in response.headers


def test_paths_and_versions(shop: Sandbox, api: httpx.Client) -> None:
    assert shop.url("shopify") + "/admin/api/2024-10/" == shop.api_url("shopify")
    token = {"X-Shopify-Access-Token": shop.credentials("shopify")["access_token"]}
    # what the simulator does not serve says so (501), never a genuine-looking 404 (issue 13, gap 4)
    assert httpx.get(shop.url("shopify") + "/admin/api/2024-13/orders.json", headers=token).status_code == 501
    assert httpx.get(shop.url("shopify") + "/api/orders.json", headers=token).json()["not_simulated"] == \
        "GET /api/orders.json"
    response = httpx.get(shop.url("shopify") + "/admin/api/2024-07/orders/count.json", headers=token)
    assert response.headers["X-Shopify-API-Version"] == "2024-07" and response.headers["X-Request-Id"]
    assert api.get("orders/999.json").json() == {"errors": "Not Found"}


def test_order_1042_matches_the_reference_example(api: httpx.Client) -> None:
    response = api.get(f"orders/{O1042}.json")
    assert response.status_code == 200
    assert response.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")
    order = response.json()["order"]
    assert (order["name"], order["order_number"], order["admin_graphql_api_id"]) == (
        "#1042", 1042, f"gid://shopify/Order/{O1042}")
    assert (order["subtotal_price"], order["total_tax"], order["total_price"], order["total_discounts"]) == (
        "30.00", "7.00", "42.00", "3.00")
    assert order["created_at"] == "2024-05-14T12:21:07+02:00"
    assert order["discount_codes"] == [{"code": "WELCOME3", "amount": "3.00", "type": "fixed_amount"}]
    lines = order["line_items"]
    assert [(li["sku"], li["quantity"], li["price"]) for li in lines] == [
        ("TSHIRT-BLU-M", 2, "12.50"), ("MUG-CLASSIC", 1, "8.00")]
    assert [li["discount_allocations"][0]["amount"] for li in lines] == ["2.27", "0.73"]
    assert [li["tax_lines"][0]["price"] for li in lines] == ["4.55", "1.45"]
    assert lines[0]["tax_lines"][0]["rate"] == 0.2 and lines[0]["variant_title"] == "Blue / M"
    assert order["shipping_lines"][0]["price"] == "5.00"
    assert order["shipping_lines"][0]["tax_lines"][0]["price"] == "1.00"
    assert order["customer"]["id"] == 7012345678901 and order["tags"] == ""
    assert Decimal(order["subtotal_price"]) + Decimal("5.00") + Decimal(order["total_tax"]) == Decimal("42.00")
    only = api.get(f"orders/{O1042}.json", params={"fields": "id,name"}).json()["order"]
    assert only == {"id": O1042, "name": "#1042"}


def test_default_status_open_hides_closed_orders(shop: Sandbox, api: httpx.Client) -> None:
    closed = {r["id"] for r in shop.sim("shopify").orders if r["closed_at"]}
    assert len(closed) == 5  # orders 1005, 1010, …, 1025 (data set ids 1001–1029 and 1042)
    default = {o["id"] for o in api.get("orders.json", params={"limit": 250}).json()["orders"]}
    every = {o["id"] for o in api.get("orders.json", params={"limit": 250, "status": "any"}).json()["orders"]}
    only_closed = {o["id"] for o in api.get("orders.json", params={"status": "closed"}).json()["orders"]}
    assert len(every) == 30 and default == every - closed and only_closed == closed
    assert api.get("orders/count.json").json() == {"count": 25}
    assert api.get("orders/count.json", params={"status": "any"}).json() == {"count": 30}


def test_link_pages_cover_everything_once_and_the_last_page_has_no_link(api: httpx.Client) -> None:
    response = api.get("orders.json", params={"status": "any", "limit": 7, "fields": "id,updated_at"})
    assert "previous" not in _links(response)
    seen, pages = [], 0
    while True:
        pages += 1
        orders = response.json()["orders"]
        assert all(set(o) == {"id", "updated_at"} for o in orders)
        seen += [o["id"] for o in orders]
        links = _links(response)
        if pages > 1:
            assert "previous" in links
        if "next" not in links:
            break
        assert "limit=7" in links["next"] and "fields=id,updated_at" in links["next"]
        response = api.get(links["next"])
    assert pages == 5 and len(seen) == len(set(seen)) == 30 and seen == sorted(seen)
    assert "link" not in response.headers or 'rel="next"' not in response.headers["link"]
    back = api.get(_links(response)["previous"]).json()["orders"]
    assert [o["id"] for o in back] == seen[21:28]
    everything = api.get("orders.json", params={"status": "any", "limit": 250})
    assert "link" not in everything.headers and len(everything.json()["orders"]) == 30


def test_page_info_with_another_filter_is_400(api: httpx.Client) -> None:
    first = api.get("orders.json", params={"status": "any", "limit": 5})
    url = httpx.URL(_links(first)["next"])
    bad = api.get(url.copy_add_param("created_at_min", "2024-01-01T00:00:00+02:00"))
    assert bad.status_code == 400
    assert bad.json() == {"errors": {"created_at_min": "created_at_min cannot be passed when page_info is present"}}
    status = api.get(url.copy_add_param("status", "any"))
    assert status.json() == {"errors": {"status": "status cannot be passed when page_info is present"}}
    fine = api.get(url.copy_set_param("limit", "3"))
    assert fine.status_code == 200 and len(fine.json()["orders"]) == 3  # limit/fields only: allowed
    assert api.get("orders.json", params={"page_info": "garbage"}).status_code == 400


def test_limit_default_max_and_filters(shop: Sandbox, api: httpx.Client) -> None:
    assert len(api.get("orders.json", params={"status": "any", "limit": 999}).json()["orders"]) == 30  # clamped
    assert api.get("orders.json", params={"limit": "0"}).status_code == 400
    records = sorted(shop.sim("shopify").orders, key=lambda r: r["_updated"])
    cut = records[-4]["updated_at"]
    found = api.get("orders.json", params={"status": "any", "updated_at_min": cut}).json()["orders"]
    assert {o["id"] for o in found} == {r["id"] for r in records[-4:]}  # updated_at_min is inclusive
    ids = api.get("orders.json", params={"status": "any", "ids": f"{O1042},{O1042 - 13}"}).json()["orders"]
    assert [o["id"] for o in ids] == [O1042 - 13, O1042]
    since = api.get("orders.json", params={"status": "any", "since_id": O1042 - 15}).json()["orders"]
    assert [o["id"] for o in since] == [O1042 - 14, O1042 - 13, O1042]
    assert api.get("orders.json", params={"updated_at_min": "yesterday"}).status_code == 400


def test_put_tags_replaces_the_whole_string_and_moves_updated_at(fresh: Sandbox) -> None:
    sim = fresh.sim("shopify")
    before = sim.order(1042)["updated_at"]
    with _client(fresh) as api:
        api.put(f"orders/{O1042}.json", json={"order": {"id": O1042, "tags": "erp-exported, wave-12"}})
        attributes = [{"name": "erp_id", "value": "A-5531"}]
        response = api.put(f"orders/{O1042}.json", json={"order": {"id": O1042, "tags": "wave-13",
                                                                    "note_attributes": attributes}})
        assert response.status_code == 200
        order = response.json()["order"]
        assert order["tags"] == "wave-13" and order["note_attributes"] == [{"name": "erp_id", "value": "A-5531"}]
        assert order["updated_at"] > before
        assert api.put(f"orders/{O1042}.json", json={"tags": "x"}).json() == {
            "errors": {"order": "Required parameter missing or invalid"}}
        closed = api.post(f"orders/{O1042}/close.json").json()["order"]
        assert closed["closed_at"] is not None
        assert O1042 not in {o["id"] for o in api.get("orders.json", params={"limit": 250}).json()["orders"]}
        assert api.post(f"orders/{O1042}/open.json").json()["order"]["closed_at"] is None
    assert sim.tags(1042) == ["wave-13"]


def test_leaky_bucket_overrun_is_429_with_retry_after(fresh: Sandbox) -> None:
    sim = fresh.sim("shopify")
    sim.rest_leak = 0.001  # nearly no leak: the 41st call in a row overruns deterministically
    with _client(fresh) as api:
        used = [api.get("orders/count.json").headers["X-Shopify-Shop-Api-Call-Limit"] for _ in range(40)]
        assert used[0] == "1/40" and used[-1] == "40/40"
        over = api.get("orders/count.json")
    assert over.status_code == 429 and over.headers["Retry-After"] == "2.0"
    assert over.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
    assert over.json() == {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                                     "resume uninterrupted service."}
    assert sim.requests_429 == 1
