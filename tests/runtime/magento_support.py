"""What an ERP must hold for a Magento order, computed from the order itself: shared by the end-to-end
tests of the Magento templates (magento-sagex3, magento-sage100)."""
from __future__ import annotations

from decimal import Decimal


def dec(value) -> Decimal:
    return Decimal(str(value))


def expected_lines(order: dict, codes: dict[Decimal, str]) -> list[tuple]:
    """(reference, quantity, unit price, tax code) per line: one per ordered product (a configurable
    product's parent line only), then PORT for shipping (the shipping tax entry's rate, else 0) and REMISE
    for the discount (negative, at the rate of the first discounted line); ``codes`` maps a rate to a code."""
    lines = [(i["sku"], dec(i["qty_ordered"]), dec(i["price"]), codes[dec(i.get("tax_percent", 0))])
             for i in order["items"] if not i.get("parent_item_id")]
    if dec(order["shipping_amount"]) > 0:
        shipping = [t for t in order["extension_attributes"].get("item_applied_taxes", []) if t["type"] == "shipping"]
        rate = dec(shipping[0]["applied_taxes"][0]["percent"]) if shipping else Decimal(0)
        lines.append(("PORT", Decimal(1), dec(order["shipping_amount"]), codes[rate]))
    if dec(order["discount_amount"]) < 0:
        first = next(i for i in order["items"] if not i.get("parent_item_id") and dec(i["discount_amount"]) > 0)
        lines.append(("REMISE", Decimal(1), dec(order["discount_amount"]), codes[dec(first["tax_percent"])]))
    return lines
