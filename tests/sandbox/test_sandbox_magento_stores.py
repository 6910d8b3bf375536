"""Issue 14: store views in the Magento simulator (magento_stores) — the store views listed, a product's
name and description saved through a store view kept for that store view only and read back through its
path, the default (global) values unchanged elsewhere; special prices with their dates, a null removing
them."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from passerelle_sandbox import Sandbox
from test_sandbox_magento import token

VIEWS = ("default", ("en", "English"), ("de", "Deutsch"))


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("magento",), orders=1, options={"magento": {"store_views": VIEWS}}) as box:
        yield box


def _store(sb: Sandbox, code: str) -> httpx.Client:
    root = sb.url("magento") + (f"/rest/{code}/V1/" if code else "/rest/V1/")
    return httpx.Client(base_url=root, headers={"Authorization": f"Bearer {token(sb)}"}, timeout=10)


def _texts(product: dict) -> tuple:
    description = next((a["value"] for a in product["custom_attributes"] if a["attribute_code"] == "description"),
                       None)
    return product["name"], description


def test_store_views_are_listed_and_unknown_codes_refused(sb: Sandbox) -> None:
    with _store(sb, "all") as mg:
        views = mg.get("store/storeViews").json()
        assert [(v["id"], v["code"], v["name"]) for v in views] == \
            [(0, "admin", "Admin"), (1, "default", "Default Store View"), (2, "en", "English"), (3, "de", "Deutsch")]
        assert mg.get("store/storeViews", headers={"Authorization": "Bearer nope"}).status_code == 401
    with _store(sb, "fr") as mg:
        missing = mg.get("products/X")
        assert (missing.status_code, missing.json()["message"]) == (404, "Requested store is not found")


def test_a_save_through_a_store_view_keeps_its_texts_for_that_view(sb: Sandbox) -> None:
    body = {"product": {"sku": "THEIERE-08", "name": "Théière fonte 0,8 L", "attribute_set_id": 4, "price": 45.9,
                        "custom_attributes": [{"attribute_code": "description", "value": "Théière en fonte."},
                                              {"attribute_code": "tax_class_id", "value": 2}]}}
    with _store(sb, "all") as glob, _store(sb, "en") as en, _store(sb, "de") as de, _store(sb, "") as default:
        assert glob.put("products/THEIERE-08", json=body).status_code == 200
        english = en.put("products/THEIERE-08", json={"product": {
            "sku": "THEIERE-08", "name": "Cast iron teapot 0.8 L",
            "custom_attributes": [{"attribute_code": "description", "value": "Cast iron teapot."}]}})
        assert english.status_code == 200
        assert _texts(english.json()) == ("Théière fonte 0,8 L", "Théière en fonte.")  # the save answers defaults
        assert _texts(en.get("products/THEIERE-08").json()) == ("Cast iron teapot 0.8 L", "Cast iron teapot.")
        assert _texts(de.get("products/THEIERE-08").json()) == ("Théière fonte 0,8 L", "Théière en fonte.")
        assert _texts(glob.get("products/THEIERE-08").json()) == ("Théière fonte 0,8 L", "Théière en fonte.")
        assert _texts(default.get("products/THEIERE-08").json()) == ("Théière fonte 0,8 L", "Théière en fonte.")
        listed = {p["sku"]: p for p in en.get("products", params={"searchCriteria[pageSize]": 500}).json()["items"]}
        assert _texts(listed["THEIERE-08"]) == ("Cast iron teapot 0.8 L", "Cast iron teapot.")
        tax = [a for a in en.get("products/THEIERE-08").json()["custom_attributes"] if a["attribute_code"] == "tax_class_id"]
        assert tax == [{"attribute_code": "tax_class_id", "value": 2}]  # global attributes stay shared
    assert sb.sim("magento").catalogue.writes[-1] == ("PUT", "en:products/THEIERE-08")


def test_special_price_with_dates_and_removed_by_null(sb: Sandbox) -> None:
    special = [{"attribute_code": "special_price", "value": 66.75},
               {"attribute_code": "special_from_date", "value": "2099-01-01 00:00:00"},
               {"attribute_code": "special_to_date", "value": "2099-03-31 00:00:00"}]
    with _store(sb, "all") as mg:
        made = mg.put("products/PLAID", json={"product": {"sku": "PLAID", "name": "Plaid", "attribute_set_id": 4,
                                                          "price": 89, "custom_attributes": special}}).json()
        assert [a for a in made["custom_attributes"] if a["attribute_code"].startswith("special_")] == special
        gone = mg.put("products/PLAID", json={"product": {"sku": "PLAID", "custom_attributes": [
            {"attribute_code": code, "value": None} for code in ("special_price", "special_from_date",
                                                                 "special_to_date")]}}).json()
        assert [a for a in gone["custom_attributes"] if a["attribute_code"].startswith("special_")] == []
