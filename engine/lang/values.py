"""Plain values as the language sees them: numbers (int or Decimal, never float) and short renderings
for error messages. Shared by transforms and lookup tables."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+\Z")

Number = int | Decimal


def show(value: Any, limit: int = 40) -> str:
    """A short, readable rendering of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, int):
        text = str(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_number(value: Any) -> Number | None:
    """The number a value stands for, or None when it is not one (bool, text that is not a number,
    NaN or infinity). Integer text gives an ``int``, any other number text a ``Decimal``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        number = Decimal(repr(value))
        return number if number.is_finite() else None
    if isinstance(value, str):
        text = value.strip()
        if _INT_TEXT.match(text):
            return int(text)
        if _NUMBER_TEXT.match(text):
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the regex only lets numbers through
                return None
    return None
