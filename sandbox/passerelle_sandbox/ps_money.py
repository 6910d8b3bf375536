"""PrestaShop simulator: what happens to an order after it is placed — payments, credit slips, tracking,
the internal note — and the seeded guests and tax-exempt lines issue 13's flows need.

Facts (PrestaShop's webservice devdocs for each resource and its ``classes/order/*.php``):

* ``order_payments``: linked to the order by ``order_reference`` (the 9 letters shared by the orders
  of one cart), ``payment_method`` is the module's display name, ``amount`` may be negative. Seeded: one
  payment per order in a paid state (``order_states.paid``), for its whole ``total_paid_tax_incl``, as
  PrestaShop creates it when the paid state is set. Served read-only (GET): writing payments through the
  webservice does not link them to an invoice, and a connector that writes them double-counts.
* ``order_slip`` (singular path): a credit slip with its totals and the read-only association
  ``order_slip_details`` (``id_order_detail``, ``product_quantity``, ``amount_tax_excl/incl``); the
  detail ``id`` mirrors ``id_order_detail`` [unverified]. Slips are made in the back office:
  :func:`add_order_slip` does what ``OrderSlip::create`` does (caps quantities at ordered − refunded,
  increments ``product_quantity_refunded``), a ``POST`` answers 501 (PrestaShop would insert a header
  without lines: treated as read-only).
* ``order_carriers``: ``PUT``/``PATCH`` change the ``tracking_number`` (``isTrackingNumber``: only
  ``~:#,%&_=()[].? +-@/`` letters and digits, else 400 code 85); the order's state is not changed.
* ``orders``: ``PATCH`` (8.x) changes the internal ``note``; ``date_upd``
  moves as for any ``ObjectModel::update``.
* a guest checkout's customer has ``is_guest`` 1 (:func:`make_guest`); a tax-exempt product's order
  detail has an empty ``taxes`` association (:func:`make_tax_exempt`, issue 13).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import q2

__all__ = ["add_order_payment", "add_order_slip", "after_update", "make_guest", "make_tax_exempt",
           "money_tables"]

Table = dict[int, dict[str, Any]]
_PAID_STATES = {2, 3, 4, 5, 9, 11, 14}  # ORDER_STATES with paid = 1 (ps_tables.py)


def money_tables(tables: dict[str, Table]) -> dict[str, Table]:
    """``order_payments`` (one per paid order, for its total) and an empty ``order_slip``."""
    payments: Table = {}
    for order in sorted(tables["orders"].values(), key=lambda o: o["id"]):
        if order["current_state"] in _PAID_STATES:
            _payment(payments, order, order["total_paid_tax_incl"], order["payment"], order["date_upd"])
    return {"order_payments": payments, "order_slip": {}}


def _payment(payments: Table, order: dict[str, Any], amount: Decimal, method: str, date: str,
             transaction_id: str = "") -> dict[str, Any]:
    pid = max(payments, default=0) + 1
    payments[pid] = {
        "id": pid, "order_reference": order["reference"], "id_currency": order["id_currency"], "amount": amount,
        "payment_method": method, "conversion_rate": Decimal(1), "transaction_id": transaction_id or f"TX{pid:06d}",
        "card_number": "", "card_brand": "", "card_expiration": "", "card_holder": "", "date_add": date,
    }
    return payments[pid]


def add_order_payment(sim: Any, order_id: int, amount: Decimal | str, method: str | None = None,
                      date: str | None = None) -> dict[str, Any]:
    """A payment recorded on an order (a second instalment, a deposit); returns the payment."""
    with sim.lock:
        order = sim.tables["orders"][order_id]
        return _payment(sim.tables["order_payments"], order, Decimal(amount), method or order["payment"],
                        date or _now(sim))


def add_order_slip(sim: Any, order_id: int, quantities: dict[int, int], shipping: bool = False,
                   date: str | None = None) -> dict[str, Any]:
    """A credit slip for ``quantities`` (order detail id → quantity) of order ``order_id``, with its
    shipping when ``shipping``, as the back office's partial refund makes it; returns the slip."""
    with sim.lock:
        order, details = sim.tables["orders"][order_id], sim.tables["order_details"]
        rows, excl, incl = [], Decimal(0), Decimal(0)
        for detail_id, wanted in quantities.items():
            detail = details[detail_id]
            if detail["id_order"] != order_id:
                raise ValueError(f"order detail {detail_id} is not a line of order {order_id}")
            quantity = min(wanted, detail["product_quantity"] - detail["product_quantity_refunded"])
            if quantity <= 0:
                raise ValueError(f"order detail {detail_id} is already refunded")
            line_excl = q2(detail["unit_price_tax_excl"] * quantity)
            line_incl = q2(detail["unit_price_tax_incl"] * quantity)
            detail["product_quantity_refunded"] += quantity
            detail["total_refunded_tax_excl"] += line_excl
            detail["total_refunded_tax_incl"] += line_incl
            rows.append({"id": detail_id, "id_order_detail": detail_id, "product_quantity": quantity,
                         "amount_tax_excl": line_excl, "amount_tax_incl": line_incl})
            excl, incl = excl + line_excl, incl + line_incl
        ship_excl = order["total_shipping_tax_excl"] if shipping else Decimal(0)
        ship_incl = order["total_shipping_tax_incl"] if shipping else Decimal(0)
        slips = sim.tables["order_slip"]
        sid = max(slips, default=0) + 1
        when = date or _now(sim)
        slips[sid] = {
            "id": sid, "id_customer": order["id_customer"], "id_order": order_id, "conversion_rate": Decimal(1),
            "total_products_tax_excl": excl, "total_products_tax_incl": incl, "total_shipping_tax_excl": ship_excl,
            "total_shipping_tax_incl": ship_incl, "amount": incl + ship_incl, "shipping_cost": 1 if shipping else 0,
            "shipping_cost_amount": ship_incl, "partial": 1, "date_add": when, "date_upd": when, "order_slip_type": 0,
            "associations": {"order_slip_details": rows},
        }
        return slips[sid]


def make_guest(sim: Any, customer_id: int) -> dict[str, Any]:
    """Customer ``customer_id`` becomes a guest checkout's customer (``is_guest`` 1)."""
    with sim.lock:
        customer = sim.tables["customers"][customer_id]
        customer["is_guest"] = 1
        return customer


def make_tax_exempt(sim: Any, detail_id: int) -> dict[str, Any]:
    """Order detail ``detail_id`` becomes a tax-exempt product's line: no tax in its ``taxes`` association,
    its tax-included prices equal to the tax-excluded ones, and its order's totals follow."""
    with sim.lock:
        detail = sim.tables["order_details"][detail_id]
        order = sim.tables["orders"][detail["id_order"]]
        tax = detail["total_price_tax_incl"] - detail["total_price_tax_excl"]
        detail["associations"] = {"taxes": []}
        detail["id_tax_rules_group"] = 0
        detail["unit_price_tax_incl"] = detail["unit_price_tax_excl"]
        detail["total_price_tax_incl"] = detail["total_price_tax_excl"]
        for row in order["associations"]["order_rows"]:
            if row["id"] == detail_id:
                row["unit_price_tax_incl"] = row["unit_price_tax_excl"]
        for name in ("total_products_wt", "total_paid", "total_paid_tax_incl", "total_paid_real"):
            order[name] -= tax
        for payment in sim.tables["order_payments"].values():
            if payment["order_reference"] == order["reference"]:
                payment["amount"] -= tax
                break
        return detail


def after_update(sim: Any, resource: str, record: dict[str, Any]) -> None:
    """A PUT/PATCH changed ``record``: an order's ``date_upd`` moves (``ObjectModel::update``)."""
    if resource == "orders":
        record["date_upd"] = _now(sim)


def _now(sim: Any) -> str:
    return sim.clock().strftime("%Y-%m-%d %H:%M:%S")
