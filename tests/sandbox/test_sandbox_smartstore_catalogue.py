"""Smartstore simulator catalogue: products, categories, tier prices, localized properties, ManageAttributes,
attribute combinations and SaveFiles, with the checks the Web API makes (required members, foreign keys,
attribute selections, multipart)."""
from __future__ import annotations

from decimal import Decimal

from test_sandbox_smartstore_writes import api, sb  # noqa: F401  (the fixtures: a sandbox and its client)

RAW = ('<Attributes><ProductVariantAttribute ID="{a}"><ProductVariantAttributeValue><Value>{v}</Value>'
       '</ProductVariantAttributeValue></ProductVariantAttribute></Attributes>')


def _product(api, **fields) -> dict:
    got = api.post("Products", json={"Name": "Bougie vanille", "Sku": "BOUG-VANILLE", "Price": 12.9, **fields})
    assert got.status_code == 201, got.text
    return got.json()


def test_a_product_is_created_found_by_sku_patched_and_soft_deleted(api, sb):
    sim = sb.sim("smartstore")
    product = _product(api, Published=False, SpecialPrice=10.32, SpecialPriceStartDateTimeUtc="2024-01-01T00:00:00Z")
    assert product["Id"] == 1 and product["ProductTypeId"] == 5 and product["Published"] is False
    assert api.get(f"Products({product['Id']})").json()["Sku"] == "BOUG-VANILLE"
    found = api.get("Products", params={"$filter": "Sku in ('BOUG-VANILLE')"}).json()["value"]
    assert [p["Id"] for p in found] == [1]
    assert api.patch("Products(1)", json={"StockQuantity": 12, "Published": True}).status_code == 204
    again = api.get("Products(1)").json()
    assert (again["StockQuantity"], again["Published"], Decimal(str(again["SpecialPrice"]))) == (12, True, Decimal("10.32"))
    assert api.delete("Products(1)").status_code == 204 and sim.sets["Products"][1]["Deleted"] is True
    assert sim.catalogue_writes == [("POST", "Products"), ("PATCH", "Products(1)"), ("DELETE", "Products(1)")]


def test_a_product_needs_a_name_known_members_and_typed_values(api):
    missing = api.post("Products", json={"Sku": "X"})
    assert (missing.status_code, missing.json()["error"]["message"]) == (400, "The Name field is required.")
    unknown = api.post("Products", json={"Name": "X", "Colour": "red"})
    assert unknown.status_code == 400 and "does not exist on type" in unknown.json()["error"]["message"]
    assert api.post("Products", json={"Name": "X", "Price": "cher"}).status_code == 400
    assert api.post("Products", json={"Name": "X", "SpecialPriceEndDateTimeUtc": "31/12/2099"}).status_code == 400
    assert api.patch("Products(99)", json={"Price": 1}).status_code == 404


def test_categories_and_the_assignment_of_a_product(api):
    root = api.post("Categories", json={"Name": "Maison"}).json()
    child = api.post("Categories", json={"Name": "Bougies", "ParentId": root["Id"]}).json()
    assert child["ParentId"] == root["Id"]
    product = _product(api)
    first = api.post(f"Products({product['Id']})/ProductCategories({child['Id']})")
    again = api.post(f"Products({product['Id']})/ProductCategories({child['Id']})")
    assert (first.status_code, again.status_code, again.json()["Id"]) == (201, 200, first.json()["Id"])
    assert api.post(f"Products({product['Id']})/ProductCategories(99)").status_code == 404
    direct = api.post("ProductCategories", json={"ProductId": product["Id"], "CategoryId": root["Id"]})
    assert direct.status_code == 201
    assert api.post("ProductCategories", json={"ProductId": 77, "CategoryId": root["Id"]}).status_code == 400


def test_tier_prices_per_customer_role_keep_the_products_flag(api, sb):
    product = _product(api)
    tier = api.post("TierPrices", json={"ProductId": product["Id"], "Quantity": 10, "Price": 10,
                                        "CalculationMethod": "Percental", "CustomerRoleId": 5})
    assert tier.status_code == 201 and tier.json()["CalculationMethod"] == "Percental"
    assert api.get(f"Products({product['Id']})").json()["HasTierPrices"] is True
    assert api.post("TierPrices", json={"ProductId": product["Id"], "Quantity": 1, "CustomerRoleId": 99}).status_code == 400
    assert api.post("TierPrices", json={"ProductId": 99, "Quantity": 1}).status_code == 400
    assert api.post("TierPrices", json={"ProductId": product["Id"], "CalculationMethod": "Free"}).status_code == 400
    assert api.delete(f"TierPrices({tier.json()['Id']})").status_code == 204
    assert api.get(f"Products({product['Id']})").json()["HasTierPrices"] is False
    assert api.delete(f"TierPrices({tier.json()['Id']})").status_code == 404


def test_localized_properties_need_a_known_language(api):
    body = {"EntityId": 1, "LanguageId": 2, "LocaleKeyGroup": "Product", "LocaleKey": "Name", "LocaleValue": "Candle"}
    assert api.post("LocalizedProperties", json=body).status_code == 201
    assert api.post("LocalizedProperties", json={**body, "LanguageId": 9}).status_code == 400
    assert [r["LanguageCulture"] for r in api.get("Languages").json()["value"]] == ["fr-FR", "en-US", "de-DE"]


def test_manage_attributes_then_combinations_checked_against_them(api, sb):
    product = _product(api, Sku="TS01", Name="T-shirt")
    body = {"attributes": [{"name": "Taille", "values": [{"name": "S", "alias": "TS01-Taille-S"}, {"name": "M"}]},
                           {"name": "Couleur", "values": [{"name": "Bleu"}]}], "synchronize": True}
    mappings = api.post(f"Products({product['Id']})/ManageAttributes", json=body).json()["value"]
    assert [m["ProductAttributeId"] for m in mappings] == [1, 2]
    values = {v["Name"]: v for v in api.get("ProductVariantAttributeValues").json()["value"]}
    assert values["S"]["Alias"] == "TS01-Taille-S" and set(values) == {"S", "M", "Bleu"}
    # sent again without M: synchronize removes it; nothing is created twice
    body["attributes"][0]["values"] = [{"name": "S", "alias": "TS01-Taille-S"}]
    api.post(f"Products({product['Id']})/ManageAttributes", json=body)
    assert {v["Name"] for v in api.get("ProductVariantAttributeValues").json()["value"]} == {"S", "Bleu"}
    assert len(api.get("ProductAttributes").json()["value"]) == 2
    size = values["S"]
    raw = RAW.format(a=size["ProductVariantAttributeId"], v=size["Id"])
    combo = api.post("ProductVariantAttributeCombinations", json={"ProductId": product["Id"], "Sku": "TS01-S",
                                                                  "RawAttributes": raw, "StockQuantity": 4})
    assert combo.status_code == 201 and combo.json()["IsActive"] is True
    json_form = '{"Attributes":[{"Key":%d,"Value":["%d"]}]}' % (size["ProductVariantAttributeId"], size["Id"])
    assert api.post("ProductVariantAttributeCombinations", json={"ProductId": product["Id"],
                                                                 "RawAttributes": json_form}).status_code == 201
    wrong = api.post("ProductVariantAttributeCombinations", json={
        "ProductId": product["Id"], "RawAttributes": RAW.format(a=size["ProductVariantAttributeId"], v=values["M"]["Id"])})
    assert wrong.status_code == 400 and "is not a value of variant attribute" in wrong.json()["error"]["message"]
    other = _product(api, Sku="OTHER", Name="Other")
    assert api.post("ProductVariantAttributeCombinations", json={"ProductId": other["Id"], "RawAttributes": raw}
                    ).status_code == 400
    assert api.post("ProductVariantAttributeCombinations", json={"ProductId": product["Id"], "RawAttributes": "S"}
                    ).status_code == 400
    assert api.post(f"Products({product['Id']})/ManageAttributes", json={"attributes": [], "extra": 1}
                    ).status_code == 400


def test_save_files_adds_each_file_once_and_replaces_by_file_id(api, sb):
    sim = sb.sim("smartstore")
    product = _product(api)
    png = b"\x89PNG\r\n\x1a\n-one"
    first = api.post(f"Products({product['Id']})/SaveFiles", files={"file": ("a.png", png, "image/png")})
    assert first.status_code == 200 and len(first.json()["value"]) == 1
    same = api.post("Products(0)/SaveFiles", params={"sku": "BOUG-VANILLE"}, files={"f": ("b.png", png, "image/png")})
    assert len(same.json()["value"]) == 1  # the same bytes are not added twice
    pdf = api.post(f"Products({product['Id']})/SaveFiles", files={"f": ("notice.pdf", b"%PDF-1.4", "application/pdf")})
    media = {m["Name"]: m for m in api.get("MediaFiles").json()["value"]}
    assert len(pdf.json()["value"]) == 2 and media["notice.pdf"]["MediaType"] == "document"
    # a fileId in the part's Content-Disposition replaces that file's content
    boundary = "XyZ"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"; fileId={media["a.png"]["Id"]}'
            f'\r\nContent-Type: image/png\r\n\r\n').encode() + b"\x89PNG-two" + f"\r\n--{boundary}--\r\n".encode()
    api.post(f"Products({product['Id']})/SaveFiles", content=body,
             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert sim.media_bytes[media["a.png"]["Id"]] == b"\x89PNG-two" and len(sim.sets["ProductMediaFiles"]) == 2
    assert api.post(f"Products({product['Id']})/SaveFiles", json={}).status_code == 415
    empty = api.post(f"Products({product['Id']})/SaveFiles", files={"x": (None, "1")})  # a field, no file
    assert (empty.status_code, empty.json()["error"]["message"]) == (400, "Missing multipart file data.")
    assert api.post("Products(0)/SaveFiles", params={"sku": "NOPE"}, files={"f": ("a.png", png)}).status_code == 404
