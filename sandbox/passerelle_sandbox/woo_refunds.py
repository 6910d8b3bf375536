"""WooCommerce order refunds: ``GET|POST orders/<id>/refunds`` (``WC_REST_Order_Refunds_Controller`` v3).

* Unknown order → 404 ``woocommerce_rest_invalid_order_id`` "Invalid order ID.".
* Body: ``amount`` (string), ``reason``, ``api_refund`` (default true), ``api_restock`` (default true),
  ``line_items`` as a list ``[{id, quantity, refund_total, refund_tax: [{id, refund_total}]}]`` or the legacy
  ``{"<item id>": {qty, refund_total, refund_tax: {"<rate id>": amount}}}``; ``id`` is the order's item id
  (line, shipping or fee), ``refund_tax[].id`` the tax rate id. Without ``amount``, when every line has a
  ``refund_total``, amount = Σ refund_total + Σ refund_tax.
* amount ≤ 0 → 400 ``woocommerce_rest_invalid_order_refund`` "Refund amount must be greater than zero.";
  above what remains refundable → 500 ``woocommerce_rest_cannot_create_order_refund`` "Invalid refund amount.";
  ``api_refund`` true on an offline gateway (bacs, cheque, cod) → 500 same code, "The payment gateway for this
  order does not support automatic refunds." — these two carry ``data: 500`` (a bare integer, as WooCommerce
  answers); ``api_refund`` true on another gateway is not simulated (501: no gateway is called).
* → 201 with the refund (``amount``, ``reason``, ``refunded_by`` 0, ``refunded_payment`` false, items with
  negative quantities/totals and meta ``_refunded_item_id``); the order's ``refunds`` gains
  ``{id, reason, total: "-<amount>"}`` first; a refund that leaves nothing to refund sets the order
  ``refunded``; ``api_restock`` puts the refunded quantities back in managed stock.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.dataset import q2
from passerelle_sandbox.woo_create import change_status, check_args
from passerelle_sandbox.woo_data import money, num, numtext
from passerelle_sandbox.woo_query import WcError

__all__ = ["create_refund", "list_refunds", "seed_refunds"]

D = Decimal
ZERO = D("0")
OFFLINE = ("bacs", "cheque", "cod")
CANNOT = "woocommerce_rest_cannot_create_order_refund"


class RefundError(WcError):
    """An error whose ``data`` is the bare status integer."""

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.status}


def _order(sim: Any, oid: int) -> dict[str, Any]:
    if oid not in sim.orders:
        raise WcError(404, "woocommerce_rest_invalid_order_id", "Invalid order ID.")
    return sim.orders[oid]


def list_refunds(sim: Any, oid: int) -> list[dict[str, Any]]:
    _order(sim, oid)
    return [sim.refunds[r["id"]] for r in sim.orders[oid]["refunds"]]


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = D(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _lines(posted: Any) -> list[dict[str, Any]]:
    """Both request forms → ``[{id, qty, refund_total, refund_tax: {rate id: amount}}]``."""
    if isinstance(posted, dict):
        posted = [{"id": k, **v} for k, v in posted.items() if isinstance(v, dict)]
    out = []
    for item in posted if isinstance(posted, list) else []:
        if not isinstance(item, dict):
            continue
        taxes = item.get("refund_tax")
        if isinstance(taxes, list):
            taxes = {t.get("id"): t.get("refund_total") for t in taxes if isinstance(t, dict)}
        ident, qty = item.get("id"), item.get("quantity", item.get("qty"))
        out.append({"id": int(ident) if str(ident).isdigit() else 0, "qty": qty if isinstance(qty, int) else 0,
                    "refund_total": _decimal(item.get("refund_total")),
                    "refund_tax": {int(k): _decimal(v) or ZERO for k, v in (taxes or {}).items()
                                   if str(k).isdigit()} if isinstance(taxes, dict) else {}})
    return out


def create_refund(sim: Any, oid: int, body: Any, now: datetime) -> dict[str, Any]:
    order = _order(sim, oid)
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    if not isinstance(body.get("line_items"), dict):  # the legacy associative form is not a JSON array
        check_args(body, ("line_items",))
    lines = _lines(body.get("line_items"))
    amount = _decimal(body.get("amount"))
    if amount is None and lines and all(line["refund_total"] is not None for line in lines):
        amount = sum((line["refund_total"] + sum(line["refund_tax"].values(), ZERO) for line in lines), ZERO)
    if amount is None or amount <= 0:
        raise WcError(400, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
    refunded = sum((-D(r["total"]) for r in order["refunds"]), ZERO)
    remaining = D(order["total"]) - refunded
    if amount > remaining:
        raise RefundError(500, CANNOT, "Invalid refund amount.")
    if body.get("api_refund", True) not in (False, "false", "0", 0):
        if order["payment_method"] in OFFLINE or not order["payment_method"]:
            raise RefundError(500, CANNOT, "The payment gateway for this order does not support automatic refunds.")
        raise WcError(501, "passerelle_sandbox_not_simulated",
                      "The Passerelle sandbox does not call payment gateways: send api_refund false.")
    items = {x["id"]: (kind, x) for kind in ("line_items", "shipping_lines", "fee_lines") for x in order[kind]}
    rid = sim.next_order_id()
    refund: dict[str, Any] = {"id": rid, **sim.builder.dates_of("date_created", now), "amount": money(amount),
                              "reason": str(body.get("reason") or ""), "refunded_by": 0, "refunded_payment": False,
                              "meta_data": [], "line_items": [], "shipping_lines": [], "tax_lines": [],
                              "fee_lines": []}
    restock = body.get("api_restock", True) not in (False, "false", "0", 0)
    for line in lines:
        if line["id"] not in items:
            continue
        kind, original = items[line["id"]]
        total = line["refund_total"] or ZERO
        tax = sum(line["refund_tax"].values(), ZERO)
        entry = {**{k: v for k, v in original.items() if k not in ("meta_data", "taxes")},
                 "id": sim.next_item_id(), "total": money(-total), "total_tax": money(-tax),
                 "taxes": [{"id": k, "total": numtext(-v), "subtotal": numtext(-v)} for k, v in line["refund_tax"].items()],
                 "meta_data": [{"id": sim.builder.next_meta_id(), "key": "_refunded_item_id", "value": str(line["id"])}]}
        if kind == "line_items":
            entry.update(quantity=-line["qty"], subtotal=money(-total), subtotal_tax=money(-tax),
                         price=num(-total / line["qty"]) if line["qty"] else D(0))
            if restock and line["qty"]:
                _restock(sim, original, line["qty"])
        refund[kind].append(entry)
    sim.refunds[rid] = refund
    order["refunds"].insert(0, {"id": rid, "reason": refund["reason"], "total": money(-amount)})
    if amount == remaining:
        change_status(sim, order, "refunded", now)
    order.update(sim.builder.dates_of("date_modified", now))
    return refund


def _restock(sim: Any, line: dict[str, Any], quantity: int) -> None:
    record = sim.variations.get(line["variation_id"]) if line["variation_id"] else sim.products.get(line["product_id"])
    if record is not None and record.get("manage_stock") is True and record.get("stock_quantity") is not None:
        record["stock_quantity"] += quantity
        record["stock_status"] = sim.builder.stock_status(True, record["stock_quantity"])
        # wc_update_product_stock saves the product: product.updated, as its variation when it is one
        sim.hooks.changed("product.updated", line["variation_id"] or line["product_id"])


def seed_refunds(sim: Any, dataset: Any) -> None:
    """The data set's refunds, made as a shop manager's manual refund (``api_refund`` false, no restock):
    each line at its unit price × quantity with its tax at the line's rate, the shipping line when asked."""
    for order in dataset.orders:
        for refund in order.refunds:
            lines = []
            for item in refund.items:
                line = order.line(item.line_id)
                total = q2(line.unit_excl * item.quantity)
                lines.append({"id": line.id, "quantity": item.quantity, "refund_total": str(total),
                              "refund_tax": [{"id": line.tax_id, "refund_total": str(q2(total * line.tax_rate / 100))}]})
            if refund.shipping and order.shipping_excl:
                lines.append({"id": 100000 + order.id * 10, "refund_total": str(order.shipping_excl),
                              "refund_tax": [{"id": 1, "refund_total": str(order.shipping_incl - order.shipping_excl)}]})
            when = datetime.fromisoformat(refund.date).replace(tzinfo=timezone.utc)
            create_refund(sim, order.id, {"reason": refund.note, "api_refund": False, "api_restock": False,
                                          "line_items": lines}, when)
