"""Shopify simulator catalogue (customers, variants by SKU, productSet, quantity price breaks), read and written
through the shipped `shopify` connector definition as the engine opens it."""
from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from engine.connectors.compile import open_connector
from engine.connectors.http.client import HttpEndpoint, HttpError
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402

PRICE_LIST = "gid://shopify/PriceList/1003"


def _endpoint(sb: Sandbox, version: str = "2025-04") -> HttpEndpoint:
    settings = {"base_url": sb.url("shopify"), "api_version": version,
                "access_token": Secret(sb.credentials("shopify")["access_token"])}
    return open_connector("shopify", connector("shopify"), settings)  # type: ignore[return-value]


@pytest.fixture()
def sb():
    with Sandbox(systems=("shopify",), orders=12) as sandbox:
        yield sandbox


def _gql(sb: Sandbox, query: str, variables: dict | None = None, version: str = "2025-04") -> dict:
    response = httpx.post(f"{sb.url('shopify')}/admin/api/{version}/graphql.json",
                          json={"query": query, "variables": variables or {}},
                          headers={"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]})
    assert response.status_code == 200
    return response.json()


def _tee(sizes=("M", "L"), handle="tshirt", price="13.00") -> dict:
    colors = {"optionName": "Color", "name": "Blue"}
    return {"identifier": {"handle": handle},
            "input": {"title": "T-shirt", "handle": handle,
                      "productOptions": [{"name": "Color", "values": [{"name": "Blue"}]},
                                         {"name": "Size", "values": [{"name": s} for s in sizes]}],
                      "variants": [{"optionValues": [colors, {"optionName": "Size", "name": s}], "price": price,
                                    "sku": f"TSHIRT-BLU-{s}"} for s in sizes]}}


def _break(variant: str, minimum: int, amount: str = "7.60", currency: str = "EUR") -> dict:
    return {"priceListId": PRICE_LIST, "input": {"quantityPriceBreaksToAdd": [
        {"variantId": variant, "price": {"amount": amount, "currencyCode": currency}, "minimumQuantity": minimum}]}}


def test_customers_by_email_and_since_through_the_connector(sb):
    with _endpoint(sb) as ep:
        found = [c for page in ep.read("customers", where={"email": ["claire.martin@example.test"]}) for c in page]
        assert [c["id"] for c in found] == ["gid://shopify/Customer/7012345678901"]
        assert found[0]["defaultAddress"]["city"] == "Paris"
        every = [c for page in ep.read("customers", page_size=7) for c in page]
        assert len(every) == len({c["id"] for c in every}) == len(sb.sim("shopify").customers)
        assert [c["updatedAt"] for c in every] == sorted(c["updatedAt"] for c in every)
        late = [c for page in ep.read("customers", since=("updatedAt", every[-3]["updatedAt"])) for c in page]
        assert [c["id"] for c in late] == [c["id"] for c in every[-2:]]


def test_unknown_customer_search_field_is_reported_not_applied(sb):
    body = _gql(sb, '{customers(first: 3, query: "country:FR") { nodes { id } }}')
    assert len(body["data"]["customers"]["nodes"]) == 3
    assert sb.sim("shopify").search_warnings[0]["warnings"][0]["field"] == "country"


def test_variants_found_by_sku_exactly(sb):
    with _endpoint(sb) as ep:
        found = [v for page in ep.read("product_variants", keys=("sku", ["TSHIRT-BLU-M", "MUG-CLASSIC"]))
                 for v in page]
    assert sorted(v["sku"] for v in found) == ["MUG-CLASSIC", "TSHIRT-BLU-M"]
    assert {v["sku"]: v["price"] for v in found}["MUG-CLASSIC"] == "8.00"  # Money string; `types` makes it Decimal
    assert {v["sku"]: v["product"]["handle"] for v in found}["TSHIRT-BLU-M"] == "tshirt"


def test_product_set_upserts_by_handle_and_replaces_variants(sb):
    sim = sb.sim("shopify")
    kept = sim.variant_by_sku("TSHIRT-BLU-M")["id"]
    before = len(sim.products)
    with _endpoint(sb) as ep:
        first = ep.write("set_product", _tee())
        again = ep.write("set_product", _tee())
        assert first.result == again.result == f"gid://shopify/Product/{sim.product_by_handle('tshirt')['id']}"
        assert len(sim.products) == before  # the existing product was found by its handle, twice
        product = sim.product_by_handle("tshirt")
        assert sorted(v["sku"] for v in product["variants"]) == ["TSHIRT-BLU-L", "TSHIRT-BLU-M"]  # others deleted
        assert sim.variant_by_sku("TSHIRT-BLU-M")["id"] == kept and sim.variant_by_sku("TSHIRT-BLU-M")["price"] == "13.00"
        created = ep.write("set_product", _tee(("S",), handle="tee-new"))
        assert len(sim.products) == before + 1 and created.result.endswith(str(sim.product_by_handle("tee-new")["id"]))
        assert sim.inventory_by_sku("TSHIRT-BLU-S") is not None


def test_product_set_finds_renamed_products_by_their_new_handle_and_never_reuses_ids(sb):
    sim = sb.sim("shopify")
    with _endpoint(sb) as ep:
        first = ep.write("set_product", _tee(handle="tee-a")).result
        renamed = _tee(handle="tee-b")
        renamed["identifier"] = {"id": first}  # the same product, its handle changed
        assert ep.write("set_product", renamed).result == first
        assert sim.product_by_handle("tee-a") is None and f"/{sim.product_by_handle('tee-b')['id']}" in first
        assert ep.write("set_product", _tee(handle="tee-b")).result == first  # found by the new handle
        ids = {v["id"] for v in sim.product_by_handle("tee-b")["variants"]}
        fresh = ep.write("set_product", _tee(("S", "XL"), handle="tee-b")).result  # M and L replaced
        assert fresh == first and not ids & {v["id"] for v in sim.product_by_handle("tee-b")["variants"]}
        sim.products.append({**sim.product_by_handle("tee-b"), "id": 1, "handle": "added-by-hand"})
        assert sim.product_by_handle("added-by-hand")["id"] == 1  # a product added elsewhere is indexed too
        assert ep.write("set_product", _tee(handle="tee-c")).result != first  # a new product, a new id


def test_product_set_user_errors_fail_the_write(sb):
    payload = _tee()
    del payload["input"]["productOptions"]
    with _endpoint(sb) as ep, pytest.raises(HttpError, match="productOptions and variants must be given together"):
        ep.write("set_product", payload)
    bad = _tee()
    bad["input"]["variants"][0]["optionValues"][1]["name"] = "XXL"
    with _endpoint(sb) as ep, pytest.raises(HttpError, match="Option values"):
        ep.write("set_product", bad)


def test_product_set_identifier_needs_2025_04(sb):
    with _endpoint(sb, version="2024-10") as ep, pytest.raises(HttpError, match="doesn't accept argument 'identifier'"):
        ep.write("set_product", _tee())
    body = _gql(sb, "mutation { productSet(identifier: {customId: {namespace: \"sage\", key: \"ar_ref\", "
                    "value: \"T\"}}, input: {title: \"T\"}) { product { id } } }")
    assert body["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"


def test_quantity_price_breaks_are_all_or_nothing(sb):
    sim = sb.sim("shopify")
    mug = f"gid://shopify/ProductVariant/{sim.variant_by_sku('MUG-CLASSIC')['id']}"
    with _endpoint(sb) as ep:
        result = ep.write("add_quantity_price_break", _break(mug, 10))
        assert result.result == mug
        ep.write("add_quantity_price_break", _break(mug, 10, "7.50"))  # same (variant, minimum): replaced
        assert [(b["minimumQuantity"], b["price"]["amount"]) for b in sim.price_breaks("MUG-CLASSIC")] == [(10, "7.50")]
        both = _break(mug, 50, "7.20")
        both["input"]["quantityPriceBreaksToAdd"].append(
            {"variantId": "gid://shopify/ProductVariant/1", "price": {"amount": "1.00", "currencyCode": "EUR"},
             "minimumQuantity": 5})
        with pytest.raises(HttpError, match="variant not found"):
            ep.write("add_quantity_price_break", both)
        assert len(sim.price_breaks("MUG-CLASSIC")) == 1  # nothing of the failed call was applied
        for payload, code in ((dict(_break(mug, 20), priceListId="gid://shopify/PriceList/9"), "Price List does not exist"),
                              (_break(mug, 20, currency="USD"), "currency mismatch"),
                              (_break(mug, 1), "Invalid quantity price break")):
            with pytest.raises(HttpError, match=code):
                ep.write("add_quantity_price_break", payload)
    old = sim.price_breaks("MUG-CLASSIC")[0]["id"]
    swap = _break(mug, 25, "7.40")
    swap["input"]["quantityPriceBreaksToDelete"] = [old]
    body = _gql(sb, "mutation Q($priceListId: ID!, $input: QuantityPricingByVariantUpdateInput!) { "
                    "quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input) { "
                    "userErrors { code } } }", swap)
    assert body["data"]["quantityPricingByVariantUpdate"]["userErrors"] == []
    assert [b["minimumQuantity"] for b in sim.price_breaks("MUG-CLASSIC")] == [25]  # deleted, then added


def test_quantity_rules_are_not_simulated(sb):  # fixed prices are: test_sandbox_shopify_catalogue_more.py
    body = _gql(sb, "mutation { quantityPricingByVariantUpdate(priceListId: \"" + PRICE_LIST + "\", input: "
                    "{quantityRulesToAdd: [{variantId: \"x\", minimum: 2, maximum: 10, increment: 2}]}) "
                    "{ userErrors { code } } }")
    assert body["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"


def test_order_metafields_from_a_mapped_object(sb):
    order = "gid://shopify/Order/5829173215423"
    payload = {"metafields": [{"ownerId": order, "namespace": "sage", "key": "piece", "type": "single_line_text_field",
                               "value": "BC00001"}]}
    with _endpoint(sb) as ep:
        assert ep.write("set_order_metafields", payload).result.startswith("gid://shopify/Metafield/")
    assert [(m["key"], m["value"]) for m in sb.sim("shopify").order(1042)["_metafields"]] == [("piece", "BC00001")]
