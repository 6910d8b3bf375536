"""Magento simulator: the data set's hard cases (issue 13) in Magento 2's shapes.

Facts (Magento 2 ``Magento\\Sales\\Api\\Data\\OrderInterface``, ``CreditmemoInterface``,
``ShipmentInterface``; https://developer.adobe.com/commerce/webapi/rest/tutorials/orders/):

* a guest checkout's order has ``customer_is_guest`` 1, no ``customer_id`` and ``customer_group_id`` 0
  (NOT LOGGED IN); its name and e-mail stay on the order and its addresses; no customer account exists;
* Magento core takes one coupon code per order: a second coupon is a second cart rule of the order
  (``applied_rule_ids`` "3,4", ``discount_description`` the labels joined by ", "), the first code in
  ``coupon_code``;
* Magento core has no order fee: the data set's fee is left out (``grand_total`` is the data set's total
  less its fees);
* another currency: ``order_currency_code`` is the order's, ``base_currency_code`` the store's (EUR),
  ``base_to_order_rate`` the rate; the plain amounts are in the order's currency, the ``base_…`` ones are
  ``amount / rate`` in EUR;
* the data set's partial refunds and shipments are credit memos and shipments made with
  ``POST /V1/order/{id}/refund`` and ``…/ship`` (:mod:`.magento_sales`), dated as in the data set.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset, Order, q2

__all__ = ["render_cases", "seed_documents"]

RATES = ("base_to_global_rate", "base_to_order_rate")


def _money(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


def _base(node: Any, rate: Decimal) -> None:
    if isinstance(node, list):
        for item in node:
            _base(item, rate)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("base_") and key not in RATES and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                node[key] = _money(q2(Decimal(str(value)) / rate))
            elif isinstance(value, (dict, list)):
                _base(value, rate)


def render_cases(order: Order, record: dict[str, Any], guest: bool) -> dict[str, Any]:
    """``record`` (one built order) with the order's guest, coupons and currency in Magento's shape."""
    if guest:
        record["customer_is_guest"] = 1
        record["customer_group_id"] = 0
        record.pop("customer_id", None)
    if len(order.vouchers) > 1:
        record["applied_rule_ids"] = ",".join(str(v.cart_rule_id - 6) for v in order.vouchers)
        record["discount_description"] = ", ".join(v.name for v in order.vouchers)
    if order.currency != record.get("base_currency_code", "EUR"):
        record["order_currency_code"] = order.currency
        record["base_to_order_rate"] = _money(order.currency_rate)
        _base(record, order.currency_rate)
    return record


def seed_documents(sim: Any, ds: Dataset) -> None:
    """The data set's refunds as credit memos, its shipments as shipments with their track."""
    from passerelle_sandbox.magento_sales import refund, ship

    carriers = {c.id: c for c in ds.carriers}
    for order in ds.orders:
        record = sim.orders.get(order.id)
        if record is None:
            continue
        updated = record["updated_at"]
        for movement in order.refunds:
            body: dict[str, Any] = {"items": [{"order_item_id": i.line_id, "qty": i.quantity} for i in movement.items]}
            if movement.shipping and order.shipping_excl:
                body["arguments"] = {"shipping_amount": _money(order.shipping_excl)}
            memo = refund(sim, order.id, body)
            memo["created_at"] = memo["updated_at"] = movement.date
            updated = max(updated, movement.date)
        for shipment in order.shipments:
            carrier = carriers.get(shipment.carrier_id)
            doc = ship(sim, order.id, {
                "items": [{"order_item_id": i.line_id, "qty": i.quantity} for i in shipment.items],
                "tracks": [{"track_number": shipment.tracking_number, "title": carrier.name if carrier else "Carrier",
                            "carrier_code": "custom"}]})
            doc["created_at"] = doc["updated_at"] = shipment.date
            for track in doc["tracks"]:
                track["created_at"] = track["updated_at"] = shipment.date
            updated = max(updated, shipment.date)
        record["updated_at"] = updated
