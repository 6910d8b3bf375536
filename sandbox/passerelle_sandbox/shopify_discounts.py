"""Dated automatic discounts of the Shopify simulator: Shopify's model of a promotion with dates.

Facts (Shopify Admin GraphQL API: mutations ``discountAutomaticBasicCreate(automaticBasicDiscount)``
and ``discountAutomaticBasicUpdate(id, automaticBasicDiscount)``, input ``DiscountAutomaticBasicInput``,
object ``DiscountAutomaticBasic``, shopify.dev/docs/api/admin-graphql/2024-10/mutations/discountautomaticbasiccreate):

* input ``{title, startsAt, endsAt (null: open-ended), customerGets: {value: {percentage} |
  {discountAmount: {amount, appliesOnEachItem}}, items: {all} | {products: {productsToAdd,
  productVariantsToAdd}} | {collections: {add}}}, combinesWith, minimumRequirement}``; the payload answers
  ``automaticDiscountNode {id automaticDiscount}`` and ``userErrors {field message code}``;
* the simulator's checks (its wording; codes from ``DiscountErrorCode``): a blank title (``BLANK``), no
  ``startsAt`` (``BLANK``), ``endsAt`` not after ``startsAt`` (``INVALID``), a percentage outside
  0..1 (``VALUE_OUTSIDE_RANGE``), no item (``BLANK``), an unknown product, variant or collection
  (``INVALID``), an unknown discount id on update (``INVALID``);
* an update replaces what it is given (``customerGets.items`` replaced whole [unverified: Shopify adds
  and removes with ``productsToAdd``/``productsToRemove``; the simulator takes the adds as the new list]);
* ``status`` is ``SCHEDULED`` before ``startsAt``, ``EXPIRED`` after ``endsAt``, else ``ACTIVE``, on the
  simulator's clock. ``automaticDiscountNodes(first, after)`` and ``automaticDiscountNode(id)`` read them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.shopify_data import gid, gql_time
from passerelle_sandbox.shopify_gql import F, Typed

__all__ = ["DISCOUNT_MUTATIONS", "DISCOUNT_QUERIES", "DISCOUNT_TYPES"]

DISCOUNT_ID_BASE = 1057371000
_PAGE = ("first", "last", "after", "before", "reverse")


def _error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return {"field": ["automaticBasicDiscount", *field], "message": message, "code": code}


def _moment(text: Any) -> datetime | None:
    """An ISO 8601 DateTime (``Z`` or an offset; none: UTC [unverified]) as UTC."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return moment and moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _items(ctx: Any, items: dict[str, Any], errors: list[dict[str, Any]]) -> dict[str, Any]:
    products = (items.get("products") or {}).get("productsToAdd") or []
    variants = (items.get("products") or {}).get("productVariantsToAdd") or []
    collections = (items.get("collections") or {}).get("add") or []
    for kind, ids, find in (("products", products, ctx.product_by_gid), ("products", variants, ctx.variant_by_gid),
                            ("collections", collections,
                             lambda i: next((c for c in ctx.collections if c["gid"] == i), None))):
        for ident in ids:
            if find(ident) is None:
                errors.append(_error(["customerGets", "items", kind], f"{ident} does not exist", "INVALID"))
    if not (items.get("all") or products or variants or collections):
        errors.append(_error(["customerGets", "items"], "Items can't be blank", "BLANK"))
    return {"all": bool(items.get("all")), "products": products, "variants": variants, "collections": collections}


def _checked(ctx: Any, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []
    if not str(data.get("title") or "").strip():
        errors.append(_error(["title"], "Title can't be blank", "BLANK"))
    starts, ends = _moment(data.get("startsAt")), _moment(data.get("endsAt"))
    if starts is None:
        errors.append(_error(["startsAt"], "Starts at can't be blank", "BLANK"))
    if data.get("endsAt") is not None and (ends is None or (starts is not None and ends <= starts)):
        errors.append(_error(["endsAt"], "Ends at needs to be after starts_at", "INVALID"))
    gets = data.get("customerGets") or {}
    value = gets.get("value") or {}
    percentage = amount = None
    try:
        if value.get("percentage") is not None:
            percentage = Decimal(str(value["percentage"]))
            if not 0 <= percentage <= 1:
                raise InvalidOperation
        elif value.get("discountAmount"):
            amount = Decimal(str(value["discountAmount"].get("amount")))
        else:
            errors.append(_error(["customerGets", "value"], "Value can't be blank", "BLANK"))
    except InvalidOperation:
        errors.append(_error(["customerGets", "value"], "Value must be between 0.0 and 1.0", "VALUE_OUTSIDE_RANGE"))
    items = _items(ctx, gets.get("items") or {}, errors)
    return {"title": str(data.get("title") or ""), "startsAt": starts, "endsAt": ends, "percentage": percentage,
            "amount": amount, "items": items}, errors


def _payload(rec: dict[str, Any] | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"automaticDiscountNode": rec, "userErrors": errors}


def _create(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    fields, errors = _checked(ctx, args.get("automaticBasicDiscount") or {})
    if errors:
        return _payload(None, errors)
    with ctx.lock:
        ident = DISCOUNT_ID_BASE + len(ctx.discounts) + 1
        rec = {"id": ident, "gid": gid("DiscountAutomaticNode", ident), **fields, "createdAt": ctx.now(),
               "updatedAt": ctx.now()}
        ctx.discounts.append(rec)
    return _payload(rec, [])


def _update(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    rec = next((d for d in ctx.discounts if d["gid"] == args.get("id")), None)
    if rec is None:
        return _payload(None, [{"field": ["id"], "message": "Discount does not exist", "code": "INVALID"}])
    fields, errors = _checked(ctx, args.get("automaticBasicDiscount") or {})
    if errors:
        return _payload(None, errors)
    with ctx.lock:
        rec.update(fields, updatedAt=ctx.now())
    return _payload(rec, [])


def _status(rec: dict[str, Any], ctx: Any) -> str:
    now = ctx.now()
    if rec["startsAt"] and now < rec["startsAt"]:
        return "SCHEDULED"
    if rec["endsAt"] and now >= rec["endsAt"]:
        return "EXPIRED"
    return "ACTIVE"


def _nodes(parent: Any, args: dict[str, Any], ctx: Any) -> Any:
    from passerelle_sandbox.shopify_schema import list_connection

    return list_connection(ctx.discounts, args)


def _list(getter: Any) -> Any:
    def resolve(p: Any, args: dict[str, Any], ctx: Any) -> Any:
        from passerelle_sandbox.shopify_schema import list_connection

        return list_connection(getter(p, ctx), args)
    return resolve


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


def _time(key: str) -> F:
    return F("DateTime", lambda p, args, ctx: gql_time(p[key]) if p.get(key) else None)


DISCOUNT_QUERIES: dict[str, F] = {
    "automaticDiscountNodes": F("DiscountAutomaticNodeConnection", _nodes, connection=True,
                                args=("first", "last", "after", "before", "reverse", "query")),
    "automaticDiscountNode": F("DiscountAutomaticNode", lambda p, args, ctx: next(
        (d for d in ctx.discounts if d["gid"] == args.get("id")), None), args=("id",)),
}
DISCOUNT_MUTATIONS: dict[str, F] = {
    "discountAutomaticBasicCreate": F("DiscountAutomaticBasicCreatePayload", _create, args=("automaticBasicDiscount",)),
    "discountAutomaticBasicUpdate": F("DiscountAutomaticBasicUpdatePayload", _update,
                                      args=("id", "automaticBasicDiscount")),
}
_PAYLOAD = {"automaticDiscountNode": F("DiscountAutomaticNode", _a("automaticDiscountNode")),
            "userErrors": F("DiscountUserError", _a("userErrors"), list=True)}
DISCOUNT_TYPES: dict[str, dict[str, F]] = {
    # unions: their members are selected with `... on TYPE`
    "DiscountAutomatic": {}, "DiscountCustomerGetsValue": {}, "DiscountItems": {},
    "DiscountAutomaticBasicCreatePayload": _PAYLOAD,
    "DiscountAutomaticBasicUpdatePayload": _PAYLOAD,
    "DiscountUserError": {"field": F("String", _a("field"), list=True), "message": F("String", _a("message")),
                          "code": F("String", _a("code"))},
    "DiscountAutomaticNode": {"id": F("ID", _a("gid")),
                              "automaticDiscount": F("DiscountAutomatic", lambda p, args, ctx:
                                                     Typed("DiscountAutomaticBasic", p))},
    "DiscountAutomaticBasic": {
        "title": F("String", _a("title")), "startsAt": _time("startsAt"), "endsAt": _time("endsAt"),
        "createdAt": _time("createdAt"), "updatedAt": _time("updatedAt"),
        "status": F("DiscountStatus", lambda p, args, ctx: _status(p, ctx)),
        "customerGets": F("DiscountCustomerGets", lambda p, args, ctx: p),
    },
    "DiscountCustomerGets": {
        "value": F("DiscountCustomerGetsValue", lambda p, args, ctx: Typed("DiscountPercentage", p)
                   if p["percentage"] is not None else Typed("DiscountAmount", p)),
        "items": F("DiscountItems", lambda p, args, ctx: Typed("AllDiscountItems", p) if p["items"]["all"]
                   else Typed("DiscountCollections", p) if p["items"]["collections"] else Typed("DiscountProducts", p)),
    },
    "DiscountPercentage": {"percentage": F("Float", lambda p, args, ctx: float(p["percentage"]))},
    "DiscountAmount": {"amount": F("MoneyV2", lambda p, args, ctx: {"amount": f"{p['amount']:.2f}",
                                                                   "currency_code": ctx.currency})},
    "AllDiscountItems": {"allItems": F("Boolean", lambda p, args, ctx: True)},
    "DiscountProducts": {
        "products": F("ProductConnection", _list(lambda p, ctx: [x for x in (
            ctx.product_by_gid(i) for i in p["items"]["products"]) if x]), connection=True, args=_PAGE),
        "productVariants": F("ProductVariantConnection", _list(lambda p, ctx: [x for x in (
            ctx.variant_by_gid(i) for i in p["items"]["variants"]) if x]), connection=True, args=_PAGE)},
    "DiscountCollections": {
        "collections": F("CollectionConnection", _list(lambda p, ctx: [x for x in (
            next((c for c in ctx.collections if c["gid"] == i), None) for i in p["items"]["collections"]) if x]),
            connection=True, args=_PAGE)},
}
