"""Helpers shared by the transform modules: number coercion, stringifying, ``{from: PATH}`` arguments.

Money is never float: numbers are ``int`` or ``Decimal``. A float (which the YAML loader and the
connectors should never produce) is converted through its ``repr`` so ``0.1`` stays ``0.1``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.errors import TransformError
from engine.lang.registry import ArgError, CompileContext
from engine.lang.values import DECIMAL_COMMA, Number, parse_number, show  # noqa: F401  (used by the transform modules)


def is_number(value: Any) -> bool:
    """int, Decimal or float, but not bool."""
    return isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)


def to_number(value: Any, what: str = "") -> Number:
    """``parse_number`` that raises a TransformError naming the value (``None`` must be handled
    by the caller)."""
    number = parse_number(value)
    if number is None:
        where = f" for {what}" if what else ""
        hint = ""
        if isinstance(value, str) and DECIMAL_COMMA.match(value.strip()):
            hint = " (decimal comma? add {replace: {old: ',', new: '.'}} first)"
        elif value == "":
            hint = " (an empty string: add {null_if: ''} first to treat it as null)"
        raise TransformError(f"expected a number{where}, got {show(value)}{hint}")
    return number


def to_decimal(value: Any, what: str = "") -> Decimal:
    number = to_number(value, what)
    return Decimal(number) if isinstance(number, int) else number


def stringify(value: Any) -> str:
    """Text for a scalar: Decimal written plainly (``format(d, 'f')``), bool as true/false,
    dates in ISO 8601. Lists and objects raise a TransformError."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        raise TransformError(f"expected text, got a list {show(value)} (use join to make text of a list)")
    raise TransformError(f"expected text, got {type(value).__name__} {show(value)}")


def same_value(value: Any, other: Any) -> bool:
    """Equality where numbers compare numerically (``Decimal('0.0')`` equals ``0``; a number also
    equals numeric text such as ``'0.000'``), booleans only equal booleans and text equals text."""
    if isinstance(value, bool) or isinstance(other, bool):
        return isinstance(value, bool) and isinstance(other, bool) and value == other
    if is_number(value) or is_number(other):
        a, b = parse_number(value), parse_number(other)
        return a is not None and b is not None and a == b
    return value == other


def number_or_from(description: str, **number_keywords: Any) -> dict:
    """Schema of an argument that is a number or ``{from: PATH}`` (read from the record)."""
    return {
        "description": description,
        "oneOf": [
            {"type": "number", "description": description, **number_keywords},
            FROM_SCHEMA,
        ],
    }


FROM_SCHEMA = {
    "type": "object",
    "description": "Read the number from the record being mapped.",
    "properties": {
        "from": {"type": "string", "minLength": 1,
                 "description": "JMESPath expression evaluated on the record (e.g. quantity)."},
    },
    "required": ["from"],
    "additionalProperties": False,
}


def operand(arg: Any, ctx: CompileContext, name: str) -> Callable[[Any], Number | None]:
    """A function ``scope -> number or None`` for an argument written as a number or ``{from: PATH}``.

    The expression is compiled here, so a syntax error is an ArgError at compile time."""
    if isinstance(arg, dict):
        text = arg["from"]
        try:
            search = ctx.expression(text)
        except ArgError as exc:
            raise relocate(exc, ("from",)) from None
        what = f"{name} (from: {text})"

        def read(scope: Any) -> Number | None:
            found = search(scope)
            return None if found is None else to_number(found, what)

        return read
    constant = to_number(arg, name)
    return lambda scope: constant


def relocate(exc: ArgError, at: tuple) -> ArgError:
    """The same ArgError located deeper inside the argument."""
    return ArgError(exc.message, hint=exc.hint, at=tuple(at) + tuple(exc.at), offset=exc.offset, code=exc.code)


def expect_list(value: Any, transform: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise TransformError(f"{transform} expects a list, got {show(value)}")
    return list(value)
