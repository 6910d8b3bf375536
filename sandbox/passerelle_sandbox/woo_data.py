"""The shared data set in WooCommerce wc/v3 shapes (WooCommerce REST API docs).

Conventions (so WooCommerce agrees with the other simulators):

* the data set's dates are GMT (order 1042: ``date_created_gmt`` 2024-05-14T10:21:07);
  site-local twins use ``timezone_name`` (Europe/Paris → 12:21:07);
* products keep their ids; a PrestaShop combination is a WooCommerce variation with the same id
  (product 12 / variation 34); line items keep the data set's line ids; shipping, coupon
  and tax items get ``100000 + order_id × 10 + k`` (one id sequence per order items table);
* a PrestaShop line reduction is a sale price (``subtotal`` is already reduced); the voucher is spread
  over the lines in proportion to their subtotal, its tax in proportion to their tax, remainder on
  the last line (2.27 + 0.73 and 0.45 + 0.15 for order 1042), so
  ``total``/``total_tax`` equal the data set's totals and ``total = Σ line totals + shipping + total_tax``;
* money fields are strings with 2 decimals; line ``price`` is a number (``Decimal``, written as
  ``12.5``/``8``); per-line ``taxes[]`` amounts are unrounded strings (``"4.546"``, ``"5"``).

Records are built once; ``_links`` are added at render time (they depend on the request's host).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from passerelle_sandbox.dataset import Article, Customer, Dataset, Order, Product, q2

__all__ = ["Builder", "money", "num", "STATUSES", "DEFAULT_STATUS_MAP", "TAX_CLASSES"]

D = Decimal
ZERO = D("0")
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft")
# PrestaShop order state → WooCommerce status (1/10 awaiting payment, 2 paid, 3 preparing, 4 shipped…)
DEFAULT_STATUS_MAP = {1: "on-hold", 10: "on-hold", 2: "processing", 3: "processing", 4: "completed",
                      5: "completed", 6: "cancelled", 7: "refunded", 8: "failed"}
# data set tax id → (tax class slug, rate name); "" is the standard class
TAX_CLASSES = {1: ("", "TVA"), 2: ("reduced-rate", "TVA 5.5%"), 3: ("intermediate-rate", "TVA 10%"),
               4: ("super-reduced-rate", "TVA 2.1%"), 5: ("zero-rate", "Exonéré")}
GATEWAYS = {"ps_wirepayment": ("bacs", "Direct bank transfer"), "ps_checkpayment": ("cheque", "Check payments"),
            "paypal": ("ppcp-gateway", "PayPal"), "ps_checkout": ("woocommerce_payments", "Credit card"),
            "stripe_official": ("stripe", "Credit Card (Stripe)"), "klarnapayment": ("klarna_payments", "Klarna")}
SHIPPING_METHODS = [
    {"id": "flat_rate", "title": "Flat rate", "description": "Lets you charge a fixed rate for shipping."},
    {"id": "free_shipping", "title": "Free shipping",
     "description": "Free shipping is a special method which can be triggered with coupons and minimum spends."},
    {"id": "local_pickup", "title": "Local pickup",
     "description": "Allow customers to pick up orders themselves. By default, when using local pickup store "
                    "base taxes will apply regardless of customer address."},
]


def money(value: Decimal) -> str:
    """A money field: string with 2 decimals."""
    return f"{q2(value):.2f}"


def num(value: Decimal) -> Decimal:
    """An unrounded amount without trailing zeros (``Decimal('5.000')`` → ``5``)."""
    value = value.normalize()
    return value.quantize(D(1)) if value == value.to_integral() else value


def numtext(value: Decimal) -> str:
    return format(num(value), "f")


class Builder:
    """Turns the data set into WooCommerce records; keeps the item-meta id sequence."""

    def __init__(self, dataset: Dataset, tz: ZoneInfo, status_map: dict[int, str], *, coupon_lowercase: bool,
                 version: str, line_price: str, rate_percent: bool, instance_id: bool) -> None:
        self.dataset, self.tz, self.status_map = dataset, tz, status_map
        self.coupon_lowercase, self.version, self.line_price = coupon_lowercase, version, line_price
        self.rate_percent, self.instance_id = rate_percent, instance_id
        self.meta_id = 800
        self.products = {p.id: p for p in dataset.products}
        self.customers = {c.id: c for c in dataset.customers}

    def next_meta_id(self) -> int:
        self.meta_id += 1
        return self.meta_id

    # -- dates --------------------------------------------------------------------------------------
    def dates(self, name: str, gmt_text: str | None) -> dict[str, str | None]:
        """``{name: local, name_gmt: gmt}`` from a GMT ``YYYY-MM-DD HH:MM:SS`` (or None)."""
        if not gmt_text:
            return {name: None, f"{name}_gmt": None}
        moment = datetime.fromisoformat(gmt_text).replace(tzinfo=timezone.utc)
        return self.dates_of(name, moment)

    def dates_of(self, name: str, moment: datetime) -> dict[str, str]:
        local = moment.astimezone(self.tz).replace(tzinfo=None)
        return {name: local.strftime("%Y-%m-%dT%H:%M:%S"),
                f"{name}_gmt": moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")}

    # -- people ---------------------------------------------------------------------------------------
    @staticmethod
    def address(customer: Customer, with_contact: bool) -> dict[str, str]:
        out = {"first_name": customer.firstname, "last_name": customer.lastname, "company": customer.company,
               "address_1": customer.address1, "address_2": "", "city": customer.city, "state": "",
               "postcode": customer.postcode, "country": customer.country_iso}
        if with_contact:
            out.update(email=customer.email, phone=customer.phone)
        return out

    def customer(self, customer: Customer) -> dict[str, Any]:
        digest = hashlib.md5(customer.email.encode()).hexdigest()
        return {"id": customer.id, **self.dates("date_created", customer.date_add),
                **self.dates("date_modified", customer.date_add), "email": customer.email,
                "first_name": customer.firstname, "last_name": customer.lastname, "role": "customer",
                "username": customer.email.split("@")[0], "billing": self.address(customer, True),
                "shipping": {**self.address(customer, False), "phone": ""}, "is_paying_customer": True,
                "avatar_url": f"https://secure.gravatar.com/avatar/{digest}?s=96&d=mm&r=g", "meta_data": []}

    # -- catalogue ------------------------------------------------------------------------------------
    @staticmethod
    def stock_status(manage: bool, quantity: int | None) -> str:
        """Derived from the quantity when stock is managed."""
        if not manage:
            return "instock"
        return "instock" if (quantity or 0) > 0 else "outofstock"

    def product(self, product: Product, articles: dict[tuple[int, int], Article]) -> dict[str, Any]:
        slug = product.reference.lower()
        tax_class = TAX_CLASSES.get(product.tax_id, ("", ""))[0]
        variable = bool(product.combinations)
        quantity = None if variable else articles[(product.id, 0)].stock_shop
        attributes = []
        if variable:
            names = [name for name, _ in product.combinations[0].attributes]
            for position, name in enumerate(names):
                options = []
                for combo in product.combinations:
                    value = dict(combo.attributes)[name]
                    if value not in options:
                        options.append(value)
                attributes.append({"id": position + 1, "name": name, "position": position, "visible": True,
                                   "variation": True, "options": options})
        price = money(product.price)
        return {"id": product.id, "name": product.name_en, "slug": slug,
                "permalink": f"/product/{slug}/", **self.dates("date_created", product.date_add),
                **self.dates("date_modified", product.date_add), "type": "variable" if variable else "simple",
                "status": "publish", "sku": product.reference, "price": price, "regular_price": "" if variable else price,
                "sale_price": "", "tax_status": "taxable", "tax_class": tax_class, "manage_stock": not variable,
                "stock_quantity": quantity, "stock_status": self.stock_status(not variable, quantity),
                "weight": format(product.weight, "f"), "attributes": attributes,
                "variations": [c.id for c in product.combinations], "parent_id": 0, "meta_data": []}

    def variation(self, product: Product, article: Article) -> dict[str, Any]:
        combo = next(c for c in product.combinations if c.id == article.attribute_id)
        price = money(article.price)
        return {"id": combo.id, **self.dates("date_created", product.date_add),
                **self.dates("date_modified", product.date_add), "description": "",
                "permalink": f"/product/{product.reference.lower()}/?variation={combo.id}", "sku": combo.reference,
                "price": price, "regular_price": price, "sale_price": "", "status": "publish",
                "tax_status": "taxable", "tax_class": "parent", "manage_stock": True,
                "stock_quantity": article.stock_shop, "stock_status": self.stock_status(True, article.stock_shop),
                "weight": format(product.weight, "f"),
                "attributes": [{"id": i + 1, "name": name, "option": value}
                               for i, (name, value) in enumerate(combo.attributes)],
                "parent_id": product.id, "meta_data": []}

    def taxes(self) -> list[dict[str, Any]]:
        out = []
        for position, tax in enumerate(self.dataset.taxes):
            slug, name = TAX_CLASSES.get(tax.id, (f"class-{tax.id}", tax.name))
            out.append({"id": tax.id, "country": "FR", "state": "", "postcode": "", "city": "", "postcodes": [],
                        "cities": [], "rate": f"{tax.rate:.4f}", "name": name, "priority": 1, "compound": False,
                        "shipping": tax.id == 1, "order": position, "class": slug or "standard"})
        return out

    # -- orders ---------------------------------------------------------------------------------------
    def order(self, order: Order) -> dict[str, Any]:
        customer = self.customers[order.customer_id]
        lines = order.lines
        subtotals = [line.total_excl for line in lines]
        subtotal_taxes = [line.total_incl - line.total_excl for line in lines]
        discounts = _spread(order.discounts_excl, subtotals)
        discount_taxes = _spread(order.discounts_incl - order.discounts_excl, subtotal_taxes)
        items, per_rate = [], {}
        for line, sub, sub_tax, disc, disc_tax in zip(lines, subtotals, subtotal_taxes, discounts, discount_taxes):
            total, total_tax = sub - disc, sub_tax - disc_tax
            rate = line.tax_rate / D(100)
            per_rate[line.tax_id] = per_rate.get(line.tax_id, ZERO) + total_tax
            product = self.products.get(line.product_id)
            meta, name = [], line.name
            if line.attribute_id and product is not None:
                combo = next((c for c in product.combinations if c.id == line.attribute_id), None)
                if combo is not None:
                    name = f"{product.name_en} - {', '.join(v for _, v in combo.attributes)}"
                    meta = [{"id": self.next_meta_id(), "key": f"pa_{k.lower()}", "value": v.lower()}
                            for k, v in combo.attributes]
            items.append({
                "id": line.id, "name": name, "product_id": line.product_id, "variation_id": line.attribute_id,
                "quantity": line.quantity, "tax_class": TAX_CLASSES.get(line.tax_id, ("", ""))[0],
                "subtotal": money(sub), "subtotal_tax": money(sub_tax), "total": money(total),
                "total_tax": money(total_tax),
                "taxes": [{"id": line.tax_id, "total": numtext(total * rate), "subtotal": numtext(sub * rate)}],
                "meta_data": meta, "sku": line.reference,
                "price": num((sub if self.line_price == "subtotal" else total) / line.quantity)})
        shipping_tax = order.shipping_incl - order.shipping_excl
        shipping_lines = []
        if order.carrier_id:
            free = order.shipping_excl == 0
            carrier = next((c for c in self.dataset.carriers if c.id == order.carrier_id), None)
            summary = ", ".join(f"{item['name']} &times; {item['quantity']}" for item in items)
            shipping_lines.append({
                "id": 100000 + order.id * 10, "method_title": carrier.name if carrier else "Flat rate",
                "method_id": _method(carrier, free), "instance_id": str(order.carrier_id),
                "total": money(order.shipping_excl), "total_tax": money(shipping_tax),
                "taxes": [] if free else [{"id": 1, "total": numtext(shipping_tax), "subtotal": ""}],
                "meta_data": [{"id": self.next_meta_id(), "key": "Items", "value": summary}]})
            if not self.instance_id:
                del shipping_lines[-1]["instance_id"]
            if not free:
                per_rate.setdefault(1, ZERO)
        coupons = []
        for k, voucher in enumerate(order.vouchers):  # one coupon line per code (ids: k 1, then 7, 8…)
            code = voucher.name.lower() if self.coupon_lowercase else voucher.name
            coupons.append({"id": 100000 + order.id * 10 + (1 if k == 0 else 6 + k), "code": code,
                            "discount": money(voucher.amount_excl),
                            "discount_tax": money(voucher.amount_incl - voucher.amount_excl), "meta_data": []})
        fee_lines = self.fee_lines(order, per_rate)
        tax_lines = []
        for k, (tax_id, amount) in enumerate(sorted(per_rate.items())):
            rate = self.dataset.tax(tax_id)
            label = TAX_CLASSES.get(tax_id, ("", rate.name))[1]
            tax_lines.append({"id": 100000 + order.id * 10 + 2 + k, "rate_code": f"FR-{label.upper()}-1",
                              "rate_id": tax_id, "label": label, "compound": False, "tax_total": money(amount),
                              "shipping_tax_total": money(shipping_tax if tax_id == 1 else ZERO),
                              "rate_percent": num(rate.rate), "meta_data": []})
            if not self.rate_percent:
                del tax_lines[-1]["rate_percent"]
        cart_tax = sum(per_rate.values(), ZERO)
        status = self.status_map.get(order.current_state, "processing")
        paid = next((h.date for h in order.histories if h.state == 2), None)
        completed = order.date_upd if status == "completed" else None
        method, title = GATEWAYS.get(order.module, (order.module, order.payment))
        return {
            "id": order.id, "parent_id": 0, "number": str(order.id),
            "order_key": "wc_order_" + hashlib.sha1(order.secure_key.encode()).hexdigest()[:13],
            "created_via": "checkout", "version": self.version, "status": status, "currency": order.currency,
            **self.dates("date_created", order.date_add), **self.dates("date_modified", order.date_upd),
            "discount_total": money(order.discounts_excl),
            "discount_tax": money(order.discounts_incl - order.discounts_excl),
            "shipping_total": money(order.shipping_excl), "shipping_tax": money(shipping_tax),
            "cart_tax": money(cart_tax), "total": money(order.total_paid_incl),
            "total_tax": money(cart_tax + shipping_tax), "prices_include_tax": False,
            "customer_id": 0 if customer.is_guest else order.customer_id, "customer_ip_address": f"203.0.113.{order.id % 250 + 1}",
            "customer_user_agent": "Mozilla/5.0", "customer_note": "",
            "billing": self.address(customer, True), "shipping": self.address(customer, False),
            "payment_method": method, "payment_method_title": title, "transaction_id": "",
            **self.dates("date_paid", paid), **self.dates("date_completed", completed),
            "cart_hash": hashlib.md5(order.secure_key.encode()).hexdigest(), "meta_data": [],
            "line_items": items, "tax_lines": tax_lines, "shipping_lines": shipping_lines, "fee_lines": fee_lines,
            "coupon_lines": coupons, "refunds": [],
        }


    def fee_lines(self, order: Order, per_rate: dict[int, Decimal]) -> list[dict[str, Any]]:
        """``fee_lines`` (WC_Order_Item_Fee: ``name``, ``tax_class``, ``tax_status``, ``amount``, ``total``,
        ``total_tax``, ``taxes``); a fee's tax counts in ``cart_tax`` as WC_Abstract_Order::update_taxes does."""
        out = []
        for k, fee in enumerate(order.fees):
            tax_id = next((t.id for t in self.dataset.taxes if t.rate == fee.tax_rate), 1)
            tax = fee.amount_incl - fee.amount_excl
            per_rate[tax_id] = per_rate.get(tax_id, ZERO) + tax
            out.append({"id": 100000 + order.id * 10 + 9 - k, "name": fee.name,
                        "tax_class": TAX_CLASSES.get(tax_id, ("", ""))[0], "tax_status": "taxable",
                        "amount": money(fee.amount_excl), "total": money(fee.amount_excl), "total_tax": money(tax),
                        "taxes": [{"id": tax_id, "total": numtext(tax), "subtotal": ""}], "meta_data": []})
        return out


def _method(carrier: Any, free: bool) -> str:
    """The shipping method: ``local_pickup`` for a pickup carrier, else free or flat rate."""
    if carrier is not None and carrier.pickup:
        return "local_pickup"
    return "free_shipping" if free else "flat_rate"


def _spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights`` (2 places, remainder on the last share)."""
    total = sum(weights, ZERO)
    if not weights:
        return []
    if not amount or not total:
        return [ZERO] * len(weights)
    shares = [q2(amount * w / total) for w in weights[:-1]]
    return shares + [amount - sum(shares, ZERO)]
