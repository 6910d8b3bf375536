"""Smartstore Web API catalogue entity sets: products, categories, tier prices, localized names, variant
attributes and attribute combinations, media files (for :class:`passerelle_sandbox.smartstore.SmartstoreSim`).

Facts from ``smartstore/Smartstore`` (``src/Smartstore.Modules/Smartstore.WebApi/Controllers/Catalog/*``,
``Localization/LocalizedPropertiesController.cs``; entities of ``Smartstore.Core``):

* Every set here is an OData entity set of ``WebApiController<T>``: ``GET Set`` (query options of
  :mod:`.smartstore_odata`), ``GET Set(id)``, ``POST Set`` (201 with the entity, its ``Id`` assigned),
  ``PATCH``/``PUT Set(id)`` (a delta: 204, or 200 with ``Prefer: return=representation``) and
  ``DELETE Set(id)`` (204). ``CustomerRoles``, ``Languages``, ``TaxCategories``, ``ProductAttributes``,
  ``ProductVariantAttributes``, ``ProductVariantAttributeValues``, ``MediaFiles`` and ``ProductMediaFiles``
  are read-only here (their writes are made by the actions of :mod:`.smartstore_catalogue_actions`).
* A member the entity type does not have is refused (400, Microsoft.OData's "does not exist on type"
  message); a ``[Required]`` member missing (``Product.Name``, ``Category.Name``) answers 400 with ASP.NET
  Core's model-state text "The Name field is required.".
* Foreign keys are checked as the database does (``TierPriceMap``: ``ProductId`` → product,
  ``CustomerRoleId`` → customer role; ``ProductCategory``; ``LocalizedProperty.LanguageId``; a combination's
  ``ProductId``): a key naming nothing is refused with 400 (the status and wording are the simulator's:
  the real store answers the database's foreign-key error).
* ``TierPrice.CalculationMethod`` is ``TierPriceCalculationMethod``: ``Fixed`` (0), ``Percental`` (5),
  ``Adjustment`` (10) (``Catalog/Pricing/Domain/PricingEnums.cs``), written as the member name.
* A combination's ``RawAttributes`` is Smartstore's attribute selection, XML
  (``<Attributes><ProductVariantAttribute ID="…"><ProductVariantAttributeValue><Value>…</Value>…``) or
  JSON (``{"Attributes":[{"Key":…,"Value":["…"]}]}``): each attribute must be one of the product's
  variant attributes and each value one of that attribute's values (else 400, the simulator's wording).
* Saving a tier price sets the product's ``HasTierPrices`` (Smartstore keeps that flag in step).

Every write is counted in ``sim.catalogue_writes`` (method, path).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from passerelle_sandbox.smartstore_data import B, D, I, S, T
from passerelle_sandbox.smartstore_odata import ODataError

__all__ = ["ENTITY", "NAVIGATIONS", "TYPES", "WRITABLE", "delete", "patch", "post", "seed"]

_PRODUCT = {**dict.fromkeys(("Id", "ProductTypeId", "TaxCategoryId", "StockQuantity", "ManageInventoryMethodId",
                             "DisplayOrder", "OrderMinimumQuantity", "OrderMaximumQuantity"), I),
            **dict.fromkeys(("Name", "ShortDescription", "FullDescription", "Sku", "Gtin",
                             "ManufacturerPartNumber", "MetaTitle"), S),
            **dict.fromkeys(("Price", "OldPrice", "ProductCost", "SpecialPrice", "Weight", "Length", "Width",
                             "Height"), D),
            **dict.fromkeys(("Published", "Deleted", "IsTaxExempt", "HasTierPrices", "DisableBuyButton",
                             "AllowBackInStockSubscriptions"), B),
            **dict.fromkeys(("SpecialPriceStartDateTimeUtc", "SpecialPriceEndDateTimeUtc", "CreatedOnUtc",
                             "UpdatedOnUtc"), T)}
TYPES: dict[str, dict[str, str]] = {
    "Products": _PRODUCT,
    "Categories": {"Id": I, "Name": S, "FullName": S, "Description": S, "ParentId": I, "DisplayOrder": I,
                   "Published": B, "Deleted": B, "Alias": S, "CreatedOnUtc": T, "UpdatedOnUtc": T},
    "ProductCategories": {"Id": I, "ProductId": I, "CategoryId": I, "IsFeaturedProduct": B, "DisplayOrder": I},
    "TierPrices": {"Id": I, "ProductId": I, "StoreId": I, "Quantity": I, "Price": D, "CustomerRoleId": I,
                   "CalculationMethod": "Smartstore.Core.Catalog.Pricing.TierPriceCalculationMethod"},
    "CustomerRoles": {"Id": I, "Name": S, "SystemName": S, "Active": B, "IsSystemRole": B, "TaxExempt": B},
    "Languages": {"Id": I, "Name": S, "LanguageCulture": S, "UniqueSeoCode": S, "Published": B, "DisplayOrder": I},
    "TaxCategories": {"Id": I, "Name": S, "DisplayOrder": I},
    "LocalizedProperties": {"Id": I, "EntityId": I, "LanguageId": I, "LocaleKeyGroup": S, "LocaleKey": S,
                            "LocaleValue": S},
    "ProductAttributes": {"Id": I, "Name": S, "Alias": S, "DisplayOrder": I, "AllowFiltering": B},
    "ProductVariantAttributes": {"Id": I, "ProductId": I, "ProductAttributeId": I, "IsRequired": B,
                                 "AttributeControlTypeId": I, "DisplayOrder": I, "CustomData": S},
    "ProductVariantAttributeValues": {"Id": I, "ProductVariantAttributeId": I, "Name": S, "Alias": S, "Color": S,
                                      "PriceAdjustment": D, "WeightAdjustment": D, "IsPreSelected": B,
                                      "DisplayOrder": I, "ValueTypeId": I},
    "ProductVariantAttributeCombinations": {"Id": I, "ProductId": I, "Sku": S, "Gtin": S, "ManufacturerPartNumber": S,
                                            "Price": D, "StockQuantity": I, "AllowOutOfStockOrders": B,
                                            "IsActive": B, "RawAttributes": S, "AssignedMediaFileIds": S},
    "MediaFiles": {"Id": I, "FolderId": I, "Name": S, "Title": S, "Alt": S, "Extension": S, "MimeType": S,
                   "MediaType": S, "Size": I, "CreatedOnUtc": T, "UpdatedOnUtc": T},
    "ProductMediaFiles": {"Id": I, "ProductId": I, "MediaFileId": I, "DisplayOrder": I},
}
_NS = "Smartstore.Core."
ENTITY = {"Products": _NS + "Catalog.Products.Product", "Categories": _NS + "Catalog.Categories.Category",
          "ProductCategories": _NS + "Catalog.Categories.ProductCategory",
          "TierPrices": _NS + "Catalog.Pricing.TierPrice", "CustomerRoles": _NS + "Identity.CustomerRole",
          "Languages": _NS + "Localization.Language", "TaxCategories": _NS + "Common.TaxCategory",
          "LocalizedProperties": _NS + "Localization.LocalizedProperty",
          "ProductAttributes": _NS + "Catalog.Attributes.ProductAttribute",
          "ProductVariantAttributes": _NS + "Catalog.Attributes.ProductVariantAttribute",
          "ProductVariantAttributeValues": _NS + "Catalog.Attributes.ProductVariantAttributeValue",
          "ProductVariantAttributeCombinations": _NS + "Catalog.Attributes.ProductVariantAttributeCombination",
          "MediaFiles": _NS + "Content.Media.MediaFile", "ProductMediaFiles": _NS + "Catalog.Products.ProductMediaFile"}
NAVIGATIONS: dict[str, dict[str, tuple[str, str]]] = {name: {} for name in TYPES}
NAVIGATIONS["Products"] = {"TierPrices": ("TierPrices", "many:ProductId"),
                           "ProductCategories": ("ProductCategories", "many:ProductId"),
                           "ProductMediaFiles": ("ProductMediaFiles", "many:ProductId"),
                           "ProductVariantAttributes": ("ProductVariantAttributes", "many:ProductId"),
                           "ProductVariantAttributeCombinations": ("ProductVariantAttributeCombinations",
                                                                   "many:ProductId")}
NAVIGATIONS["ProductVariantAttributes"] = {
    "ProductAttribute": ("ProductAttributes", "ProductAttributeId"),
    "ProductVariantAttributeValues": ("ProductVariantAttributeValues", "many:ProductVariantAttributeId")}
NAVIGATIONS["ProductVariantAttributeValues"] = {"ProductVariantAttribute": ("ProductVariantAttributes",
                                                                            "ProductVariantAttributeId")}
NAVIGATIONS["ProductMediaFiles"] = {"MediaFile": ("MediaFiles", "MediaFileId")}

WRITABLE = ("Products", "Categories", "ProductCategories", "TierPrices", "LocalizedProperties",
            "ProductVariantAttributeCombinations")
REQUIRED = {"Products": ("Name",), "Categories": ("Name",), "LocalizedProperties": ("LocaleKeyGroup", "LocaleKey")}
FOREIGN = {"ProductCategories": {"ProductId": "Products", "CategoryId": "Categories"},
           "TierPrices": {"ProductId": "Products", "CustomerRoleId": "CustomerRoles"},
           "LocalizedProperties": {"LanguageId": "Languages"},
           "ProductVariantAttributeCombinations": {"ProductId": "Products"}}
DEFAULTS: dict[str, dict[str, Any]] = {
    "Products": {"ProductTypeId": 5, "Price": Decimal(0), "Published": True, "Deleted": False, "StockQuantity": 0,
                 "ManageInventoryMethodId": 0, "HasTierPrices": False, "TaxCategoryId": 0, "Sku": None,
                 "Gtin": None, "SpecialPrice": None, "SpecialPriceStartDateTimeUtc": None,
                 "SpecialPriceEndDateTimeUtc": None, "Weight": Decimal(0)},
    "Categories": {"ParentId": 0, "Published": True, "Deleted": False, "DisplayOrder": 0},
    "ProductCategories": {"IsFeaturedProduct": False, "DisplayOrder": 0},
    "TierPrices": {"StoreId": 0, "Quantity": 1, "Price": Decimal(0), "CustomerRoleId": None,
                   "CalculationMethod": "Fixed"},
    "ProductVariantAttributeCombinations": {"Sku": None, "Gtin": None, "Price": None, "StockQuantity": 0,
                                            "AllowOutOfStockOrders": False, "IsActive": True},
}
CALCULATION = {"Fixed": 0, "Percental": 5, "Adjustment": 10}
STAMPED = ("Products", "Categories")

# the store's fixed tables (a fresh store in French with English and German; two B2B roles added)
ROLES = [(1, "Administrators", "Administrators", True), (2, "Forum Moderators", "ForumModerators", True),
         (3, "Registered", "Registered", True), (4, "Guests", "Guests", True),
         (5, "Revendeurs", "", False), (6, "Hôtellerie-restauration", "", False)]
LANGUAGES = [(1, "Français", "fr-FR", "fr"), (2, "English", "en-US", "en"), (3, "Deutsch", "de-DE", "de")]
TAX_CATEGORIES = [(1, "Taux normal"), (2, "Taux réduit"), (3, "Exonéré")]


def seed() -> dict[str, dict[int, dict[str, Any]]]:
    """The catalogue sets of a fresh store: its roles, languages and tax categories; no product."""
    sets: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in TYPES}
    for key, name, system, builtin in ROLES:
        sets["CustomerRoles"][key] = {"Id": key, "Name": name, "SystemName": system, "Active": True,
                                      "IsSystemRole": builtin, "TaxExempt": False}
    for key, name, culture, code in LANGUAGES:
        sets["Languages"][key] = {"Id": key, "Name": name, "LanguageCulture": culture, "UniqueSeoCode": code,
                                  "Published": True, "DisplayOrder": key}
    for key, name in TAX_CATEGORIES:
        sets["TaxCategories"][key] = {"Id": key, "Name": name, "DisplayOrder": key}
    return sets


def _members(entity_set: str, data: dict[str, Any]) -> dict[str, Any]:
    """The body's members, typed, or 400 as Microsoft.OData refuses them."""
    types, out = TYPES[entity_set], {}
    for name, value in data.items():
        if name.startswith("@odata."):
            continue
        edm = types.get(name)
        if edm is None:
            raise ODataError(400, f"The property '{name}' does not exist on type '{ENTITY[entity_set]}'. Make sure "
                                  "to only use property names that are defined by the type or mark the type as open "
                                  "type.")
        if name == "Id":
            continue
        number = isinstance(value, (int, Decimal)) and not isinstance(value, bool)
        ok = value is None or (edm == S and isinstance(value, str)) or \
            (edm == I and isinstance(value, int) and not isinstance(value, bool)) or (edm == D and number) or \
            (edm == B and isinstance(value, bool)) or (edm == T and isinstance(value, str) and _is_date(value))
        if edm == TYPES["TierPrices"]["CalculationMethod"]:
            ok = value in CALCULATION or value in CALCULATION.values()
            value = next((k for k, v in CALCULATION.items() if v == value), value)
        if not ok:
            raise ODataError(400, f"Cannot convert the literal '{value}' to the expected type '{edm}'.")
        out[name] = Decimal(str(value)) if edm == D and value is not None else value
    return out


def _is_date(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)", text) is not None


def _check(sim: Any, entity_set: str, record: dict[str, Any]) -> None:
    for name in REQUIRED.get(entity_set, ()):
        if not record.get(name):
            raise ODataError(400, f"The {name} field is required.")
    for name, target in FOREIGN.get(entity_set, {}).items():
        value = record.get(name)
        if value is None and name == "CustomerRoleId":
            continue
        if value not in sim.sets[target]:
            raise ODataError(400, f"{ENTITY[entity_set].rsplit('.', 1)[1]}.{name} {value}: no such "
                                  f"{ENTITY[target].rsplit('.', 1)[1]} (foreign key)")
    if entity_set == "ProductVariantAttributeCombinations" and record.get("RawAttributes"):
        _check_selection(sim, record["ProductId"], record["RawAttributes"])


def _selection(raw: str) -> list[tuple[int, list[int]]]:
    raw = raw.strip()
    try:
        if raw.startswith("{"):
            return [(int(a["Key"]), [int(v) for v in a["Value"]]) for a in json.loads(raw)["Attributes"]]
        pairs = re.findall(r'<ProductVariantAttribute ID="(\d+)">(.*?)</ProductVariantAttribute>', raw, re.S)
        if not raw.startswith("<Attributes>") or not pairs:
            raise ValueError(raw)
        return [(int(k), [int(v) for v in re.findall(r"<Value>\s*(\d+)\s*</Value>", inner)]) for k, inner in pairs]
    except (ValueError, KeyError, TypeError):
        raise ODataError(400, f"RawAttributes is not an attribute selection (XML or JSON): {raw[:80]}") from None


def _check_selection(sim: Any, product_id: int, raw: str) -> None:
    for attribute_id, values in _selection(raw):
        mapping = sim.sets["ProductVariantAttributes"].get(attribute_id)
        if mapping is None or mapping["ProductId"] != product_id:
            raise ODataError(400, f"RawAttributes: {attribute_id} is not a variant attribute of product {product_id}")
        for value in values:
            found = sim.sets["ProductVariantAttributeValues"].get(value)
            if found is None or found["ProductVariantAttributeId"] != attribute_id:
                raise ODataError(400, f"RawAttributes: {value} is not a value of variant attribute {attribute_id}")


def _after(sim: Any, entity_set: str, record: dict[str, Any]) -> None:
    if entity_set in STAMPED:
        record["UpdatedOnUtc"] = sim.now()
    if entity_set == "TierPrices":
        _tiers_flag(sim, record["ProductId"])


def _tiers_flag(sim: Any, product_id: int) -> None:
    product = sim.sets["Products"].get(product_id)
    if product is not None:
        product["HasTierPrices"] = any(t["ProductId"] == product_id for t in sim.sets["TierPrices"].values())


def post(sim: Any, entity_set: str, data: dict[str, Any]) -> dict[str, Any]:
    record = {name: None for name in TYPES[entity_set]}
    record.update(DEFAULTS.get(entity_set, {}))
    record.update(_members(entity_set, data))
    _check(sim, entity_set, record)
    record["Id"] = sim.new_id(entity_set)
    if entity_set in STAMPED:
        record["CreatedOnUtc"] = sim.now()
    sim.sets[entity_set][record["Id"]] = record
    _after(sim, entity_set, record)
    return record


def patch(sim: Any, entity_set: str, record: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    changed = {**record, **_members(entity_set, data)}
    _check(sim, entity_set, changed)
    record.update(changed)
    _after(sim, entity_set, record)
    return record


def delete(sim: Any, entity_set: str, key: int) -> None:
    if entity_set == "Products":  # Smartstore's products are soft-deletable: flagged, kept
        sim.sets[entity_set][key]["Deleted"] = True
        return
    record = sim.sets[entity_set].pop(key)
    if entity_set == "TierPrices":
        _tiers_flag(sim, record["ProductId"])
