"""The GraphQL Admin API subset the simulator serves, over the REST order dicts.

Queries: ``orders(first|last, after|before, query, sortKey, reverse)``, ``order(id)``,
``inventoryItems(first, after, query: "sku:…")``, ``inventoryItem(id)``, ``locations(first, after)``;
``customers``, ``productVariants``, ``products``, ``priceList`` and the mutations ``productSet``,
``quantityPricingByVariantUpdate`` come from :mod:`.shopify_catalogue` / :mod:`.shopify_catalogue_writes`.
Types: ``Order`` (ids, names, dates in UTC, statuses, ``tags``, money bags ``*Set { shopMoney { amount
currencyCode } }``, ``customer``, addresses, ``lineItems``/``shippingLines`` connections, ``taxLines``,
``discountCodes``, ``customAttributes``, ``metafield(namespace, key)``, ``metafields``), ``LineItem``,
``ShippingLine``, ``TaxLine``, ``Customer``, ``MailingAddress``, ``InventoryItem``/``InventoryLevel``/
``Location``. Mutations (:mod:`.shopify_mutations`): ``tagsAdd``, ``tagsRemove``, ``orderUpdate``,
``metafieldsSet``, ``inventorySetQuantities``; business errors come back in ``userErrors`` with HTTP 200.

Real Admin API fields the simulator does not serve (``discountApplications``, ``returns``, a line's
``discountedTotalSet``…, see ``_unserved``) answer a ``NOT_SIMULATED`` error, never ``undefinedField``.

Connections take at most 250 items and need ``first`` or ``last``. ``Decimal`` money
amounts are rendered as shortest decimal strings (``"42.0"``, ``"4.55"``) — [unverified: the reference
shows REST's 2-decimal strings only]; the simulator option ``money_2dp`` renders ``"42.00"`` instead.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from passerelle_sandbox.shopify_data import LOCATION_ID, gid, gql_time
from passerelle_sandbox.shopify_gql import Connection, F, GqlError
from passerelle_sandbox.shopify_search import SORT_KEYS, compile_search, decode_cursor, encode_cursor

__all__ = ["SCHEMA", "paging_args", "gql_decimal"]

PAGE = ("first", "last", "after", "before", "reverse")
MAX_PAGE = 250


def gql_decimal(text: str | None, two_places: bool = False) -> str | None:
    if text is None or two_places:
        return text
    value = Decimal(text).normalize()
    return f"{int(value)}.0" if value == value.to_integral_value() else format(value, "f")


def a(key: str, conv: Any = None) -> Any:
    """Resolver reading ``parent[key]`` (optionally converted)."""
    if conv is None:
        return lambda p, args, ctx: p.get(key)
    return lambda p, args, ctx: None if p.get(key) is None else conv(p[key])


def _tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _iso_to_gql(text: str) -> str:
    return gql_time(datetime.fromisoformat(text))


def paging_args(args: dict[str, Any]) -> tuple[int, bool]:
    """(size, forward) after the checks Shopify makes on ``first``/``last``."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GqlError("you must provide one of first or last")
    if first is not None and last is not None:
        raise GqlError("providing both first and last is not supported")
    size = first if first is not None else last
    if size > MAX_PAGE or size < 0:
        raise GqlError(f"The '{'first' if first is not None else 'last'}' argument must be between 0 and "
                       f"{MAX_PAGE} (got {size})", code="BAD_REQUEST")
    return size, first is not None


def list_connection(items: list[Any], args: dict[str, Any], ident: Any = lambda x: x["id"]) -> Connection:
    """A connection over a small in-memory list (order lines, shipping lines, metafields)."""
    size, forward = paging_args(args)
    cursors = [base64.b64encode(json.dumps({"last_id": ident(x)}).encode()).decode() for x in items]
    pairs = list(zip(cursors, items))
    if args.get("reverse"):
        pairs.reverse()
    index = {c: i for i, (c, _) in enumerate(pairs)}
    low, high = 0, len(pairs)
    for name in ("after", "before"):
        if args.get(name) is not None and args[name] not in index:
            raise GqlError("Invalid cursor for current pagination sort.", code="BAD_REQUEST")
    if args.get("after") is not None:
        low = index[args["after"]] + 1
    if args.get("before") is not None:
        high = index[args["before"]]
    window = pairs[low:high]
    if forward:
        return Connection(window[:size], has_next=len(window) > size, has_previous=low > 0)
    return Connection(window[-size:] if size else [], has_next=high < len(pairs), has_previous=len(window) > size)


def _orders(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    size, forward = paging_args(args)
    sort_key = args.get("sortKey") or "ID"
    if sort_key not in SORT_KEYS:
        raise GqlError(f"Argument 'sortKey' on Field 'orders' has an invalid value ({sort_key}). "
                       "Expected type 'OrderSortKeys'.", code="argumentLiteralsIncompatible")
    key = SORT_KEYS[sort_key]
    predicate, warnings = compile_search(args.get("query"), ctx.tz)
    if warnings:
        ctx.search_warnings.append({"path": ["orders"], "query": args.get("query"), "warnings": warnings})
    visible = ctx.visible
    test = visible if predicate is None else (lambda rec: visible(rec) and predicate(rec))
    cursor = args.get("after") if forward else args.get("before")
    start = None
    if cursor is not None:
        try:
            start = decode_cursor(cursor, key)
        except ValueError:
            raise GqlError("Invalid cursor for current pagination sort.", code="BAD_REQUEST") from None
    backwards = bool(args.get("reverse")) == forward
    try:
        found, more = ctx.order_index(key).page(size, test, start, backwards=backwards)
    except TypeError:  # a cursor made for another sortKey
        raise GqlError("Invalid cursor for current pagination sort.", code="BAD_REQUEST") from None
    if not forward:
        found.reverse()
    edges = [(encode_cursor(rec, key), rec) for rec in found]
    if forward:
        return Connection(edges, has_next=more, has_previous=cursor is not None)
    return Connection(edges, has_next=cursor is not None, has_previous=more)


def _order(parent: Any, args: dict[str, Any], ctx: Any) -> Any:
    return ctx.order_by_gid(args.get("id"))


def _inventory_items(parent: Any, args: dict[str, Any], ctx: Any) -> Connection:
    items = ctx.inventory_items
    query = (args.get("query") or "").strip()
    if query.startswith("sku:"):
        wanted = {s.strip("'\"") for s in query[4:].split(",")}
        items = [i for i in items if i["sku"] in wanted]
    return list_connection(items, args)


def _metafield(parent: Any, args: dict[str, Any], ctx: Any) -> Any:
    for mf in parent["_metafields"]:
        if mf["key"] == args.get("key") and mf["namespace"] == args.get("namespace", mf["namespace"]):
            return mf
    return None


def _money(key: str) -> F:
    return F("MoneyBag", a(key), args=("withCodedDiscounts",))


def _conn(node: str, resolve: Any, *extra: str) -> F:
    return F(f"{node}Connection", resolve, connection=True, args=PAGE + extra)


def _connection_types(schema: dict[str, dict[str, F]], *nodes: str) -> None:
    for node in nodes:
        schema[f"{node}Connection"] = {"edges": F(f"{node}Edge", a("edges"), list=True),
                                       "nodes": F(node, a("nodes"), list=True),
                                       "pageInfo": F("PageInfo", a("pageInfo"))}
        schema[f"{node}Edge"] = {"cursor": F("String", a("cursor")), "node": F(node, a("node"))}


def _unserved(*names: str) -> dict[str, F]:
    """Fields of the real Admin API (2024-10) the simulator does not serve: they answer NOT_SIMULATED."""
    return {name: F("", lambda p, args, ctx: None, simulated=False) for name in names}


def _level(item: dict[str, Any]) -> dict[str, Any]:
    return {"item": item, "id": f"gid://shopify/InventoryLevel/{LOCATION_ID}?inventory_item_id={item['id']}"}


SCHEMA: dict[str, dict[str, F]] = {
    "QueryRoot": {
        "orders": _conn("Order", _orders, "query", "sortKey", "savedSearchId"),
        "order": F("Order", _order, args=("id",)),
        "inventoryItems": _conn("InventoryItem", _inventory_items, "query"),
        "inventoryItem": F("InventoryItem", lambda p, args, ctx: ctx.inventory_by_gid(args.get("id")), args=("id",)),
        "locations": _conn("Location", lambda p, args, ctx: list_connection([ctx.location], args), "query"),
        "location": F("Location", lambda p, args, ctx: ctx.location if args.get("id") in (None, ctx.location["gid"])
                      else None, args=("id",)),
    },
    "Node": {"id": F("ID", a("admin_graphql_api_id"))},
    "PageInfo": {name: F("Boolean" if name.startswith("has") else "String", a(name))
                 for name in ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor")},
    "Order": {
        "id": F("ID", a("admin_graphql_api_id")),
        "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
        "name": F("String", a("name")), "email": F("String", a("email")), "phone": F("String", a("phone")),
        "note": F("String", a("note")), "sourceName": F("String", a("source_name")),
        "confirmationNumber": F("String", a("confirmation_number")),
        "createdAt": F("DateTime", lambda p, args, ctx: gql_time(p["_created"])),
        "processedAt": F("DateTime", lambda p, args, ctx: gql_time(p["_created"])),
        "updatedAt": F("DateTime", lambda p, args, ctx: gql_time(p["_updated"])),
        "closedAt": F("DateTime", a("closed_at", _iso_to_gql)),
        "cancelledAt": F("DateTime", a("cancelled_at", _iso_to_gql)),
        "closed": F("Boolean", lambda p, args, ctx: p["closed_at"] is not None),
        "cancelReason": F("OrderCancelReason", a("cancel_reason", str.upper)),
        "currencyCode": F("CurrencyCode", a("currency")),
        "presentmentCurrencyCode": F("CurrencyCode", a("presentment_currency")),
        "displayFinancialStatus": F("OrderDisplayFinancialStatus", a("financial_status", str.upper)),
        "displayFulfillmentStatus": F("OrderDisplayFulfillmentStatus",
                                      lambda p, args, ctx: (p["fulfillment_status"] or "unfulfilled").upper()),
        "tags": F("String", lambda p, args, ctx: _tags(p["tags"]), list=True),
        "taxesIncluded": F("Boolean", a("taxes_included")), "test": F("Boolean", a("test")),
        "confirmed": F("Boolean", a("confirmed")),
        "discountCode": F("String", lambda p, args, ctx: p["discount_codes"][0]["code"]
                          if p["discount_codes"] else None),
        "discountCodes": F("String", lambda p, args, ctx: [d["code"] for d in p["discount_codes"]], list=True),
        "paymentGatewayNames": F("String", a("payment_gateway_names"), list=True),
        "subtotalPriceSet": _money("subtotal_price_set"),
        "currentSubtotalPriceSet": _money("current_subtotal_price_set"),
        "totalPriceSet": _money("total_price_set"), "currentTotalPriceSet": _money("current_total_price_set"),
        "totalTaxSet": _money("total_tax_set"), "currentTotalTaxSet": _money("current_total_tax_set"),
        "totalShippingPriceSet": _money("total_shipping_price_set"),
        "totalDiscountsSet": _money("total_discounts_set"),
        "currentTotalDiscountsSet": _money("current_total_discounts_set"),
        "totalLineItemsPriceSet": _money("total_line_items_price_set"),
        "customer": F("Customer", a("customer")),
        "billingAddress": F("MailingAddress", a("billing_address")),
        "shippingAddress": F("MailingAddress", a("shipping_address")),
        "lineItems": _conn("LineItem", lambda p, args, ctx: list_connection(p["line_items"], args)),
        "shippingLines": _conn("ShippingLine", lambda p, args, ctx: list_connection(p["shipping_lines"], args),
                               "includeRemovals"),
        "taxLines": F("TaxLine", a("tax_lines"), list=True),
        "customAttributes": F("Attribute", lambda p, args, ctx: [{"key": n["name"], "value": n["value"]}
                                                                 for n in p["note_attributes"]], list=True),
        "metafield": F("Metafield", _metafield, args=("namespace", "key")),
        "metafields": _conn("Metafield", lambda p, args, ctx: list_connection(
            [m for m in p["_metafields"] if args.get("namespace") in (None, m["namespace"])], args),
            "namespace", "keys"),
        **_unserved("discountApplications", "fulfillments", "fulfillmentOrders", "refunds", "transactions",
                    "events", "returns", "shippingLine", "originalTotalPriceSet", "totalReceivedSet",
                    "totalRefundedSet", "totalOutstandingSet", "totalTipReceivedSet", "netPaymentSet",
                    "cartDiscountAmountSet", "totalCapturableSet", "totalWeight", "currentTotalWeight",
                    "subtotalLineItemsQuantity", "currentSubtotalLineItemsQuantity", "paymentTerms",
                    "poNumber", "statusPageUrl", "clientIp", "app", "channelInformation", "customerLocale",
                    "edited", "fullyPaid", "unpaid", "requiresShipping", "canMarkAsPaid", "displayAddress",
                    "billingAddressMatchesShippingAddress", "merchantEditable", "nonFulfillableLineItems",
                    "suggestedRefund", "agreements", "risks", "sourceIdentifier", "retailLocation"),
    },
    "MoneyBag": {"shopMoney": F("MoneyV2", a("shop_money")), "presentmentMoney": F("MoneyV2", a("presentment_money"))},
    "MoneyV2": {"amount": F("Decimal", lambda p, args, ctx: gql_decimal(p["amount"], ctx.money_2dp)),
                "currencyCode": F("CurrencyCode", a("currency_code"))},
    "Customer": {"id": F("ID", a("admin_graphql_api_id")),
                 "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
                 "email": F("String", a("email")), "firstName": F("String", a("first_name")),
                 "lastName": F("String", a("last_name")), "phone": F("String", a("phone")),
                 "displayName": F("String", lambda p, args, ctx: f"{p['first_name']} {p['last_name']}".strip()),
                 "taxExempt": F("Boolean", a("tax_exempt")),
                 "tags": F("String", lambda p, args, ctx: _tags(p["tags"]), list=True)},
    "MailingAddress": {name: F("String", a(key)) for name, key in (
        ("firstName", "first_name"), ("lastName", "last_name"), ("name", "name"), ("company", "company"),
        ("address1", "address1"), ("address2", "address2"), ("city", "city"), ("zip", "zip"),
        ("province", "province"), ("provinceCode", "province_code"), ("country", "country"),
        ("countryCodeV2", "country_code"), ("phone", "phone"))},
    "LineItem": {
        "id": F("ID", a("admin_graphql_api_id")), "name": F("String", a("name")), "title": F("String", a("title")),
        "variantTitle": F("String", a("variant_title")), "sku": F("String", a("sku")),
        "vendor": F("String", a("vendor")), "quantity": F("Int", a("quantity")),
        "currentQuantity": F("Int", a("current_quantity")),
        "unfulfilledQuantity": F("Int", a("fulfillable_quantity")),
        "taxable": F("Boolean", a("taxable")), "requiresShipping": F("Boolean", a("requires_shipping")),
        "originalUnitPriceSet": _money("price_set"), "totalDiscountSet": _money("total_discount_set"),
        "taxLines": F("TaxLine", a("tax_lines"), list=True, args=("first",)),
        "discountAllocations": F("DiscountAllocation", a("discount_allocations"), list=True),
        "variant": F("ProductVariant", lambda p, args, ctx: {"id": p["variant_id"], "sku": p["sku"],
                                                             "title": p["variant_title"] or "Default Title"}),
        **_unserved("discountedTotalSet", "discountedUnitPriceSet", "originalTotalSet", "product", "image",
                    "customAttributes", "duties", "isGiftCard", "nonFulfillableQuantity", "refundableQuantity",
                    "restockable", "sellingPlan", "staffMember", "unfulfilledDiscountedTotalSet",
                    "unfulfilledOriginalTotalSet", "merchantEditable", "lineItemGroup", "contract",
                    "discountedUnitPriceAfterAllDiscountsSet"),
    },
    "ProductVariant": {"id": F("ID", lambda p, args, ctx: gid("ProductVariant", p["id"])),
                       "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
                       "sku": F("String", a("sku")), "title": F("String", a("title")),
                       "inventoryItem": F("InventoryItem", lambda p, args, ctx: ctx.inventory_by_sku(p["sku"]))},
    "DiscountAllocation": {"allocatedAmountSet": _money("amount_set")},
    "TaxLine": {"title": F("String", a("title")), "rate": F("Float", a("rate")),
                "ratePercentage": F("Float", lambda p, args, ctx: round(p["rate"] * 100, 4)),
                "priceSet": _money("price_set"), "channelLiable": F("Boolean", a("channel_liable"))},
    "ShippingLine": {"id": F("ID", lambda p, args, ctx: gid("ShippingLine", p["id"])),
                     "title": F("String", a("title")), "code": F("String", a("code")),
                     "source": F("String", a("source")), "carrierIdentifier": F("String", a("carrier_identifier")),
                     "originalPriceSet": _money("price_set"), "discountedPriceSet": _money("discounted_price_set"),
                     "taxLines": F("TaxLine", a("tax_lines"), list=True),
                     **_unserved("discountAllocations", "deliveryCategory", "isRemoved", "custom",
                                 "shippingRateHandle", "phone", "currentDiscountedPriceSet")},
    "Attribute": {"key": F("String", a("key")), "value": F("String", a("value"))},
    "Metafield": {"id": F("ID", a("id")), "namespace": F("String", a("namespace")), "key": F("String", a("key")),
                  "value": F("String", a("value")), "type": F("String", a("type")),
                  "ownerType": F("MetafieldOwnerType", lambda p, args, ctx: "ORDER"),
                  "createdAt": F("DateTime", a("createdAt")), "updatedAt": F("DateTime", a("updatedAt"))},
    "InventoryItem": {
        "id": F("ID", lambda p, args, ctx: gid("InventoryItem", p["id"])),
        "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
        "sku": F("String", a("sku")), "tracked": F("Boolean", a("tracked")),
        "inventoryLevel": F("InventoryLevel", lambda p, args, ctx: _level(p)
                            if args.get("locationId") == ctx.location["gid"] else None, args=("locationId",)),
        "inventoryLevels": _conn("InventoryLevel", lambda p, args, ctx: list_connection([_level(p)], args)),
    },
    "InventoryLevel": {
        "id": F("ID", a("id")), "location": F("Location", lambda p, args, ctx: ctx.location),
        "item": F("InventoryItem", a("item")),
        "quantities": F("InventoryQuantity", lambda p, args, ctx: [
            {"name": n, "quantity": p["item"]["quantities"].get(n, 0)} for n in args.get("names") or []],
            list=True, args=("names",)),
    },
    "InventoryQuantity": {"name": F("String", a("name")), "quantity": F("Int", a("quantity"))},
    "Location": {"id": F("ID", a("gid")), "legacyResourceId": F("UnsignedInt64", lambda p, args, ctx: str(p["id"])),
                 "name": F("String", a("name")), "isActive": F("Boolean", lambda p, args, ctx: True)},
}
_connection_types(SCHEMA, "Order", "LineItem", "ShippingLine", "Metafield", "InventoryItem", "InventoryLevel",
                  "Location")

from passerelle_sandbox.shopify_mutations import MUTATION_TYPES  # noqa: E402  (mutations resolve into the types above)

SCHEMA.update(MUTATION_TYPES)

# catalogue, customers and B2B price breaks (shopify_catalogue*.py)
from passerelle_sandbox.shopify_catalogue import (  # noqa: E402
    CATALOGUE_QUERIES, CATALOGUE_TYPES, CUSTOMER_FIELDS, VARIANT_FIELDS,
)
from passerelle_sandbox.shopify_catalogue_writes import CATALOGUE_MUTATIONS, CATALOGUE_PAYLOADS  # noqa: E402

SCHEMA["QueryRoot"].update(CATALOGUE_QUERIES)
SCHEMA["Mutation"].update(CATALOGUE_MUTATIONS)
SCHEMA["Customer"].update(CUSTOMER_FIELDS)
SCHEMA["ProductVariant"].update(VARIANT_FIELDS)
SCHEMA.update(CATALOGUE_TYPES)
SCHEMA.update(CATALOGUE_PAYLOADS)
_connection_types(SCHEMA, "Customer", "ProductVariant", "Product", "PriceListPrice")

# collections, product details, several locations (shopify_catalogue_more.py)
from passerelle_sandbox.shopify_catalogue_more import (  # noqa: E402
    ITEM_MORE, MORE_MUTATIONS, MORE_QUERIES, MORE_TYPES, PRODUCT_FIELDS, VARIANT_MORE, levels,
)

SCHEMA["QueryRoot"].update(MORE_QUERIES)
SCHEMA["QueryRoot"]["locations"] = _conn("Location", lambda p, args, ctx: list_connection(ctx.locations, args), "query")
SCHEMA["QueryRoot"]["location"] = F("Location", lambda p, args, ctx: next(
    (loc for loc in ctx.locations if loc["gid"] == args.get("id")), None) if args.get("id") else ctx.location,
    args=("id",))
SCHEMA["Mutation"].update(MORE_MUTATIONS)
SCHEMA.update(MORE_TYPES)
SCHEMA["Product"].update(PRODUCT_FIELDS)
SCHEMA["ProductVariant"].update(VARIANT_MORE)
SCHEMA["InventoryItem"].update(ITEM_MORE)
SCHEMA["InventoryItem"]["inventoryLevels"] = _conn("InventoryLevel",
                                                   lambda p, args, ctx: list_connection(levels(ctx, p), args))
SCHEMA["InventoryLevel"]["location"] = F("Location", lambda p, args, ctx: p.get("location") or ctx.location)
SCHEMA["InventoryLevel"]["quantities"] = F("InventoryQuantity", lambda p, args, ctx: [
    {"name": n, "quantity": (p.get("quantities") or p["item"]["quantities"]).get(n, 0)} for n in args.get("names") or []],
    list=True, args=("names",))
_connection_types(SCHEMA, "Collection")

# dated automatic discounts: a Sage promotion (shopify_discounts.py)
from passerelle_sandbox.shopify_discounts import DISCOUNT_MUTATIONS, DISCOUNT_QUERIES, DISCOUNT_TYPES  # noqa: E402

SCHEMA["QueryRoot"].update(DISCOUNT_QUERIES)
SCHEMA["Mutation"].update(DISCOUNT_MUTATIONS)
SCHEMA.update(DISCOUNT_TYPES)
_connection_types(SCHEMA, "DiscountAutomaticNode")

# shop languages and product translations (shopify_translations.py)
from passerelle_sandbox.shopify_translations import (  # noqa: E402
    TRANSLATION_MUTATIONS, TRANSLATION_QUERIES, TRANSLATION_TYPES,
)

SCHEMA["QueryRoot"].update(TRANSLATION_QUERIES)
SCHEMA["Mutation"].update(TRANSLATION_MUTATIONS)
SCHEMA.update(TRANSLATION_TYPES)
_connection_types(SCHEMA, "TranslatableResource")

# the shop itself (shopify_shop.py)
from passerelle_sandbox.shopify_shop import SHOP_QUERIES, SHOP_TYPES  # noqa: E402

SCHEMA["QueryRoot"].update(SHOP_QUERIES)
SCHEMA.update(SHOP_TYPES)

# transactions, refunds (shopify_payments.py), fulfillment orders and fulfillments (shopify_fulfil.py)
from passerelle_sandbox.shopify_fulfil import FULFIL_MUTATIONS, fulfil_fields, fulfil_types  # noqa: E402
from passerelle_sandbox.shopify_payments import PAYMENT_FIELDS, payment_types  # noqa: E402

SCHEMA["Order"].update(PAYMENT_FIELDS)
SCHEMA["Order"].update(fulfil_fields())
SCHEMA["Mutation"].update(FULFIL_MUTATIONS)
SCHEMA.update(payment_types())
SCHEMA.update(fulfil_types())
