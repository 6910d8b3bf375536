"""The hard cases of issue 13, seeded on the neutral orders (the list is in :mod:`._generate`'s docstring).

:func:`seed_cases` changes the generated orders before their children are numbered (customers, carriers,
lines, coupons, fees, currency); :func:`seed_movements` adds refunds and shipments once line ids are known.
Each case draws from its own ``random.Random(f"{seed}:<case>:{order id}")``, so the orders' own draws
(and every order without a case) stay as they were.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from passerelle_sandbox.dataset import (
    Article, Customer, Fee, LineQuantity, Order, OrderLine, Refund, Shipment, Tax, Voucher, q2,
)

__all__ = ["case_of", "seed_cases", "seed_movements"]

D = Decimal
ANCHOR_ID = 1042
FMT = "%Y-%m-%d %H:%M:%S"
GUEST_OFFSET, GUEST_ADDRESS_OFFSET = 500_000, 600_000
PICKUP_CARRIER = 5
LONG_SKU = "BOUGIE-PARFUMEE-VANILLE-XL"
LONG_SKU_IN_SAGE = "BOUGIE-VANILLE-XL"  # the consultant's Sage reference for it (same EAN)
TWO_COUPONS = [(9, "WELCOME3", D("3.00")), (10, "PROMO5", D("5.00"))]
GIFT_WRAP = Fee("Gift wrapping", D("2.50"), D("20.000"))
OTHER_CURRENCY, OTHER_RATE = "GBP", D("0.85")
RETURNING_CUSTOMER = 56
# per carrier: tracking number prefix and digits (the carriers' usual shapes)
TRACKING = {1: ("1Z999AA1", 10), 2: ("6A", 11), 3: ("", 10), 4: ("CL", 8), 5: ("", 0)}


def case_of(order_id: int) -> set[str]:
    """The cases order ``order_id`` carries (the same rule for every seed)."""
    if order_id == ANCHOR_ID:
        return set()
    out = set()
    if order_id % 10 == 5:
        out.add("guest")
    if order_id % 5 == 0:  # unless the order is too small for a partial refund (see seed_movements)
        out.add("refund")
    out |= {12: {"coupons", "free_shipping", "fee", "shipment"},
            13: {"returning", "pickup", "long_sku"},
            14: {"b2b", "currency", "tax_exempt", "shipment"}}.get(order_id % 20, set())
    return out


def _rng(seed: int, kind: str, key: object) -> random.Random:
    return random.Random(f"{seed}:{kind}:{key}")


def _line(article: Article, like: OrderLine, rate: Decimal) -> OrderLine:
    """``article`` in place of order line ``like`` (same quantity and reduction)."""
    line = OrderLine(0, article.product_id, article.attribute_id, article.reference, article.name,
                     article.ean13, like.quantity, article.price, article.tax_id, rate, like.reduction_percent)
    if like.reduction_amount_excl and like.reduction_amount_excl < article.price:
        line.reduction_amount_excl = like.reduction_amount_excl
    return line


def _guest(order: Order, customer: Customer) -> Customer:
    """A guest copy of ``customer`` for ``order`` (guests have no account, so one per guest order); its own
    e-mail address (a shop refuses a guest checkout with a registered customer's address)."""
    email = customer.email.replace("@", f"+guest{order.id}@")
    return Customer(GUEST_OFFSET + order.id, customer.firstname, customer.lastname, email,
                    GUEST_ADDRESS_OFFSET + order.id, customer.address1, customer.postcode, customer.city,
                    customer.country_iso, customer.phone, customer.date_add, customer.company, False, True)


def seed_cases(seed: int, orders: list[Order], customers: list[Customer], articles: list[Article],
               taxes: dict[int, Tax]) -> None:
    by_id = {c.id: c for c in customers}
    by_ref = {a.reference: a for a in articles}
    guests = []
    for order in orders:
        cases = case_of(order.id)
        if "guest" in cases:
            guest = _guest(order, by_id[order.customer_id])
            guests.append(guest)
            order.customer_id, order.address_id = guest.id, guest.address_id
        if "returning" in cases:
            order.customer_id, order.address_id = RETURNING_CUSTOMER, by_id[RETURNING_CUSTOMER].address_id
        if "b2b" in cases:
            company = next(c for c in customers if c.company and c.in_sage)
            order.customer_id, order.address_id = company.id, company.address_id
        if "long_sku" in cases and all(line.reference != LONG_SKU for line in order.lines):
            order.lines[-1] = _line(by_ref[LONG_SKU], order.lines[-1], taxes[by_ref[LONG_SKU].tax_id].rate)
        if "tax_exempt" in cases and all(line.tax_rate for line in order.lines):
            gift = next(a for a in articles if not taxes[a.tax_id].rate)
            order.lines[-1] = _line(gift, order.lines[-1], taxes[gift.tax_id].rate)
        if "shipment" in cases and len(order.lines) == 1:
            order.lines[0].quantity = max(2, order.lines[0].quantity)  # so that one parcel is partial
        if "pickup" in cases:
            order.carrier_id, order.shipping_excl = PICKUP_CARRIER, D("0.00")
        if "free_shipping" in cases:
            order.shipping_excl = D("0.00")
        if "fee" in cases:
            order.fees = [Fee(GIFT_WRAP.name, GIFT_WRAP.amount_excl, GIFT_WRAP.tax_rate)]
        if "coupons" in cases:
            _two_coupons(order)
        if "currency" in cases:
            order.currency, order.currency_rate = OTHER_CURRENCY, OTHER_RATE
        if cases:
            order.weight = sum((D("0.300") * line.quantity for line in order.lines), D("0")) + D("0.100")
    customers.extend(guests)


def _two_coupons(order: Order) -> None:
    while order.products_excl <= D("10.00"):
        order.lines[0].quantity += 1
    order.vouchers = [Voucher(0, rule, name, excl, q2(excl * order.products_incl / order.products_excl))
                      for rule, name, excl in TWO_COUPONS]
    order.voucher = order.vouchers[0]


def seed_movements(seed: int, orders: list[Order]) -> None:
    """Refunds and shipments (after line numbering: they name line ids)."""
    for order in orders:
        cases = case_of(order.id)
        if "refund" in cases:
            first = order.lines[0]
            goods = q2(first.unit_excl * (1 + first.tax_rate / 100))
            shipping = order.id % 10 == 0 and goods + order.shipping_incl < order.total_paid_incl
            if shipping or goods < order.total_paid_incl:  # a partial refund: less than what was paid
                order.refunds = [Refund(order.id * 10 + 1, order.date_upd, [LineQuantity(first.id, 1)], shipping,
                                        "Retour client")]
        if "shipment" in cases:
            first = order.lines[0]
            items = ([LineQuantity(first.id, first.quantity)] if len(order.lines) > 1
                     else [LineQuantity(first.id, first.quantity - 1)])
            when = datetime.strptime(order.date_upd, FMT) + timedelta(days=1)
            order.shipments = [Shipment(order.id * 10 + 1, when.strftime(FMT), items, order.carrier_id,
                                        _tracking(seed, order))]


def _tracking(seed: int, order: Order) -> str:
    prefix, digits = TRACKING.get(order.carrier_id, ("", 10))
    rng = _rng(seed, "tracking", order.id)
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits or 10))
