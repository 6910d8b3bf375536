"""Smartstore simulator: POST Orders(id)/PaymentRefund (offline full and partial refunds, "if allowed")."""
from __future__ import annotations

from decimal import Decimal

from test_sandbox_smartstore_writes import api, sb  # noqa: F401  (the fixtures: a sandbox and its client)


def _notes(sim, key: int) -> list[str]:
    return [n["Note"] for n in sim.notes.values() if n["OrderId"] == key]


def test_a_partial_then_the_rest_refunds_the_order(api, sb):
    sim = sb.sim("smartstore")
    order = sim.orders[1042]
    total = Decimal(str(order["OrderTotal"]))
    got = api.post("Orders(1042)/PaymentRefund", json={"online": False, "amountToRefund": 10.5})
    assert got.status_code == 200
    body = got.json()
    assert (body["PaymentStatus"], Decimal(str(body["RefundedAmount"]))) == ("PartiallyRefunded", Decimal("10.5"))
    assert body["PaymentStatusId"] == 35 and order["UpdatedOnUtc"] == "2024-06-01T08:30:00Z"
    # more than what is left: not allowed, nothing changes, still 200
    assert api.post("Orders(1042)/PaymentRefund", json={"amountToRefund": float(total)}).json()[
        "RefundedAmount"] == 10.5
    # a full refund (amount 0) needs a paid order not refunded at all: nothing happens here
    assert api.post("Orders(1042)/PaymentRefund", json={}).json()["PaymentStatus"] == "PartiallyRefunded"
    rest = total - Decimal("10.5")
    body = api.post("Orders(1042)/PaymentRefund", json={"amountToRefund": str(rest)}).json()
    assert (body["PaymentStatus"], Decimal(str(body["RefundedAmount"]))) == ("Refunded", total)
    assert _notes(sim, 1042) == ["Order has been marked as partially refunded. Amount = 10.50",
                                 f"Order has been marked as partially refunded. Amount = {rest:.2f}"]


def test_a_full_refund_by_default_and_the_errors(api, sb):
    sim = sb.sim("smartstore")
    paid = next(k for k, o in sorted(sim.orders.items()) if o["PaymentStatus"] == "Paid" and k != 1042)
    body = api.post(f"Orders({paid})/PaymentRefund", json={"online": False}).json()
    assert body["PaymentStatus"] == "Refunded" and body["RefundedAmount"] == body["OrderTotal"]
    assert _notes(sim, paid)[-1].startswith("Order has been marked as refunded. Amount = ")
    online = api.post("Orders(1042)/PaymentRefund", json={"online": True})
    assert online.status_code == 501 and "not simulated" in online.text
    bad = api.post("Orders(1042)/PaymentRefund", json={"amount": 3})
    assert bad.status_code == 400 and "'amount'" in bad.json()["error"]["message"]
    assert sim.orders[1042]["RefundedAmount"] == 0
