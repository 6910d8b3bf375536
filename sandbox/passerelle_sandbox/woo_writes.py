"""WooCommerce writes: order updates, order notes, stock updates and batches.

* ``PUT orders/<id>`` is partial: ``status`` (one of the core statuses; a change to
  ``completed`` sets ``date_completed``, to ``processing``/``completed`` sets ``date_paid`` when empty,
  and records the customer e-mail WooCommerce would send in :attr:`emails`), ``set_paid``,
  ``meta_data`` (an entry with ``id`` updates that row; without ``id`` it updates the first row with
  that key or adds one; ``value: null`` deletes when ``meta_null_deletes``), ``customer_note``,
  ``transaction_id``, ``payment_method(_title)``, ``billing``/``shipping`` (merged), ``customer_id`` (0 = guest),
  ``line_items``/``shipping_lines``/``fee_lines``/``coupon_lines`` (:mod:`.woo_create`: by item id, added without
  one, removed by ``quantity: 0``; totals recalculated). Unknown members are ignored (WordPress ignores
  unregistered arguments).
  Every successful update moves ``date_modified``/``date_modified_gmt`` to the clock.
* ``POST orders/<id>/notes`` → 201 with the note (``author`` "system", ``added_by_user`` false);
  ``note`` missing → 400 ``rest_missing_callback_param``; ``customer_note: true`` records an e-mail.
* ``PUT products/<id>`` and ``products/<pid>/variations/<id>``: ``manage_stock``, ``stock_quantity``
  (applied when stock is managed; ``stock_status`` derived), ``regular_price``, ``sale_price``,
  ``stock_status`` (when not managed), ``meta_data``.
* ``POST …/batch``: more than ``batch_limit`` objects across create+update+delete → 413
  ``woocommerce_rest_request_entity_too_large``; results in request order; a failed item is
  ``{"id": <id or 0>, "error": {code, message, data: {status}}}`` with HTTP 200.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from passerelle_sandbox.woo_create import apply_coupons, apply_items, calculate_totals, change_status, \
    check_args, set_customer
from passerelle_sandbox.woo_data import STATUSES, Builder, money
from passerelle_sandbox.woo_query import WcError

__all__ = ["batch", "add_note", "update_order", "update_stock_item"]

ORDER_TEXT = ("customer_note", "transaction_id", "payment_method", "payment_method_title")


def _invalid(name: str, reason: str) -> WcError:
    return WcError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason})


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return body


def apply_meta(record: dict[str, Any], entries: Any, builder: Builder, null_deletes: bool) -> None:
    """``meta_data`` update semantics of WooCommerce (by ``id``, else by ``key``)."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _invalid("meta_data", "meta_data is not of type array.")
    rows: list[dict[str, Any]] = record["meta_data"]
    for entry in entries:
        row = None
        if entry.get("id") is not None:
            row = next((r for r in rows if r["id"] == entry.get("id")), None)
        elif "key" in entry:
            row = next((r for r in rows if r["key"] == entry["key"]), None)
        if "value" in entry and entry["value"] is None and null_deletes:
            if row is not None:
                rows.remove(row)
            continue
        if row is not None:
            row["value"] = entry.get("value", row["value"])
            row["key"] = entry.get("key", row["key"])
        elif "key" in entry:
            rows.append({"id": builder.next_meta_id(), "key": str(entry["key"]), "value": entry.get("value")})


def update_order(sim: Any, order_id: int, body: Any, now: datetime) -> dict[str, Any]:
    order = sim.orders.get(order_id)
    if order is None:  # updating an unknown id answers 400, not 404
        raise WcError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    body = _require_object(body)
    check_args(body, ("line_items", "shipping_lines", "fee_lines", "coupon_lines"))
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise _invalid("status", f"status is not one of {', '.join(STATUSES)}.")
    for name in ("billing", "shipping"):
        if name in body and not isinstance(body[name], dict):
            raise _invalid(name, f"{name} is not of type object.")
    if "meta_data" in body:
        apply_meta(order, body["meta_data"], sim.builder, sim.meta_null_deletes)
    for name in ORDER_TEXT:
        if name in body and body[name] is not None:
            order[name] = str(body[name])
    for name in ("billing", "shipping"):
        if name in body:
            order[name].update({k: str(v) for k, v in body[name].items() if k in order[name]})
    if body.get("customer_id") is not None:
        set_customer(sim, order, body["customer_id"])
    apply_items(sim, order, body)
    if any(body.get(name) is not None for name in ("billing", "shipping", "line_items", "shipping_lines",
                                                   "fee_lines", "coupon_lines")):
        calculate_totals(sim, order)  # save_object: calculate_totals(true) when addresses or items change
    if body.get("coupon_lines") is not None:
        apply_coupons(sim, order, body["coupon_lines"])
        calculate_totals(sim, order)
    if body.get("set_paid") in (True, "true", "1", 1) and status is None and order["status"] in ("pending", "on-hold",
                                                                                                 "failed"):
        status = "processing"
    if status is not None:
        change_status(sim, order, status, now)
    order.update(sim.builder.dates_of("date_modified", now))
    return order


def add_note(sim: Any, order_id: int, body: Any, now: datetime) -> dict[str, Any]:
    if order_id not in sim.orders:
        raise WcError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
    body = _require_object(body)
    if body.get("note") in (None, ""):
        raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
    customer = body.get("customer_note") in (True, "true", "1", 1)
    sim.note_id += 1
    note = {"id": sim.note_id, "author": "system", **sim.builder.dates_of("date_created", now),
            "note": str(body["note"]), "customer_note": customer, "added_by_user": False}
    sim.notes.setdefault(order_id, []).insert(0, note)
    if customer:
        sim.emails.append({"order_id": order_id, "email": "customer_note",
                           "to": sim.orders[order_id]["billing"]["email"]})
    return note


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral())
                                       or (isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()))):
        raise _invalid(name, f"{name} is not of type integer.")
    return int(value)


def update_stock_item(sim: Any, record: dict[str, Any] | None, body: Any, now: datetime,
                      invalid_code: str) -> dict[str, Any]:
    """Stock/price update of a product or a variation."""
    if record is None:
        raise WcError(400, invalid_code, "Invalid ID.")
    body = _require_object(body)
    quantity = _integer("stock_quantity", body["stock_quantity"]) if body.get("stock_quantity") is not None else None
    if "manage_stock" in body:
        if not isinstance(body["manage_stock"], bool):
            raise _invalid("manage_stock", "manage_stock is not of type boolean.")
        record["manage_stock"] = body["manage_stock"]
        if not body["manage_stock"]:
            record["stock_quantity"] = None
    for name in ("regular_price", "sale_price"):
        if name in body:
            text = str(body[name])
            if text and not re.fullmatch(r"\d+(\.\d+)?", text):
                raise _invalid(name, f"{name} is not of type string.")
            record[name] = money(Decimal(text)) if text else ""
            record["price"] = record["sale_price"] or record["regular_price"]
    if quantity is not None and record["manage_stock"] is True:
        record["stock_quantity"] = quantity
    if record["manage_stock"] is True:
        record["stock_status"] = sim.builder.stock_status(True, record["stock_quantity"])
    elif body.get("stock_status") in ("instock", "outofstock", "onbackorder"):
        record["stock_status"] = body["stock_status"]
    if "meta_data" in body:
        apply_meta(record, body["meta_data"], sim.builder, sim.meta_null_deletes)
    record.update(sim.builder.dates_of("date_modified", now))
    return record


def batch(body: Any, limit: int, update: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, list]:
    """``{"create", "update", "delete"}`` → per-item results, errors inline."""
    body = _require_object(body)
    groups = {name: body.get(name) or [] for name in ("create", "update", "delete")}
    if any(not isinstance(items, list) for items in groups.values()):
        raise WcError(400, "rest_invalid_param", "Invalid parameter(s): update",
                      params={"update": "update is not of type array."})
    if sum(len(items) for items in groups.values()) > limit:
        raise WcError(413, "woocommerce_rest_request_entity_too_large",
                      f"Unable to accept more than {limit} items for this request.")
    out: dict[str, list] = {}
    for name, items in groups.items():
        if not items:
            continue
        results = []
        for item in items:
            ident = item.get("id", 0) if isinstance(item, dict) else item
            if name != "update":
                error = WcError(501, "passerelle_sandbox_not_simulated",
                                f"The Passerelle sandbox does not simulate batch {name}.")
                results.append({"id": ident if isinstance(ident, int) else 0, "error": error.body()})
                continue
            try:
                results.append(update(item if isinstance(item, dict) else {"id": item}))
            except WcError as error:
                results.append({"id": ident if isinstance(ident, int) else 0, "error": error.body()})
        out[name] = results
    return out
