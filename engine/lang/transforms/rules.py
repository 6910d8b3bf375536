"""Business rules shared by Sage document lines.

Sage 100 wants a discount *flag* and a discount *value* only when a line really has a discount:
``{from: reduction_percent, transform: [flag_if_positive]}`` gives 1 or null, and
``{from: reduction_percent, transform: [if_positive]}`` gives the rate or null, so a zero, negative or
missing discount leaves both Sage fields empty.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.lang.registry import CompileContext, Example as E, Registry
from engine.lang.transforms._common import to_number

CATEGORY = "rule"
_TYPED = (Decimal, int)  # the common case, typed at the source (a bool is neither)


def _positive(value: Any, name: str) -> Any:
    """The number when it is > 0, else None."""
    cls = value.__class__
    if cls is Decimal or cls is int:  # the common case, typed at the source: no conversion
        return value if value > 0 else None
    if value is None:
        return None
    number = to_number(value, name)
    return number if number > 0 else None


def register(reg: Registry) -> None:
    @reg.transform("flag_if_positive", category=CATEGORY,
                   summary="1 when the value is a number above zero, else null "
                           "(discount flag of Sage lines).",
                   examples=[E(None, Decimal("10.000000"), 1), E(None, "0.000000", None), E(None, -5, None),
                             E(None, None, None), E(None, "aucune", raises="expected a number")])
    def flag_if_positive(arg: None, ctx: CompileContext):
        def flag(value: Any) -> Any:
            cls = value.__class__
            if cls is Decimal or cls is int:
                return 1 if value > 0 else None
            return None if _positive(value, "flag_if_positive") is None else 1

        setattr(flag, "inline", ("(1 if {v} > 0 else None) if {v}.__class__ in {0} else {F}({v})", (_TYPED,)))
        return flag

    @reg.transform("if_positive", category=CATEGORY,
                   summary="The value (as a number) when it is above zero, else null "
                           "(discount rate of Sage lines).",
                   examples=[E(None, "10.000000", Decimal("10.000000")), E(None, Decimal("0.00"), None),
                             E(None, -5, None), E(None, None, None)])
    def if_positive(arg: None, ctx: CompileContext):
        def positive(value: Any) -> Any:
            cls = value.__class__
            if cls is Decimal or cls is int:  # the common case first (as _positive, without the call)
                return value if value > 0 else None
            return _positive(value, "if_positive")

        setattr(positive, "inline", ("({v} if {v} > 0 else None) if {v}.__class__ in {0} else {F}({v})", (_TYPED,)))
        return positive
