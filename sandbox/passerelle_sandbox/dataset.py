"""The deterministic data set both simulators serve (neutral model, no vendor formatting here).

Money rules (shared by every shop simulator and the Sage line arithmetic), all in ``Decimal``:

* a line's net unit price ``unit_excl`` is the catalogue price minus its reduction
  (percentage: ``round_half_up(price × (1 − pct/100), 2)``; amount: ``price − amount``);
* ``total_excl = unit_excl × qty``; ``total_incl = round_half_up(total_excl × (1 + rate/100), 2)``
  (PrestaShop round type 2 = per line); ``unit_incl = unit_excl × (1 + rate/100)`` kept at 6 places;
* order: ``Σ total_excl + shipping_excl + Σ fee excl − discounts_excl = total_paid_excl`` and the same
  with the ``incl`` amounts; ``discounts`` is the sum of the order's vouchers (several coupons on one
  order are several :class:`Voucher`); a voucher's ``incl`` amount is prorated on the goods
  (``round_half_up(excl × products_incl / products_excl, 2)``: 3.00 → 3.60 in order 1042); a fee's
  ``amount_incl = round_half_up(amount_excl × (1 + rate/100), 2)``;
* every amount of an order is in the order's ``currency`` (EUR unless said); ``currency_rate`` is the
  number of order-currency units per EUR (the shop's base currency), 1 for EUR;
* a refund or a shipment names order lines by id and a quantity (partial when it is less than the order);
  a refund's money is ``Σ unit_excl × qty`` (+ the shipping when ``shipping``), tax at each line's rate.

The hard cases of issue 13 (guests, returning and B2B customers, several coupons, fees, free shipping,
local pickup, tax-exempt lines, a SKU longer than Sage's 19 characters, partial refunds, partial
shipments, another currency) are seeded by :mod:`._generate` (its docstring lists which order has which).

Order 1042, the reference order (customer 56 Claire Martin, carrier 3, rows 2201/2202, voucher WELCOME3,
totals 35.00 / 42.00) is present whatever the seed. Generation lives in :mod:`._generate`; this module
holds the model, :func:`generate`, and JSON round-tripping (:meth:`Dataset.to_json`,
:meth:`Dataset.write`, :meth:`Dataset.load`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from passerelle_sandbox._money import ZERO, factor as _factor, q2
from passerelle_sandbox.dataset_moves import Fee, LineQuantity, Refund, Shipment

__all__ = [
    "Article", "Carrier", "Combination", "Customer", "Dataset", "Fee", "History", "LineQuantity", "Order",
    "OrderLine", "Product", "Refund", "Shipment", "Tax", "Voucher", "generate", "q2",
]


@dataclass
class Tax:
    id: int
    rate: Decimal
    name: str
    sage_code: str


@dataclass
class Carrier:
    id: int
    name: str
    delay: str
    url: str = ""
    is_free: bool = False
    pickup: bool = False  # local pickup: the customer collects the parcel, no shipping cost


@dataclass
class Customer:
    id: int
    firstname: str
    lastname: str
    email: str
    address_id: int
    address1: str
    postcode: str
    city: str
    country_iso: str
    phone: str
    date_add: str
    company: str = ""
    in_sage: bool = True
    is_guest: bool = False  # a guest checkout's customer (no account; one per guest order)

    @property
    def sage_code(self) -> str:
        """Sage customer code: ``WEB`` + id on 6 digits (``WEB000056``)."""
        return f"WEB{self.id:06d}"


@dataclass
class Combination:
    id: int
    reference: str
    attributes: list[list[str]]  # [["Color", "Blue"], ["Size", "M"]]
    price_impact: Decimal
    ean13: str


@dataclass
class Product:
    id: int
    reference: str
    name_en: str
    name_fr: str
    price: Decimal
    tax_id: int
    ean13: str
    weight: Decimal
    date_add: str
    combinations: list[Combination] = field(default_factory=list)


@dataclass
class Article:
    """One sellable reference (a simple product or one combination) known to shop and ERP."""

    reference: str
    name: str
    product_id: int
    attribute_id: int
    price: Decimal
    tax_id: int
    ean13: str
    stock_shop: int
    stock_sage: int
    family: str = ""
    # the ERP's own reference when the shop's is too long for it (Sage 100 AR_Ref: 19 characters, X3 ITMREF: 20)
    sage_reference: str = ""

    @property
    def erp_reference(self) -> str:
        return self.sage_reference or self.reference


@dataclass
class OrderLine:
    id: int
    product_id: int
    attribute_id: int
    reference: str
    name: str
    ean13: str
    quantity: int
    price: Decimal  # catalogue price before reduction, tax excluded
    tax_id: int
    tax_rate: Decimal
    reduction_percent: Decimal = ZERO
    reduction_amount_excl: Decimal = ZERO

    @property
    def unit_excl(self) -> Decimal:
        if self.reduction_percent:
            return q2(self.price * (Decimal(1) - self.reduction_percent / Decimal(100)))
        return self.price - self.reduction_amount_excl

    @property
    def unit_incl(self) -> Decimal:
        return self.unit_excl * _factor(self.tax_rate)

    @property
    def reduction_amount_incl(self) -> Decimal:
        return q2(self.reduction_amount_excl * _factor(self.tax_rate))

    @property
    def total_excl(self) -> Decimal:
        return self.unit_excl * self.quantity

    @property
    def total_incl(self) -> Decimal:
        return q2(self.total_excl * _factor(self.tax_rate))


@dataclass
class Voucher:
    order_cart_rule_id: int
    cart_rule_id: int
    name: str
    amount_excl: Decimal
    amount_incl: Decimal


@dataclass
class History:
    id: int
    state: int
    date: str


@dataclass
class Order:
    id: int
    reference: str
    customer_id: int
    address_id: int
    cart_id: int
    carrier_id: int
    module: str
    payment: str
    current_state: int
    date_add: str
    date_upd: str
    invoice_number: int
    invoice_date: str
    secure_key: str
    lines: list[OrderLine]
    shipping_excl: Decimal
    carrier_tax_rate: Decimal
    order_carrier_id: int
    order_invoice_id: int
    weight: Decimal
    histories: list[History]
    voucher: Voucher | None = None
    vouchers: list[Voucher] = field(default_factory=list)  # every coupon; ``voucher`` is the first
    fees: list[Fee] = field(default_factory=list)
    currency: str = "EUR"
    currency_rate: Decimal = Decimal("1")
    refunds: list[Refund] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.voucher is not None and not self.vouchers:
            self.vouchers = [self.voucher]
        elif self.vouchers and self.voucher is None:
            self.voucher = self.vouchers[0]

    def line(self, line_id: int) -> OrderLine:
        return next(line for line in self.lines if line.id == line_id)

    @property
    def fees_excl(self) -> Decimal:
        return sum((fee.amount_excl for fee in self.fees), ZERO)

    @property
    def fees_incl(self) -> Decimal:
        return sum((fee.amount_incl for fee in self.fees), ZERO)

    @property
    def products_excl(self) -> Decimal:
        return sum((line.total_excl for line in self.lines), ZERO)

    @property
    def products_incl(self) -> Decimal:
        return sum((line.total_incl for line in self.lines), ZERO)

    @property
    def shipping_incl(self) -> Decimal:
        return q2(self.shipping_excl * _factor(self.carrier_tax_rate))

    @property
    def discounts_excl(self) -> Decimal:
        return sum((v.amount_excl for v in self._vouchers()), ZERO)

    @property
    def discounts_incl(self) -> Decimal:
        return sum((v.amount_incl for v in self._vouchers()), ZERO)

    def _vouchers(self) -> list[Voucher]:
        # ``voucher`` set after construction (the generator does) still counts
        return self.vouchers or ([self.voucher] if self.voucher else [])

    @property
    def total_paid_excl(self) -> Decimal:
        return self.products_excl + self.shipping_excl + self.fees_excl - self.discounts_excl

    @property
    def total_paid_incl(self) -> Decimal:
        return self.products_incl + self.shipping_incl + self.fees_incl - self.discounts_incl

    def totals(self) -> dict[str, Decimal]:
        return {
            "products_excl": self.products_excl, "products_incl": self.products_incl,
            "shipping_excl": self.shipping_excl, "shipping_incl": self.shipping_incl,
            "discounts_excl": self.discounts_excl, "discounts_incl": self.discounts_incl,
            "total_paid_excl": self.total_paid_excl, "total_paid_incl": self.total_paid_incl,
        }


# -- the data set --------------------------------------------------------------------------------

_LISTS = {
    "taxes": Tax, "carriers": Carrier, "customers": Customer, "products": Product,
    "articles": Article, "orders": Order,
}


@dataclass
class Dataset:
    seed: int
    taxes: list[Tax]
    carriers: list[Carrier]
    customers: list[Customer]
    products: list[Product]
    articles: list[Article]
    orders: list[Order]
    special_articles: list[str] = field(default_factory=lambda: ["PORT", "REMISE", "EMBALLAGE"])

    # lookups
    def tax(self, tax_id: int) -> Tax:
        return next(t for t in self.taxes if t.id == tax_id)

    def customer(self, customer_id: int) -> Customer:
        return next(c for c in self.customers if c.id == customer_id)

    def order(self, order_id: int) -> Order:
        return next(o for o in self.orders if o.id == order_id)

    def article(self, reference: str) -> Article:
        return next(a for a in self.articles if a.reference == reference)

    # serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimals as strings; orders also carry their computed ``totals``)."""
        out: dict[str, Any] = {"seed": self.seed, "special_articles": list(self.special_articles)}
        for name in _LISTS:
            out[name] = [_plain(item) for item in getattr(self, name)]
        for order, plain in zip(self.orders, out["orders"]):
            plain["totals"] = {k: str(v) for k, v in order.totals().items()}
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``dataset.json`` plus one ``<entity>.json`` file per list; return the paths."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        paths = [target / "dataset.json"]
        paths[0].write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for name in _LISTS:
            path = target / f"{name}.json"
            path.write_text(json.dumps(data[name], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            paths.append(path)
        return paths

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Dataset":
        kwargs: dict[str, Any] = {"seed": data["seed"], "special_articles": list(data["special_articles"])}
        for name, kind in _LISTS.items():
            kwargs[name] = [_build(kind, item) for item in data[name]]
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | Path) -> "Dataset":
        """Load a file written by :meth:`write` (``dataset.json``) or :meth:`to_json`."""
        path = Path(path)
        if path.is_dir():
            path = path / "dataset.json"
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


_NESTED = {"combinations": Combination, "lines": OrderLine, "histories": History, "vouchers": Voucher,
           "fees": Fee, "refunds": Refund, "shipments": Shipment, "items": LineQuantity}


def _build(kind: type, data: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(kind):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _NESTED:
            value = [_build(_NESTED[f.name], v) for v in value]
        elif f.name == "voucher" and value is not None:
            value = _build(Voucher, value)
        elif "Decimal" in str(f.type) and value is not None:
            value = Decimal(value)
        kwargs[f.name] = value
    return kind(**kwargs)


def generate(seed: int = 1, orders: int = 20, customers: int = 80, shop_only_customers: int = 0,
             cases: bool = True) -> Dataset:
    """Build the data set: ``orders`` orders (order 1042 always among them), seeded by ``seed``.

    ``shop_only_customers`` makes the last N customers unknown to Sage (for customer-creation flows).
    ``cases=False`` leaves out issue 13's hard cases (guests, coupons, fees, other currency, long SKU,
    refunds, shipments…): plain orders, for tests whose point is elsewhere (crashes, exactly-once).
    """
    from passerelle_sandbox._generate import build

    return build(seed=seed, n_orders=orders, n_customers=customers, shop_only_customers=shop_only_customers,
                 cases=cases)
