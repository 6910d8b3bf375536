"""The money rule of the data set: ``Decimal``, rounded half-up to 2 places."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["CENT", "ZERO", "factor", "q2"]

CENT = Decimal("0.01")
ZERO = Decimal("0")


def q2(value: Decimal) -> Decimal:
    """Round half-up to 2 places (the money rule used everywhere here)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def factor(rate: Decimal) -> Decimal:
    """``1 + rate / 100``."""
    return Decimal(1) + rate / Decimal(100)
