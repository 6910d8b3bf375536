"""Fulfillment orders and fulfillments of the Shopify simulator (GraphQL).

Facts (shopify.dev GraphQL Admin API ``FulfillmentOrder``, ``FulfillmentOrderLineItem``, ``Fulfillment``,
``FulfillmentInput``, ``FulfillmentTrackingInput``):

* ``Order.fulfillmentOrders(first…)`` — a connection of ``FulfillmentOrder`` {``id``, ``status`` (``OPEN``,
  ``IN_PROGRESS``, ``CLOSED``…), ``requestStatus``, ``orderId``, ``orderName``, ``createdAt``, ``updatedAt``,
  ``lineItems`` (connection of {``id``, ``totalQuantity``, ``remainingQuantity``, ``lineItem``})}. The
  seeded data gives each order one fulfillment order at the shop's single location, ``OPEN``, one line per
  order line; the data set's partial shipments are fulfillments already made (:func:`seed_fulfillments`).
* ``Order.fulfillments(first)`` — a plain list of ``Fulfillment`` {``id``, ``legacyResourceId``, ``name``,
  ``status`` (``SUCCESS``), ``createdAt``, ``updatedAt``, ``totalQuantity``, ``trackingInfo(first)`` (a list of
  {``company``, ``number``, ``url``}), ``fulfillmentLineItems`` (connection of {``id``, ``quantity``,
  ``lineItem``})}.
* ``fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId,
  fulfillmentOrderLineItems: [{id, quantity}]}], trackingInfo: {company, number|numbers, url|urls},
  notifyCustomer, originAddress}, message)`` → ``{fulfillment, userErrors {field message}}``. Without
  ``fulfillmentOrderLineItems`` everything still to ship in that fulfillment order is shipped; with them,
  a part (a **partial shipment**: the fulfillment order stays ``IN_PROGRESS`` until nothing remains).
  Refused with ``userErrors`` (HTTP 200), nothing changed: no fulfillment order given, an unknown one,
  fulfillment orders of two orders, a fulfillment order neither ``OPEN`` nor ``IN_PROGRESS`` (already
  closed: a second fulfillment of what was shipped), an unknown line or a quantity above what remains
  ("Invalid fulfillment order line item quantity requested.", as Shopify words it), both ``number`` and
  ``numbers`` (or ``url`` and ``urls``). The other texts are the simulator's own wording. The order's
  ``displayFulfillmentStatus`` becomes ``PARTIALLY_FULFILLED`` or ``FULFILLED`` and its ``updatedAt`` moves.
  A known carrier's tracking URL is not built (``url`` stays what was sent).
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox.shopify_data import ORDER_ID_BASE, gid, gql_time, parse_utc
from passerelle_sandbox.shopify_gql import F

__all__ = ["FULFIL_MUTATIONS", "fulfil_fields", "fulfil_types", "seed_fulfillment_orders", "seed_fulfillments"]

FO_BASE = 6512345678000
FO_LINE_BASE = 13012345678000
FULFILLMENT_BASE = 5512345678000
OPEN_STATES = ("OPEN", "IN_PROGRESS")
BAD_QUANTITY = "Invalid fulfillment order line item quantity requested."


def seed_fulfillment_orders(sim: Any) -> None:
    """One OPEN fulfillment order per order, every line to ship; no fulfillment yet."""
    for rec in sim.orders:
        number = rec["order_number"]
        fo = {"id": gid("FulfillmentOrder", FO_BASE + number), "status": "OPEN", "order": rec,
              "_at": rec["_created"], "_updated": rec["_created"],
              "lines": [{"id": gid("FulfillmentOrderLineItem", FO_LINE_BASE + line["id"] % 10**7),
                         "line": line, "totalQuantity": line["quantity"], "remainingQuantity": line["quantity"]}
                        for line in rec["line_items"]]}
        rec["_fulfillment_orders"], rec["_fulfillments"] = [fo], []


def seed_fulfillments(sim: Any) -> None:
    """The data set's (partial) shipments as fulfillments of the orders' fulfillment orders, with tracking
    (company = the carrier's name, its tracking URL); the fulfillment order stays ``IN_PROGRESS`` and the
    order ``partial`` until every line is fulfilled."""
    carriers = {c.id: c for c in sim.dataset.carriers}
    for order in sim.dataset.orders:
        rec = sim.by_id.get(ORDER_ID_BASE + order.id)
        for shipment in order.shipments if rec is not None else []:
            fo = rec["_fulfillment_orders"][0]
            by_sku = {line["line"]["sku"]: line for line in fo["lines"]}
            items = []
            for item in shipment.items:
                line = by_sku[order.line(item.line_id).reference]
                line["remainingQuantity"] -= item.quantity
                line["line"]["fulfillable_quantity"] -= item.quantity
                items.append({"id": gid("FulfillmentLineItem", FULFILLMENT_BASE + len(sim.fulfillments) * 100
                                        + len(items)), "line": line["line"], "quantity": item.quantity})
            done = all(x["remainingQuantity"] == 0 for x in fo["lines"])
            fo["status"] = "CLOSED" if done else "IN_PROGRESS"
            carrier = carriers.get(shipment.carrier_id)
            url = carrier.url.replace("@", shipment.tracking_number) if carrier and carrier.url else None
            ident = FULFILLMENT_BASE + len(sim.fulfillments) + 1
            fulfillment = {"id": gid("Fulfillment", ident), "legacyResourceId": str(ident), "status": "SUCCESS",
                           "name": f"{rec['name']}-F{len(rec['_fulfillments']) + 1}",
                           "_at": parse_utc(shipment.date), "order": rec, "items": items,
                           "tracking": [{"company": carrier.name if carrier else None,
                                         "number": shipment.tracking_number, "url": url}],
                           "notifyCustomer": False, "message": None}
            rec["_fulfillments"].append(fulfillment)
            sim.fulfillments.append(fulfillment)
            rec["fulfillment_status"] = "fulfilled" if done else "partial"


def fulfillment_order_by_gid(sim: Any, ident: Any) -> dict[str, Any] | None:
    text = str(ident or "")
    tail = text.rsplit("/", 1)[-1]
    if not text.startswith("gid://shopify/FulfillmentOrder/") or not tail.isdigit():
        return None
    rec = sim.by_id.get(ORDER_ID_BASE + int(tail) - FO_BASE)
    if rec is None or not sim.visible(rec):
        return None
    return next((fo for fo in rec["_fulfillment_orders"] if fo["id"] == text), None)


def _error(field: list[str], message: str) -> dict[str, Any]:
    return {"fulfillment": None, "userErrors": [{"field": field, "message": message}]}


def _plan(sim: Any, groups: Any) -> tuple[list[tuple[dict[str, Any], list[tuple[dict[str, Any], int]]]], Any]:
    """The (fulfillment order, [(line, quantity)]) to ship, or a payload of userErrors."""
    if not isinstance(groups, list) or not groups:
        return [], _error(["fulfillment", "lineItemsByFulfillmentOrder"],
                          "At least one fulfillment order must be given.")
    plan, orders = [], set()
    for index, group in enumerate(groups):
        where = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
        group = group if isinstance(group, dict) else {}
        fo = fulfillment_order_by_gid(sim, group.get("fulfillmentOrderId"))
        if fo is None:
            return [], _error([*where, "fulfillmentOrderId"], "Fulfillment order does not exist.")
        orders.add(fo["order"]["id"])
        if fo["status"] not in OPEN_STATES:
            return [], _error([*where, "fulfillmentOrderId"], f"Fulfillment order {fo['id']} has an unfulfillable "
                              f"status: {fo['status'].lower()}.")
        wanted = group.get("fulfillmentOrderLineItems")
        if wanted is None:
            picked = [(line, line["remainingQuantity"]) for line in fo["lines"] if line["remainingQuantity"] > 0]
        else:
            picked = []
            by_id = {line["id"]: line for line in fo["lines"]}
            for item in wanted if isinstance(wanted, list) else []:
                line = by_id.get((item or {}).get("id"))
                quantity = (item or {}).get("quantity")
                if line is None or not isinstance(quantity, int) or not 0 < quantity <= line["remainingQuantity"]:
                    return [], _error(["fulfillment"], BAD_QUANTITY)
                picked.append((line, quantity))
        if not picked:
            return [], _error(["fulfillment"], BAD_QUANTITY)
        plan.append((fo, picked))
    if len(orders) > 1:
        return [], _error(["fulfillment", "lineItemsByFulfillmentOrder"],
                          "All fulfillment orders must belong to the same order.")
    return plan, None


def _tracking(info: Any) -> tuple[list[dict[str, Any]], Any]:
    info = info if isinstance(info, dict) else {}
    for one, many in (("number", "numbers"), ("url", "urls")):
        if info.get(one) is not None and info.get(many) is not None:
            return [], _error(["fulfillment", "trackingInfo"], f"Use either {one} or {many}, not both.")
    numbers = info.get("numbers") or ([info["number"]] if info.get("number") else [])
    urls = info.get("urls") or ([info["url"]] if info.get("url") else [])
    if urls and not numbers:
        return [], _error(["fulfillment", "trackingInfo", "url"], "A tracking URL needs a tracking number.")
    return [{"company": info.get("company"), "number": str(number),
             "url": urls[index] if index < len(urls) else None} for index, number in enumerate(numbers)], None


def _fulfillment_create(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    data = args.get("fulfillment") if isinstance(args.get("fulfillment"), dict) else {}
    with ctx.lock:
        plan, failed = _plan(ctx, data.get("lineItemsByFulfillmentOrder"))
        if failed is not None:
            return failed
        tracking, failed = _tracking(data.get("trackingInfo"))
        if failed is not None:
            return failed
        rec, now = plan[0][0]["order"], ctx.now()
        items = []
        for fo, picked in plan:
            for line, quantity in picked:
                line["remainingQuantity"] -= quantity
                line["line"]["fulfillable_quantity"] = max(0, line["line"]["fulfillable_quantity"] - quantity)
                items.append({"id": gid("FulfillmentLineItem", FULFILLMENT_BASE + len(ctx.fulfillments) * 100
                                        + len(items)), "line": line["line"], "quantity": quantity})
            fo["status"] = "CLOSED" if all(x["remainingQuantity"] == 0 for x in fo["lines"]) else "IN_PROGRESS"
            fo["_updated"] = now
        ident = FULFILLMENT_BASE + len(ctx.fulfillments) + 1
        done = all(fo["status"] == "CLOSED" for fo in rec["_fulfillment_orders"])
        fulfillment = {"id": gid("Fulfillment", ident), "legacyResourceId": str(ident), "status": "SUCCESS",
                       "name": f"{rec['name']}-F{len(rec['_fulfillments']) + 1}", "_at": now, "order": rec,
                       "tracking": tracking, "items": items, "notifyCustomer": bool(data.get("notifyCustomer")),
                       "message": args.get("message")}
        rec["_fulfillments"].append(fulfillment)
        ctx.fulfillments.append(fulfillment)
        rec["fulfillment_status"] = "fulfilled" if done else "partial"
        ctx.touch(rec)
    return {"fulfillment": fulfillment, "userErrors": []}


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


def _at(key: str) -> Any:
    return lambda p, args, ctx: gql_time(p[key])


def _first(items: list[Any], args: dict[str, Any]) -> list[Any]:
    size = args.get("first")
    return items if size is None else items[:size]


def _display_status(p: dict[str, Any], args: dict[str, Any], ctx: Any) -> str:
    return {"partial": "PARTIALLY_FULFILLED", "fulfilled": "FULFILLED"}.get(p["fulfillment_status"] or "",
                                                                           "UNFULFILLED")


def _unserved(*names: str) -> dict[str, F]:
    return {name: F("", lambda p, args, ctx: None, simulated=False) for name in names}


def _conn(node: str, key: str, *extra: str) -> F:
    from passerelle_sandbox.shopify_schema import PAGE, list_connection  # the schema imports this module
    return F(f"{node}Connection", lambda p, args, ctx: list_connection(p[key], args), connection=True,
             args=PAGE + extra)


def fulfil_fields() -> dict[str, F]:
    """``Order`` fields: fulfillment orders, fulfillments, and the GraphQL enum of the fulfillment status."""
    return {"fulfillmentOrders": _conn("FulfillmentOrder", "_fulfillment_orders", "query", "displayable"),
            "fulfillments": F("Fulfillment", lambda p, args, ctx: _first(p["_fulfillments"], args), list=True,
                              args=("first",)),
            "displayFulfillmentStatus": F("OrderDisplayFulfillmentStatus", _display_status)}


def fulfil_types() -> dict[str, dict[str, F]]:
    types: dict[str, dict[str, F]] = {
        "FulfillmentOrder": {
            "id": F("ID", _a("id")), "status": F("FulfillmentOrderStatus", _a("status")),
            "requestStatus": F("FulfillmentOrderRequestStatus", lambda p, args, ctx: "UNSUBMITTED"),
            "orderId": F("ID", lambda p, args, ctx: p["order"]["admin_graphql_api_id"]),
            "orderName": F("String", lambda p, args, ctx: p["order"]["name"]),
            "order": F("Order", _a("order")),
            "createdAt": F("DateTime", _at("_at")), "updatedAt": F("DateTime", _at("_updated")),
            "lineItems": _conn("FulfillmentOrderLineItem", "lines"),
            **_unserved("assignedLocation", "supportedActions", "destination", "deliveryMethod", "fulfillAt",
                        "fulfillBy", "fulfillmentHolds", "fulfillments", "internationalDuties", "locationsForMove",
                        "merchantRequests", "channelId", "orderProcessedAt"),
        },
        "FulfillmentOrderLineItem": {
            "id": F("ID", _a("id")), "totalQuantity": F("Int", _a("totalQuantity")),
            "remainingQuantity": F("Int", _a("remainingQuantity")), "lineItem": F("LineItem", _a("line")),
            "sku": F("String", lambda p, args, ctx: p["line"]["sku"]),
            **_unserved("image", "inventoryItemId", "productTitle", "variant", "variantTitle", "vendor", "weight",
                        "warnings", "financialSummaries", "requiresShipping"),
        },
        "Fulfillment": {
            "id": F("ID", _a("id")), "legacyResourceId": F("UnsignedInt64", _a("legacyResourceId")),
            "name": F("String", _a("name")), "status": F("FulfillmentStatus", _a("status")),
            "createdAt": F("DateTime", _at("_at")), "updatedAt": F("DateTime", _at("_at")),
            "order": F("Order", _a("order")),
            "totalQuantity": F("Int", lambda p, args, ctx: sum(i["quantity"] for i in p["items"])),
            "trackingInfo": F("FulfillmentTrackingInfo", lambda p, args, ctx: _first(p["tracking"], args),
                              list=True, args=("first",)),
            "fulfillmentLineItems": _conn("FulfillmentLineItem", "items"),
            **_unserved("deliveredAt", "displayStatus", "estimatedDeliveryAt", "events", "fulfillmentOrders",
                        "inTransitAt", "location", "originAddress", "requiresShipping", "service"),
        },
        "FulfillmentTrackingInfo": {"company": F("String", _a("company")), "number": F("String", _a("number")),
                                    "url": F("URL", _a("url"))},
        "FulfillmentLineItem": {"id": F("ID", _a("id")), "quantity": F("Int", _a("quantity")),
                                "lineItem": F("LineItem", _a("line")),
                                **_unserved("discountedTotalSet", "originalTotalSet")},
        "FulfillmentCreatePayload": {"fulfillment": F("Fulfillment", _a("fulfillment")),
                                     "userErrors": F("UserError", _a("userErrors"), list=True)},
    }
    for node in ("FulfillmentOrder", "FulfillmentOrderLineItem", "FulfillmentLineItem"):
        types[f"{node}Connection"] = {"edges": F(f"{node}Edge", _a("edges"), list=True),
                                      "nodes": F(node, _a("nodes"), list=True), "pageInfo": F("PageInfo", _a("pageInfo"))}
        types[f"{node}Edge"] = {"cursor": F("String", _a("cursor")), "node": F(node, _a("node"))}
    return types


FULFIL_MUTATIONS = {"fulfillmentCreate": F("FulfillmentCreatePayload", _fulfillment_create,
                                           args=("fulfillment", "message"))}
