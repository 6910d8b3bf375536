"""The data set's order fees, refunds and shipments (issue 13's hard cases; see :mod:`.dataset`)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from passerelle_sandbox._money import factor, q2

__all__ = ["Fee", "LineQuantity", "Refund", "Shipment"]


@dataclass
class Fee:
    """A fee line of an order (gift wrapping, payment fee): its name, amount excl. tax, tax rate."""

    name: str
    amount_excl: Decimal
    tax_rate: Decimal

    @property
    def amount_incl(self) -> Decimal:
        return q2(self.amount_excl * factor(self.tax_rate))


@dataclass
class LineQuantity:
    """``quantity`` units of order line ``line_id`` (in a refund or a shipment)."""

    line_id: int
    quantity: int


@dataclass
class Refund:
    """A partial refund: lines and quantities given back, plus the whole shipping when ``shipping``."""

    id: int
    date: str
    items: list[LineQuantity]
    shipping: bool = False
    note: str = ""


@dataclass
class Shipment:
    """A (partial) shipment: lines and quantities sent in one parcel with its tracking number."""

    id: int
    date: str
    items: list[LineQuantity]
    carrier_id: int
    tracking_number: str
