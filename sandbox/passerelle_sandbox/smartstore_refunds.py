"""Smartstore Web API ``POST Orders(id)/PaymentRefund`` — an offline refund of an order's payment.

Facts from ``smartstore/Smartstore`` (``Smartstore.WebApi``: ``OrdersController.PaymentRefund`` and its
``PaymentRefundModel``; ``Smartstore.Core``: ``OrderProcessingService`` refund methods):

* The body names ``online`` (refund through the payment provider) and ``amountToRefund`` (0, the default:
  the most that can be refunded, i.e. a full refund). An online refund needs a payment provider: not
  simulated (501).
* Offline, an "if allowed" action: a full refund needs the payment status ``Paid``; a partial one ``Paid`` or
  ``PartiallyRefunded`` and an amount no larger than what was not refunded yet. Allowed, the amount is added
  to the order's ``RefundedAmount``, the payment status becomes ``Refunded`` when everything is refunded,
  else ``PartiallyRefunded``, and an order note is written (its wording is the simulator's). Not allowed,
  nothing changes and the order is answered unchanged (200), as the other "if allowed" actions here.
* Smartstore keeps no refund record with lines: the order's ``RefundedAmount`` (a total) is what the API
  gives back afterwards.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox._http import Request
from passerelle_sandbox.smartstore_data import order_status
from passerelle_sandbox.smartstore_odata import NotSimulated
from passerelle_sandbox.smartstore_writes import _note, _parameters

__all__ = ["payment_refund"]


def payment_refund(sim: Any, key: int, request: Request) -> tuple[int, dict[str, Any]]:
    params = _parameters(request, "PaymentRefund", {"online": bool, "amountToRefund": (int, Decimal, str)})
    if params.get("online"):
        raise NotSimulated("PaymentRefund online (through a payment provider)")
    order = sim.orders[key]
    total, refunded = Decimal(str(order["OrderTotal"])), Decimal(str(order["RefundedAmount"]))
    amount = Decimal(str(params.get("amountToRefund") or 0))
    full = amount == 0
    if full:  # the whole order: only a paid order not refunded at all
        allowed, amount = order["PaymentStatus"] == "Paid" and total > 0, total
    else:
        allowed = order["PaymentStatus"] in ("Paid", "PartiallyRefunded") and 0 < amount <= total - refunded
    if allowed:
        order["RefundedAmount"] = refunded + amount
        order_status(order, PaymentStatus="Refunded" if order["RefundedAmount"] == total else "PartiallyRefunded")
        _note(sim, key, f"Order has been marked as {'refunded' if full else 'partially refunded'}. "
                        f"Amount = {amount:.2f}")
        order["UpdatedOnUtc"] = sim.now()
    return 200, order
