"""GraphQL mutations of the Shopify simulator: business errors in ``userErrors``.

* ``tagsAdd(id, tags)`` / ``tagsRemove(id, tags)``: append / remove atomically (case-insensitive, no
  duplicates; ``tags`` may be a list or one comma-separated string); ``node`` is the order (select its
  fields with ``... on Order { tags }``). Unknown id → ``userErrors`` ``[{field: ["id"], message}]``.
* ``orderUpdate(input: {id, tags, note, email, customAttributes, metafields})``: ``tags`` and
  ``customAttributes`` *replace* (like REST PUT); answers ``order`` + ``userErrors``.
* ``metafieldsSet(metafields: [{ownerId, namespace, key, type, value}])``: create or update on orders;
  a new metafield needs ``type``; at most 25 per call (``LESS_THAN_OR_EQUAL_TO``).
* ``inventorySetQuantities(input: {name, reason, referenceDocumentUri, ignoreCompareQuantity,
  quantities: [{inventoryItemId, locationId, quantity, compareQuantity}]})``: compare-and-set unless
  ``ignoreCompareQuantity``; all rows are checked before any is applied. Error codes:
  ``INVALID_NAME``, ``INVALID_REASON``, ``INVALID_INVENTORY_ITEM``, ``INVALID_LOCATION``,
  ``COMPARE_QUANTITY_REQUIRED``, ``COMPARE_QUANTITY_STALE``, ``INVALID_QUANTITY_NEGATIVE``. Each row applied
  fires ``inventory_levels/update`` (:mod:`.shopify_levels`).

Every change to an order moves its ``updatedAt`` to the simulator clock. userError texts are the
simulator's own wording (the reference gives shapes, not messages).
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox.shopify_catalogue_more import quantities_at
from passerelle_sandbox.shopify_data import gql_time
from passerelle_sandbox.shopify_gql import F, Typed
from passerelle_sandbox.shopify_levels import changed as level_changed

__all__ = ["MUTATION_TYPES"]

REASONS = {"correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
           "movement_received", "movement_canceled", "other", "promotion", "quality_control", "received",
           "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
           "shrinkage"}


def _split(tags: Any) -> list[str]:
    items = tags if isinstance(tags, list) else [tags]
    return [t.strip() for item in items if isinstance(item, str) for t in item.split(",") if t.strip()]


def _error(field: list[Any] | None, message: str, code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "message": message}
    if code:
        out["code"] = code
    return out


def _missing(ident: Any) -> dict[str, Any]:
    return {"node": None, "order": None, "userErrors": [_error(["id"], f"Order does not exist ({ident})")]}


def _tags_add(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    rec = ctx.order_by_gid(args.get("id"))
    if rec is None:
        return _missing(args.get("id"))
    new = _split(args.get("tags"))
    if not new:
        return {"node": None, "userErrors": [_error(["tags"], "Tags can't be blank")]}
    with ctx.lock:
        current = [t.strip() for t in rec["tags"].split(",") if t.strip()]
        known = {t.lower() for t in current}
        added = [t for t in new if t.lower() not in known and not known.add(t.lower())]
        if added:
            ctx.set_tags(rec, current + added)
    return {"node": Typed("Order", rec), "userErrors": []}


def _tags_remove(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    rec = ctx.order_by_gid(args.get("id"))
    if rec is None:
        return _missing(args.get("id"))
    gone = {t.lower() for t in _split(args.get("tags"))}
    with ctx.lock:
        current = [t.strip() for t in rec["tags"].split(",") if t.strip()]
        kept = [t for t in current if t.lower() not in gone]
        if kept != current:
            ctx.set_tags(rec, kept)
    return {"node": Typed("Order", rec), "userErrors": []}


def _order_update(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    data = args.get("input") or {}
    rec = ctx.order_by_gid(data.get("id"))
    if rec is None:
        return _missing(data.get("id"))
    errors = []
    attributes = data.get("customAttributes")
    if attributes is not None and not all(isinstance(x, dict) and x.get("key") for x in attributes):
        errors.append(_error(["customAttributes"], "Custom attributes need a key"))
    if errors:
        return {"order": None, "userErrors": errors}
    with ctx.lock:
        if "tags" in data:
            ctx.set_tags(rec, _split(data["tags"] or []), touch=False)
        if "note" in data:
            rec["note"] = data["note"]
        if "email" in data:
            rec["email"] = data["email"]
        if attributes is not None:
            rec["note_attributes"] = [{"name": x["key"], "value": x.get("value")} for x in attributes]
        for mf in data.get("metafields") or []:
            ctx.put_metafield(rec, mf)
        ctx.touch(rec)
    return {"order": rec, "userErrors": []}


def _metafields_set(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    items = args.get("metafields") or []
    errors = []
    if len(items) > 25:
        errors.append(_error(["metafields"], "Exceeded the maximum metafields input limit of 25.",
                             "LESS_THAN_OR_EQUAL_TO"))
    targets = []
    for index, item in enumerate(items):
        rec = ctx.order_by_gid(item.get("ownerId"))
        where = ["metafields", str(index)]
        if rec is None:
            errors.append(_error([*where, "ownerId"], "Owner does not exist.", "INVALID"))
            continue
        for name in ("key", "value"):
            if not item.get(name):
                errors.append(_error([*where, name], f"{name.capitalize()} can't be blank", "BLANK"))
        exists = any(m["namespace"] == item.get("namespace", "$app") and m["key"] == item.get("key")
                     for m in rec["_metafields"])
        if not exists and not item.get("type"):
            errors.append(_error([*where, "type"], "Type can't be blank", "BLANK"))
        targets.append((rec, item))
    if errors:
        return {"metafields": None, "userErrors": errors}
    with ctx.lock:
        stored = [ctx.put_metafield(rec, item) for rec, item in targets]
        for rec, _ in targets:
            ctx.touch(rec)
    return {"metafields": stored, "userErrors": []}


def _inventory_set(parent: Any, args: dict[str, Any], ctx: Any) -> dict[str, Any]:
    data = args.get("input") or {}
    errors = []
    name = data.get("name")
    if name not in ("available", "on_hand"):
        errors.append(_error(["input", "name"], "The quantity name must be either 'available' or 'on_hand'.",
                             "INVALID_NAME"))
    if data.get("reason") not in REASONS:
        errors.append(_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
    rows = []
    for index, row in enumerate(data.get("quantities") or []):
        where = ["input", "quantities", str(index)]
        item = ctx.inventory_by_gid(row.get("inventoryItemId"))
        if item is None:
            errors.append(_error([*where, "inventoryItemId"], "The specified inventory item could not be found.",
                                 "INVALID_INVENTORY_ITEM"))
            continue
        quantities = quantities_at(ctx, item, row.get("locationId"))
        if quantities is None:
            errors.append(_error([*where, "locationId"], "The specified location could not be found.",
                                 "INVALID_LOCATION"))
            continue
        quantity = row.get("quantity")
        if not isinstance(quantity, int) or quantity < 0:
            errors.append(_error([*where, "quantity"], "The quantity can't be negative.",
                                 "INVALID_QUANTITY_NEGATIVE"))
            continue
        if not data.get("ignoreCompareQuantity") and name in ("available", "on_hand"):
            compare = row.get("compareQuantity")
            if compare is None:
                errors.append(_error([*where, "compareQuantity"], "The compareQuantity argument must be given "
                                     "to each quantity or ignored using ignoreCompareQuantity.",
                                     "COMPARE_QUANTITY_REQUIRED"))
                continue
            if compare != quantities.get(name, 0):
                errors.append(_error([*where, "compareQuantity"], "The compareQuantity argument no longer "
                                     "matches the persisted quantity.", "COMPARE_QUANTITY_STALE"))
                continue
        rows.append((item, quantity, quantities, row.get("locationId")))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    with ctx.lock:
        for item, quantity, quantities, _where in rows:
            delta = quantity - quantities.get(name, 0)
            quantities["available"] = quantities.get("available", 0) + delta
            quantities["on_hand"] = quantities.get("on_hand", 0) + delta
            changes.append({"name": name, "delta": delta, "quantityAfterChange": quantity, "item": item,
                            "location": ctx.location})
            if name == "available":
                changes.append({"name": "on_hand", "delta": delta, "quantityAfterChange":
                                quantities["on_hand"], "item": item, "location": ctx.location})
        ctx.adjustments.append({"reason": data.get("reason"), "name": name,
                                "referenceDocumentUri": data.get("referenceDocumentUri"),
                                "changes": [(c["item"]["sku"], c["name"], c["delta"]) for c in changes]})
    for item, _, quantities, where in rows:  # inventory_levels/update, one per item and location
        level_changed(ctx, item, next(loc["id"] for loc in ctx.locations if loc["gid"] == where),
                      quantities.get("available", 0))
    group = {"id": f"gid://shopify/InventoryAdjustmentGroup/{len(ctx.adjustments)}",
             "createdAt": gql_time(ctx.now()), "reason": data.get("reason"),
             "referenceDocumentUri": data.get("referenceDocumentUri"), "changes": changes}
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _a(key: str) -> Any:
    return lambda p, args, ctx: p.get(key)


USER_ERROR = {"field": F("String", _a("field"), list=True), "message": F("String", _a("message"))}
CODED_ERROR = {**USER_ERROR, "code": F("String", _a("code"))}

MUTATION_TYPES: dict[str, dict[str, F]] = {
    "Mutation": {
        "tagsAdd": F("TagsAddPayload", _tags_add, args=("id", "tags")),
        "tagsRemove": F("TagsRemovePayload", _tags_remove, args=("id", "tags")),
        "orderUpdate": F("OrderUpdatePayload", _order_update, args=("input",)),
        "metafieldsSet": F("MetafieldsSetPayload", _metafields_set, args=("metafields",)),
        "inventorySetQuantities": F("InventorySetQuantitiesPayload", _inventory_set, args=("input",)),
    },
    "UserError": USER_ERROR,
    "MetafieldsSetUserError": {**CODED_ERROR, "elementIndex": F("Int", _a("elementIndex"))},
    "InventorySetQuantitiesUserError": CODED_ERROR,
    "TagsAddPayload": {"node": F("Node", _a("node")), "userErrors": F("UserError", _a("userErrors"), list=True)},
    "TagsRemovePayload": {"node": F("Node", _a("node")), "userErrors": F("UserError", _a("userErrors"), list=True)},
    "OrderUpdatePayload": {"order": F("Order", _a("order")),
                           "userErrors": F("UserError", _a("userErrors"), list=True)},
    "MetafieldsSetPayload": {"metafields": F("Metafield", _a("metafields"), list=True),
                             "userErrors": F("MetafieldsSetUserError", _a("userErrors"), list=True)},
    "InventorySetQuantitiesPayload": {
        "inventoryAdjustmentGroup": F("InventoryAdjustmentGroup", _a("inventoryAdjustmentGroup")),
        "userErrors": F("InventorySetQuantitiesUserError", _a("userErrors"), list=True)},
    "InventoryAdjustmentGroup": {"id": F("ID", _a("id")), "createdAt": F("DateTime", _a("createdAt")),
                                 "reason": F("String", _a("reason")),
                                 "referenceDocumentUri": F("String", _a("referenceDocumentUri")),
                                 "changes": F("InventoryChange", _a("changes"), list=True,
                                              args=("inventoryItemIds", "locationIds", "quantityNames"))},
    "InventoryChange": {"name": F("String", _a("name")), "delta": F("Int", _a("delta")),
                        "quantityAfterChange": F("Int", _a("quantityAfterChange")),
                        "item": F("InventoryItem", _a("item")), "location": F("Location", _a("location"))},
}
