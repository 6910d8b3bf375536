"""The shared data set in Shopify's shapes: REST order dicts + inventory.

Every order is stored once, as its REST 2024-07 representation (JSON-native values only, so a page is
one ``json.dumps``); hidden members start with ``_`` (UTC datetimes, metafields) and are never rendered.
GraphQL resolvers (:mod:`.shopify_schema`) read the same dicts.

Identities: the REST id is ``ORDER_ID_BASE + <data set id>`` so order 1042 is ``5829173215423``
(``name`` "#1042", ``order_number`` 1042, ``admin_graphql_api_id`` ``gid://shopify/Order/…``);
customers ``7012345678845 + id`` (56 → 7012345678901); line items ``14523866998822 + line id``
(2201 → 14523867001023). Money: prices tax excluded (``taxes_included`` false), 2-decimal strings;
each coupon becomes a ``discount_codes`` entry, a ``discount_applications`` entry and per-line
``discount_allocations`` prorated on the line totals (the last line takes the remainder: 2.27 + 0.73 in
order 1042); tax per line on the discounted amount,
rounded half-up (4.55 + 1.45), shipping tax on the shipping line (1.00); ``rate`` is a fraction (0.2).
Hard cases: a guest checkout's order has ``customer`` null (its e-mail and addresses stay); an order in
another currency has that ``presentment_currency`` and its ``presentment_money`` are the data set's amounts;
its ``shop_money`` and plain REST amounts are computed the same way from prices, shipping and coupons
converted to the shop's currency (``/ rate``), so that they add up; Shopify orders have
no fee line (a fee is left out, so the order's total is the data set's minus its fees).
Timestamps: the data set's times are UTC; REST renders them in the shop's time zone with its offset
(``2024-05-14T12:21:07+02:00``), GraphQL in UTC (``2024-05-14T10:21:07Z``).
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone
from functools import lru_cache
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from passerelle_sandbox.dataset import Dataset, Order, q2

__all__ = ["ORDER_ID_BASE", "build_inventory", "build_orders", "gid", "gql_time", "money_set", "parse_utc", "rest_time"]

ORDER_ID_BASE = 5829173214381
CUSTOMER_ID_BASE = 7012345678845
LINE_ID_BASE = 14523866998822
SHIPPING_ID_BASE = 4812345677859
PRODUCT_ID_BASE = 8012345678889
VARIANT_ID_BASE = 44012345678800
INVENTORY_ITEM_BASE = 46012345678000
LOCATION_ID = 65012345678
COUNTRIES = {"FR": "France", "BE": "Belgium", "LU": "Luxembourg"}
D0 = Decimal("0.00")


def gid(kind: str, ident: int) -> str:
    return f"gid://shopify/{kind}/{ident}"


@lru_cache(maxsize=65536)
def money_set(amount: Decimal, currency: str) -> dict[str, Any]:
    """``{"shop_money", "presentment_money"}``; cached and shared: never mutate the result."""
    text = str(q2(amount))
    return {"shop_money": {"amount": text, "currency_code": currency},
            "presentment_money": {"amount": text, "currency_code": currency}}


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def rest_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def gql_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rate(percent: Decimal) -> float:
    return float((percent / Decimal(100)).normalize())


def _tax_line(amount: Decimal, percent: Decimal, currency: str) -> dict[str, Any]:
    return {"channel_liable": False, "price": str(q2(amount)), "price_set": money_set(amount, currency),
            "rate": _rate(percent), "title": "FR TVA"}


def _address(customer: Any) -> dict[str, Any]:
    return {"first_name": customer.firstname, "last_name": customer.lastname,
            "name": f"{customer.firstname} {customer.lastname}", "company": customer.company or None,
            "address1": customer.address1, "address2": "", "city": customer.city, "zip": customer.postcode,
            "province": None, "province_code": None,
            "country": COUNTRIES.get(customer.country_iso, customer.country_iso),
            "country_code": customer.country_iso, "phone": customer.phone, "latitude": None, "longitude": None}


def _allocations(order: Order) -> list[list[Decimal]]:
    """Per line, its share of each coupon: a coupon is spread over the lines in proportion of their
    totals, the last line taking the rest (one ``discount_allocation`` per coupon and line)."""
    products = order.products_excl
    out: list[list[Decimal]] = [[] for _ in order.lines]
    for voucher in order.vouchers:
        total = left = voucher.amount_excl if products else D0
        for index, line in enumerate(order.lines):
            share = left if index == len(order.lines) - 1 else q2(total * line.total_excl / products)
            out[index].append(share)
            left -= share
    return out


class _Catalogue:
    """Titles, variant titles and ids of the sellable references (product + combination)."""

    def __init__(self, dataset: Dataset) -> None:
        self.products = {p.id: p for p in dataset.products}
        self.combos = {c.id: c for p in dataset.products for c in p.combinations}
        self.cache: dict[tuple[int, int], tuple[str, str | None]] = {}

    def titles(self, product_id: int, attribute_id: int, fallback: str) -> tuple[str, str | None]:
        found = self.cache.get((product_id, attribute_id))
        if found is None:
            found = self.cache[(product_id, attribute_id)] = self._titles(product_id, attribute_id, fallback)
        return found

    def _titles(self, product_id: int, attribute_id: int, fallback: str) -> tuple[str, str | None]:
        product = self.products.get(product_id)
        combo = self.combos.get(attribute_id)
        title = product.name_en if product else fallback
        variant = " / ".join(value for _, value in combo.attributes) if combo else None
        return title, variant


def build_orders(dataset: Dataset, tz: ZoneInfo, currency: str = "EUR", closed_every: int = 0
                 ) -> list[dict[str, Any]]:
    """Every order of the data set as a REST dict (with hidden ``_created``/``_updated``/``_metafields``)."""
    customers = {c.id: c for c in dataset.customers}
    carriers = {c.id: c for c in dataset.carriers}
    catalogue = _Catalogue(dataset)
    out = []
    for o in dataset.orders:
        args = (customers[o.customer_id], carriers.get(o.carrier_id), catalogue, tz, currency, closed_every)
        if o.currency == currency:
            out.append(_order(o, *args))
            continue
        rec = _order(_in_shop_currency(o), *args)  # shop money; the presentment money is the order's own
        _present(rec, _order(o, *args), o.currency)
        rec["presentment_currency"] = o.currency
        out.append(rec)
    return out


def _order(o: Order, customer: Any, carrier: Any, catalogue: _Catalogue, tz: ZoneInfo, cur: str,
           closed_every: int) -> dict[str, Any]:
    created, updated = parse_utc(o.date_add), parse_utc(o.date_upd)
    allocations = _allocations(o)
    lines, goods_tax = [], D0
    for line, shares in zip(o.lines, allocations):
        share = sum(shares, D0)
        title, variant = catalogue.titles(line.product_id, line.attribute_id, line.name)
        tax = q2((line.total_excl - share) * line.tax_rate / Decimal(100))
        goods_tax += tax
        variant_id = VARIANT_ID_BASE + (line.attribute_id or line.product_id * 1000)
        lines.append({
            "id": LINE_ID_BASE + line.id, "admin_graphql_api_id": gid("LineItem", LINE_ID_BASE + line.id),
            "current_quantity": line.quantity, "fulfillable_quantity": line.quantity,
            "fulfillment_service": "manual", "fulfillment_status": None, "gift_card": False,
            "grams": 300, "name": f"{title} - {variant}" if variant else title,
            "price": str(q2(line.unit_excl)), "price_set": money_set(line.unit_excl, cur),
            "product_exists": True, "product_id": PRODUCT_ID_BASE + line.product_id, "properties": [],
            "quantity": line.quantity, "requires_shipping": True, "sku": line.reference, "taxable": True,
            "title": title, "total_discount": "0.00", "total_discount_set": money_set(D0, cur),
            "variant_id": variant_id, "variant_inventory_management": "shopify", "variant_title": variant,
            "vendor": "Passerelle Sandbox",
            "tax_lines": [_tax_line(tax, line.tax_rate, cur)], "duties": [],
            "discount_allocations": [
                {"amount": str(part), "amount_set": money_set(part, cur), "discount_application_index": k}
                for k, part in enumerate(shares)],
        })
    ship_tax = q2(o.shipping_excl * o.carrier_tax_rate / Decimal(100))
    title = carrier.name if carrier else "Standard"
    shipping = [{
        "id": SHIPPING_ID_BASE + o.id, "carrier_identifier": None, "code": title,
        "discounted_price": str(q2(o.shipping_excl)), "discounted_price_set": money_set(o.shipping_excl, cur),
        "phone": None, "price": str(q2(o.shipping_excl)), "price_set": money_set(o.shipping_excl, cur),
        "requested_fulfillment_service_id": None, "source": "shopify", "title": title,
        "tax_lines": [_tax_line(ship_tax, o.carrier_tax_rate, cur)], "discount_allocations": [],
    }]
    by_rate: dict[Decimal, Decimal] = {}
    for line, shares in zip(o.lines, allocations):
        taxed = line.total_excl - sum(shares, D0)
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, D0) + q2(taxed * line.tax_rate / 100)
    by_rate[o.carrier_tax_rate] = by_rate.get(o.carrier_tax_rate, D0) + ship_tax
    discounts, products_excl = o.discounts_excl, o.products_excl
    subtotal = products_excl - discounts
    total_tax = goods_tax + ship_tax
    total = subtotal + o.shipping_excl + total_tax
    rid = ORDER_ID_BASE + o.id
    closed = bool(closed_every) and o.id % closed_every == 0

    def both(name: str, amount: Decimal) -> dict[str, Any]:
        return {name: str(q2(amount)), f"{name}_set": money_set(amount, cur)}

    rec: dict[str, Any] = {
        "id": rid, "admin_graphql_api_id": gid("Order", rid), "app_id": 580111, "browser_ip": "203.0.113.10",
        "buyer_accepts_marketing": False, "cancel_reason": None, "cancelled_at": None,
        "closed_at": rest_time(updated, tz) if closed else None, "confirmation_number": o.reference,
        "confirmed": True, "contact_email": customer.email, "created_at": rest_time(created, tz), "currency": cur,
        **both("current_subtotal_price", subtotal), **both("current_total_discounts", discounts),
        **both("current_total_price", total), **both("current_total_tax", total_tax),
        "customer_locale": "fr",
        "discount_codes": [{"code": v.name, "amount": str(q2(v.amount_excl)), "type": "fixed_amount"}
                           for v in o.vouchers],
        "email": customer.email, "estimated_taxes": False, "financial_status": "paid",
        "fulfillment_status": None, "name": f"#{o.id}", "note": None, "note_attributes": [],
        "number": o.id - 1000, "order_number": o.id, "payment_gateway_names": [o.module], "phone": None,
        "presentment_currency": cur, "processed_at": rest_time(created, tz), "source_name": "web",
        **both("subtotal_price", subtotal), "tags": "",
        "tax_lines": [_tax_line(amount, rate, cur) for rate, amount in sorted(by_rate.items(), reverse=True)],
        "taxes_included": False, "test": False, **both("total_discounts", discounts),
        **both("total_line_items_price", products_excl), "total_outstanding": "0.00",
        **both("total_price", total), "total_shipping_price_set": money_set(o.shipping_excl, cur),
        **both("total_tax", total_tax), "total_tip_received": "0.00",
        "total_weight": int(o.weight * 1000), "updated_at": rest_time(updated, tz),
        "billing_address": _address(customer), "shipping_address": _address(customer),
        "customer": None if customer.is_guest else {
            "id": CUSTOMER_ID_BASE + customer.id, "email": customer.email, "first_name": customer.firstname,
            "last_name": customer.lastname, "phone": None, "currency": cur, "tags": "", "tax_exempt": False,
            "admin_graphql_api_id": gid("Customer", CUSTOMER_ID_BASE + customer.id)},
        "discount_applications": [
            {"target_type": "line_item", "type": "discount_code", "value": str(q2(v.amount_excl)),
             "value_type": "fixed_amount", "allocation_method": "across", "target_selection": "all",
             "code": v.name} for v in o.vouchers],
        "fulfillments": [], "line_items": lines, "refunds": [], "shipping_lines": shipping,
        "_created": created, "_updated": updated, "_metafields": [],
    }
    return rec


def _in_shop_currency(o: Order) -> Order:
    """The order with its prices, shipping, coupons and fees converted to the shop's currency (``/ rate``),
    so that the shop money is computed, and adds up, like the order's own."""
    shop = copy.deepcopy(o)
    for line in shop.lines:
        line.price = q2(line.price / o.currency_rate)
        line.reduction_amount_excl = q2(line.reduction_amount_excl / o.currency_rate)
    shop.shipping_excl = q2(o.shipping_excl / o.currency_rate)
    for voucher in shop.vouchers:
        voucher.amount_excl, voucher.amount_incl = q2(voucher.amount_excl / o.currency_rate), q2(
            voucher.amount_incl / o.currency_rate)
    shop.voucher = shop.vouchers[0] if shop.vouchers else None
    return shop


def _present(shop: Any, presented: Any, currency: str) -> None:
    """Every ``presentment_money`` of ``shop`` (the order built in the shop's currency) from ``presented``
    (the same order built in the currency the customer paid)."""
    if isinstance(shop, list):
        for one, other in zip(shop, presented):
            _present(one, other, currency)
        return
    if not isinstance(shop, dict):
        return
    for key, value in shop.items():
        if key.startswith("_") or key == "customer":
            continue
        if key.endswith("_set") and isinstance(value, dict) and "shop_money" in value:
            amount = presented[key]["presentment_money"]["amount"]
            shop[key] = {"shop_money": value["shop_money"],
                         "presentment_money": {"amount": amount, "currency_code": currency}}
        elif isinstance(value, (dict, list)):
            _present(value, presented[key], currency)


def build_inventory(dataset: Dataset) -> list[dict[str, Any]]:
    """One inventory item per sellable reference at the single location, quantity = shop stock."""
    return [{"id": INVENTORY_ITEM_BASE + index, "sku": article.reference, "tracked": True,
             "quantities": {"available": article.stock_shop, "on_hand": article.stock_shop}}
            for index, article in enumerate(dataset.articles, start=1)]
