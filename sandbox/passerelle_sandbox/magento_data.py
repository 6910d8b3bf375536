"""The shared data set in Magento 2 shapes (orders, products, stock items, customers) — no HTTP here.

* Numbers are JSON numbers: money is built from the data set's ``Decimal`` values and stored as
  ``int`` when whole, else ``float`` (2 places, so ``json.dumps`` writes ``4.55``, ``12.5``, ``42``).
* Null-valued properties are left out when building ("Null-valued optional properties are
  omitted"); the few Magento still prints as ``null`` (``payment.account_status``, ``payment.cc_last4``)
  are kept.
* Orders: order 1042 keeps its ids (addresses 2083/2084, items 2201/2202, quote 2210,
  quote items 4410/4411, rule "3", history 3301, protect code 6f1c2a, IP 203.0.113.10). The voucher is
  spread over the lines in proportion to their row totals (2.27 + 0.73), item taxes
  are computed after discount and the last taxed line absorbs the rounding so that the order totals
  equal the data set's (grand total 42 = subtotal 33 − 3 + shipping 5 + tax 7).
* Configurable products: a line of a combination gives a ``configurable`` parent line carrying the
  price (parent product id, the child SKU) and a ``simple`` child line (``parent_item_id``, price 0) when
  ``configurable_children`` is true; false gives one ``simple`` line.
  Child line ids are ``1_000_000 + parent id`` and child product ids ``1000 + combination id`` (simulator
  numbering; Magento's own are database sequences).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox.dataset import Dataset, Order, OrderLine, q2
from passerelle_sandbox.magento_cases import render_cases

__all__ = ["CHILD_ITEM_OFFSET", "CHILD_PRODUCT_OFFSET", "ORDER_NULLABLE", "build_customers", "build_orders",
           "build_products", "money", "stock_item"]

CHILD_ITEM_OFFSET = 1_000_000
CHILD_PRODUCT_OFFSET = 1000
STORE_NAME = "Main Website\nMain Website Store\nDefault Store View"
KEEP_NULL = object()  # a property Magento prints as null

# PrestaShop payment module of the data set -> (Magento method code, title); simulator mapping.
PAYMENT_METHODS = {
    "ps_wirepayment": ("banktransfer", "Bank Transfer Payment"),
    "ps_checkpayment": ("checkmo", "Check / Money order"),
    "paypal": ("paypal_express", "PayPal Express Checkout"),
    "ps_checkout": ("braintree", "Credit Card (Braintree)"),
    "stripe_official": ("stripe_payments", "Pay by Card (Stripe)"),
    "klarnapayment": ("klarna_kp", "Klarna"),
}
# carrier id of the data set -> (shipping method code, description) (carrier_code_method_code)
SHIPPING_METHODS = {
    1: ("ups_GND", "United Parcel Service - Ground"),
    2: ("tablerate_bestway", "Best Way - Table Rate"),
    3: ("flatrate_flatrate", "Flat Rate - Fixed"),
    4: ("tablerate_bestway", "Best Way - Table Rate"),
    5: ("instore_pickup", "In-Store Pickup Delivery - Pick in Store"),  # Magento_InventoryInStorePickup
}
# data set order state -> (state, status); 10/1 = awaiting payment
STATES = {1: ("new", "pending"), 10: ("new", "pending"), 2: ("processing", "processing"),
          3: ("processing", "processing")}
# top-level order columns that may be absent (null) on some orders, still filterable
ORDER_NULLABLE = frozenset({"customer_id", "applied_rule_ids", "coupon_code", "discount_description", "status", "state",
                            "customer_note", "ext_order_id", "hold_before_state", "hold_before_status"})


def money(value: Decimal | int) -> int | float:
    """A JSON number: ``int`` when whole, else ``float`` (exact for 2-place values)."""
    number = float(value)  # 2-place values: the float prints the same digits
    return int(number) if number.is_integer() else number


def clean(value: Any) -> Any:
    """Drop None members recursively (DataObjectProcessor); KEEP_NULL becomes a printed null."""
    if isinstance(value, dict):
        return {k: (None if v is KEEP_NULL else clean(v)) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [None if v is KEEP_NULL else clean(v) for v in value if v is not None]
    return value


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """Drop the None members of one level (nested parts are already clean and may be shared)."""
    return {k: (None if v is KEEP_NULL else v) for k, v in record.items() if v is not None}


def _rate_code(rate: Decimal) -> str:
    return f"FR-TVA-{money(rate)}"


def _split(order: Order) -> tuple[list[Decimal], list[Decimal]]:
    """Per line (discount excl., tax after discount), totals matching the data set (module doc)."""
    lines = order.lines
    discounts = [Decimal("0.00")] * len(lines)
    total = order.discounts_excl
    base = order.products_excl
    if total and base:
        left = total
        for i, line in enumerate(lines):
            share = left if i == len(lines) - 1 else q2(total * line.total_excl / base)
            discounts[i], left = share, left - share
    taxes = [q2((line.total_excl - d) * line.tax_rate / 100) for line, d in zip(lines, discounts)]
    target = (order.products_incl - order.discounts_incl) - (order.products_excl - order.discounts_excl)
    gap = target - sum(taxes, Decimal(0))
    if gap and any(line.tax_rate for line in lines):
        i = max(range(len(lines)), key=lambda k: (taxes[k], k))
        taxes[i] += gap
    return discounts, taxes


def _address(order: Order, customer: Any, kind: str, entity_id: int) -> dict[str, Any]:
    return flat({"address_type": kind, "city": customer.city, "company": customer.company or None,
            "country_id": customer.country_iso, "email": customer.email, "entity_id": entity_id,
            "firstname": customer.firstname, "lastname": customer.lastname, "parent_id": order.id,
            "postcode": customer.postcode, "street": [customer.address1], "telephone": customer.phone})


def _item(order: Order, line: OrderLine, discount: Decimal, tax: Decimal, rule: str | None,
          product_type: str, name: str, product_id: int) -> dict[str, Any]:
    m = money
    price, unit_incl = line.unit_excl, q2(line.unit_incl)
    total_excl, total_incl = m(line.total_excl), m(line.total_incl)
    discount, tax = m(discount), m(tax)
    return flat({
        "amount_refunded": 0, "applied_rule_ids": rule if discount else None, "base_amount_refunded": 0,
        "base_discount_amount": discount, "base_discount_invoiced": discount,
        "base_discount_tax_compensation_amount": 0, "base_original_price": m(line.price), "base_price": m(price),
        "base_price_incl_tax": m(unit_incl), "base_row_invoiced": total_excl,
        "base_row_total": total_excl, "base_row_total_incl_tax": total_incl,
        "base_tax_amount": tax, "base_tax_invoiced": tax, "created_at": order.date_add,
        "discount_amount": discount, "discount_invoiced": discount, "discount_percent": 0,
        "free_shipping": 0, "discount_tax_compensation_amount": 0, "is_qty_decimal": 0, "is_virtual": 0,
        "item_id": line.id, "name": name, "no_discount": 0, "order_id": order.id,
        "original_price": m(line.price), "price": m(price), "price_incl_tax": m(unit_incl),
        "product_id": product_id, "product_type": product_type, "qty_canceled": 0,
        "qty_invoiced": line.quantity, "qty_ordered": line.quantity, "qty_refunded": 0, "qty_shipped": 0,
        "quote_item_id": line.id + 2209, "row_invoiced": total_excl, "row_total": total_excl,
        "row_total_incl_tax": total_incl, "sku": line.reference, "store_id": 1, "tax_amount": tax,
        "tax_invoiced": tax, "tax_percent": m(line.tax_rate), "updated_at": order.date_upd,
    })


def _child(parent: dict[str, Any], line: OrderLine) -> dict[str, Any]:
    """The simple child line of a configurable parent (parent_item_id set, price 0)."""
    zero = {k: 0 for k, v in parent.items() if isinstance(v, (int, float)) and k not in (
        "item_id", "order_id", "product_id", "qty_invoiced", "qty_ordered", "quote_item_id", "store_id")}
    child = {**parent, **zero, "item_id": line.id + CHILD_ITEM_OFFSET, "name": line.name,
             "parent_item_id": line.id, "product_id": CHILD_PRODUCT_OFFSET + line.attribute_id,
             "product_type": "simple", "quote_item_id": line.id + 2209 + CHILD_ITEM_OFFSET,
             "parent_item": parent}
    child.pop("applied_rule_ids", None)
    return child


def _histories(order: Order, grand_total: int | float) -> list[dict[str, Any]]:
    out = []
    for history in order.histories:
        status = STATES.get(history.state, ("processing", "processing"))[1]
        paid = history.state in (2, 3)
        comment = f"Captured amount of €{Decimal(str(grand_total)):.2f} online." if history.state == 2 else None
        out.append(flat({"comment": comment, "created_at": history.date, "entity_id": history.id + 1299,
                    "entity_name": "invoice" if paid and history.state == 2 else "order",
                    "is_customer_notified": 0, "is_visible_on_front": 0, "parent_id": order.id,
                    "status": status}))
    return out


def build_order(ds: Dataset, order: Order, configurable_children: bool, customers: dict[int, Any] | None = None,
                products: dict[int, Any] | None = None) -> dict[str, Any]:
    """One order as ``GET /V1/orders/{id}`` answers it, None members already removed."""
    m = money
    customer = customers[order.customer_id] if customers else ds.customer(order.customer_id)
    products = products or {p.id: p for p in ds.products}
    discounts, taxes = _split(order)
    voucher = order.voucher
    rule = str(voucher.cart_rule_id - 6) if voucher else None  # WELCOME3 (cart rule 9) -> "3"
    shipping_tax = order.shipping_incl - order.shipping_excl
    goods_tax = sum(taxes, Decimal(0))
    grand = m(order.total_paid_incl - order.fees_incl)  # Magento has no order fee (magento_cases)
    items: list[dict[str, Any]] = []
    for line, discount, tax in zip(order.lines, discounts, taxes):
        if line.attribute_id and configurable_children:
            parent = _item(order, line, discount, tax, rule, "configurable", products[line.product_id].name_en,
                           line.product_id)
            items += [parent, _child(parent, line)]
        else:
            items.append(_item(order, line, discount, tax, rule, "simple", line.name, line.product_id))
    method, title = PAYMENT_METHODS.get(order.module, (order.module, order.payment))
    ship_code, ship_label = SHIPPING_METHODS.get(order.carrier_id, ("flatrate_flatrate", "Flat Rate - Fixed"))
    state, status = STATES.get(order.current_state, ("processing", "processing"))
    disc = order.discounts_excl
    by_rate: dict[Decimal, Decimal] = {}
    for line, tax in zip(order.lines, taxes):
        by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal(0)) + tax
    if shipping_tax:
        by_rate[order.carrier_tax_rate] = by_rate.get(order.carrier_tax_rate, Decimal(0)) + shipping_tax

    def applied(rate: Decimal, amount: Decimal) -> dict[str, Any]:
        code = _rate_code(rate)
        return {"code": code, "title": code, "percent": m(rate), "amount": m(amount), "base_amount": m(amount)}

    sx, si, st = m(order.shipping_excl), m(order.shipping_incl), m(shipping_tax)
    sub, subi, nd, tax_total = m(order.products_excl), m(order.products_incl), m(-disc), m(goods_tax + shipping_tax)
    shipping_total = {
        "base_shipping_amount": sx, "base_shipping_discount_amount": 0,
        "base_shipping_incl_tax": si, "base_shipping_tax_amount": st,
        "shipping_amount": sx, "shipping_discount_amount": 0,
        "shipping_discount_tax_compensation_amount": 0, "shipping_incl_tax": si,
        "shipping_tax_amount": st}
    item_taxes: list[dict[str, Any]] = [
        {"type": "product", "item_id": line.id, "applied_taxes": [applied(line.tax_rate, tax)]}
        for line, tax in zip(order.lines, taxes) if line.tax_rate]
    if shipping_tax:
        item_taxes.append({"type": "shipping", "applied_taxes": [applied(order.carrier_tax_rate, shipping_tax)]})
    record = {
        "applied_rule_ids": rule, "base_currency_code": "EUR", "base_discount_amount": nd,
        "base_discount_invoiced": nd, "base_grand_total": grand, "base_discount_tax_compensation_amount": 0,
        "base_shipping_amount": sx, "base_shipping_discount_amount": 0,
        "base_shipping_incl_tax": si, "base_shipping_tax_amount": st,
        "base_subtotal": sub, "base_subtotal_incl_tax": subi,
        "base_tax_amount": tax_total, "base_total_due": 0, "base_total_invoiced": grand,
        "base_total_paid": grand, "base_to_global_rate": 1, "base_to_order_rate": 1,
        "billing_address_id": 2 * order.id - 1, "coupon_code": voucher.name if voucher else None,
        "created_at": order.date_add, "customer_email": customer.email, "customer_firstname": customer.firstname,
        "customer_group_id": 1, "customer_id": customer.id, "customer_is_guest": 0,
        "customer_lastname": customer.lastname, "customer_note_notify": 1, "discount_amount": nd,
        "discount_description": voucher.name if voucher else None, "discount_invoiced": nd,
        "email_sent": 1, "entity_id": order.id, "global_currency_code": "EUR", "grand_total": grand,
        "discount_tax_compensation_amount": 0, "increment_id": f"{order.id:09d}", "is_virtual": 0,
        "order_currency_code": "EUR", "protect_code": "6f1c2a" if order.id == 1042 else order.secure_key[:6],
        "quote_id": order.cart_id + 899, "remote_ip": f"203.0.113.{10 + (order.id - 1042) % 240}",
        "shipping_amount": sx, "shipping_description": ship_label,
        "shipping_discount_amount": 0, "shipping_discount_tax_compensation_amount": 0,
        "shipping_incl_tax": si, "shipping_invoiced": sx,
        "shipping_tax_amount": st, "state": state, "status": status, "store_currency_code": "EUR",
        "store_id": 1, "store_name": STORE_NAME, "store_to_base_rate": 0, "store_to_order_rate": 0,
        "subtotal": sub, "subtotal_incl_tax": subi,
        "subtotal_invoiced": sub, "tax_amount": tax_total,
        "tax_invoiced": tax_total, "total_due": 0, "total_invoiced": grand,
        "total_item_count": len(order.lines), "total_paid": grand,
        "total_qty_ordered": sum(line.quantity for line in order.lines), "updated_at": order.date_upd,
        "weight": m(order.weight),
        "items": items,
        "billing_address": _address(order, customer, "billing", 2 * order.id - 1),
        "payment": flat({
            "account_status": KEEP_NULL, "additional_information": [title, ""], "amount_ordered": grand,
            "amount_paid": grand, "base_amount_ordered": grand, "base_amount_paid": grand,
            "base_shipping_amount": sx, "base_shipping_captured": sx,
            "cc_last4": KEEP_NULL, "entity_id": order.id, "method": method, "parent_id": order.id,
            "shipping_amount": sx, "shipping_captured": sx}),
        "status_histories": sorted(_histories(order, grand), key=lambda h: (h["created_at"], h["entity_id"]),
                                   reverse=True),
        "extension_attributes": {
            "shipping_assignments": [{
                "shipping": {"address": _address(order, customer, "shipping", 2 * order.id),
                             "method": ship_code, "total": shipping_total},
                "items": items}],
            "payment_additional_info": [{"key": "method_title", "value": title}],
            "applied_taxes": [applied(rate, amount) for rate, amount in sorted(by_rate.items()) if rate],
            "item_applied_taxes": item_taxes,
            "converting_from_quote": True},
    }
    return render_cases(order, flat(record), customer.is_guest)


def build_orders(ds: Dataset, configurable_children: bool = True) -> dict[int, dict[str, Any]]:
    customers = {c.id: c for c in ds.customers}
    products = {p.id: p for p in ds.products}
    return {order.id: build_order(ds, order, configurable_children, customers, products) for order in ds.orders}


def stock_item(product_id: int, qty: int, in_stock: bool = True) -> dict[str, Any]:
    """A legacy CatalogInventory stock item; ``item_id`` = product id in the simulator."""
    return {"item_id": product_id, "product_id": product_id, "stock_id": 1, "qty": qty, "is_in_stock": in_stock,
            "is_qty_decimal": False, "show_default_notification_message": False, "use_config_min_qty": True,
            "min_qty": 0, "use_config_min_sale_qty": 1, "min_sale_qty": 1, "use_config_max_sale_qty": True,
            "max_sale_qty": 10000, "use_config_backorders": True, "backorders": 0,
            "use_config_notify_stock_qty": True, "notify_stock_qty": 1, "use_config_qty_increments": True,
            "qty_increments": 0, "use_config_enable_qty_inc": True, "enable_qty_increments": False,
            "use_config_manage_stock": True, "manage_stock": True, "is_decimal_divided": False,
            "stock_status_changed_auto": 0}


def build_products(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Products by SKU: each data-set product (``configurable`` when it has combinations, else
    ``simple``) and one ``simple`` product per combination (not visible individually)."""
    stock = {a.reference: a.stock_shop for a in ds.articles}
    out: dict[str, dict[str, Any]] = {}

    def product(pid: int, sku: str, name: str, price: Decimal, type_id: str, visibility: int, tax_id: int,
                weight: Decimal, created: str, qty: int, links: list[int] | None) -> dict[str, Any]:
        ext: dict[str, Any] = {"website_ids": [1], "category_links": [],
                               "stock_item": stock_item(pid, qty, qty > 0 or type_id == "configurable")}
        if links is not None:
            ext["configurable_product_links"] = links
        return {"id": pid, "sku": sku, "name": name, "attribute_set_id": 4, "price": money(price), "status": 1,
                "visibility": visibility, "type_id": type_id, "created_at": created, "updated_at": created,
                "weight": money(weight), "extension_attributes": ext,
                "custom_attributes": [{"attribute_code": "tax_class_id", "value": str(tax_id + 1)},
                                      {"attribute_code": "url_key", "value": sku.lower()}]}

    for p in ds.products:
        links = [CHILD_PRODUCT_OFFSET + c.id for c in p.combinations] if p.combinations else None
        out[p.reference] = product(p.id, p.reference, p.name_en, p.price,
                                   "configurable" if p.combinations else "simple", 4, p.tax_id, p.weight,
                                   p.date_add, 0 if p.combinations else stock.get(p.reference, 0), links)
        for c in p.combinations:
            label = ", ".join(f"{k} : {v}" for k, v in c.attributes)
            out[c.reference] = product(CHILD_PRODUCT_OFFSET + c.id, c.reference, f"{p.name_en} - {label}",
                                       p.price + c.price_impact, "simple", 1, p.tax_id, p.weight, p.date_add,
                                       stock.get(c.reference, 0), None)
    return out


def build_customers(ds: Dataset) -> dict[int, dict[str, Any]]:
    """Customers (addresses embedded with region, country_id, street[], defaults)."""
    out = {}
    for c in ds.customers:
        if c.is_guest:  # a guest checkout creates no customer account
            continue
        address = {"id": c.address_id, "customer_id": c.id, "region": {"region_id": 0}, "region_id": 0,
                   "country_id": c.country_iso, "street": [c.address1], "company": c.company or None,
                   "telephone": c.phone, "postcode": c.postcode, "city": c.city, "firstname": c.firstname,
                   "lastname": c.lastname, "default_shipping": True, "default_billing": True}
        out[c.id] = clean({
            "id": c.id, "group_id": 1, "default_billing": str(c.address_id), "default_shipping": str(c.address_id),
            "created_at": c.date_add, "updated_at": c.date_add, "created_in": "Default Store View",
            "email": c.email, "firstname": c.firstname, "lastname": c.lastname, "store_id": 1, "website_id": 1,
            "addresses": [address], "disable_auto_group_change": 0,
            "extension_attributes": {"is_subscribed": False}})
    return out
