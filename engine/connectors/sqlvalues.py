"""Values crossing the SQL boundary: placeholders' values bound as parameters, column values read
back exactly, and bound values shown (masked) in a dry-run."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, tzinfo
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


class Later(str):
    """A value fetched inside the write's transaction, shown by a dry-run as where it comes from."""

    __slots__ = ()


class Fetched(dict):
    """A dry-run's stand-in for the row of a ``fetch`` step: every column is a :class:`Later`."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> Later:
        return Later(f"{self.name}.{key}")


def bind_values(sql: SqlText, scope: Mapping[str, Any], reveal: bool) -> list:
    """The parameters of ``sql``, in order. A secret is revealed only for the wire (``reveal``); a
    parameter's pipes (``{piece.DC_Piece | next_number}``) apply to its value."""
    out = []
    apply = sql.apply
    for index, path in enumerate(sql.params):
        value = value_at(scope, path)
        if apply and apply[index] is not None:
            value = Later(f"{value} | {' | '.join(sql.pipes[index])}") if isinstance(value, Later) \
                else apply[index](value)
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
    if isinstance(value, Later):
        return f"<fetched: {value}>"
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


# -- time zones: Sage stores naive local datetimes -------------------------------------------------

def column_readers(description: Any, zone: tzinfo) -> list[tuple[int, Callable[[Any], Any]]]:
    """Per column of a result whose values need converting, its index and converter: floats become
    exact Decimals; dates and datetimes become ISO 8601 text, a naive datetime read in ``zone``
    (``2024-05-14T10:00:00+02:00``), so a cursor and a record carry their time zone and stay JSON."""
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(description or ()):
        kind = column[1]
        if kind is float:
            out.append((index, exact))
        elif kind in (datetime, date, time) or kind not in _PLAIN:  # unknown: check each value
            out.append((index, functools.partial(_converted, zone=zone)))
    return out


_PLAIN = (str, int, Decimal, bool, bytes, bytearray)


def _converted(value: Any, zone: tzinfo) -> Any:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=zone) if value.tzinfo is None else value).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return exact(value)


def cursor_value(cursor: Any, zone: tzinfo) -> Any:
    """The runtime's cursor as the database compares it: an ISO datetime with its offset becomes the
    naive local datetime of ``zone``; anything else is bound as it is."""
    if isinstance(cursor, str) and len(cursor) >= 19 and cursor[4:5] == "-" and cursor[10:11] in "T ":
        try:
            moment = datetime.fromisoformat(cursor)
        except ValueError:
            return cursor
        return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo is not None else moment
    return cursor
