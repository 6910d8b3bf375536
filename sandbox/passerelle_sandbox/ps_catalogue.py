"""Catalogue additions to the PrestaShop simulator: products with given references (a shop whose
references match an ERP's), specific prices created and changed through the webservice, and i18n fields
in write bodies.

* :func:`add_product` adds a simple product and its stock_available row (attribute 0), as the back
  office does, to the simulator's tables; any reference, name, price, weight, quantity.
* ``specific_prices`` (``POST`` creates one and answers it with its new id; ``PUT``/``PATCH`` change it):
  the fields of PrestaShop's ``SpecificPrice::$definition``, those it requires checked (400 code 41).
* an i18n field in a write body is either ``<name><language id="1">…</language></name>`` (one value
  per language) or plain text, which PrestaShop's webservice takes for every language.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

__all__ = ["add_product", "add_record", "i18n_value"]


def add_product(tables: dict[str, dict[int, dict[str, Any]]], reference: str, name: str, price: Decimal | str,
                *, weight: Decimal | str = "0", quantity: int = 0, active: int = 1,
                date: str = "2024-01-01 00:00:00") -> dict[str, Any]:
    """A new simple product (and its stock row) in ``tables``; returns the product record."""
    products, stock = tables["products"], tables["stock_availables"]
    pid, sid = max(products, default=0) + 1, max(stock, default=0) + 1
    stock[sid] = {"id": sid, "id_product": pid, "id_product_attribute": 0, "id_shop": 1, "id_shop_group": 0,
                  "quantity": quantity, "depends_on_stock": 0, "out_of_stock": 2, "location": ""}
    products[pid] = {
        "id": pid, "id_manufacturer": 0, "id_supplier": 0, "id_category_default": 2, "id_default_combination": 0,
        "id_tax_rules_group": 1, "type": "simple", "reference": reference, "supplier_reference": "", "ean13": "",
        "isbn": "", "upc": "", "mpn": "", "weight": Decimal(weight), "product_type": "standard",
        "minimal_quantity": 1, "price": Decimal(price), "wholesale_price": Decimal(0), "active": active,
        "available_for_order": 1, "visibility": "both", "state": 1, "date_add": date, "date_upd": date,
        "name": {1: name, 2: name}, "link_rewrite": {1: reference.lower()}, "description_short": {1: "", 2: ""},
        "associations": {"combinations": [], "stock_availables": [{"id": sid, "id_product_attribute": 0}]},
    }
    return products[pid]


def add_record(table: dict[int, dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """A created record (a specific price): the next id, the values sent."""
    record = {"id": max(table, default=0) + 1, **values}
    table[record["id"]] = record
    return record


def i18n_value(entity: etree._Element, name: str, languages: list[int]) -> dict[int, str] | None:
    """The per-language values of an i18n field of a write body (None: the field is not sent)."""
    element = entity.find(name)
    if element is None:
        return None
    values = {int(node.get("id") or 0): (node.text or "").strip() for node in element.findall("language")}
    if values:
        return values
    text = (element.text or "").strip()
    return {lang: text for lang in languages}
