"""Values crossing the SQL boundary: placeholders' values bound as parameters, column values read
back exactly, and bound values shown (masked) in a dry-run."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from engine.connectors.sqltext import SqlText
from engine.spec.env import MASK, Secret
from engine.util.jsonout import number_text


def value_at(scope: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at a dotted placeholder path; a missing field is an error (never a silent NULL)."""
    value: Any = scope
    for depth, step in enumerate(path):
        if not isinstance(value, Mapping) or step not in value:
            where = ".".join(path[:depth]) or "the write's values"
            what = "has no field" if isinstance(value, Mapping) else f"is {_kind(value)}, it has no field"
            raise ValueError(f"{{{'.'.join(path)}}}: {where} {what} '{step}' (map it, as null if it may be empty)")
        value = value[step]
    return value


def bind_values(sql: SqlText, scope: Mapping[str, Any], reveal: bool) -> list:
    """The parameters of ``sql``, in order. A secret is revealed only for the wire (``reveal``)."""
    out = []
    for path in sql.params:
        value = value_at(scope, path)
        if isinstance(value, Secret):
            value = value.reveal() if reveal else MASK
        elif isinstance(value, bool):
            value = int(value)
        elif isinstance(value, float):
            value = Decimal(repr(value))
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"{{{'.'.join(path)}}} is {value}, not a number a database can store")
        elif isinstance(value, (Mapping, list, tuple, set)):
            raise ValueError(f"{{{'.'.join(path)}}} is {_kind(value)}, not one value a parameter can hold")
        out.append(value)
    return out


def exact(value: Any) -> Any:
    """A column value as the engine keeps it: drivers without numeric support hand floats over."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def shown(value: Any) -> str:
    """A bound value as a dry-run shows it (a masked secret is already ``***``)."""
    if value is None:
        return "NULL"
    if isinstance(value, Decimal):
        return number_text(value) if value.is_finite() else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return json.dumps(value.isoformat())
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    return json.dumps(str(value), ensure_ascii=False)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple, set)):
        return "a list"
    return f"a {type(value).__name__}"
