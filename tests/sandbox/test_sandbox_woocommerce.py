"""WooCommerce simulator: order shape, list arguments, paging headers and catalogue reads."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from engine.connectors.http.flows import OAuth1Auth
from passerelle_sandbox import Sandbox

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)


def woo_client(sb: Sandbox, key: str | None = None, secret: str | None = None, method: str = "HMAC-SHA256",
               at: datetime | None = None) -> httpx.Client:
    """A client signing every request with the engine's OAuth 1.0a signer (fresh nonce each time)."""
    creds = sb.credentials("woocommerce")
    clock = (lambda: at.timestamp()) if at else (lambda: datetime.now(timezone.utc).timestamp())
    auth = OAuth1Auth(key or creds["consumer_key"], secret or creds["consumer_secret"], method, clock=clock)
    return httpx.Client(base_url=sb.api_url("woocommerce"), auth=auth, timeout=10)


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("woocommerce",), orders=30, options={"woocommerce": {"clock": lambda: NOW}}) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def wc(sb: Sandbox) -> Iterator[httpx.Client]:
    with woo_client(sb, at=NOW) as client:
        yield client


def ids(response: httpx.Response) -> list[int]:
    return [record["id"] for record in response.json()]


def test_order_1042_matches_the_reference_example(wc: httpx.Client) -> None:
    response = wc.get("orders/1042")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    order = response.json()
    assert {k: order[k] for k in ("id", "number", "status", "currency", "discount_total", "discount_tax",
                                  "shipping_total", "shipping_tax", "cart_tax", "total", "total_tax",
                                  "customer_id", "payment_method", "date_created", "date_created_gmt",
                                  "date_modified_gmt", "date_paid_gmt", "date_completed")} == {
        "id": 1042, "number": "1042", "status": "processing", "currency": "EUR", "discount_total": "3.00",
        "discount_tax": "0.60", "shipping_total": "5.00", "shipping_tax": "1.00", "cart_tax": "6.00",
        "total": "42.00", "total_tax": "7.00", "customer_id": 56, "payment_method": "bacs",
        "date_created": "2024-05-14T12:21:07", "date_created_gmt": "2024-05-14T10:21:07",
        "date_modified_gmt": "2024-05-14T10:21:09", "date_paid_gmt": "2024-05-14T10:21:09", "date_completed": None}
    tshirt, mug = order["line_items"]
    assert (tshirt["name"], tshirt["product_id"], tshirt["variation_id"], tshirt["sku"]) == \
        ("T-shirt - Blue, M", 12, 34, "TSHIRT-BLU-M")
    assert (tshirt["subtotal"], tshirt["total"], tshirt["total_tax"], mug["total"], mug["total_tax"]) == \
        ("25.00", "22.73", "4.55", "7.27", "1.45")
    assert tshirt["taxes"] == [{"id": 1, "total": "4.546", "subtotal": "5"}]
    assert [m["key"] for m in tshirt["meta_data"]] == ["pa_color", "pa_size"]
    assert '"price":12.5' in response.text and '"price":8}' in response.text  # JSON numbers, not strings
    assert order["tax_lines"][0]["rate_code"] == "FR-TVA-1"
    assert (order["tax_lines"][0]["tax_total"], order["tax_lines"][0]["shipping_tax_total"]) == ("6.00", "1.00")
    assert order["coupon_lines"][0]["code"] == "welcome3"
    assert order["shipping_lines"][0]["method_id"] == "flat_rate"
    assert order["_links"]["customer"][0]["href"].endswith("/wp-json/wc/v3/customers/56")


def test_totals_relation_holds_for_every_order(sb: Sandbox) -> None:
    from decimal import Decimal as D
    for order in sb.sim("woocommerce").orders.values():
        lines = sum(D(i["total"]) for i in order["line_items"]) + sum(D(s["total"]) for s in order["shipping_lines"])
        lines += sum(D(f["total"]) for f in order["fee_lines"])  # a fee (issue 13's gift wrap) counts too
        assert D(order["total"]) == lines + D(order["total_tax"]), order["id"]
        assert D(order["total_tax"]) == D(order["cart_tax"]) + D(order["shipping_tax"])


def test_unknown_order_is_404_invalid_id(wc: httpx.Client) -> None:
    response = wc.get("orders/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                               "data": {"status": 404}}


def test_unknown_route_is_rest_no_route(wc: httpx.Client) -> None:
    response = wc.get("nowhere")
    assert response.status_code == 404 and response.json()["code"] == "rest_no_route"
    assert wc.delete("taxes").json()["code"] == "rest_no_route"


def test_paging_headers_and_link(wc: httpx.Client) -> None:
    response = wc.get("orders", params={"per_page": 7, "page": 2})
    assert response.status_code == 200 and len(response.json()) == 7
    assert (response.headers["X-WP-Total"], response.headers["X-WP-TotalPages"]) == ("30", "5")
    links = {part.split('rel="')[1].rstrip('"'): part for part in response.headers["Link"].split(", <")}
    assert set(links) == {"first", "prev", "next", "last"}
    assert "page=3" in links["next"] and "per_page=7" in links["next"] and "oauth_signature=" in links["next"]
    last = wc.get("orders", params={"per_page": 7, "page": 5})
    assert len(last.json()) == 2 and 'rel="next"' not in last.headers["Link"]
    beyond = wc.get("orders", params={"per_page": 7, "page": 9})
    assert beyond.status_code == 200 and beyond.json() == []
    assert "Link" not in wc.get("orders", params={"per_page": 100}).headers


def test_default_page_size_is_ten_newest_first(wc: httpx.Client, sb: Sandbox) -> None:
    orders = sb.sim("woocommerce").orders
    newest = sorted(orders, key=lambda i: (orders[i]["date_created_gmt"], i), reverse=True)[:10]
    assert ids(wc.get("orders")) == newest


@pytest.mark.parametrize("params,reason", [
    ({"per_page": "101"}, {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}),
    ({"per_page": "0"}, {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}),
    ({"page": "0"}, {"page": "page must be greater than or equal to 1"}),
    ({"per_page": "ten"}, {"per_page": "per_page is not of type integer."}),
    ({"order": "up"}, {"order": "order is not one of asc, desc."}),
    ({"orderby": "price"}, {"orderby": "orderby is not one of date, id, include, title, slug, modified."}),
    ({"modified_after": "yesterday"}, {"modified_after": "Invalid date."}),
    ({"include": "1042,abc"}, {"include": "include[1] is not of type integer."}),
])
def test_invalid_arguments_are_rest_invalid_param(wc: httpx.Client, params: dict, reason: dict) -> None:
    response = wc.get("orders", params=params)
    assert response.status_code == 400
    assert response.json() == {"code": "rest_invalid_param", "message": f"Invalid parameter(s): {', '.join(reason)}",
                               "data": {"status": 400, "params": reason}}


def test_status_filter_comma_list_and_array(wc: httpx.Client, sb: Sandbox) -> None:
    orders = sb.sim("woocommerce").orders
    assert {o["status"] for o in orders.values()} == {"processing"}
    assert wc.get("orders", params={"status": "completed"}).json() == []
    both = wc.get("orders", params={"status": "completed,processing", "per_page": 100})
    assert both.headers["X-WP-Total"] == "30"
    # PHP reads status[] as status[0], status[1]: a signer that signs "status[]" twice is refused (as by
    # WooCommerce); arrays signed the PHP way: test_sandbox_woocommerce_oauth_php
    arrays = wc.get("orders?status[]=on-hold&status[]=processing&per_page=1")
    assert arrays.status_code == 401 and arrays.json()["message"].startswith("Invalid signature")
    bad = wc.get("orders", params={"status": "processing,shipped"})
    assert bad.status_code == 400 and bad.json()["data"]["params"]["status"].startswith("status[1] is not one of any,")


def test_modified_after_is_strict_and_gmt_aware(wc: httpx.Client, sb: Sandbox) -> None:
    orders = sb.sim("woocommerce").orders
    cut = sorted(o["date_modified_gmt"] for o in orders.values())[-4]
    expected = sorted(i for i, o in orders.items() if o["date_modified_gmt"] > cut)
    gmt = wc.get("orders", params={"modified_after": cut, "dates_are_gmt": "true", "orderby": "id", "order": "asc"})
    assert ids(gmt) == expected and len(expected) == 3
    # the same wall-clock text read as site time (Paris, +2 h in May) is two hours earlier in GMT
    local = wc.get("orders", params={"modified_after": cut, "per_page": 100})
    assert len(local.json()) > len(expected)
    with_z = wc.get("orders", params={"modified_after": cut + "Z", "per_page": 100})
    assert sorted(ids(with_z)) == expected


def test_include_exclude_orderby_and_offset(wc: httpx.Client) -> None:
    picked = wc.get("orders", params={"include": "1042,1003,1017", "orderby": "include"})
    assert ids(picked) == [1042, 1003, 1017]
    by_id = wc.get("orders", params={"orderby": "id", "order": "asc", "exclude": "1001,1002", "per_page": 3})
    assert ids(by_id) == [1003, 1004, 1005]
    offset = wc.get("orders", params={"orderby": "id", "order": "asc", "offset": 5, "per_page": 2, "page": 9})
    assert ids(offset) == [1006, 1007]


def test_fields_trims_nested_members(wc: httpx.Client) -> None:
    response = wc.get("orders/1042", params={"_fields": "id,status,line_items.sku"})
    assert response.json() == {"id": 1042, "status": "processing",
                               "line_items": [{"sku": "TSHIRT-BLU-M"}, {"sku": "MUG-CLASSIC"}]}


def test_products_by_sku_variations_and_stock(wc: httpx.Client) -> None:
    found = wc.get("products", params={"sku": "TSHIRT-BLU-M"}).json()
    assert [(p["id"], p["type"], p["parent_id"], p["sku"]) for p in found] == [(34, "variation", 12, "TSHIRT-BLU-M")]
    mug = wc.get("products/27").json()
    assert (mug["type"], mug["manage_stock"], mug["price"]) == ("simple", True, "8.00")
    tshirt = wc.get("products/12").json()
    assert tshirt["type"] == "variable" and 34 in tshirt["variations"]
    variations = wc.get("products/12/variations", params={"per_page": 100})
    assert variations.headers["X-WP-Total"] == "9" and 34 in ids(variations)
    one = wc.get("products/12/variations/34").json()
    assert one["_links"]["up"][0]["href"].endswith("/products/12")
    assert wc.get("products/27/variations/34").status_code == 404


def test_customers_taxes_shipping_methods(wc: httpx.Client) -> None:
    claire = wc.get("customers/56").json()
    assert (claire["email"], claire["billing"]["country"]) == ("claire.martin@example.test", "FR")
    customers = wc.get("customers", params={"per_page": 5})
    assert int(customers.headers["X-WP-Total"]) >= 56 and len(customers.json()) == 5
    taxes = wc.get("taxes").json()
    assert [(t["id"], t["rate"], t["class"]) for t in taxes][:2] == [(1, "20.0000", "standard"),
                                                                     (2, "5.5000", "reduced-rate")]
    methods = wc.get("shipping_methods")
    assert [m["id"] for m in methods.json()] == ["flat_rate", "free_shipping", "local_pickup"]
    assert "X-WP-Total" not in methods.headers


def test_head_has_headers_only(wc: httpx.Client) -> None:
    response = wc.head("orders", params={"per_page": 5})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["X-WP-Total"] == "30"


def test_large_shop_lists_quickly() -> None:
    with Sandbox(systems=("woocommerce",), orders=3000) as big, woo_client(big) as client:
        response = client.get("orders", params={"per_page": 100, "page": 30, "orderby": "id", "order": "asc"})
        assert response.headers["X-WP-TotalPages"] == "30" and len(json.loads(response.text)) == 100
