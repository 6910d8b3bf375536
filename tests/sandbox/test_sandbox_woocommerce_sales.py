"""Issue 14: scheduled sales in the WooCommerce simulator (woo_sales) — the sale dates local or UTC,
stored and answered both ways, cleared by an empty string and left alone by null, and ``on_sale`` /
``price`` computed as ``WC_Product::is_on_sale`` does against the simulator's clock."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from passerelle_sandbox import Sandbox
from test_sandbox_woocommerce import woo_client

CLOCK = {"now": datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)}


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    CLOCK["now"] = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)
    with Sandbox(systems=("woocommerce",), orders=1, options={"woocommerce": {"clock": lambda: CLOCK["now"]}}) as box:
        yield box


@pytest.fixture()
def wc(sb: Sandbox) -> Iterator[httpx.Client]:
    with woo_client(sb, at=CLOCK["now"]) as client:
        yield client


def _read_at(sb: Sandbox, moment: datetime, path: str) -> dict:
    """The record as read when the simulator's clock (and the OAuth timestamp) says ``moment``."""
    CLOCK["now"] = moment
    with woo_client(sb, at=moment) as client:
        return client.get(path).json()


def _sale(record: dict) -> tuple:
    return (record["sale_price"], record["date_on_sale_from"], record["date_on_sale_from_gmt"],
            record["date_on_sale_to"], record["date_on_sale_to_gmt"], record["on_sale"], record["price"])


def test_a_dated_sale_is_on_only_between_its_dates(wc: httpx.Client, sb: Sandbox) -> None:
    made = wc.post("products", json={"name": "Plaid", "sku": "PLAID", "regular_price": "89.00", "sale_price": "66.75",
                                     "date_on_sale_from_gmt": "2024-06-30T22:00:00",
                                     "date_on_sale_to_gmt": "2024-07-31T21:59:59"})
    assert made.status_code == 201, made.text
    product = made.json()
    # UTC in, both answered: Paris is UTC+2 in summer
    assert _sale(product) == ("66.75", "2024-07-01T00:00:00", "2024-06-30T22:00:00", "2024-07-31T23:59:59",
                              "2024-07-31T21:59:59", False, "89.00")
    during = _read_at(sb, datetime(2024, 7, 15, tzinfo=timezone.utc), f"products/{product['id']}")
    assert _sale(during)[5:] == (True, "66.75")
    after = _read_at(sb, datetime(2024, 8, 1, tzinfo=timezone.utc), f"products/{product['id']}")
    assert _sale(after) == (*_sale(product)[:5], False, "89.00")  # ended: kept, not on sale


def test_local_dates_null_and_empty_strings(wc: httpx.Client) -> None:
    pid = wc.post("products", json={"name": "Bougie", "sku": "B1", "regular_price": "12.90"}).json()["id"]
    local = wc.put(f"products/{pid}", json={"sale_price": "10.00", "date_on_sale_from": "2024-05-01T00:00:00"}).json()
    assert _sale(local) == ("10.00", "2024-05-01T00:00:00", "2024-04-30T22:00:00", None, None, True, "10.00")
    kept = wc.put(f"products/{pid}", json={"date_on_sale_from_gmt": None, "date_on_sale_to": None}).json()
    assert _sale(kept) == _sale(local)  # null is not set: nothing changes (PHP isset)
    cleared = wc.put(f"products/{pid}", json={"sale_price": "", "date_on_sale_from_gmt": ""}).json()
    assert _sale(cleared) == ("", None, None, None, None, False, "12.90")
    bad = wc.put(f"products/{pid}", json={"date_on_sale_to_gmt": "fin juillet"})
    assert (bad.status_code, bad.json()["code"]) == (400, "rest_invalid_param")
    above = wc.put(f"products/{pid}", json={"sale_price": "13.00"}).json()
    assert above["on_sale"] is False and above["price"] == "12.90"  # a sale price above the regular one


def test_a_variation_has_its_own_sale_and_a_variable_parent_none(wc: httpx.Client) -> None:
    parent = wc.post("products", json={"name": "T-shirt", "sku": "TS", "type": "variable",
                                       "date_on_sale_from_gmt": "2024-05-01T00:00:00",
                                       "attributes": [{"name": "Taille", "variation": True, "options": ["S"]}]}).json()
    assert (parent["date_on_sale_from_gmt"], parent.get("on_sale")) == (None, None)
    made = wc.post(f"products/{parent['id']}/variations",
                   json={"sku": "TS-S", "regular_price": "24.90", "sale_price": "19.92",
                         "date_on_sale_from_gmt": "2024-05-31T22:00:00", "date_on_sale_to_gmt": "",
                         "attributes": [{"name": "Taille", "option": "S"}]})
    assert made.status_code == 201, made.text
    assert _sale(made.json()) == ("19.92", "2024-06-01T00:00:00", "2024-05-31T22:00:00", None, None, True, "19.92")
    again = wc.get(f"products/{parent['id']}/variations/{made.json()['id']}").json()
    assert _sale(again) == _sale(made.json())
