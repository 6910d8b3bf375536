"""Catalogue writes of the PrestaShop simulator: products, categories, attribute groups and values, and
combinations created through the webservice, as PrestaShop 8.x stores them.

Facts (PrestaShop 8 docs https://devdocs.prestashop-project.org/8/webservice/resources/products/,
…/categories/, …/product_options/, …/product_option_values/, …/combinations/, the tutorial
https://devdocs.prestashop-project.org/8/webservice/tutorials/create-product-az/; sources
``classes/Product.php``, ``classes/Category.php``, ``classes/AttributeGroup.php``, ``classes/Combination.php``
and ``classes/webservice/WebserviceRequest.php`` of PrestaShop/PrestaShop):

* ``POST /api/products``: only ``price`` is required (400 code 41); an empty ``link_rewrite`` is made
  from the name on create (``modifierWsLinkRewrite``); the product gets its stock_available row
  (attribute 0, quantity 0, ``out_of_stock`` 2); ``associations/categories`` replaces the product's
  category set (the ids are not checked: PrestaShop validates them as unsigned ids only).
* ``POST /api/categories``: ``active`` and ``name`` required, ``link_rewrite`` made from the name when
  empty; ``id_parent`` default 2 (Home); ``level_depth`` = the parent's + 1.
* ``POST /api/product_options`` (attribute groups): ``group_type``, ``name``, ``public_name`` required.
* ``POST /api/product_option_values``: ``id_attribute_group`` and ``name`` required.
* ``POST /api/combinations``: ``id_product`` and ``minimal_quantity`` required; the combination's
  stock_available row is created with it, and the product lists it (``associations/combinations``);
  ``associations/product_option_values`` links its attribute values. ``price`` and ``weight`` are
  impacts on the product's.
* an i18n field is ``<name><language id="1">…</language></name>`` or plain text (every language).

Not simulated (answered as PrestaShop would not be imitated): deleting any of these, the nested-set
columns of categories, positions, and the destructive ``associations/product_option_values`` of a
``product_options`` write.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml import etree

from passerelle_sandbox.ps_body import child_text, validated
from passerelle_sandbox.ps_catalogue import i18n_value
from passerelle_sandbox.ps_query import WsError
from passerelle_sandbox.ps_schema import RESOURCES, F, Resource

__all__ = ["CATALOGUE_RESOURCES", "after_create", "catalogue_tables", "entity_values", "set_associations"]

CATEGORIES = Resource("categories", "category", "The product categories", (
    F("id", "int"), F("id_parent", "int", "categories", fmt="uint"), F("level_depth", "int"),
    F("active", "bool", required=True, fmt="bool"), F("id_shop_default", "int", fmt="uint"),
    F("is_root_category", "bool", fmt="bool"), F("position", "int"), F("date_add", "date"), F("date_upd", "date"),
    F("name", "i18n", required=True), F("link_rewrite", "i18n"), F("description", "i18n"),
), writable=frozenset({"POST", "PUT", "PATCH"}))

PRODUCT_OPTIONS = Resource("product_options", "product_option", "The product options (attribute groups)", (
    F("id", "int"), F("is_color_group", "bool", fmt="bool"), F("group_type", required=True), F("position", "int"),
    F("name", "i18n", required=True), F("public_name", "i18n", required=True),
), writable=frozenset({"POST", "PUT", "PATCH"}))

PRODUCT_OPTION_VALUES = Resource("product_option_values", "product_option_value", "The product options value", (
    F("id", "int"), F("id_attribute_group", "int", "product_options", True, fmt="uint"), F("color"),
    F("position", "int"), F("name", "i18n", required=True),
), writable=frozenset({"POST", "PUT", "PATCH"}))

CATALOGUE_RESOURCES = (CATEGORIES, PRODUCT_OPTIONS, PRODUCT_OPTION_VALUES)
RESOURCES.update({r.name: r for r in CATALOGUE_RESOURCES})  # served by the simulator from now on
GROUP_TYPES = frozenset({"select", "radio", "color"})
# associations a write may set: resource -> association -> its item element
_SETTABLE = {"products": {"categories": "category"},
             "combinations": {"product_option_values": "product_option_value", "images": "image"}}


def catalogue_tables() -> dict[str, dict[int, dict[str, Any]]]:
    """The tables a new shop has: the root and Home categories, no attribute group or value."""
    day = "2024-01-01 00:00:00"
    root = {"id": 1, "id_parent": 0, "level_depth": 0, "active": 1, "id_shop_default": 1, "is_root_category": 0,
            "position": 0, "date_add": day, "date_upd": day, "name": {1: "Root", 2: "Racine"},
            "link_rewrite": {1: "root", 2: "racine"}, "description": {1: "", 2: ""}}
    home = {**root, "id": 2, "id_parent": 1, "level_depth": 1, "is_root_category": 1,
            "name": {1: "Home", 2: "Accueil"}, "link_rewrite": {1: "home", 2: "accueil"}}
    return {"categories": {1: root, 2: home}, "product_options": {}, "product_option_values": {}}


def slug(text: str) -> str:
    """PrestaShop's ``Tools::str2url`` in short: accents dropped, lower case, dashes between words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def entity_values(res: Resource, entity: etree._Element, languages: list[int], *, patch: bool) -> dict[str, Any]:
    """The field values of one write body (POST: ``patch`` False), required fields checked (code 41)."""
    values: dict[str, Any] = {}
    for f in res.fields:
        if f.name == "id":
            continue
        if f.kind == "i18n":
            texts = i18n_value(entity, f.name, languages)
            if texts is None or not any(texts.values()):
                if f.required and not patch:
                    raise WsError(400, 41, f'parameter "{f.name}" required')
                if texts is None:
                    continue
            values[f.name] = texts
            continue
        raw = child_text(entity, f.name)
        if raw is None and patch:
            continue
        if raw is None and f.required:
            raise WsError(400, 41, f'parameter "{f.name}" required')
        values[f.name] = validated(res, f, raw)
    if not patch and "link_rewrite" in res.field_map and "name" in values:  # modifierWsLinkRewrite
        given = values.get("link_rewrite") or {}
        values["link_rewrite"] = {lang: given.get(lang) or slug(text) for lang, text in values["name"].items()}
    if res.name == "product_options" and values.get("group_type") not in (None, *GROUP_TYPES):
        raise WsError(400, 85, 'Validation error: "Property AttributeGroup->group_type is not valid"')
    return values


def set_associations(res: Resource, entity: etree._Element, record: dict[str, Any]) -> None:
    """The associations a write sends replace the record's (``setWsCategories``, ``setWsProductOptionValues``)."""
    holder = entity.find("associations")
    if holder is None:
        return
    settable = _SETTABLE.get(res.name, {})
    for assoc in holder:
        if not isinstance(assoc.tag, str):
            continue
        item = settable.get(assoc.tag)
        if item is None:
            if res.name == "products" and assoc.tag in ("combinations", "stock_availables"):
                continue  # read-only here: combinations are written through /api/combinations
            raise WsError(400, 86, f'The association "{assoc.tag}" does not exists')
        ids = []
        for node in assoc.findall(item):
            text = child_text(node, "id") or ""
            if not text.isdigit():
                raise WsError(500, 85, f"Error occurred while setting the {assoc.tag} value")
            ids.append({"id": int(text)})
        record.setdefault("associations", {})[assoc.tag] = ids


def after_create(tables: dict[str, dict[int, dict[str, Any]]], res_name: str, record: dict[str, Any],
                 clock: str) -> None:
    """What PrestaShop does when a catalogue object is added: defaults, stock rows, back links."""
    if res_name == "products":
        _product_defaults(record, clock)
        record["associations"]["stock_availables"] = [{"id": _stock_row(tables, record["id"], 0), "id_product_attribute": 0}]
    elif res_name == "combinations":
        product = tables["products"].get(record["id_product"])
        record.setdefault("associations", {}).setdefault("product_option_values", [])
        record["quantity"] = 0
        sid = _stock_row(tables, record["id_product"], record["id"])
        if product is not None:
            assocs = product.setdefault("associations", {})
            assocs.setdefault("combinations", []).append({"id": record["id"]})
            assocs.setdefault("stock_availables", []).append({"id": sid, "id_product_attribute": record["id"]})
            product.update(type="combinations", product_type="combinations")
            if not product.get("id_default_combination"):
                product["id_default_combination"] = record["id"]
                record["default_on"] = 1
    elif res_name == "categories":
        parent = tables["categories"].get(record.get("id_parent") or 2)
        record["id_parent"] = parent["id"] if parent else record.get("id_parent") or 2
        record["level_depth"] = (parent["level_depth"] if parent else 1) + 1
        record.update(date_add=clock, date_upd=clock)


def _product_defaults(record: dict[str, Any], clock: str) -> None:
    defaults = {"id_manufacturer": 0, "id_supplier": 0, "id_category_default": 2, "id_default_combination": 0,
                "id_tax_rules_group": 0, "type": "simple", "product_type": "standard", "minimal_quantity": 1,
                "wholesale_price": 0, "active": 0, "available_for_order": 1, "visibility": "both", "state": 1}
    for name, value in defaults.items():
        if record.get(name) in (None, ""):
            record[name] = value
    record.update(date_add=clock, date_upd=clock)
    record.setdefault("associations", {}).setdefault("combinations", [])
    record["associations"].setdefault("categories", [{"id": record["id_category_default"]}])


def _stock_row(tables: dict[str, dict[int, dict[str, Any]]], id_product: int, id_attribute: int) -> int:
    stock = tables["stock_availables"]
    sid = max(stock, default=0) + 1
    stock[sid] = {"id": sid, "id_product": id_product, "id_product_attribute": id_attribute, "id_shop": 1,
                  "id_shop_group": 0, "quantity": 0, "depends_on_stock": 0, "out_of_stock": 2, "location": ""}
    return sid
