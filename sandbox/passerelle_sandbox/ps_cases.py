"""PrestaShop simulator: the data set's hard cases (issue 13) in PrestaShop's own shape.

Facts (PrestaShop's ``classes/Customer.php``, ``classes/order/Order.php``, ``OrderCartRule.php``,
``OrderSlip.php``, ``OrderCarrier.php``; webservice devdocs https://devdocs.prestashop-project.org/8/webservice/):

* a guest checkout's customer is a ``customers`` row with ``is_guest`` 1 (its own id and address);
* several coupons are several ``order_cart_rules`` rows of the order (``value`` incl., ``value_tax_excl``);
* a fee: PrestaShop's only order fee is **gift wrapping** (``gift`` 1, ``total_wrapping``,
  ``total_wrapping_tax_incl``/``_tax_excl``, included in ``total_paid``); the data set's fee is a gift wrap,
  so it is rendered there — PrestaShop has no payment-fee concept (a module adds a product line instead);
* another currency: the order's ``id_currency`` and ``conversion_rate`` (units per unit of the default
  currency), the currency a ``currencies`` row; the amounts are in the order's currency;
* a partial refund is a credit slip (``order_slip`` and its details, :func:`.ps_money.add_order_slip`);
* a partial shipment: PrestaShop has one ``order_carriers`` row per order and no parcel of part of the
  lines, so the row carries the first parcel's tracking number (``shipping_number`` too) and the
  remaining lines are not marked.
"""
from __future__ import annotations

from typing import Any

from passerelle_sandbox.dataset import Dataset
from passerelle_sandbox.ps_money import add_order_slip

__all__ = ["seed_cases"]

CURRENCIES = {"GBP": (2, "British Pound", "livre sterling", "£", "826"),
              "CHF": (3, "Swiss Franc", "franc suisse", "CHF", "756")}


def seed_cases(sim: Any, ds: Dataset) -> None:
    tables = sim.tables
    for customer in ds.customers:
        if customer.is_guest:
            tables["customers"][customer.id]["is_guest"] = 1
    for order in ds.orders:
        row = tables["orders"][order.id]
        for voucher in order.vouchers[1:]:
            tables["order_cart_rules"][voucher.order_cart_rule_id] = {
                "id": voucher.order_cart_rule_id, "id_order": order.id, "id_cart_rule": voucher.cart_rule_id,
                "id_order_invoice": order.order_invoice_id, "name": voucher.name, "value": voucher.amount_incl,
                "value_tax_excl": voucher.amount_excl, "free_shipping": 0, "deleted": 0}
        if order.fees:
            row.update(gift=1, total_wrapping=order.fees_incl, total_wrapping_tax_incl=order.fees_incl,
                       total_wrapping_tax_excl=order.fees_excl)
        if order.currency != "EUR":
            cid, name, name_fr, symbol, numeric = CURRENCIES[order.currency]
            tables["currencies"][cid] = {
                "id": cid, "names": {1: name, 2: name_fr}, "name": name, "symbol": {1: symbol, 2: symbol},
                "iso_code": order.currency, "numeric_iso_code": numeric, "precision": 2,
                "conversion_rate": order.currency_rate, "deleted": 0, "active": 1}
            row.update(id_currency=cid, conversion_rate=order.currency_rate)
            for payment in tables["order_payments"].values():
                if payment["order_reference"] == row["reference"]:
                    payment.update(id_currency=cid, conversion_rate=order.currency_rate)
        for refund in order.refunds:
            slip = add_order_slip(sim, order.id, {i.line_id: i.quantity for i in refund.items}, refund.shipping,
                                  refund.date)
            slip["conversion_rate"] = order.currency_rate
        if order.shipments:
            number = order.shipments[0].tracking_number
            tables["order_carriers"][order.order_carrier_id]["tracking_number"] = number
            row["shipping_number"] = number
