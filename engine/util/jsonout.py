"""JSON output with exact decimals: ``Decimal("12.500000")`` is written as the number ``12.5``.

The standard encoder cannot write a Decimal as a number without going through float; this small
encoder writes payloads exactly, keeps key order as built, and refuses values that have no JSON
form (a date left unformatted) with a message saying how to fix the spec. A value whose type defines
``__jsonout__()`` is written as what that returns: a ``Secret`` is written as its mask, ``"***"``.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_str = json.JSONEncoder(ensure_ascii=False).encode


class OutputError(TypeError):
    pass


def number_text(value: Decimal) -> str:
    if not value.is_finite():
        raise OutputError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    if value == value.to_integral_value():
        return format(value.to_integral_value(), "f")  # no int(): 1e5000 has too many digits for str(int)
    return format(value.normalize(), "f")


def plain(value: Any) -> Any:
    """A copy where Decimals become int/float-free JSON-ready values (for comparisons in tests)."""
    return json.loads(dumps(value), parse_float=Decimal)


def dumps(value: Any, indent: int | None = None) -> str:
    parts: list[str] = []
    _write(value, parts, indent, 0, "")
    return "".join(parts)


MAX_DEPTH = 100


def _write(value: Any, out: list[str], indent: int | None, level: int, where: str) -> None:
    if level > MAX_DEPTH:
        raise OutputError(f"{where or 'value'} is nested more than {MAX_DEPTH} levels deep")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_str(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(number_text(value))
    elif isinstance(value, float):
        out.append(number_text(Decimal(repr(value))))
    elif isinstance(value, dict):
        _container(list(value.items()), "{", "}", out, indent, level, where, True)
    elif isinstance(value, (list, tuple)):
        _container(list(value), "[", "]", out, indent, level, where, False)
    elif callable(getattr(type(value), "__jsonout__", None)):  # a value that chooses its JSON form
        _write(value.__jsonout__(), out, indent, level + 1, where)
    elif isinstance(value, (datetime, date)):
        raise OutputError(f"{where or 'value'} is a date ({value.isoformat()}); format it for the "
                          "target, e.g. with `ms_json_date` or `format_date`")
    else:
        raise OutputError(f"{where or 'value'} has no JSON form ({type(value).__name__})")


def _container(items, open_, close, out, indent, level, where, is_map):
    if not items:
        out.append(open_ + close)
        return
    out.append(open_)
    pad = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    sep = ": " if indent is not None else ":"
    for position, item in enumerate(items):
        if position:
            out.append(",")
        out.append(pad)
        if is_map:
            key, val = item
            out.append(_str(str(key)) + sep)
            _write(val, out, indent, level + 1, f"{where}.{key}" if where else str(key))
        else:
            _write(item, out, indent, level + 1, f"{where}[{position}]")
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(close)
