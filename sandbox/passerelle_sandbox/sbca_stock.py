"""Stock items of the simulated Sage Business Cloud Accounting business (``GET /v3.1/stock_items``) and
the catalogue edits a test makes in Sage (a selling price, a stock quantity). Pure data (no HTTP).

Facts: Sage Accounting keeps stock items as their own record type beside products and services, exported
incrementally by update date (Zynk's "Export Stock Items from Sage Business Cloud Accounting" task,
https://docs.zynk.com/workflow/documentation/sage-business-cloud/export-stock-items.html); the product
fields (``item_code``, ``description``, ``sales_prices``, ``quantity_in_stock``, ``catalog_item_type``
``STOCK_ITEM``) are those the products list already serves. [unverified — the v3.1 reference page was not
found in the look-up]: the path ``/stock_items``, that a stock item keeps its product's id, and the fields
``reorder_level``, ``reorder_quantity`` and ``location`` (seeded as 5, 20 and "Main store").
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.sbca_data import Table, money

__all__ = ["set_selling_price", "set_stock", "stock_items_table"]

_STOCK_FIELDS = ("item_code", "description", "active", "catalog_item_type", "sales_prices", "cost_price",
                 "barcode", "sales_tax_rate", "quantity_in_stock", "created_at", "updated_at")


def _stock_item(product: dict[str, Any]) -> dict[str, Any]:
    item = {"id": product["id"], "displayed_as": product["displayed_as"]}
    item.update({k: product[k] for k in _STOCK_FIELDS if k in product})
    item.update(reorder_level=money(Decimal(5)), reorder_quantity=money(Decimal(20)), location="Main store")
    return item


def stock_items_table(products: Table) -> Table:
    """The ``stock_items`` resource: one per product of type STOCK_ITEM, searchable like products."""
    table = Table("stock_items", ("item_code", "description"))
    for product in products.items:
        if product.get("catalog_item_type", {}).get("id") == "STOCK_ITEM":
            table.add(_stock_item(product))
    return table


def _find(table: Table, item_code: str) -> dict[str, Any]:
    return next(r for r in table.items if r["item_code"] == item_code)


def set_selling_price(tables: dict[str, Table], item_code: str, price: Decimal, stamp: str) -> None:
    """The first sales price (``Selling Price``) of the product and its stock item becomes ``price``."""
    for name in ("products", "stock_items"):
        record = _find(tables[name], item_code)
        record["sales_prices"] = [dict(record["sales_prices"][0], price=money(price))] + record["sales_prices"][1:]
        tables[name].touch(record["id"], stamp)


def set_stock(tables: dict[str, Table], item_code: str, quantity: Decimal, stamp: str) -> None:
    """The stock quantity of the product and its stock item becomes ``quantity`` (a stock movement)."""
    for name in ("products", "stock_items"):
        record = _find(tables[name], item_code)
        record["quantity_in_stock"] = money(quantity)
        tables[name].touch(record["id"], stamp)
