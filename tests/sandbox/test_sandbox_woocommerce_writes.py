"""WooCommerce writes: order updates, notes, stock, batches, faults, and the connector."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from engine.connectors.http.client import HttpError
from passerelle_sandbox import Faults, Sandbox
from test_sandbox_woocommerce import woo_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import endpoint  # noqa: E402
from profile_woocommerce import PROFILE  # noqa: E402

NOW = datetime(2024, 6, 1, 8, 0, 0, tzinfo=timezone.utc)


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("woocommerce",), orders=12, options={"woocommerce": {"clock": lambda: NOW}}) as sandbox:
        yield sandbox


@pytest.fixture()
def wc(sb: Sandbox) -> Iterator[httpx.Client]:
    with woo_client(sb, at=NOW) as client:
        yield client


def test_status_change_is_partial_and_visible(wc: httpx.Client, sb: Sandbox) -> None:
    before = wc.get("orders/1042").json()
    response = wc.put("orders/1042", json={"status": "completed"})
    assert response.status_code == 200
    after = response.json()
    assert after["status"] == "completed"
    assert (after["date_completed"], after["date_completed_gmt"]) == ("2024-06-01T10:00:00", "2024-06-01T08:00:00")
    assert (after["date_modified"], after["date_modified_gmt"]) == ("2024-06-01T10:00:00", "2024-06-01T08:00:00")
    unchanged = {k for k in before if before[k] != after[k]}
    assert unchanged == {"status", "date_completed", "date_completed_gmt", "date_modified", "date_modified_gmt"}
    assert wc.get("orders/1042").json() == after
    assert sb.sim("woocommerce").emails == [{"order_id": 1042, "email": "customer_completed_order",
                                             "to": "claire.martin@example.test"}]
    modified = wc.get("orders", params={"modified_after": "2024-06-01T07:59:59", "dates_are_gmt": "true"})
    assert [o["id"] for o in modified.json()] == [1042]


def test_meta_data_add_update_by_key_by_id_and_delete(wc: httpx.Client) -> None:
    first = wc.put("orders/1042", json={"meta_data": [{"key": "erp_exported_at", "value": "A"}]}).json()
    [entry] = first["meta_data"]
    again = wc.put("orders/1042", json={"meta_data": [{"key": "erp_exported_at", "value": "B"}]}).json()
    assert again["meta_data"] == [{"id": entry["id"], "key": "erp_exported_at", "value": "B"}]
    by_id = wc.put("orders/1042", json={"meta_data": [{"id": entry["id"], "value": "C"}, {"key": "x", "value": 1}]})
    assert [(m["key"], m["value"]) for m in by_id.json()["meta_data"]] == [("erp_exported_at", "C"), ("x", 1)]
    gone = wc.put("orders/1042", json={"meta_data": [{"key": "x", "value": None}]}).json()
    assert [m["key"] for m in gone["meta_data"]] == ["erp_exported_at"]
    only = wc.get("orders/1042", params={"include_meta": "nothing"}).json()
    assert only["meta_data"] == []


@pytest.mark.parametrize("path,body,status,code", [
    ("orders/1042", {"status": "shipped"}, 400, "rest_invalid_param"),
    ("orders/999999", {"status": "completed"}, 400, "woocommerce_rest_shop_order_invalid_id"),
    ("orders/1042", {"meta_data": "nope"}, 400, "rest_invalid_param"),
    ("orders/1042", {"line_items": [{"id": 1, "quantity": 2}]}, 400, "woocommerce_rest_invalid_item_id"),
    ("products/27", {"stock_quantity": "many"}, 400, "rest_invalid_param"),
    ("products/999", {"stock_quantity": 1}, 400, "woocommerce_rest_product_invalid_id"),
])
def test_rejected_updates(wc: httpx.Client, path: str, body: dict, status: int, code: str) -> None:
    response = wc.put(path, json=body)
    assert response.status_code == status and response.json()["code"] == code
    assert response.json()["data"]["status"] == status


def test_invalid_json_body(wc: httpx.Client) -> None:
    response = wc.put("orders/1042", content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.json() == {"code": "rest_invalid_json", "message": "Invalid JSON body passed.",
                               "data": {"status": 400}}


def test_notes(wc: httpx.Client, sb: Sandbox) -> None:
    created = wc.post("orders/1042/notes", json={"note": "Exported to ERP #A-5531", "customer_note": False})
    assert created.status_code == 201
    note = created.json()
    assert (note["note"], note["customer_note"], note["author"], note["date_created_gmt"]) == \
        ("Exported to ERP #A-5531", False, "system", "2024-06-01T08:00:00")
    assert wc.get("orders/1042/notes").json() == [note]
    missing = wc.post("orders/1042/notes", json={"customer_note": True})
    assert missing.json() == {"code": "rest_missing_callback_param", "message": "Missing parameter(s): note",
                              "data": {"status": 400, "params": ["note"]}}
    assert wc.post("orders/1/notes", json={"note": "x"}).json()["code"] == "woocommerce_rest_order_invalid_id"
    assert sb.sim("woocommerce").emails == []


def test_stock_updates(wc: httpx.Client, sb: Sandbox) -> None:
    mug = wc.put("products/27", json={"manage_stock": True, "stock_quantity": 0}).json()
    assert (mug["stock_quantity"], mug["stock_status"]) == (0, "outofstock")
    variation = wc.put("products/12/variations/34", json={"stock_quantity": "17"}).json()
    assert (variation["stock_quantity"], variation["stock_status"]) == (17, "instock")
    assert sb.sim("woocommerce").stock("TSHIRT-BLU-M") == 17 and sb.sim("woocommerce").stock("MUG-CLASSIC") == 0
    unmanaged = wc.put("products/27", json={"manage_stock": False, "stock_quantity": 4}).json()
    assert (unmanaged["manage_stock"], unmanaged["stock_quantity"]) == (False, None)


def test_batch_limit_and_inline_errors(wc: httpx.Client, sb: Sandbox) -> None:
    too_many = wc.post("products/batch", json={"update": [{"id": 27, "stock_quantity": 1}] * 100, "delete": [3]})
    assert too_many.status_code == 413
    assert too_many.json() == {"code": "woocommerce_rest_request_entity_too_large",
                               "message": "Unable to accept more than 100 items for this request.",
                               "data": {"status": 413}}
    mixed = wc.post("products/batch", json={"update": [{"id": 27, "stock_quantity": 9}, {"id": 999, "stock_quantity": 1}]})
    assert mixed.status_code == 200
    ok, failed = mixed.json()["update"]
    assert (ok["id"], ok["stock_quantity"]) == (27, 9)
    assert failed == {"id": 999, "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.",
                                           "data": {"status": 400}}}
    variations = wc.post("products/12/variations/batch", json={"update": [{"id": 34, "stock_quantity": 3}]})
    assert variations.json()["update"][0]["stock_quantity"] == 3 and sb.sim("woocommerce").stock("TSHIRT-BLU-M") == 3


def test_faults_are_honoured(wc: httpx.Client, sb: Sandbox) -> None:
    sb.sim("woocommerce").faults = Faults(error_rate=1.0, statuses=(503,), seed=1, limit=1)
    assert wc.get("orders/1042").status_code == 503
    assert wc.get("orders/1042").status_code == 200


def test_connector_operations() -> None:
    with Sandbox(systems=("woocommerce",), orders=12) as sb, endpoint(PROFILE, PROFILE.settings(sb)) as ep:
        done = ep.write("mark_exported", {"meta_data": [{"key": "erp_exported_at", "value": "T1"}]}, {"id": 1042})
        ep.write("mark_exported", {"meta_data": [{"key": "erp_exported_at", "value": "T1"}]}, {"id": 1042})
        assert done.result == 1042 and sb.sim("woocommerce").orders[1042]["meta_data"][0]["value"] == "T1"
        assert len(sb.sim("woocommerce").orders[1042]["meta_data"]) == 1
        note = ep.write("add_order_note", {"note": "Exported"}, {"id": 1042})
        assert note.status == 201 and sb.sim("woocommerce").notes[1042][0]["id"] == note.result
        ep.write("update_stock", {"stock_quantity": 5}, {"id": 27})
        ep.write("update_variation_stock", {"stock_quantity": 6}, {"product_id": 12, "id": 34})
        assert (sb.sim("woocommerce").stock("MUG-CLASSIC"), sb.sim("woocommerce").stock("TSHIRT-BLU-M")) == (5, 6)
        with pytest.raises(HttpError) as info:
            ep.write("batch_update_products", {"update": [{"id": 27, "stock_quantity": 2}, {"id": 999}]})
        assert "woocommerce_rest_product_invalid_id" in info.value.message and info.value.status == 200
        [found] = ep.find("find_product_by_sku", {"sku": "TSHIRT-BLU-M"})
        assert (found["id"], found["parent_id"]) == (34, 12)
        ep.write("update_order", {"status": "completed"}, {"id": 1003})
        pages = list(ep.read("orders", where={"status": ["completed", "on-hold"]}))
        assert [o["id"] for page in pages for o in page] == [1003]
        keyed = list(ep.read("orders", keys=("id", [1042, 1005])))
        assert sorted(o["id"] for page in keyed for o in page) == [1005, 1042]
        assert [m["id"] for page in ep.read("shipping_methods") for m in page][0] == "flat_rate"
        assert len([t for page in ep.read("taxes") for t in page]) == 5
