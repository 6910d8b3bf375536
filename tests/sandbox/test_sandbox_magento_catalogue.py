"""Magento simulator catalogue writes: product saves (required fields, tier prices replaced whole,
configurable options and links checked), categories, MSI source items, gallery entries; the connector's
operations on top (dotted `id_field`)."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from passerelle_sandbox import Sandbox
from test_sandbox_magento import client
from test_sandbox_magento_writes import endpoint

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64)) + b"\xff\xd9"


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("magento",), orders=3, options={"magento": {"sources": ("default", "lyon")}}) as box:
        yield box


@pytest.fixture()
def mg(sb: Sandbox) -> Iterator[httpx.Client]:
    with client(sb) as c:
        yield c


def product(sku: str, **extra) -> dict:
    return {"product": {"sku": sku, "name": f"Name {sku}", "attribute_set_id": 4, "price": 10, **extra}}


def test_a_put_creates_then_updates_the_product_and_a_create_needs_its_fields(sb, mg):
    created = mg.put("products/NEW-1", json=product("NEW-1", weight="0.35", status=2))
    assert created.status_code == 200
    body = created.json()
    assert (body["sku"], body["price"], body["weight"], body["status"], body["type_id"]) == ("NEW-1", 10, 0.35, 2,
                                                                                             "simple")
    again = mg.put("products/NEW-1", json={"product": {"sku": "NEW-1", "price": "12.5"}}).json()
    assert again["id"] == body["id"] and again["price"] == 12.5 and again["name"] == "Name NEW-1"
    assert mg.get("products/NEW-1").json()["price"] == 12.5
    missing = mg.put("products/NEW-2", json={"product": {"sku": "NEW-2", "name": "x", "attribute_set_id": 4}})
    assert missing.status_code == 400
    assert missing.json() == {"message": '"%fieldName" is required. Enter and try again.',
                              "parameters": {"fieldName": "price"}}
    assert mg.put("products/NEW-1", json=product("NEW-1", status=3)).status_code == 400
    assert mg.put("products/NEW-1", json={"sku": "NEW-1"}).status_code == 400  # no "product" wrapper
    assert sb.sim("magento").catalogue.writes.count(("PUT", "products/NEW-1")) == 4


def test_tier_prices_are_replaced_whole_and_checked(mg):
    tiers = [{"customer_group_id": 2, "qty": 1, "value": 9}, {"customer_group_id": 2, "qty": 10, "value": 0,
                                                              "extension_attributes": {"percentage_value": 10}}]
    body = mg.put("products/T-1", json=product("T-1", tier_prices=tiers)).json()
    assert [(t["qty"], t["value"], t["extension_attributes"]) for t in body["tier_prices"]] == [
        (1, 9, {"website_id": 0}), (10, 0, {"website_id": 0, "percentage_value": 10})]
    body = mg.put("products/T-1", json=product("T-1", tier_prices=tiers[:1])).json()
    assert [t["qty"] for t in body["tier_prices"]] == [1]  # the tier left out is removed
    unknown = mg.put("products/T-1", json=product("T-1", tier_prices=[{"customer_group_id": 77, "qty": 1, "value": 1}]))
    assert unknown.status_code == 400 and unknown.json()["parameters"] == {"fieldName": "customerGroupId",
                                                                            "fieldValue": 77}
    twice = mg.put("products/T-1", json=product("T-1", tier_prices=tiers[:1] * 2))
    assert twice.status_code == 400 and "duplicate" in twice.json()["message"]
    assert mg.put("products/T-1", json=product("T-1", tier_prices=[{"customer_group_id": 1, "qty": 0,
                                                                    "value": 1}])).status_code == 400


def test_categories_are_created_under_an_existing_parent_and_found_by_name(mg):
    made = mg.post("categories", json={"category": {"name": "Bougies", "parent_id": 2, "is_active": True}}).json()
    assert (made["parent_id"], made["level"], made["path"]) == (2, 2, f"1/2/{made['id']}")
    child = mg.post("categories", json={"category": {"name": "Parfumées", "parent_id": made["id"]}}).json()
    assert child["path"] == f"1/2/{made['id']}/{child['id']}" and child["level"] == 3
    found = mg.get("categories/list", params={"searchCriteria[filter_groups][0][filters][0][field]": "name",
                                              "searchCriteria[filter_groups][0][filters][0][value]": "Bougies"}).json()
    assert [c["id"] for c in found["items"]] == [made["id"]]
    orphan = mg.post("categories", json={"category": {"name": "X", "parent_id": 999}})
    assert orphan.status_code == 404 and orphan.json()["parameters"] == {"fieldName": "id", "fieldValue": "999"}
    assert mg.post("categories", json={"category": {"name": " ", "parent_id": 2}}).status_code == 400
    assert mg.put(f"categories/{made['id']}", json={"category": {"is_active": False}}).json()["is_active"] is False
    linked = mg.put("products/C-1", json=product("C-1", extension_attributes={
        "category_links": [{"category_id": str(made["id"]), "position": 0}]}))
    assert linked.json()["extension_attributes"]["category_links"] == [{"position": 0, "category_id": str(made["id"])}]
    bad = mg.put("products/C-1", json=product("C-1", extension_attributes={"category_links": [{"category_id": "999"}]}))
    assert bad.status_code == 404


def _child(mg, sku: str, size: int, color: int) -> int:
    return mg.put(f"products/{sku}", json=product(sku, visibility=1, custom_attributes=[
        {"attribute_code": "size", "value": str(size)}, {"attribute_code": "color", "value": str(color)}])).json()["id"]


def test_a_configurable_product_links_children_that_hold_its_option_values(mg):
    a, b = _child(mg, "TS-S-BL", 167, 50), _child(mg, "TS-M-BL", 168, 50)
    options = [{"attribute_id": "144", "label": "Size", "values": [{"value_index": 167}, {"value_index": 168}]},
               {"attribute_id": 93, "label": "Color", "values": [{"value_index": 50}]}]
    ok = mg.put("products/TS", json=product("TS", type_id="configurable", extension_attributes={
        "configurable_product_options": options, "configurable_product_links": [a, b]}))
    assert ok.status_code == 200, ok.text
    ext = ok.json()["extension_attributes"]
    assert ext["configurable_product_links"] == [a, b] and [o["attribute_id"] for o in ext["configurable_product_options"]] \
        == ["144", "93"]
    same = _child(mg, "TS-S-BL2", 167, 50)
    clash = mg.put("products/TS", json=product("TS", type_id="configurable", extension_attributes={
        "configurable_product_links": [a, same]}))
    assert clash.status_code == 400 and clash.json()["parameters"] == ["TS-S-BL", "TS-S-BL2"]
    lacking = mg.put("products/LONE", json=product("LONE")).json()["id"]
    refused = mg.put("products/TS", json=product("TS", type_id="configurable", extension_attributes={
        "configurable_product_links": [a, lacking]}))
    assert refused.status_code == 400 and refused.json()["parameters"] == ["size"]
    assert mg.put("products/TS", json=product("TS", type_id="configurable", extension_attributes={
        "configurable_product_links": [987654]})).status_code == 404
    wrong = mg.put("products/TS", json=product("TS", type_id="configurable", extension_attributes={
        "configurable_product_options": [{"attribute_id": 144, "values": [{"value_index": 50}]}]}))
    assert wrong.status_code == 400
    assert mg.get("products/attributes/size/options").json()[:2] == [{"label": " ", "value": ""},
                                                                     {"label": "S", "value": "167"}]


def test_source_items_need_a_product_and_a_source(sb, mg):
    mg.put("products/S-1", json=product("S-1"))
    assert mg.post("inventory/source-items", json={"sourceItems": [
        {"sku": "S-1", "source_code": "lyon", "quantity": 12, "status": 1}]}).json() == []
    items = mg.get("inventory/source-items", params={"searchCriteria[filter_groups][0][filters][0][field]": "sku",
                                                     "searchCriteria[filter_groups][0][filters][0][value]": "S-1"})
    assert items.json()["items"] == [{"sku": "S-1", "source_code": "lyon", "quantity": 12, "status": 1}]
    bad = mg.post("inventory/source-items", json={"sourceItems": [
        {"sku": "S-1", "source_code": "paris", "quantity": 1}, {"sku": "NOPE", "source_code": "lyon", "quantity": 1}]})
    assert bad.status_code == 400 and bad.json()["message"] == "Validation Failed" and len(bad.json()["errors"]) == 2
    assert sb.sim("magento").catalogue.source_items[("S-1", "lyon")]["quantity"] == 12  # nothing saved on a refusal
    assert [s["source_code"] for s in mg.get("inventory/sources", params={"searchCriteria[pageSize]": 10}).json()["items"]] == ["default", "lyon"]


def test_gallery_entries_are_added_and_replaced_by_the_entry_id_in_the_body(sb, mg):
    mg.put("products/M-1", json=product("M-1"))
    entry = {"media_type": "image", "label": "front", "position": 1, "disabled": False, "types": ["image"],
             "content": {"base64_encoded_data": base64.b64encode(JPEG).decode(), "type": "image/jpeg",
                         "name": "m-1.jpg"}}
    ident = mg.post("products/M-1/media", json={"entry": entry}).json()
    assert isinstance(ident, str)
    listed = mg.get("products/M-1/media").json()
    assert [(m["id"], m["label"], m["file"]) for m in listed] == [(int(ident), "front", "/m/-/m-1.jpg")]
    new = {**entry, "content": {**entry["content"], "base64_encoded_data": base64.b64encode(JPEG + b"x").decode()}}
    assert mg.put(f"products/M-1/media/{ident}", json={"entry": new}).status_code == 404  # no entry.id
    assert mg.put(f"products/M-1/media/{ident}", json={"entry": {**new, "id": int(ident)}}).json() is True
    assert sb.sim("magento").catalogue.media["M-1"][0]["content"]["size"] == len(JPEG) + 1
    for content, message in (({"base64_encoded_data": "@@@", "type": "image/jpeg", "name": "a.jpg"}, "base64"),
                             ({**entry["content"], "type": "text/plain"}, "MIME"),
                             ({**entry["content"], "name": "a/b.jpg"}, "forbidden")):
        refused = mg.post("products/M-1/media", json={"entry": {**entry, "content": content}})
        assert refused.status_code == 400 and message in refused.json()["message"]
    assert mg.post("products/NONE/media", json={"entry": entry}).status_code == 404


def test_the_connector_replaces_an_image_with_the_created_id_in_entry_id(sb, mg, tmp_path):
    """replace_product_media has ``id_field: entry.id`` (a dotted id_field): the entry's id goes into the body,
    where Magento reads it; the file is read from the images folder and sent base64."""
    mg.put("products/M-2", json=product("M-2"))
    (tmp_path / "m-2.jpg").write_bytes(JPEG)
    with endpoint(sb, images_dir=str(tmp_path)) as ep:
        entry = {"media_type": "image", "label": "front", "types": ["image"],
                 "content": {"base64_encoded_data": {"file": "m-2.jpg"}, "type": "image/jpeg", "name": "m-2.jpg"}}
        ident = ep.write("add_product_media", {"entry": entry}, {"sku": "M-2"}).result
        (tmp_path / "m-2.jpg").write_bytes(JPEG + b"yz")
        built = ep.build_write("replace_product_media", {"entry": entry}, {"sku": "M-2", "target_id": ident})
        ep.write("replace_product_media", {"entry": entry}, {"sku": "M-2", "target_id": ident})
    assert json.loads(built["content"])["entry"]["id"] == ident and built["path"].endswith(f"/media/{ident}")
    stored = sb.sim("magento").catalogue.media["M-2"]
    assert len(stored) == 1 and stored[0]["content"]["size"] == len(JPEG) + 2
