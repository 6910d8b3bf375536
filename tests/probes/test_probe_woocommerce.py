"""Conformance probe: the official ``woocommerce`` Python client against the WooCommerce simulator.

Used the way the library's README shows it — ``API(url, consumer_key, consumer_secret, version="wc/v3")``
over plain http (so OAuth 1.0a one-legged, parameters in the query) — it lists, pages, filters, reads one,
writes one and provokes one error. Each step would fail if the simulator's wire contract drifted from
WooCommerce's (signature base, paging headers, error shapes).
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from woocommerce import API

from passerelle_sandbox import Sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("woocommerce",), orders=25) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def wcapi(sb: Sandbox) -> API:
    creds = sb.credentials("woocommerce")
    return API(url=sb.url("woocommerce"), consumer_key=creds["consumer_key"],
               consumer_secret=creds["consumer_secret"], version="wc/v3", timeout=10)


def test_list(wcapi: API, sb: Sandbox) -> None:
    response = wcapi.get("orders")
    assert response.status_code == 200, response.text
    assert len(response.json()) == 10  # the default per_page
    assert response.headers["X-WP-Total"] == str(len(sb.sim("woocommerce").orders))


def test_page(wcapi: API, sb: Sandbox) -> None:
    seen: list[int] = []
    first = wcapi.get("orders", params={"per_page": 10, "page": 1, "orderby": "id", "order": "asc"})
    assert first.status_code == 200, first.text
    pages = int(first.headers["X-WP-TotalPages"])
    assert pages == 3 and 'rel="next"' in first.headers["Link"]
    seen += [o["id"] for o in first.json()]
    for page in range(2, pages + 1):
        response = wcapi.get("orders", params={"per_page": 10, "page": page, "orderby": "id", "order": "asc"})
        assert response.status_code == 200, response.text
        seen += [o["id"] for o in response.json()]
    assert seen == sorted(sb.sim("woocommerce").orders)


def test_filter(wcapi: API, sb: Sandbox) -> None:
    orders = sb.sim("woocommerce").orders
    cut = sorted(o["date_modified_gmt"] for o in orders.values())[-5]
    response = wcapi.get("orders", params={"modified_after": cut, "dates_are_gmt": "true", "status": "processing",
                                           "orderby": "modified", "order": "asc", "per_page": 100})
    assert response.status_code == 200, response.text
    expected = [i for i, o in sorted(orders.items(), key=lambda kv: (kv[1]["date_modified_gmt"], kv[0]))
                if o["date_modified_gmt"] > cut and o["status"] == "processing"]
    assert [o["id"] for o in response.json()] == expected and expected


def test_read_one(wcapi: API) -> None:
    order = wcapi.get("orders/1042").json()
    assert (order["id"], order["total"], order["billing"]["email"]) == (1042, "42.00", "claire.martin@example.test")


def test_write_one(wcapi: API) -> None:
    data = {"payment_method": "bacs", "payment_method_title": "Direct Bank Transfer", "set_paid": True,
            "billing": {"first_name": "John", "last_name": "Doe", "address_1": "969 Market", "city": "Paris",
                        "postcode": "75001", "country": "FR", "email": "john.doe@example.com"},
            "line_items": [{"product_id": 4, "quantity": 2}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat Rate", "total": "10.00"}]}
    response = wcapi.post("orders", data)
    assert response.status_code == 201, response.text
    order = response.json()
    assert (order["status"], order["total"]) == ("processing", "25.08")  # 12.40 + 5.5 % (0.68) + 10 + 20 % (2)
    assert wcapi.get(f"orders/{order['id']}").json()["line_items"][0]["sku"] == "THE-004"


def test_error(wcapi: API) -> None:
    response = wcapi.get("orders/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.",
                               "data": {"status": 404}}
