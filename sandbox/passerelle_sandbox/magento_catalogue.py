"""Magento 2.4 catalogue writes for :class:`passerelle_sandbox.magento.MagentoSim`.

Routes (under ``/rest/<store>/V1/``), from the Adobe Commerce REST reference
(https://developer.adobe.com/commerce/webapi/rest/):

=======  ===========================================  ==========================================================
PUT      ``products/{sku}`` ``{"product": {…}}``      create or update (``ProductRepositoryInterface::save``);
POST     ``products`` ``{"product": {…}}``            answers the whole product, its ``id`` assigned on create
GET      ``products/attributes/{code}/options``       the options of a select attribute (``color``, ``size``)
GET      ``categories/list?searchCriteria…``          categories; ``categories/{id}`` one
POST     ``categories`` ``{"category": {…}}``         create under ``parent_id`` → the category (``id``, ``path``)
PUT      ``categories/{id}`` ``{"category": {…}}``    rename, (de)activate
GET      ``inventory/sources``                        the MSI sources
GET      ``inventory/source-items?searchCriteria…``   MSI source items (``sku``, ``source_code``, ``quantity``)
POST     ``inventory/source-items`` ``{"sourceItems"}``  save them → ``[]``
GET      ``products/{sku}/media``                     gallery entries (no content)
POST     ``products/{sku}/media`` ``{"entry": {…}}``  add an image (base64 content) → its id, as a string
PUT      ``products/{sku}/media/{id}`` ``{"entry"}``  replace its content / label / roles → ``true``
=======  ===========================================  ==========================================================

A product create needs ``sku``, ``name``, ``attribute_set_id`` and ``price`` (400 ``"%fieldName" is
required…``); ``status`` is 1 (enabled) or 2 (disabled), ``visibility`` 1–4. A product save replaces what
it names: ``tier_prices`` (``customer_group_id`` an existing group, ``qty`` > 0, ``value`` or
``extension_attributes.percentage_value``) replaces the product's whole tier list, as the Advanced
Pricing screen does; ``custom_attributes`` are merged by ``attribute_code`` (``special_price``,
``special_from_date``, ``special_to_date``, ``tax_class_id``, ``ean``, ``color``, ``size``), a ``null``
value removing the attribute's value (how a promotion gone from the ERP is taken off); a save through a
store view keeps the name and texts for that store view (:mod:`.magento_stores`);
``extension_attributes.category_links`` must name existing categories; a configurable product's
``configurable_product_options`` name select attributes and their option ids (``value_index``) and its
``configurable_product_links`` existing simple products, each holding one of those values for every
option attribute, no two with the same values ("Products "%1" and "%2" have the same set of attribute
values." — the message of ConfigurableProduct's save handler; the other messages are unverified).
Source items need an existing product and source (MSI's "Validation Failed" with ``errors``); a gallery
entry needs ``media_type`` image, valid base64 content of an image MIME type (ImageContentValidator's
messages) and a ``name``. Every write is counted in :attr:`CatalogueState.writes` (method, route).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from passerelle_sandbox.magento_gallery import (NO_PRODUCT, add_media, list_media, member, number, plain, put_media,
                                                save_source_items)
from passerelle_sandbox.magento_search import MagentoError, required
from passerelle_sandbox.magento_stores import split_scoped

__all__ = ["CatalogueState", "catalogue_routes"]

NO_SUCH = "No such entity with %fieldName = %fieldValue"
GROUPS = {0: "NOT LOGGED IN", 1: "General", 2: "Wholesale", 3: "Retailer", 32000: "ALL GROUPS"}
# Luma's select attributes: code -> (attribute_id, {option label: option id})
ATTRIBUTES = {"color": (93, {"Blue": 50, "Red": 58, "Ecru": 59, "White": 60, "Black": 49}),
              "size": (144, {"S": 167, "M": 168, "L": 169, "XL": 170})}


@dataclass
class CatalogueState:
    """Categories, MSI sources and source items, gallery entries, select attributes, and the writes."""

    sources: tuple[str, ...] = ("default",)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    source_items: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    media: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sku -> entries (with content sha)
    attributes: dict[str, tuple[int, dict[str, int]]] = field(default_factory=lambda: dict(ATTRIBUTES))
    writes: list[tuple[str, str]] = field(default_factory=list)  # through another store view: "<code>:<route>"
    store_values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (sku, store) -> values
    next_product: int = 5000
    next_category: int = 3
    next_media: int = 1

    def __post_init__(self) -> None:
        if not self.categories:
            self.categories[1] = _category(1, "Root Catalog", 0, "1", 0)
            self.categories[2] = _category(2, "Default Category", 1, "1/2", 1)

    def option_ids(self) -> dict[int, set[int]]:
        return {aid: set(options.values()) for aid, options in self.attributes.values()}


def _category(ident: int, name: str, parent: int, path: str, level: int, active: bool = True) -> dict[str, Any]:
    return {"id": ident, "parent_id": parent, "name": name, "is_active": active, "position": 1, "level": level,
            "children": "", "path": path, "include_in_menu": True, "children_count": 0}


# -- products -------------------------------------------------------------------------------------------------
def _tier_prices(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise MagentoError(400, 'The "%1" value\'s type is invalid. The "%2" type was expected. Verify and try again.',
                           ["tier_prices", "array"])
    out, seen = [], set()
    for tier in value:
        if not isinstance(tier, dict):
            raise required("tier_prices")
        group = tier.get("customer_group_id")
        if group not in GROUPS:
            raise MagentoError(400, NO_SUCH, {"fieldName": "customerGroupId", "fieldValue": group})
        qty = number(tier.get("qty"), "qty")
        ext = tier.get("extension_attributes") or {}
        percent = ext.get("percentage_value") if isinstance(ext, dict) else None
        if qty <= 0:
            raise MagentoError(400, "The tier price quantity is invalid. Verify the quantity and try again.")
        if tier.get("value") is None and percent is None:
            raise required("value")
        if (group, qty) in seen:  # the Advanced Pricing screen's duplicate check
            raise MagentoError(400, "We found a duplicate website, tier price, customer group and quantity.")
        seen.add((group, qty))
        row: dict[str, Any] = {"customer_group_id": group, "qty": plain(qty)}
        row["value"] = plain(number(tier["value"], "value")) if tier.get("value") is not None else 0
        row["extension_attributes"] = {"website_id": int(ext.get("website_id", 0) or 0)}
        if percent is not None:
            row["extension_attributes"]["percentage_value"] = plain(number(percent, "percentage_value"))
        out.append(row)
    return out


def _merge_attributes(product: dict[str, Any], value: Any) -> None:
    if not isinstance(value, list):
        raise required("custom_attributes")
    current = {a["attribute_code"]: a for a in product.get("custom_attributes", [])}
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("attribute_code"), str):
            raise required("attribute_code")
        if item.get("value") is None:
            current.pop(item["attribute_code"], None)
        else:
            current[item["attribute_code"]] = {"attribute_code": item["attribute_code"], "value": item["value"]}
    product["custom_attributes"] = list(current.values())


def _attribute(product: dict[str, Any], code: str) -> Any:
    return next((a["value"] for a in product.get("custom_attributes", []) if a["attribute_code"] == code), None)


def _configurable(sim: Any, product: dict[str, Any], ext: dict[str, Any]) -> None:
    state: CatalogueState = sim.catalogue
    options = ext.get("configurable_product_options", product["extension_attributes"].get(
        "configurable_product_options", []))
    codes = {aid: code for code, (aid, _) in state.attributes.items()}
    valid = state.option_ids()
    clean = []
    for option in options or []:
        aid = int(option.get("attribute_id", 0) or 0) if str(option.get("attribute_id", "")).isdigit() else 0
        if aid not in codes:
            raise MagentoError(400, NO_SUCH, {"fieldName": "attributeId", "fieldValue": option.get("attribute_id")})
        values = [v.get("value_index") for v in option.get("values") or [] if isinstance(v, dict)]
        if not values or any(v not in valid[aid] for v in values):
            raise MagentoError(400, 'Option values are not specified.' if not values else
                               'The value of attribute "%1" is invalid.', [codes[aid]] if values else None)
        clean.append({"attribute_id": str(aid), "label": option.get("label") or codes[aid],
                      "position": option.get("position", 0), "values": [{"value_index": v} for v in values],
                      "product_id": product["id"]})
    if "configurable_product_options" in ext:
        product["extension_attributes"]["configurable_product_options"] = clean
    links = ext.get("configurable_product_links")
    if links is None:
        return
    by_id = {p["id"]: p for p in sim.products.values()}
    combos: dict[tuple, str] = {}
    for ident in links:
        child = by_id.get(ident if isinstance(ident, int) else int(ident) if str(ident).isdigit() else None)
        if child is None or child.get("type_id") != "simple":
            raise MagentoError(404, NO_PRODUCT)
        combo = []
        for option in clean:
            code = codes[int(option["attribute_id"])]
            value = _attribute(child, code)
            if value is None or int(value) not in {v["value_index"] for v in option["values"]}:
                raise MagentoError(400, 'The child product doesn\'t have the "%1" attribute value. Verify the value '
                                   'and try again.', [code])
            combo.append(int(value))
        if tuple(combo) in combos:
            raise MagentoError(400, 'Products "%1" and "%2" have the same set of attribute values.',
                               [combos[tuple(combo)], child["sku"]])
        combos[tuple(combo)] = child["sku"]
    product["extension_attributes"]["configurable_product_links"] = [int(i) for i in links]


def save_product(sim: Any, sku: str, data: dict[str, Any]) -> dict[str, Any]:
    """Create or update the product ``sku`` from a ``product`` payload (see the module docstring)."""
    state: CatalogueState = sim.catalogue
    data = split_scoped(sim, sku, data)  # a store view's own name and texts (magento_stores)
    product = sim.products.get(sku)
    if product is None:
        for name in ("name", "attribute_set_id", "price"):
            if data.get(name) in (None, ""):
                raise required(name)
        product = {"id": state.next_product, "sku": sku, "type_id": "simple", "status": 1, "visibility": 4,
                   "custom_attributes": [], "tier_prices": [], "created_at": sim.clock().strftime("%Y-%m-%d %H:%M:%S"),
                   "extension_attributes": {"website_ids": [1], "category_links": []}}
        created = True
    else:
        product, created = {**product, "extension_attributes": dict(product.get("extension_attributes", {}))}, False
    for name in ("name", "type_id", "attribute_set_id"):
        if name in data:
            product[name] = data[name]
    if product["type_id"] not in ("simple", "configurable", "virtual"):
        raise MagentoError(400, 'The "%1" value\'s type is invalid.', ["type_id"])
    for name in ("price", "weight"):
        if data.get(name) is not None:
            product[name] = plain(number(data[name], name))
    if "status" in data and data["status"] not in (1, 2):
        raise MagentoError(400, 'The value of attribute "%1" is invalid.', ["status"])
    if "visibility" in data and data["visibility"] not in (1, 2, 3, 4):
        raise MagentoError(400, 'The value of attribute "%1" is invalid.', ["visibility"])
    for name in ("status", "visibility"):
        if name in data:
            product[name] = data[name]
    if "tier_prices" in data:
        product["tier_prices"] = _tier_prices(data["tier_prices"])
    if "custom_attributes" in data:
        _merge_attributes(product, data["custom_attributes"])
    ext = data.get("extension_attributes") or {}
    if not isinstance(ext, dict):
        raise required("extension_attributes")
    if "category_links" in ext:
        links = []
        for link in ext["category_links"] or []:
            cid = link.get("category_id") if isinstance(link, dict) else None
            if not str(cid).isdigit() or int(cid) not in state.categories:
                raise MagentoError(404, NO_SUCH, {"fieldName": "id", "fieldValue": cid})
            links.append({"position": link.get("position", 0), "category_id": str(cid)})
        product["extension_attributes"]["category_links"] = links
    if product["type_id"] == "configurable":
        _configurable(sim, product, ext)
    if created:
        state.next_product += 1
    product["updated_at"] = sim.clock().strftime("%Y-%m-%d %H:%M:%S")
    sim.products[sku] = product
    sim.product_columns = frozenset(sim.product_columns | {k for k, v in product.items()
                                                           if not isinstance(v, (dict, list))})
    return product


def _put_product(sim: Any, request: Any, sku: str) -> tuple[int, Any]:
    data = member(sim, request, "product")
    return 200, save_product(sim, sku, data)


def _post_product(sim: Any, request: Any) -> tuple[int, Any]:
    data = member(sim, request, "product")
    if not isinstance(data.get("sku"), str) or not data["sku"]:
        raise required("sku")
    return 200, save_product(sim, data["sku"], data)


def _options(sim: Any, request: Any, code: str) -> tuple[int, Any]:
    found = sim.catalogue.attributes.get(code)
    if found is None:
        raise MagentoError(404, 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute and '
                           'try again.', [code])
    return 200, [{"label": " ", "value": ""}, *({"label": k, "value": str(v)} for k, v in found[1].items())]


# -- categories -----------------------------------------------------------------------------------------------
def _category_row(sim: Any, ident: str) -> dict[str, Any]:
    row = sim.catalogue.categories.get(int(ident)) if str(ident).isdigit() else None
    if row is None:
        raise MagentoError(404, NO_SUCH, {"fieldName": "id", "fieldValue": ident})
    return row


def _post_category(sim: Any, request: Any) -> tuple[int, Any]:
    state: CatalogueState = sim.catalogue
    data = member(sim, request, "category")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise MagentoError(400, 'Could not save category: The "%1" attribute value is empty. Set the attribute and '
                           'try again.', ["Name"])
    parent = _category_row(sim, str(data.get("parent_id", 2)))
    ident = state.next_category
    state.next_category += 1
    row = _category(ident, data["name"], parent["id"], f"{parent['path']}/{ident}", parent["level"] + 1,
                    bool(data.get("is_active", True)))
    row["include_in_menu"] = bool(data.get("include_in_menu", True))
    state.categories[ident] = row
    parent["children"] = ",".join(str(c) for c in sorted(
        c["id"] for c in state.categories.values() if c["parent_id"] == parent["id"]))
    parent["children_count"] = len(parent["children"].split(","))
    return 200, row


def _put_category(sim: Any, request: Any, ident: str) -> tuple[int, Any]:
    row = _category_row(sim, ident)
    data = member(sim, request, "category")
    for name in ("name", "is_active", "include_in_menu"):
        if name in data:
            row[name] = data[name]
    return 200, row


def _list(sim: Any, rows: list[dict[str, Any]], request: Any, columns: tuple[str, ...]) -> tuple[int, Any]:
    return sim._list(rows, frozenset(columns), request)


CATEGORY_COLUMNS = ("id", "parent_id", "name", "is_active", "position", "level", "path", "include_in_menu")
SOURCE_ITEM_COLUMNS = ("sku", "source_code", "quantity", "status")


Route = tuple[bool, Callable[..., tuple[int, Any]], str, list[str]]


def catalogue_routes(sim: Any, method: str, route: list[str]) -> list[Route]:
    """This module's routes as :meth:`MagentoSim._match` rows (ok, handler, ACL name, args); writes counted."""
    n, head = len(route), route[0] if route else ""
    state: CatalogueState = sim.catalogue

    def write(handler: Callable[..., tuple[int, Any]]) -> Callable[..., tuple[int, Any]]:
        def counted(request: Any, *args: str) -> tuple[int, Any]:
            scope = "" if sim.store in ("all", "admin", "default") else f"{sim.store}:"
            state.writes.append((method, scope + "/".join(route)))
            return handler(sim, request, *args)
        return counted

    def read(handler: Callable[..., tuple[int, Any]]) -> Callable[..., tuple[int, Any]]:
        return lambda request, *args: handler(sim, request, *args)

    get, put, post = method == "GET", method == "PUT", method == "POST"
    cats = state.categories
    return [
        (get and route[:2] == ["products", "attributes"] and n == 4 and route[3] == "options", read(_options),
         "products", route[2:3]),
        (put and head == "products" and n == 2, write(_put_product), "products", route[1:]),
        (post and route == ["products"], write(_post_product), "products", []),
        (get and head == "products" and n == 3 and route[2] == "media", read(list_media), "products", route[1:2]),
        (post and head == "products" and n == 3 and route[2] == "media", write(add_media), "products", route[1:2]),
        (put and head == "products" and n == 4 and route[2] == "media", write(put_media), "products",
         route[1:4:2]),
        (get and route == ["categories", "list"],
         lambda r: _list(sim, [cats[i] for i in sorted(cats)], r, CATEGORY_COLUMNS), "categories", []),
        (get and head == "categories" and n == 2 and route[1] != "list",
         lambda r, i: (200, _category_row(sim, i)), "categories", route[1:]),
        (post and route == ["categories"], write(_post_category), "categories", []),
        (put and head == "categories" and n == 2, write(_put_category), "categories", route[1:]),
        (get and route == ["inventory", "sources"],
         lambda r: _list(sim, [{"source_code": c, "name": c, "enabled": True} for c in state.sources], r,
                           ("source_code", "name", "enabled")),
         "inventory", []),
        (get and route == ["inventory", "source-items"],
         lambda r: _list(sim, [state.source_items[k] for k in sorted(state.source_items)], r, SOURCE_ITEM_COLUMNS), "inventory", []),
        (post and route == ["inventory", "source-items"], write(save_source_items), "inventory", []),
    ]
