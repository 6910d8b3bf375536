"""WooCommerce order creation, order line changes and totals (``WC_REST_Orders_Controller`` v3).

Source: WooCommerce ``includes/rest-api/Controllers/Version2/class-wc-rest-orders-v2-controller.php``
(``prepare_object_for_database``, ``set_item``, ``prepare_line_items``/``shipping_lines``/``fee_lines``,
``item_is_null``, ``save_object``) and ``Version3/class-wc-rest-orders-controller.php``
(``calculate_coupons``):

* ``line_items``/``shipping_lines``/``fee_lines``: an item with ``id`` updates that item of the order (an id
  of another order → 400 ``woocommerce_rest_invalid_item_id``); without ``id`` it is **added**; ``quantity: 0``
  (the integer) or ``product_id``/``method_id``/``method_title``/``name`` null removes the item with that ``id``.
  A new line finds its product by ``sku``, else ``variation_id``, else ``product_id`` (none → 400
  ``woocommerce_rest_required_product_reference``); ``total`` = ``subtotal`` = price excl. tax × quantity unless
  posted. A new shipping line needs ``method_id``, a fee ``name``.
* ``coupon_lines``: an ``id`` → 400 ``woocommerce_rest_coupon_item_id_readonly``; a code → the coupon must
  exist (the data set's vouchers, fixed cart amounts; unknown → 400 ``woocommerce_rest_invalid_coupon``);
  every coupon is removed, then the posted ones are applied (spread over the lines by subtotal).
* ``customer_id`` other than 0 must exist (400 ``woocommerce_rest_invalid_customer_id`` "Customer ID is
  invalid."); 0 makes the order a guest order.
* Totals (``calculate_totals``) are computed on create and when billing, shipping or any lines change.
  Simplifications (stated): prices exclude tax; the tax location is the shipping country, else billing, else
  the store's FR; only FR rates exist (other countries: no tax); shipping is taxed at the standard rate when
  any line is taxable; each item's tax is rounded to cents.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.woo_data import STATUSES, money, num, numtext
from passerelle_sandbox.woo_query import WcError

__all__ = ["MAILS", "add_meta", "apply_coupons", "apply_items", "calculate_totals", "change_status", "check_args",
           "create_order",
           "set_customer"]

D = Decimal
ZERO = D("0")
ITEM_KINDS = ("line_items", "shipping_lines", "fee_lines")
MAILS = {"processing": "customer_processing_order", "completed": "customer_completed_order",
         "cancelled": "cancelled_order", "failed": "failed_order", "on-hold": "customer_on_hold_order",
         "refunded": "customer_refunded_order"}
BLANK_ADDRESS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
                 "country")


def _bad(code: str, message: str, status: int = 400) -> WcError:
    return WcError(status, code, message)


def _amount(name: str, value: Any) -> Decimal:
    """``wc_format_decimal``: what is not a number counts as 0."""
    try:
        amount = D(str(value))
    except InvalidOperation:
        return ZERO
    return amount if amount.is_finite() else ZERO


INTEGERS = ("id", "product_id", "variation_id", "quantity", "qty")
STRINGS = ("total", "subtotal", "name", "sku", "method_id", "method_title", "tax_class", "tax_status", "code",
           "amount", "reason")


def check_args(body: dict[str, Any], kinds: tuple[str, ...]) -> None:
    """WordPress's schema validation of the item arrays: one 400 ``rest_invalid_param`` naming the first bad
    property of each argument (``line_items[0][quantity] is not of type integer.``)."""
    invalid: dict[str, str] = {}
    for kind in kinds:
        items = body.get(kind)
        if items is None:
            continue
        if not isinstance(items, list):
            invalid[kind] = f"{kind} is not of type array."
            continue
        for index, item in enumerate(items):
            where = f"{kind}[{index}]"
            reason = None if isinstance(item, dict) else f"{where} is not of type object."
            for prop, value in (item.items() if isinstance(item, dict) else ()):
                if value is None or reason:
                    continue
                if prop in INTEGERS and (isinstance(value, bool) or not isinstance(value, int)):
                    reason = f"{where}[{prop}] is not of type integer."
                elif prop in STRINGS and not isinstance(value, str):
                    reason = f"{where}[{prop}] is not of type string."
            if reason:
                invalid[kind] = reason
                break
    for name in ("billing", "shipping"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            invalid[name] = f"{name} is not of type object."
    if body.get("meta_data") is not None and not isinstance(body["meta_data"], list):
        invalid["meta_data"] = "meta_data is not of type array."
    if invalid:
        raise WcError(400, "rest_invalid_param", f"Invalid parameter(s): {', '.join(invalid)}", params=invalid)


def coupon_table(dataset: Any) -> dict[str, Decimal]:
    """Coupon code (lower case) → fixed cart discount excl. tax, from the data set's vouchers."""
    table: dict[str, Decimal] = {}
    for order in dataset.orders:
        if order.voucher is not None:
            table.setdefault(order.voucher.name.lower(), order.voucher.amount_excl)
    return table


def add_meta(sim: Any, record: dict[str, Any], entries: Any) -> None:
    """``meta_data`` of a new record: every ``{key, value}`` becomes a row with a fresh id."""
    for meta in entries if isinstance(entries, list) else []:
        if isinstance(meta, dict) and "key" in meta:
            record["meta_data"].append({"id": sim.builder.next_meta_id(), "key": str(meta["key"]),
                                        "value": meta.get("value")})


def set_customer(sim: Any, order: dict[str, Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WcError(400, "rest_invalid_param", "Invalid parameter(s): customer_id",
                      params={"customer_id": "customer_id is not of type integer."})
    if value != 0 and value not in sim.customers:
        raise _bad("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
    order["customer_id"] = value


def _product(sim: Any, posted: dict[str, Any], creating: bool) -> dict[str, Any] | None:
    if posted.get("sku"):
        return next((r for r in [*sim.products.values(), *sim.variations.values()] if r["sku"] == posted["sku"]),
                    None)
    if posted.get("variation_id"):
        return sim.variations.get(posted["variation_id"])
    if posted.get("product_id"):
        return sim.products.get(posted["product_id"])
    if creating:
        raise _bad("woocommerce_rest_required_product_reference", "Product ID or SKU is required.")
    return None


def _line(sim: Any, item: dict[str, Any] | None, posted: dict[str, Any]) -> dict[str, Any]:
    creating = item is None
    record = item if item is not None else {
        "id": sim.next_item_id(), "name": "", "product_id": 0, "variation_id": 0, "quantity": 1, "tax_class": "",
        "subtotal": "0.00", "subtotal_tax": "0.00", "total": "0.00", "total_tax": "0.00", "taxes": [],
        "meta_data": [], "sku": "", "price": D(0)}
    product = _product(sim, posted, creating)
    if product is not None and product["id"] not in (record["product_id"], record["variation_id"]):
        variation = product.get("type") == "variation"
        parent = sim.products.get(product["parent_id"]) if variation else product
        record.update(name=product["name"], product_id=product["parent_id"] if variation else product["id"],
                      variation_id=product["id"] if variation else 0, sku=product["sku"],
                      tax_class=parent["tax_class"] if parent and product.get("tax_class") == "parent"
                      else product.get("tax_class", ""))
        if creating:
            quantity = posted["quantity"] if isinstance(posted.get("quantity"), int) else 1
            price = D(product["price"] or "0") * quantity
            record.update(total=money(price), subtotal=money(price))
    for name in ("name", "tax_class"):
        if posted.get(name) is not None:
            record[name] = str(posted[name])
    if posted.get("quantity") is not None:
        record["quantity"] = int(posted["quantity"])
    for name in ("total", "subtotal"):
        if posted.get(name) is not None:
            record[name] = money(_amount(name, posted[name]))
    quantity = record["quantity"] or 1
    record["price"] = num(D(record["subtotal"]) / quantity)
    return record


def _shipping(sim: Any, item: dict[str, Any] | None, posted: dict[str, Any]) -> dict[str, Any]:
    if item is None and not posted.get("method_id"):
        raise _bad("woocommerce_rest_invalid_shipping_item", "Shipping method ID is required.")
    record = item if item is not None else {"id": sim.next_item_id(), "method_title": "", "method_id": "",
                                            "instance_id": "", "total": "0.00", "total_tax": "0.00", "taxes": [],
                                            "meta_data": []}
    for name in ("method_id", "method_title", "instance_id"):
        if posted.get(name) is not None:
            record[name] = str(posted[name])
    if posted.get("total") is not None:
        record["total"] = money(_amount("total", posted["total"]))
    return record


def _fee(sim: Any, item: dict[str, Any] | None, posted: dict[str, Any]) -> dict[str, Any]:
    if item is None and not posted.get("name"):
        raise _bad("woocommerce_rest_invalid_fee_item", "Fee name is required.")
    record = item if item is not None else {"id": sim.next_item_id(), "name": "", "tax_class": "",
                                            "tax_status": "taxable", "amount": "", "total": "0.00",
                                            "total_tax": "0.00", "taxes": [], "meta_data": []}
    for name in ("name", "tax_class", "tax_status"):
        if posted.get(name) is not None:
            record[name] = str(posted[name])
    if posted.get("total") is not None:
        record["total"] = money(_amount("total", posted["total"]))
        record["amount"] = record["total"]
    return record


def _is_null(posted: dict[str, Any]) -> bool:
    return any(name in posted and posted[name] is None
               for name in ("product_id", "method_id", "method_title", "name", "code"))


def apply_items(sim: Any, order: dict[str, Any], body: dict[str, Any]) -> None:
    """line_items / shipping_lines / fee_lines of a create or an update, in WooCommerce's way."""
    build = {"line_items": _line, "shipping_lines": _shipping, "fee_lines": _fee}
    for kind in ITEM_KINDS:
        posted_items = body.get(kind)
        if not isinstance(posted_items, list):
            continue
        rows: list[dict[str, Any]] = order[kind]
        for posted in posted_items:
            if not isinstance(posted, dict):
                continue
            if _is_null(posted) or posted.get("quantity") == 0 and not isinstance(posted.get("quantity"), bool):
                order[kind] = rows = [r for r in rows if r["id"] != posted.get("id")]
                continue
            item = None
            if posted.get("id"):
                item = next((r for r in rows if r["id"] == posted["id"]), None)
                if item is None:
                    raise _bad("woocommerce_rest_invalid_item_id",
                               "Order item ID provided is not associated with order.")
            record = build[kind](sim, item, posted)
            add_meta(sim, record, posted.get("meta_data"))
            if item is None:
                rows.append(record)


def apply_coupons(sim: Any, order: dict[str, Any], posted: Any) -> None:
    """``calculate_coupons``: validate every code, remove all coupons, apply the posted ones."""
    if not isinstance(posted, list):
        return
    codes = []
    for item in posted:
        item = item if isinstance(item, dict) else {}
        if item.get("id"):
            raise _bad("woocommerce_rest_coupon_item_id_readonly", "Coupon item ID is readonly.")
        code = str(item.get("code") or "").strip().lower()
        if not code:
            raise _bad("woocommerce_rest_invalid_coupon", "Coupon code is required.")
        if code not in sim.coupons:
            raise _bad("woocommerce_rest_invalid_coupon", f'Coupon "{code}" does not exist!')
        codes.append(code)
    lines = order["line_items"]
    for line in lines:
        line["total"] = line["subtotal"]
    order["coupon_lines"] = []
    for code in codes:
        base = [D(line["total"]) for line in lines]
        amount = min(sim.coupons[code], sum(base, ZERO))
        shares = _spread(amount, base)
        for line, share in zip(lines, shares):
            line["total"] = money(D(line["total"]) - share)
        order["coupon_lines"].append({"id": sim.next_item_id(), "code": code, "discount": money(amount),
                                      "discount_tax": "0.00", "meta_data": []})


def _spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    total = sum(weights, ZERO)
    if not weights or not total:
        return [ZERO] * len(weights)
    shares = [money_d(amount * w / total) for w in weights[:-1]]
    return shares + [amount - sum(shares, ZERO)]


def money_d(value: Decimal) -> Decimal:
    return D(money(value))


def _rate(sim: Any, order: dict[str, Any], tax_class: str) -> dict[str, Any] | None:
    country = order["shipping"].get("country") or order["billing"].get("country") or "FR"
    if country != "FR":
        return None
    wanted = tax_class or "standard"
    return next((t for t in sim.taxes.values() if t["class"] == wanted), None)


def calculate_totals(sim: Any, order: dict[str, Any]) -> None:
    """Item taxes, tax lines and the order totals (prices excl. tax, taxes rounded per item)."""
    per_rate: dict[int, Decimal] = {}
    taxable = False
    for line in order["line_items"]:
        rate = _rate(sim, order, line["tax_class"])
        factor = D(rate["rate"]) / 100 if rate else ZERO
        total, subtotal = D(line["total"]), D(line["subtotal"])
        line.update(total_tax=money(total * factor), subtotal_tax=money(subtotal * factor),
                    taxes=[{"id": rate["id"], "total": numtext(total * factor),
                            "subtotal": numtext(subtotal * factor)}] if rate else [])
        if rate:
            taxable = True
            per_rate[rate["id"]] = per_rate.get(rate["id"], ZERO) + D(line["total_tax"])
    for fee in order["fee_lines"]:
        rate = _rate(sim, order, fee["tax_class"]) if fee["tax_status"] == "taxable" else None
        tax = D(money(D(fee["total"]) * D(rate["rate"]) / 100)) if rate else ZERO
        fee.update(total_tax=money(tax), taxes=[{"id": rate["id"], "total": numtext(tax), "subtotal": ""}]
                   if rate else [])
        if rate:
            per_rate[rate["id"]] = per_rate.get(rate["id"], ZERO) + tax
    standard = _rate(sim, order, "") if taxable else None
    shipping_tax_by_rate: dict[int, Decimal] = {}
    for ship in order["shipping_lines"]:
        tax = D(money(D(ship["total"]) * D(standard["rate"]) / 100)) if standard else ZERO
        ship.update(total_tax=money(tax), taxes=[{"id": standard["id"], "total": numtext(tax), "subtotal": ""}]
                    if standard and tax else [])
        if standard:
            shipping_tax_by_rate[standard["id"]] = shipping_tax_by_rate.get(standard["id"], ZERO) + tax
    lines = order["line_items"]
    cart_tax = sum(per_rate.values(), ZERO)
    shipping_tax = sum(shipping_tax_by_rate.values(), ZERO)
    order["tax_lines"] = [
        {"id": sim.next_item_id(), "rate_code": f"FR-{sim.taxes[r]['name'].upper()}-1", "rate_id": r,
         "label": sim.taxes[r]["name"], "compound": False, "tax_total": money(per_rate.get(r, ZERO)),
         "shipping_tax_total": money(shipping_tax_by_rate.get(r, ZERO)),
         "rate_percent": num(D(sim.taxes[r]["rate"])), "meta_data": []}
        for r in sorted({*per_rate, *shipping_tax_by_rate})]
    discount = sum((D(li["subtotal"]) - D(li["total"]) for li in lines), ZERO)
    discount_tax = sum((D(li["subtotal_tax"]) - D(li["total_tax"]) for li in lines), ZERO)
    for coupon in order["coupon_lines"]:
        coupon["discount_tax"] = money(discount_tax * D(coupon["discount"]) / discount) if discount else "0.00"
    items_total = sum((D(x["total"]) for kind in ITEM_KINDS for x in order[kind]), ZERO)
    order.update(discount_total=money(discount), discount_tax=money(discount_tax),
                 shipping_total=money(sum((D(s["total"]) for s in order["shipping_lines"]), ZERO)),
                 shipping_tax=money(shipping_tax), cart_tax=money(cart_tax),
                 total_tax=money(cart_tax + shipping_tax), total=money(items_total + cart_tax + shipping_tax))


def create_order(sim: Any, body: Any, now: datetime) -> dict[str, Any]:
    """``POST orders`` → the new order (201)."""
    if not isinstance(body, dict):
        raise WcError(400, "rest_invalid_json", "Invalid JSON body passed.")
    check_args(body, (*ITEM_KINDS, "coupon_lines"))
    status = body.get("status") or "pending"
    if status not in STATUSES:
        raise WcError(400, "rest_invalid_param", "Invalid parameter(s): status",
                      params={"status": f"status is not one of {', '.join(STATUSES)}."})
    oid = sim.next_order_id()
    blank = dict.fromkeys(BLANK_ADDRESS, "")
    order: dict[str, Any] = {
        "id": oid, "parent_id": 0, "number": str(oid), "order_key": f"wc_order_{oid:013x}", "created_via": "rest-api",
        "version": sim.builder.version, "status": "pending", "currency": str(body.get("currency") or "EUR"),
        **sim.builder.dates_of("date_created", now), **sim.builder.dates_of("date_modified", now),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "0.00", "shipping_tax": "0.00",
        "cart_tax": "0.00", "total": "0.00", "total_tax": "0.00", "prices_include_tax": False, "customer_id": 0,
        "customer_ip_address": "", "customer_user_agent": "", "customer_note": "",
        "billing": {**blank, "email": "", "phone": ""}, "shipping": dict(blank), "payment_method": "",
        "payment_method_title": "", "transaction_id": "", "date_paid": None, "date_paid_gmt": None,
        "date_completed": None, "date_completed_gmt": None, "cart_hash": "", "meta_data": [], "line_items": [],
        "tax_lines": [], "shipping_lines": [], "fee_lines": [], "coupon_lines": [], "refunds": []}
    if body.get("customer_id") is not None:
        set_customer(sim, order, body["customer_id"])
    for name in ("billing", "shipping"):
        if isinstance(body.get(name), dict):
            order[name].update({k: str(v) for k, v in body[name].items() if k in order[name] and v is not None})
    for name in ("customer_note", "payment_method", "payment_method_title", "transaction_id"):
        if body.get(name) is not None:
            order[name] = str(body[name])
    apply_items(sim, order, body)
    calculate_totals(sim, order)
    apply_coupons(sim, order, body.get("coupon_lines"))
    calculate_totals(sim, order)
    add_meta(sim, order, body.get("meta_data"))
    sim.orders[oid] = order
    sim.by_date.append(oid)
    paid = body.get("set_paid") is True and status in ("pending", "on-hold", "failed", "cancelled")
    return change_status(sim, order, "processing" if paid else status, now)


def change_status(sim: Any, order: dict[str, Any], status: str, now: datetime) -> dict[str, Any]:
    """A status transition: ``date_paid`` on processing/completed when empty, ``date_completed``, the e-mail."""
    if status == order["status"]:
        return order
    order["status"] = status
    if status in ("processing", "completed") and order["date_paid"] is None:
        order.update(sim.builder.dates_of("date_paid", now))
    if status == "completed":
        order.update(sim.builder.dates_of("date_completed", now))
    if status in MAILS:
        sim.emails.append({"order_id": order["id"], "email": MAILS[status], "to": order["billing"]["email"]})
    return order
