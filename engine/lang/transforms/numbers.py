"""Arithmetic on exact numbers: int and ``Decimal`` only, never float.

Inputs may be ints, Decimals or numeric text (``"12.500000"`` from PrestaShop). An argument that is a
number may instead be read from the record with ``{from: PATH}`` (``{multiply: {from: quantity}}``); a
null read from the record gives a null result.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import CompileContext, Example as E, Registry
from engine.lang.transforms._common import Number, expect_list, number_or_from, operand, show, to_decimal, to_number

CATEGORY = "number"
_D = Decimal
_ORDER = {"id": 1042, "quantity": 3, "unit_price": "12.500000", "tax_rate": _D("5.5"), "discount": None}


def _binary(reg: Registry, name: str, summary: str, description: str, compute: Callable,
            examples: list, **number_keywords: Any) -> None:
    """Register ``name`` as ``fn(value, scope) = compute(value, operand)``."""

    @reg.transform(name, category=CATEGORY, summary=summary, needs_scope=True, examples=examples,
                   args=number_or_from(description, **number_keywords))
    def factory(arg: Any, ctx: CompileContext):
        read = operand(arg, ctx, name)

        def apply(value: Any, scope: Any) -> Any:
            if value is None:
                return None
            number = to_number(value, name)
            other = read(scope)
            return None if other is None else compute(number, other)

        return apply


def _divide(a: Number, b: Number) -> Decimal:
    if b == 0:
        raise TransformError(f"division by zero ({show(a)} / {show(b)})")
    return _D(a) / _D(b)


def _tax_excl(amount: Number, rate: Number) -> Decimal:
    if rate == -100:
        raise TransformError("tax rate -100 % cannot be removed (division by zero)")
    return _D(amount) * 100 / (100 + _D(rate))


def _tax_incl(amount: Number, rate: Number) -> Decimal:
    return _D(amount) * (100 + _D(rate)) / 100


def register(reg: Registry) -> None:
    _binary(reg, "add", "Add a number (or a number read from the record).", "Number to add.",
            lambda a, b: a + b,
            [E(_D("4.90"), _D("12.50"), _D("17.40")), E(1, 1041, 1042),
             E({"from": "quantity"}, 2, 5, scope=_ORDER), E({"from": "discount"}, 10, None, scope=_ORDER)])
    _binary(reg, "subtract", "Subtract a number (or a number read from the record).", "Number to subtract.",
            lambda a, b: a - b,
            [E(_D("4.90"), "17.40", _D("12.50")), E({"from": "quantity"}, 10, 7, scope=_ORDER),
             E(1, "N/A", raises="expected a number for subtract, got 'N/A'")])
    _binary(reg, "multiply", "Multiply by a number (or a number read from the record).", "Multiplier.",
            lambda a, b: a * b,
            [E({"from": "quantity"}, "12.500000", _D("37.500000"), scope=_ORDER), E(100, 3, 300),
             E({"from": "discount"}, _D("12.5"), None, scope=_ORDER)])
    _binary(reg, "divide", "Divide by a number (or a number read from the record); always a decimal.",
            "Divisor (not zero).", _divide,
            [E(100, 1250, _D("12.5")), E({"from": "quantity"}, _D("37.50"), _D("12.5"), scope=_ORDER),
             E({"from": "free"}, 10, raises="division by zero", scope={"free": 0})])
    _binary(reg, "tax_excl",
            "Remove a VAT rate in percent from a tax-included amount: value / (1 + rate/100).",
            "VAT rate in percent (20 for 20 %).", _tax_excl,
            [E(20, 15, _D("12.5")), E({"from": "tax_rate"}, _D("10.55"), _D("10"), scope=_ORDER),
             E(20, None, None)], minimum=0)
    _binary(reg, "tax_incl",
            "Add a VAT rate in percent to a tax-excluded amount: value * (1 + rate/100).",
            "VAT rate in percent (20 for 20 %).", _tax_incl,
            [E(20, _D("12.5"), _D("15")), E({"from": "tax_rate"}, "10", _D("10.55"), scope=_ORDER),
             E(_D("5.5"), "gratuit", raises="expected a number for tax_incl, got 'gratuit'")], minimum=0)

    @reg.transform("negate", category=CATEGORY, summary="Change the sign of a number.",
                   examples=[E(None, _D("12.50"), _D("-12.50")), E(None, "-3", 3), E(None, None, None)])
    def negate(arg: None, ctx: CompileContext):
        def apply(value: Any) -> Any:
            return None if value is None else -to_number(value, "negate")

        setattr(apply, "inline", ("-{v} if {v}.__class__ is int or ({v}.__class__ is {0} and {v}.is_finite()) "
                                  "else {F}({v})", (Decimal,)))
        return apply

    @reg.transform("abs", category=CATEGORY, summary="The absolute value of a number.",
                   examples=[E(None, _D("-12.50"), _D("12.50")), E(None, 3, 3),
                             E(None, True, raises="got true")])
    def absolute(arg: None, ctx: CompileContext):
        return lambda value: None if value is None else abs(to_number(value, "abs"))

    @reg.transform("round", category=CATEGORY,
                   args={"type": "integer", "minimum": 0, "maximum": 12,
                         "description": "Number of decimal places."},
                   summary="Round half away from zero (ROUND_HALF_UP) to N decimal places; gives a decimal.",
                   examples=[E(2, _D("2.345"), _D("2.35")), E(0, _D("2.5"), _D("3")),
                             E(2, _D("-2.345"), _D("-2.35")),
                             E(2, "12.500000", _D("12.50")), E(2, None, None)])
    def round_(arg: int, ctx: CompileContext):
        quantum = _D(1).scaleb(-arg)

        def apply(value: Any) -> Any:
            if value is None:
                return None
            number = to_decimal(value, "round")
            try:
                return number.quantize(quantum, rounding=ROUND_HALF_UP)
            except InvalidOperation:
                raise TransformError(
                    f"cannot round {show(number)} to {arg} places: too many digits") from None

        return apply

    @reg.transform("sum", category=CATEGORY, summary="The sum of a list of numbers; null items are skipped.",
                   examples=[E(None, [_D("12.50"), "4.90", None], _D("17.40")), E(None, [1, 2, 3], 6),
                             E(None, [], 0), E(None, _D("12.50"), raises="sum expects a list")])
    def sum_(arg: None, ctx: CompileContext):
        def apply(value: Any) -> Any:
            if value is None:
                return None
            total: Number = 0
            for item in expect_list(value, "sum"):
                if item is not None:
                    total += to_number(item, "sum")
            return total

        return apply

    @reg.transform("line_number", category=CATEGORY,
                   args={"type": "object", "description": "How lines are numbered.",
                         "properties": {
                             "step": {"type": "integer", "minimum": 1,
                                      "description": "Gap between two lines (Sage 100: 1000)."},
                             "start": {"type": "integer", "minimum": 0,
                                       "description": "Number of the first line (default: step)."}},
                         "required": ["step"], "additionalProperties": False},
                   summary="Turn a 1-based position (`_position` inside `each`) into a line number: "
                           "start + (position - 1) * step; start defaults to step (1000, 2000, ...).",
                   examples=[E({"step": 1000}, 1, 1000), E({"step": 1000}, 3, 3000),
                             E({"step": 10, "start": 100}, 2, 110), E({"step": 1000}, None, None),
                             E({"step": 1000}, 0, raises="expected a 1-based position"),
                             E({"step": 1000}, "2", raises="expected a 1-based position")])
    def line_number(arg: dict, ctx: CompileContext):
        step = arg["step"]
        start = arg.get("start", step)

        def apply(value: Any) -> Any:
            if value is None:
                return None
            if value.__class__ is not int or value < 1:
                raise TransformError(f"line_number: expected a 1-based position (1, 2, 3, ...), got "
                                     f"{show(value)}: give it `_position` (`_index` counts from 0)")
            return start + (value - 1) * step

        return apply
