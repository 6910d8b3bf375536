"""Shopify simulator: collections, productSet details, stock per location and REST product images
(shopify_catalogue_more.py), through its HTTP API."""
from __future__ import annotations

import base64

import httpx
import pytest

from passerelle_sandbox import Sandbox

SET = ("mutation S($identifier: ProductSetIdentifiers, $input: ProductSetInput!) { productSet(identifier: "
       "$identifier, input: $input) { product { id legacyResourceId } userErrors { field message } } }")
CREATE = ("mutation C($input: CollectionInput!) { collectionCreate(input: $input) { collection { id handle } "
          "userErrors { field message } } }")
INVENTORY = ("mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) "
             "{ userErrors { field message code } } }")


@pytest.fixture()
def sb():
    with Sandbox(systems=("shopify",), orders=2) as sandbox:
        yield sandbox


def _gql(sb: Sandbox, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"{sb.url('shopify')}/admin/api/2025-04/graphql.json",
                          json={"query": query, "variables": variables or {}},
                          headers={"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]})
    assert response.status_code == 200
    return response.json()


def _product(collections: list[str], sku: str = "X1") -> dict:
    return {"identifier": {"handle": sku.lower()},
            "input": {"title": sku, "collections": collections, "descriptionHtml": "<p>x</p>",
                      "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
                      "variants": [{"optionValues": [{"optionName": "Title", "name": "Default Title"}],
                                    "price": "3.50", "compareAtPrice": "4", "taxable": False,
                                    "inventoryItem": {"sku": sku, "measurement": {"weight": {"unit": "KILOGRAMS",
                                                                                              "value": 0.35}}}}]}}


def test_collections_are_created_once_and_products_join_them(sb):
    made = _gql(sb, CREATE, {"input": {"title": "Bougies", "handle": "bougies"}})["data"]["collectionCreate"]
    assert made["userErrors"] == [] and made["collection"]["handle"] == "bougies"
    again = _gql(sb, CREATE, {"input": {"title": "Bougies", "handle": "bougies"}})["data"]["collectionCreate"]
    assert again["collection"] is None and again["userErrors"][0]["field"] == ["handle"]
    blank = _gql(sb, CREATE, {"input": {"title": " "}})["data"]["collectionCreate"]
    assert blank["userErrors"] == [{"field": ["title"], "message": "Title can't be blank"}]
    ident = made["collection"]["id"]
    assert _gql(sb, SET, _product([ident]))["data"]["productSet"]["userErrors"] == []
    found = _gql(sb, '{ collections(first: 5, query: "handle:bougies") { nodes { productsCount { count } '
                     'products(first: 5) { nodes { handle descriptionHtml variants(first: 2) { nodes { '
                     'compareAtPrice taxable inventoryItem { measurement { weight { unit value } } } } } } } } } }')
    (node,) = found["data"]["collections"]["nodes"]
    assert node["productsCount"]["count"] == 1
    (variant,) = node["products"]["nodes"][0]["variants"]["nodes"]
    assert variant == {"compareAtPrice": "4.00", "taxable": False,
                       "inventoryItem": {"measurement": {"weight": {"unit": "KILOGRAMS", "value": 0.35}}}}


def test_an_unknown_collection_is_refused_and_nothing_stored(sb):
    before = len(sb.sim("shopify").products)
    answer = _gql(sb, SET, _product(["gid://shopify/Collection/1"]))["data"]["productSet"]
    assert answer["product"] is None and answer["userErrors"][0]["field"] == ["input", "collections", "0"]
    assert len(sb.sim("shopify").products) == before


def test_productset_gives_each_new_variant_its_own_id(sb):
    data = _product([])
    data["input"]["productOptions"] = [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}]
    data["input"]["variants"] = [{"optionValues": [{"optionName": "Size", "name": n}], "price": "1",
                                  "inventoryItem": {"sku": f"X-{n}"}} for n in ("S", "M")]
    assert _gql(sb, SET, data)["data"]["productSet"]["userErrors"] == []
    product = sb.sim("shopify").products[-1]
    assert len({v["id"] for v in product["variants"]}) == 2


def test_stock_is_kept_per_location(sb):
    shop = sb.sim("shopify")
    _gql(sb, SET, _product([]))
    item, (main, second, _) = shop.inventory_gid("X1"), (loc["gid"] for loc in shop.locations)
    rows = [{"inventoryItemId": item, "locationId": main, "quantity": 3},
            {"inventoryItemId": item, "locationId": second, "quantity": 7}]
    answer = _gql(sb, INVENTORY, {"input": {"name": "available", "reason": "correction",
                                            "ignoreCompareQuantity": True, "quantities": rows}})
    assert answer["data"]["inventorySetQuantities"]["userErrors"] == []
    levels = _gql(sb, '{ inventoryItems(first: 1, query: "sku:X1") { nodes { inventoryLevels(first: 5) { nodes '
                      '{ location { id } quantities(names: ["available"]) { quantity } } } } } }')
    got = [(lv["location"]["id"], lv["quantities"][0]["quantity"])
           for lv in levels["data"]["inventoryItems"]["nodes"][0]["inventoryLevels"]["nodes"]]
    assert got[:2] == [(main, 3), (second, 7)] and len(got) == 3
    bad = _gql(sb, INVENTORY, {"input": {"name": "available", "reason": "correction", "ignoreCompareQuantity": True,
                                         "quantities": [dict(rows[0], locationId="gid://shopify/Location/1")]}})
    assert bad["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == "INVALID_LOCATION"


def test_rest_images_are_added_replaced_and_refused_when_not_base64(sb):
    shop = sb.sim("shopify")
    _gql(sb, SET, _product([]))
    pid = shop.products[-1]["id"]
    url = f"{sb.url('shopify')}/admin/api/2025-04/products/{pid}/images.json"
    headers = {"X-Shopify-Access-Token": sb.credentials("shopify")["access_token"]}
    made = httpx.post(url, json={"image": {"attachment": base64.b64encode(b"one").decode(), "filename": "x.png"}},
                      headers=headers)
    assert made.status_code == 200 and made.json()["image"]["product_id"] == pid
    image = made.json()["image"]["id"]
    put = httpx.put(url.replace("images.json", f"images/{image}.json"),
                    json={"image": {"attachment": base64.b64encode(b"two").decode()}}, headers=headers)
    assert put.status_code == 200 and len(shop.images) == 1 and shop.images[0]["_content"] == b"two"
    assert httpx.post(url, json={"image": {"attachment": "%%%"}}, headers=headers).status_code == 422
    missing = url.replace(str(pid), "1")
    assert httpx.post(missing, json={"image": {"attachment": "b25l"}}, headers=headers).status_code == 404
    assert shop.write_requests[-3:] == [f"PUT products/{pid}/images/{image}.json", f"POST products/{pid}/images.json",
                                        "POST products/1/images.json"]


DISCOUNT = ("mutation D($automaticBasicDiscount: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate("
            "automaticBasicDiscount: $automaticBasicDiscount) { automaticDiscountNode { id } userErrors { field code } } }")
UPDATE = ("mutation U($id: ID!, $automaticBasicDiscount: DiscountAutomaticBasicInput!) { discountAutomaticBasicUpdate("
          "id: $id, automaticBasicDiscount: $automaticBasicDiscount) { automaticDiscountNode { id } userErrors { code } } }")


def test_a_dated_discount_is_created_checked_and_updated(sb):
    product = "gid://shopify/Product/%d" % sb.sim("shopify").products[0]["id"]
    good = {"title": "Soldes", "startsAt": "2023-01-11T00:00:00+01:00", "endsAt": "2099-02-07T00:00:00+01:00",
            "customerGets": {"value": {"percentage": 0.2}, "items": {"products": {"productsToAdd": [product]}}}}
    made = _gql(sb, DISCOUNT, {"automaticBasicDiscount": good})["data"]["discountAutomaticBasicCreate"]
    assert made["userErrors"] == []
    bad = dict(good, title="", endsAt="2020-01-01T00:00:00Z",
               customerGets={"value": {"percentage": 2}, "items": {"collections": {"add": ["gid://shopify/Collection/9"]}}})
    refused = _gql(sb, DISCOUNT, {"automaticBasicDiscount": bad})["data"]["discountAutomaticBasicCreate"]
    assert refused["automaticDiscountNode"] is None
    assert [(e["field"][-1], e["code"]) for e in refused["userErrors"]] == [
        ("title", "BLANK"), ("endsAt", "INVALID"), ("value", "VALUE_OUTSIDE_RANGE"), ("collections", "INVALID")]
    ident = made["automaticDiscountNode"]["id"]
    later = dict(good, endsAt="2099-03-01T00:00:00Z")
    assert _gql(sb, UPDATE, {"id": ident, "automaticBasicDiscount": later})["data"][
        "discountAutomaticBasicUpdate"]["userErrors"] == []
    assert _gql(sb, UPDATE, {"id": "gid://shopify/DiscountAutomaticNode/1", "automaticBasicDiscount": later})[
        "data"]["discountAutomaticBasicUpdate"]["userErrors"] == [{"code": "INVALID"}]
    read = _gql(sb, "{ automaticDiscountNodes(first: 5) { nodes { automaticDiscount { ... on DiscountAutomaticBasic "
                    "{ startsAt endsAt status customerGets { value { ... on DiscountPercentage { percentage } } } } } } } }")
    (node,) = read["data"]["automaticDiscountNodes"]["nodes"]
    assert node["automaticDiscount"] == {"startsAt": "2023-01-10T23:00:00Z", "endsAt": "2099-03-01T00:00:00Z",
                                         "status": "ACTIVE", "customerGets": {"value": {"percentage": 0.2}}}


def test_price_breaks_deleted_by_variant_before_the_adds(sb):
    shop = sb.sim("shopify")
    variant = shop.products[0]["variants"][0]
    vid = "gid://shopify/ProductVariant/%d" % variant["id"]
    mutation = ("mutation Q($priceListId: ID!, $input: QuantityPricingByVariantUpdateInput!) { "
                "quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input) { userErrors { code } } }")
    add = lambda *mins: [{"variantId": vid, "minimumQuantity": m, "price": {"amount": "5", "currencyCode": "EUR"}}  # noqa: E731
                         for m in mins]
    plist = "gid://shopify/PriceList/1003"
    _gql(sb, mutation, {"priceListId": plist, "input": {"quantityPriceBreaksToAdd": add(10, 100)}})
    _gql(sb, mutation, {"priceListId": plist, "input": {"quantityPriceBreaksToDeleteByVariantId": [vid],
                                                        "quantityPriceBreaksToAdd": add(10)}})
    assert [b["minimumQuantity"] for b in shop.price_breaks(variant["sku"])] == [10]
    missing = _gql(sb, mutation, {"priceListId": plist, "input": {
        "quantityPriceBreaksToDeleteByVariantId": ["gid://shopify/ProductVariant/1"]}})
    assert missing["data"]["quantityPricingByVariantUpdate"]["userErrors"] == [
        {"code": "QUANTITY_PRICE_BREAK_DELETE_NOT_FOUND"}]


def test_fixed_prices_on_a_price_list_added_replaced_deleted_all_or_nothing(sb):
    shop = sb.sim("shopify")
    first, second = shop.products[0]["variants"][0], shop.products[1]["variants"][0]
    one, two = ("gid://shopify/ProductVariant/%d" % v["id"] for v in (first, second))
    mutation = ("mutation Q($priceListId: ID!, $input: QuantityPricingByVariantUpdateInput!) { "
                "quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input) { "
                "productVariants { id } userErrors { code field } } }")
    read = ('{ priceList(id: "gid://shopify/PriceList/1003") { prices(first: 10) { nodes { originType '
            'variant { id } price { amount currencyCode } } } } }')
    plist = "gid://shopify/PriceList/1003"

    def update(**given) -> dict:
        return _gql(sb, mutation, {"priceListId": plist, "input": given})["data"]["quantityPricingByVariantUpdate"]

    def prices() -> dict:
        nodes = _gql(sb, read)["data"]["priceList"]["prices"]["nodes"]
        assert {(n["originType"], n["price"]["currencyCode"]) for n in nodes} <= {("FIXED", "EUR")}
        return {n["variant"]["id"]: n["price"]["amount"] for n in nodes}

    eur = lambda amount: {"amount": amount, "currencyCode": "EUR"}  # noqa: E731
    assert update(pricesToAdd=[{"variantId": one, "price": eur("9.90")}])["productVariants"] == [{"id": one}]
    assert prices() == {one: "9.9"}
    # deletes run before adds: a fixed price replaced in one call
    assert update(pricesToDeleteByVariantId=[one], pricesToAdd=[{"variantId": one, "price": eur("8.5")}])[
        "userErrors"] == []
    assert prices() == {one: "8.5"}
    # all or nothing: one bad row and nothing changes
    bad = update(pricesToAdd=[{"variantId": two, "price": eur("3")}, {"variantId": two, "price": eur("4")},
                              {"variantId": one, "price": {"amount": "1", "currencyCode": "USD"}},
                              {"variantId": "gid://shopify/ProductVariant/1", "price": eur("1")}],
                 pricesToDeleteByVariantId=[two])
    assert [e["code"] for e in bad["userErrors"]] == [
        "PRICE_DELETE_PRICE_NOT_FIXED", "PRICE_ADD_DUPLICATE_INPUT_FOR_VARIANT", "PRICE_ADD_CURRENCY_MISMATCH",
        "PRICE_ADD_VARIANT_NOT_FOUND"]
    assert prices() == {one: "8.5"}
    assert update(pricesToDeleteByVariantId=[one])["userErrors"] == [] and prices() == {}
    unserved = _gql(sb, '{ priceList(id: "gid://shopify/PriceList/1003") { prices(first: 5, originType: RELATIVE) '
                        '{ nodes { originType } } } }')
    assert unserved["errors"][0]["extensions"]["code"] == "NOT_SIMULATED"


REGISTER = ("mutation R($resourceId: ID!, $translations: [TranslationInput!]!) { translationsRegister(resourceId: "
            "$resourceId, translations: $translations) { translations { key locale } userErrors { field code } } }")


def test_translations_name_the_digest_of_the_content_they_translate(sb):
    assert [loc["locale"] for loc in _gql(sb, "{ shopLocales { locale primary } }")["data"]["shopLocales"]] == \
        ["fr", "en", "de"]
    _gql(sb, SET, _product([]))
    product = "gid://shopify/Product/%d" % sb.sim("shopify").products[-1]["id"]
    content = _gql(sb, "query C($id: ID!) { translatableResource(resourceId: $id) { translatableContent { key digest } } }",
                   {"id": product})["data"]["translatableResource"]["translatableContent"]
    title = next(c["digest"] for c in content if c["key"] == "title")
    ok = {"locale": "en", "key": "title", "value": "X one", "translatableContentDigest": title}
    answer = _gql(sb, REGISTER, {"resourceId": product, "translations": [ok]})["data"]["translationsRegister"]
    assert answer["userErrors"] == [] and answer["translations"] == [{"key": "title", "locale": "en"}]
    bad = [dict(ok, locale="fr"), dict(ok, key="vendor"), dict(ok, translatableContentDigest="0"), dict(ok, value=" ")]
    refused = _gql(sb, REGISTER, {"resourceId": product, "translations": bad})["data"]["translationsRegister"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_LOCALE_FOR_SHOP", "INVALID_KEY_FOR_MODEL",
                                                         "INVALID_TRANSLATABLE_CONTENT", "FAILS_RESOURCE_VALIDATION"]
    _gql(sb, SET, {"identifier": {"handle": "x1"}, "input": {"title": "X1 renamed"}})  # the French title changes
    read = _gql(sb, 'query T($id: ID!) { translatableResource(resourceId: $id) { translations(locale: "en") '
                    '{ key value outdated } } }', {"id": product})["data"]["translatableResource"]["translations"]
    assert read == [{"key": "title", "value": "X one", "outdated": True}]
