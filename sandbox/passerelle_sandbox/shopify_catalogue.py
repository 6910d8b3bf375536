"""Catalogue, customers and B2B price lists of the Shopify simulator (Shopify Admin GraphQL API).

Data (from the shared data set, consistent with the orders of :mod:`.shopify_data`):

* one product per data set product: ``id`` ``PRODUCT_ID_BASE + product id``, ``handle`` the product's
  reference in lower case (``tshirt``, ``mug-classic``), options and one variant per combination (or one
  "Default Title" variant) whose ``sku`` is the Sage reference and whose id is the one order lines carry
  (``VARIANT_ID_BASE + combination id``, or ``+ product id × 1000`` for a product without combinations);
* one customer per data set customer (``CUSTOMER_ID_BASE + id``, same e-mail as the orders and Sage);
* one B2B price list (``PRICE_LIST_ID``, "B2B EUR", currency of the shop) holding quantity price breaks.

Queries (connections: ``first``/``last``, ``after``/``before``, at most 250, see :mod:`.shopify_schema`):

* ``customers(query, sortKey: ID|UPDATED_AT|CREATED_AT, reverse)``: cursor pages over an index like the
  orders'; search fields ``email`` (exact, case-insensitive), ``updated_at``/``created_at`` (``>``, ``>=``,
  ``<``, ``<=``), ``id``; ``OR`` between terms; an unknown field is ignored and reported in
  ``extensions.search`` (as for orders). ``customer(id)``.
* ``productVariants(query: "sku:A OR sku:B")`` (a comma list ``sku:A,B`` is read the same way) and
  ``products(query: "handle:…")``, ``product(id)``, ``productVariant(id)``, ``priceList(id)``.
  Shopify's SKU search can be fuzzy: the simulator's is exact, so clients must still compare.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.shopify_data import (
    COUNTRIES, CUSTOMER_ID_BASE, PRODUCT_ID_BASE, VARIANT_ID_BASE, gid, gql_time, parse_utc,
)
from passerelle_sandbox.shopify_gql import Connection, F, GqlError
from passerelle_sandbox.shopify_search import OrderIndex, _TERM, _compare, _unquote, decode_cursor, encode_cursor, \
    parse_moment

__all__ = ["PRICE_LIST_ID", "CATALOGUE_QUERIES", "CATALOGUE_TYPES", "build_customers", "build_products",
           "build_price_lists", "variant_node"]

PRICE_LIST_ID = 1003
CUSTOMER_SORT = {"ID": "id", "UPDATED_AT": "_updated", "CREATED_AT": "_created"}
_DATES = {"updated_at": "_updated", "created_at": "_created"}


def build_products(ds: Dataset) -> list[dict[str, Any]]:
    out = []
    for p in ds.products:
        created = parse_utc(p.date_add)
        product = {"id": PRODUCT_ID_BASE + p.id, "handle": p.reference.lower(), "title": p.name_en,
                   "status": "ACTIVE", "vendor": "Passerelle Sandbox", "_created": created, "_updated": created,
                   "options": [], "variants": []}
        if p.combinations:
            names = [name for name, _ in p.combinations[0].attributes]
            product["options"] = [{"name": n, "values": list(dict.fromkeys(c.attributes[i][1] for c in p.combinations))}
                                  for i, n in enumerate(names)]
            for c in p.combinations:
                product["variants"].append(_variant(VARIANT_ID_BASE + c.id, c.reference, p.price + c.price_impact,
                                                    c.ean13, [{"optionName": k, "name": v} for k, v in c.attributes]))
        else:
            product["options"] = [{"name": "Title", "values": ["Default Title"]}]
            product["variants"].append(_variant(VARIANT_ID_BASE + p.id * 1000, p.reference, p.price, p.ean13,
                                                [{"optionName": "Title", "name": "Default Title"}]))
        for v in product["variants"]:
            v["product_id"] = product["id"]
        out.append(product)
    return out


def _variant(ident: int, sku: str, price: Decimal, barcode: str, options: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": ident, "sku": sku, "price": f"{price:.2f}", "barcode": barcode or None,
            "optionValues": options, "title": " / ".join(o["name"] for o in options)}


def build_customers(ds: Dataset, currency: str) -> list[dict[str, Any]]:
    out = []
    for c in ds.customers:
        if c.is_guest:  # a guest checkout makes no customer
            continue
        created = parse_utc(c.date_add)
        ident = CUSTOMER_ID_BASE + c.id
        out.append({"id": ident, "admin_graphql_api_id": gid("Customer", ident), "email": c.email,
                    "first_name": c.firstname, "last_name": c.lastname, "phone": c.phone, "currency": currency,
                    "tags": "", "tax_exempt": False, "_created": created, "_updated": created,
                    "default_address": {"first_name": c.firstname, "last_name": c.lastname, "company": c.company or None,
                                        "address1": c.address1, "address2": "", "city": c.city, "zip": c.postcode,
                                        "country": COUNTRIES.get(c.country_iso, c.country_iso),
                                        "country_code": c.country_iso, "phone": c.phone}})
    return out


def build_price_lists(currency: str) -> list[dict[str, Any]]:
    return [{"id": PRICE_LIST_ID, "gid": gid("PriceList", PRICE_LIST_ID), "name": f"B2B {currency}",
             "currency": currency, "breaks": []}]


# -- search -----------------------------------------------------------------------------------------

def _customer_search(query: str | None, tz: Any) -> tuple[Any, list[dict[str, Any]]]:
    if not query or not query.strip():
        return None, []
    groups: list[list[Any]] = [[]]
    warnings: list[dict[str, Any]] = []
    for match in _TERM.finditer(query):
        if match.group("text") == "OR":
            groups.append([])
            continue
        if match.group("text") == "AND":
            continue
        field, op = (match.group("field") or "").lower(), match.group("op") or ""
        value = _unquote(match.group("value") or match.group("text") or "")
        if field in _DATES:
            key, moment = _DATES[field], parse_moment(value, tz)
            test = (lambda k, m, o: lambda rec: _compare(o, rec[k], m))(key, moment, op)
        elif field == "email":
            test = (lambda v: lambda rec: (rec["email"] or "").lower() == v)(value.lower())
        elif field == "id":
            number = int(value.rsplit("/", 1)[-1]) if value.rsplit("/", 1)[-1].isdigit() else -1
            test = (lambda n, o: lambda rec: _compare(o, rec["id"], n))(number, op)
        else:
            warnings.append({"field": field or value, "message": "Invalid search field for this query."})
            continue
        if match.group("neg"):
            test = (lambda t: lambda rec: not t(rec))(test)
        groups[-1].append(test)
    groups = [g for g in groups if g]
    if not groups:
        return None, warnings
    return (lambda rec: any(all(t(rec) for t in g) for g in groups)), warnings


def _skus(query: str | None, what: str = "sku") -> set[str] | None:
    """``sku:A OR sku:B`` / ``sku:A,B`` / quoted values → the wanted values; None = no filter."""
    if not query or not query.strip():
        return None
    wanted: set[str] = set()
    for term in re.split(r"\s+OR\s+", query.strip()):
        name, _, value = term.partition(":")
        if name.strip().lower() != what:
            raise GqlError(f"Search on {name.strip()!r} is not simulated (only {what}:)", code="NOT_SIMULATED")
        wanted.update(_unquote(v.strip()) for v in value.split(","))
    return wanted


# -- resolvers --------------------------------------------------------------------------------------

def _customers(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    from passerelle_sandbox.shopify_schema import paging_args

    size, forward = paging_args(args)
    sort_key = args.get("sortKey") or "ID"
    if sort_key not in CUSTOMER_SORT:
        raise GqlError(f"sortKey {sort_key} is not simulated for customers (ID, UPDATED_AT, CREATED_AT)",
                       code="NOT_SIMULATED")
    key = CUSTOMER_SORT[sort_key]
    predicate, warnings = _customer_search(args.get("query"), ctx.tz)
    if warnings:
        ctx.search_warnings.append({"path": ["customers"], "query": args.get("query"), "warnings": warnings})
    cursor = args.get("after") if forward else args.get("before")
    start = None
    if cursor is not None:
        try:
            start = decode_cursor(cursor, key)
        except ValueError:
            raise GqlError("Invalid cursor for current pagination sort.", code="BAD_REQUEST") from None
    try:
        index = ctx._indexes.get(f"customers:{key}")
        if index is None:  # built once per sort key (customers are not written by the simulator)
            index = ctx._indexes[f"customers:{key}"] = OrderIndex(ctx.customers, key)
        found, more = index.page(size, predicate, start,
                                  backwards=bool(args.get("reverse")) == forward)
    except TypeError:
        raise GqlError("Invalid cursor for current pagination sort.", code="BAD_REQUEST") from None
    if not forward:
        found.reverse()
    edges = [(encode_cursor(rec, key), rec) for rec in found]
    if forward:
        return Connection(edges, has_next=more, has_previous=cursor is not None)
    return Connection(edges, has_next=cursor is not None, has_previous=more)


def _product_variants(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    from passerelle_sandbox.shopify_schema import list_connection

    wanted = _skus(args.get("query"))
    items = [v for p in ctx.products for v in p["variants"] if wanted is None or v["sku"] in wanted]
    return list_connection(items, args)


def _fixed_prices(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    """A price list's fixed prices (``pricesToAdd``); only ``originType: FIXED`` (or none) is simulated."""
    from passerelle_sandbox.shopify_schema import list_connection

    if args.get("originType") not in (None, "FIXED"):
        raise GqlError("prices(originType: RELATIVE) is not simulated (the simulator's lists hold fixed prices)",
                       code="NOT_SIMULATED")
    prices = parent.get("prices") or {}
    return list_connection([{"variant_id": k, **prices[k]} for k in sorted(prices)], args, lambda x: x["variant_id"])


def _products(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    from passerelle_sandbox.shopify_schema import list_connection

    wanted = _skus(args.get("query"), "handle")
    return list_connection([p for p in ctx.products if wanted is None or p["handle"] in wanted], args)


def variant_node(ctx: Any, ident: Any) -> dict[str, Any] | None:
    text = str(ident or "")
    if not text.startswith("gid://shopify/ProductVariant/"):
        return None
    return ctx.variant_by_id(text.rsplit("/", 1)[-1])


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


def _time(key: str) -> F:
    return F("DateTime", lambda p, args, ctx: gql_time(p[key]) if isinstance(p.get(key), datetime) else None)


CATALOGUE_QUERIES: dict[str, F] = {
    "customers": F("CustomerConnection", _customers, connection=True,
                   args=("first", "last", "after", "before", "reverse", "query", "sortKey")),
    "customer": F("Customer", lambda p, args, ctx: ctx.customer_by_gid(args.get("id")), args=("id",)),
    "productVariants": F("ProductVariantConnection", _product_variants, connection=True,
                         args=("first", "last", "after", "before", "reverse", "query")),
    "productVariant": F("ProductVariant", lambda p, args, ctx: variant_node(ctx, args.get("id")), args=("id",)),
    "products": F("ProductConnection", _products, connection=True,
                  args=("first", "last", "after", "before", "reverse", "query")),
    "product": F("Product", lambda p, args, ctx: ctx.product_by_gid(args.get("id")), args=("id",)),
    "priceList": F("PriceList", lambda p, args, ctx: ctx.price_list_by_gid(args.get("id")), args=("id",)),
}

CATALOGUE_TYPES: dict[str, dict[str, F]] = {
    "Product": {
        "id": F("ID", lambda p, args, ctx: gid("Product", p["id"])),
        "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
        "handle": F("String", _a("handle")), "title": F("String", _a("title")),
        "status": F("ProductStatus", _a("status")), "vendor": F("String", _a("vendor")),
        "createdAt": _time("_created"), "updatedAt": _time("_updated"),
        "options": F("ProductOption", lambda p, args, ctx: [dict(o, position=i) for i, o in
                                                           enumerate(p["options"], 1)], list=True, args=("first",)),
        "variantsCount": F("Count", lambda p, args, ctx: {"count": len(p["variants"])}),
    },
    "Count": {"count": F("Int", _a("count"))},
    "ProductOption": {"name": F("String", _a("name")), "position": F("Int", _a("position")),
                      "values": F("String", _a("values"), list=True)},
    "SelectedOption": {"name": F("String", _a("name")), "value": F("String", _a("value"))},
    "PriceList": {"id": F("ID", _a("gid")), "name": F("String", _a("name")),
                  "currency": F("CurrencyCode", _a("currency")),
                  "prices": F("PriceListPriceConnection", _fixed_prices, connection=True,
                              args=("first", "last", "after", "before", "reverse", "originType"))},
    "PriceListPrice": {"originType": F("PriceListPriceOriginType", lambda p, args, ctx: "FIXED"),
                       "price": F("MoneyV2", lambda p, args, ctx: {"amount": p["amount"],
                                                                  "currency_code": p["currencyCode"]}),
                       "variant": F("ProductVariant", lambda p, args, ctx: ctx.variant_by_id(p["variant_id"]))},
    "QuantityPriceBreak": {"id": F("ID", _a("id")), "minimumQuantity": F("Int", _a("minimumQuantity")),
                           "price": F("MoneyV2", lambda p, args, ctx: {"amount": p["price"]["amount"],
                                                                      "currency_code": p["price"]["currencyCode"]}),
                           "variant": F("ProductVariant", lambda p, args, ctx: ctx.variant_by_id(p["variant_id"]))},
}

# fields added to the types the orders already use (Customer, ProductVariant)
CUSTOMER_FIELDS: dict[str, F] = {
    "createdAt": _time("_created"), "updatedAt": _time("_updated"),
    "defaultAddress": F("MailingAddress", _a("default_address")),
}
VARIANT_FIELDS: dict[str, F] = {
    "price": F("Money", lambda p, args, ctx: (ctx.variant_by_id(p["id"]) or p).get("price")),
    "barcode": F("String", lambda p, args, ctx: (ctx.variant_by_id(p["id"]) or p).get("barcode")),
    "product": F("Product", lambda p, args, ctx: ctx.product_of_variant(p["id"])),
    "selectedOptions": F("SelectedOption", lambda p, args, ctx: [
        {"name": o["optionName"], "value": o["name"]} for o in (ctx.variant_by_id(p["id"]) or p).get("optionValues", [])],
        list=True),
}


def touch(rec: dict[str, Any], moment: datetime | None = None) -> None:
    rec["_updated"] = moment or datetime.now(timezone.utc)
