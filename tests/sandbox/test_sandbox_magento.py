"""Magento 2 REST simulator: admin token, searchCriteria, order shape, comments, stock."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from passerelle_sandbox import Sandbox

NOT_AUTHORIZED = {"message": "The consumer isn't authorized to access %resources.",
                  "parameters": {"resources": "Magento_Sales::actions_view"}}
F = "searchCriteria[filter_groups][{g}][filters][{f}][{k}]"


def flt(g: int, f: int, field: str, value: str, cond: str | None = None) -> dict[str, str]:
    out = {F.format(g=g, f=f, k="field"): field, F.format(g=g, f=f, k="value"): value}
    if cond:
        out[F.format(g=g, f=f, k="condition_type")] = cond
    return out


def token(sb: Sandbox) -> str:
    response = httpx.post(f"{sb.url('magento')}/rest/V1/integration/admin/token", json=sb.credentials("magento"))
    assert response.status_code == 200
    return response.json()


def client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.api_url("magento"), headers={"Authorization": f"Bearer {token(sb)}"},
                        timeout=10)


@pytest.fixture(scope="module")
def mg_sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("magento",), orders=60) as sb:
        yield sb


@pytest.fixture(scope="module")
def mg(mg_sb: Sandbox) -> Iterator[httpx.Client]:
    with client(mg_sb) as c:
        yield c


def ids(response: httpx.Response) -> list[int]:
    return [o["entity_id"] for o in response.json()["items"]]


# -- authentication --------------------------------------------------------------------------------------
def test_token_is_a_bare_json_string_and_wrong_credentials_are_401(mg_sb: Sandbox) -> None:
    url = f"{mg_sb.url('magento')}/rest/V1/integration/admin/token"
    good = httpx.post(url, json=mg_sb.credentials("magento"))
    assert good.status_code == 200 and good.text.startswith('"') and len(good.json()) == 32
    bad = httpx.post(url, json={**mg_sb.credentials("magento"), "password": "nope"})
    assert bad.status_code == 401
    assert bad.json() == {"message": "The account sign-in was incorrect or your account is disabled temporarily. "
                                     "Please wait and try again later."}
    missing = httpx.post(url, json={"username": "passerelle"})
    assert missing.status_code == 400
    assert missing.json() == {"message": '"%fieldName" is required. Enter and try again.',
                              "parameters": {"fieldName": "password"}}
    scoped = httpx.post(f"{mg_sb.url('magento')}/rest/all/V1/integration/admin/token",
                        json=mg_sb.credentials("magento"))
    assert scoped.status_code == 200


def test_calls_without_a_valid_bearer_token_are_401(mg_sb: Sandbox) -> None:
    api = mg_sb.api_url("magento")
    assert httpx.get(f"{api}orders/1042").json() == NOT_AUTHORIZED
    wrong = httpx.get(f"{api}orders/1042", headers={"Authorization": "Bearer 0123456789abcdef0123456789abcdef"})
    assert wrong.status_code == 401 and wrong.json() == NOT_AUTHORIZED
    stock = httpx.put(f"{api}products/MUG-CLASSIC/stockItems/27", json={"stockItem": {"qty": 1}})
    assert stock.status_code == 401
    assert stock.json()["parameters"] == {"resources": "Magento_CatalogInventory::cataloginventory"}


def test_token_expires_after_its_lifetime() -> None:
    now = [datetime(2024, 5, 14, 10, 0, 0)]
    with Sandbox(systems=("magento",), orders=3, options={"magento": {"clock": lambda: now[0]}}) as sb:
        with client(sb) as c:
            assert c.get("orders/1042").status_code == 200
            now[0] = datetime(2024, 5, 14, 13, 59, 59)
            assert c.get("orders/1042").status_code == 200
            now[0] = datetime(2024, 5, 14, 14, 0, 0)  # 4 h later
            assert c.get("orders/1042").status_code == 401
        with client(sb) as c:
            sb.sim("magento").expire_tokens()
            assert c.get("orders/1042").json() == NOT_AUTHORIZED


def test_two_factor_option_blocks_the_admin_token() -> None:
    with Sandbox(systems=("magento",), orders=3, options={"magento": {"two_factor": True}}) as sb:
        r = httpx.post(f"{sb.url('magento')}/rest/V1/integration/admin/token", json=sb.credentials("magento"))
        assert r.status_code == 401
        assert r.json() == {"message": "Please use the 2fa provider-specific endpoints to obtain a token."}


def test_routes_errors_and_store_codes(mg_sb: Sandbox, mg: httpx.Client) -> None:
    root = mg_sb.url("magento")
    headers = dict(mg.headers)
    assert mg.get("orders/999999").status_code == 404
    assert mg.get("orders/999999").json() == {
        "message": "The entity that was requested doesn't exist. Verify the entity and try again."}
    assert mg.get("nothing/here").json() == {"message": "Request does not match any route."}
    assert mg.delete("orders/1042").status_code == 404  # no such route for DELETE
    assert httpx.get(f"{root}/rest/V1/orders/1042", headers=headers).json()["entity_id"] == 1042
    assert httpx.get(f"{root}/rest/all/V1/orders/1042", headers=headers).status_code == 200
    assert httpx.get(f"{root}/index.php/rest/default/V1/orders/1042", headers=headers).status_code == 200
    unknown = httpx.get(f"{root}/rest/nostore/V1/orders/1042", headers=headers)
    assert unknown.status_code == 404 and unknown.json() == {"message": "Requested store is not found"}
    assert mg.get("orders/1042").headers["content-type"].startswith("application/json")


# -- order shape -----------------------------------------------------------------------------------------
def _no_nulls(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in (_no_nulls(v, f"{path}.{k}") if v is not None
                                                        else [f"{path}.{k}"])]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _no_nulls(v, f"{path}[{i}]")]
    return []


def test_order_1042_matches_the_reference_numbers(mg: httpx.Client) -> None:
    response = mg.get("orders/1042")
    raw = response.text
    order = response.json()
    assert '"grand_total":42,' in raw and '"subtotal_incl_tax":39.6,' in raw  # JSON numbers
    expected = {"entity_id": 1042, "increment_id": "000001042", "state": "processing", "status": "processing",
                "created_at": "2024-05-14 10:21:07", "updated_at": "2024-05-14 10:21:09", "customer_id": 56,
                "customer_email": "claire.martin@example.test", "customer_is_guest": 0, "subtotal": 33,
                "discount_amount": -3, "coupon_code": "WELCOME3", "applied_rule_ids": "3", "shipping_amount": 5,
                "shipping_incl_tax": 6, "shipping_tax_amount": 1, "tax_amount": 7, "grand_total": 42,
                "total_paid": 42, "total_due": 0, "total_item_count": 2, "total_qty_ordered": 3,
                "billing_address_id": 2083, "quote_id": 2210, "protect_code": "6f1c2a",
                "remote_ip": "203.0.113.10", "shipping_description": "Flat Rate - Fixed", "weight": 0.7}
    assert {k: order[k] for k in expected} == expected
    assert order["subtotal"] + order["discount_amount"] + order["shipping_amount"] + order["tax_amount"] == 42
    assert _no_nulls(order) == [".payment.account_status", ".payment.cc_last4"]  # the nulls Magento keeps
    assert "shipping_address" not in order
    assignment = order["extension_attributes"]["shipping_assignments"][0]
    assert assignment["shipping"]["method"] == "flatrate_flatrate"
    assert assignment["shipping"]["address"]["entity_id"] == 2084
    assert assignment["items"] == order["items"]
    assert order["payment"]["method"] == "banktransfer"
    assert order["status_histories"][0] == {
        "comment": "Captured amount of €42.00 online.", "created_at": "2024-05-14 10:21:09", "entity_id": 3301,
        "entity_name": "invoice", "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": 1042,
        "status": "processing"}
    assert order["extension_attributes"]["applied_taxes"] == [
        {"code": "FR-TVA-20", "title": "FR-TVA-20", "percent": 20, "amount": 7, "base_amount": 7}]


def test_configurable_lines_appear_twice_by_default(mg: httpx.Client) -> None:
    items = mg.get("orders/1042").json()["items"]
    parent, child, mug = items
    assert (parent["item_id"], parent["product_type"], parent["sku"], parent["price"]) == (
        2201, "configurable", "TSHIRT-BLU-M", 12.5)
    assert (parent["discount_amount"], parent["tax_amount"], parent["tax_percent"]) == (2.27, 4.55, 20)
    assert child["parent_item_id"] == 2201 and child["product_type"] == "simple" and child["price"] == 0
    assert child["sku"] == "TSHIRT-BLU-M" and child["parent_item"]["item_id"] == 2201
    assert (mug["item_id"], mug["sku"], mug["discount_amount"], mug["tax_amount"]) == (2202, "MUG-CLASSIC", 0.73, 1.45)


def test_one_line_per_product_when_configurable_children_is_off() -> None:
    with Sandbox(systems=("magento",), orders=3, options={"magento": {"configurable_children": False}}) as sb:
        with client(sb) as c:
            items = c.get("orders/1042").json()["items"]
    assert [(i["item_id"], i["product_type"], i["sku"], i["product_id"], i["qty_ordered"], i["row_total"],
             i["row_total_incl_tax"], i["quote_item_id"]) for i in items] == [
        (2201, "simple", "TSHIRT-BLU-M", 12, 2, 25, 30, 4410), (2202, "simple", "MUG-CLASSIC", 27, 1, 8, 9.6, 4411)]
