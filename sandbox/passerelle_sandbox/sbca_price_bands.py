"""Price bands of the simulated Sage Business Cloud Accounting business: the ``product_sales_price_types``
resource and the bands each product's ``sales_prices`` holds, and the edits a test makes to them (a band's
price, a band removed). Pure data (no HTTP).

Facts (Sage Accounting API v3.1 reference, https://developer.sage.com/accounting/reference/, products and
product sales price types):
a product's ``sales_prices`` lists its prices, each ``{id, displayed_as, price_name, price, price_includes_tax,
product_sales_price_type: {id, displayed_as, $path}}``; the bands themselves are the resource
``/product_sales_price_types`` (``name``, ``active``). [unverified]: the names of a new business's bands
("Selling Price" and "Trade" are the usual ones; a business adds its own, here "RRP", a recommended retail
price); which products carry which band is the sandbox's choice: Trade on every second product (80 % of the
selling price), RRP on every fourth (125 %).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from passerelle_sandbox.sbca_data import Table, iso, link, money, sage_id

__all__ = ["BANDS", "price_bands_table", "add_price_bands", "set_band_price", "remove_band"]

BANDS = ("Selling Price", "Trade", "RRP")
_SHARES = {"Trade": (2, 0, Decimal("0.80")), "RRP": (4, 1, Decimal("1.25"))}  # every n-th product, from, share
_CREATED = datetime(2023, 1, 2, 8, 0, tzinfo=timezone.utc)


def price_bands_table(seed: int) -> Table:
    """The ``product_sales_price_types`` resource: one per band."""
    table = Table("product_sales_price_types", ("name",))
    for name in BANDS:
        table.add({"id": sage_id(seed, "price_type", name), "displayed_as": name, "name": name, "active": True,
                   "created_at": iso(_CREATED), "updated_at": iso(_CREATED)})
    return table


def _band(seed: int, types: Table, item_code: str, name: str, price: Decimal) -> dict[str, Any]:
    kind = next(t for t in types.items if t["name"] == name)
    return {"id": sage_id(seed, f"price {name}", item_code), "displayed_as": name, "price_name": name,
            "price": money(price), "price_includes_tax": False, "product_sales_price_type": link(kind)}


def add_price_bands(seed: int, products: Table, types: Table) -> None:
    """Each product's Selling Price names its band; Trade and RRP are added to some products."""
    selling = link(next(t for t in types.items if t["name"] == "Selling Price"))
    for index, product in enumerate(products.items):
        first = product["sales_prices"][0]
        first["product_sales_price_type"] = selling
        base = Decimal(first["price"])
        for name, (every, start, share) in _SHARES.items():
            if index % every == start:
                product["sales_prices"].append(_band(seed, types, product["item_code"], name, base * share))


def _products(tables: dict[str, Table], item_code: str) -> list[tuple[Table, dict[str, Any]]]:
    return [(tables[n], r) for n in ("products", "stock_items") for r in tables[n].items if r["item_code"] == item_code]


def set_band_price(tables: dict[str, Table], item_code: str, name: str, price: Decimal, stamp: str) -> None:
    """The price of band ``name`` of the product (and of its stock item) becomes ``price``."""
    for table, record in _products(tables, item_code):
        record["sales_prices"] = [dict(p, price=money(price)) if p["price_name"] == name else p
                                  for p in record["sales_prices"]]
        table.touch(record["id"], stamp)


def remove_band(tables: dict[str, Table], item_code: str, name: str, stamp: str) -> None:
    """The product (and its stock item) no longer has a price in band ``name``."""
    for table, record in _products(tables, item_code):
        record["sales_prices"] = [p for p in record["sales_prices"] if p["price_name"] != name]
        table.touch(record["id"], stamp)
