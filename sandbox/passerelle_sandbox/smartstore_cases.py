"""Smartstore simulator: the data set's hard cases (issue 13) in the Web API's shapes.

Facts (``smartstore/Smartstore`` ``Smartstore.Core`` entities ``Order``, ``Shipment``, ``ShipmentItem``):

* a guest checkout is a guest customer record (:mod:`.smartstore_data`);
* another currency: ``CustomerCurrencyCode`` is the customer's currency and ``CurrencyRate`` its rate to the
  primary store currency (EUR); an order's amounts are stored in the primary currency, so they are the
  data set's amounts divided by the rate (``TaxRates`` too stays as computed, in the order's currency);
* a partial refund: Smartstore keeps no credit-memo entity; the order's ``RefundedAmount`` grows by the
  amount refunded and its ``PaymentStatus`` becomes ``PartiallyRefunded``;
* a partial shipment is a ``Shipments`` record with its ``ShipmentItems`` (order item, quantity) and its
  ``TrackingNumber``/``TrackingUrl``; the order's ``ShippingStatus`` becomes ``PartiallyShipped``;
* a fee: the order's only fee members are the payment method's additional fee; the data set's fee is a gift
  wrap, so it is left out (``OrderTotal`` and ``OrderTax`` are the data set's less the fee).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset, Order, q2

__all__ = ["render_cases"]

NOT_MONEY = {"CurrencyRate", "OrderShippingTaxRate", "PaymentMethodAdditionalFeeTaxRate", "TaxRate", "ItemWeight",
             "ProductCost"}


def _iso(stamp: str) -> str:
    return stamp.replace(" ", "T") + "Z"


def _convert(record: dict[str, Any], rate: Decimal) -> None:
    for key, value in record.items():
        if isinstance(value, Decimal) and key not in NOT_MONEY:
            record[key] = q2(value / rate)


def _refunded(order: Order) -> Decimal:
    total = Decimal(0)
    for refund in order.refunds:
        for item in refund.items:
            line = order.line(item.line_id)
            total += q2(line.unit_excl * item.quantity * (1 + line.tax_rate / 100))
        if refund.shipping:
            total += order.shipping_incl
    return total


def render_cases(ds: Dataset, sets: dict[str, dict[int, dict[str, Any]]], status: Any) -> None:
    carriers = {c.id: c for c in ds.carriers}
    shipment_id = item_id = 0
    for order in ds.orders:
        record = sets["Orders"][order.id]
        if order.fees:
            record["OrderTotal"] -= order.fees_incl
            record["OrderTax"] -= order.fees_incl - order.fees_excl
        if order.refunds:
            record["RefundedAmount"] = _refunded(order)
            status(record, PaymentStatus="PartiallyRefunded")
        if order.currency != record["CustomerCurrencyCode"]:
            record["CustomerCurrencyCode"], record["CurrencyRate"] = order.currency, order.currency_rate
            _convert(record, order.currency_rate)
            for item in sets["OrderItems"].values():
                if item["OrderId"] == order.id:
                    _convert(item, order.currency_rate)
        for shipment in order.shipments:
            shipment_id += 1
            carrier = carriers.get(shipment.carrier_id)
            url = carrier.url.replace("@", shipment.tracking_number) if carrier and carrier.url else None
            weight = Decimal(0)
            for part in shipment.items:
                item_id += 1
                sets["ShipmentItems"][item_id] = {"Id": item_id, "ShipmentId": shipment_id,
                                                  "OrderItemId": part.line_id, "Quantity": part.quantity}
                weight += sets["OrderItems"][part.line_id]["ItemWeight"] * part.quantity
            sets["Shipments"][shipment_id] = {
                "Id": shipment_id, "OrderId": order.id, "TrackingNumber": shipment.tracking_number,
                "TrackingUrl": url, "TotalWeight": weight, "ShippedDateUtc": _iso(shipment.date),
                "DeliveryDateUtc": None, "CreatedOnUtc": _iso(shipment.date)}
            status(record, ShippingStatus="PartiallyShipped")
            record["UpdatedOnUtc"] = max(record["UpdatedOnUtc"], _iso(shipment.date))
