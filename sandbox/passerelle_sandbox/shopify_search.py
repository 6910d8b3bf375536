"""Shopify search syntax and cursor paging over the stored orders (Shopify API search syntax).

``query:`` strings: terms separated by spaces are ANDed, ``OR`` between terms, ``-term`` or ``NOT term``
negates, ``field:value`` with optional comparators ``:>``, ``:>=``, ``:<``, ``:<=`` and values quoted
with ``'`` or ``"`` (``updated_at:>'2024-05-14T10:00:00Z' -tag:erp-exported``). Order fields:
``updated_at``, ``created_at``, ``processed_at`` (ISO 8601 with offset/``Z``, or a date read in the shop
time zone), ``status`` (open | closed | cancelled | any), ``financial_status`` (paid, pending, …, any),
``fulfillment_status`` (unshipped/unfulfilled, shipped/fulfilled, partial, any), ``tag``, ``name``,
``id``, ``email``, ``sku``. A term without a field matches the name or the email. An unknown field is
ignored and reported in ``extensions.search[].warnings`` (what Shopify does with invalid search fields).

Cursors are opaque base64 JSON ``{"last_id", "last_value"}``; pages walk an index sorted by
``(sort value, id)`` (one per ``sortKey``, rebuilt lazily after a write), so each page starts from its
cursor with a bisection: reading N orders costs O(N log N), never O(N²).
"""
from __future__ import annotations

import base64
import json
import re
from bisect import bisect_left, bisect_right
from datetime import datetime, time
from typing import Any, Callable
from zoneinfo import ZoneInfo

__all__ = ["SORT_KEYS", "OrderIndex", "compile_search", "decode_cursor", "encode_cursor"]

SORT_KEYS = {"ID": "id", "ORDER_NUMBER": "id", "UPDATED_AT": "_updated", "CREATED_AT": "_created",
             "PROCESSED_AT": "_created"}
_TERM = re.compile(r"""(?P<neg>-)?(?:(?P<field>[A-Za-z_]+):(?P<op>>=|<=|>|<)?(?P<value>'[^']*'|"[^"]*"|\S*)"""
                   r"""|(?P<text>'[^']*'|"[^"]*"|\S+))""")
_DATE_FIELDS = {"updated_at": "_updated", "created_at": "_created", "processed_at": "_created"}

Predicate = Callable[[dict[str, Any]], bool]


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def parse_moment(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 with offset or ``Z``; a naive value or a bare date is read in the shop time zone."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(0), tz)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _compare(op: str, left: Any, right: Any) -> bool:
    return {"": left == right, ">": left > right, ">=": left >= right, "<": left < right,
            "<=": left <= right}[op]


def _term(field: str, op: str, value: str, tz: ZoneInfo) -> Predicate | None:
    if field in _DATE_FIELDS:
        key, moment = _DATE_FIELDS[field], parse_moment(value, tz)
        return lambda rec: _compare(op, rec[key], moment)
    lowered = value.lower()
    if field == "status":
        return {"any": lambda rec: True,
                "open": lambda rec: rec["closed_at"] is None and rec["cancelled_at"] is None,
                "closed": lambda rec: rec["closed_at"] is not None,
                "cancelled": lambda rec: rec["cancelled_at"] is not None}.get(lowered, lambda rec: False)
    if field == "financial_status":
        return (lambda rec: True) if lowered == "any" else (lambda rec: rec["financial_status"] == lowered)
    if field == "fulfillment_status":
        if lowered in ("any",):
            return lambda rec: True
        if lowered in ("unshipped", "unfulfilled"):
            return lambda rec: rec["fulfillment_status"] is None
        wanted = {"shipped": "fulfilled"}.get(lowered, lowered)
        return lambda rec: rec["fulfillment_status"] == wanted
    if field == "tag":
        return lambda rec: lowered in {t.strip().lower() for t in rec["tags"].split(",") if t.strip()}
    if field == "name":
        return lambda rec: rec["name"].lower() in (lowered, f"#{lowered}")
    if field == "email":
        return lambda rec: (rec["email"] or "").lower() == lowered
    if field == "sku":
        return lambda rec: any((li["sku"] or "").lower() == lowered for li in rec["line_items"])
    if field == "id":
        number = int(value.rsplit("/", 1)[-1]) if value.rsplit("/", 1)[-1].isdigit() else -1
        return lambda rec: _compare(op, rec["id"], number)
    return None


def compile_search(query: str | None, tz: ZoneInfo) -> tuple[Predicate | None, list[dict[str, Any]]]:
    """Predicate for a ``query:`` string (None = everything) and the warnings for unknown fields."""
    if not query or not query.strip():
        return None, []
    groups: list[list[Predicate]] = [[]]
    warnings: list[dict[str, Any]] = []
    negate_next = False
    for match in _TERM.finditer(query):
        if match.group("text") in ("OR",):
            groups.append([])
            continue
        if match.group("text") in ("AND",):
            continue
        if match.group("text") == "NOT":
            negate_next = True
            continue
        negate = bool(match.group("neg")) != negate_next
        negate_next = False
        if match.group("field"):
            field, op, value = match.group("field").lower(), match.group("op") or "", _unquote(match.group("value"))
            try:
                predicate = _term(field, op, value, tz)
            except ValueError:
                predicate = None
            if predicate is None:
                warnings.append({"field": field, "message": "Invalid search field for this query."})
                continue
        else:
            text = _unquote(match.group("text")).lower()
            predicate = (lambda t: lambda rec: t in rec["name"].lower() or t in (rec["email"] or "").lower())(text)
        groups[-1].append((lambda p: lambda rec: not p(rec))(predicate) if negate else predicate)
    groups = [g for g in groups if g]
    if not groups:
        return None, warnings
    return (lambda rec: any(all(p(rec) for p in group) for group in groups)), warnings


def encode_cursor(rec: dict[str, Any], key: str) -> str:
    value = rec[key]
    text = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps({"last_id": rec["id"], "last_value": text}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str, key: str) -> tuple[Any, int]:
    """(sort value, id) of a cursor; ValueError when it is not one of ours."""
    try:
        data = json.loads(base64.b64decode(cursor.encode(), validate=True))
        ident = int(data["last_id"])
        value = data["last_value"]
        value = datetime.fromisoformat(value) if key != "id" else int(value)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise ValueError("invalid cursor") from None
    return value, ident


class OrderIndex:
    """Orders sorted by one key; ``page`` returns up to ``size`` matches after/before a position."""

    def __init__(self, records: list[dict[str, Any]], key: str) -> None:
        self.key = key
        ordered = sorted(records, key=lambda r: (r[key], r["id"]))
        self.keys = [(r[key], r["id"]) for r in ordered]
        self.records = ordered

    def page(self, size: int, predicate: Predicate | None, start: tuple | None = None,
             backwards: bool = False) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` matches strictly after ``start`` (before it when ``backwards``, walking down),
        and whether more matches follow."""
        if backwards:
            high = bisect_left(self.keys, start) if start is not None else len(self.keys)
            positions: range = range(high - 1, -1, -1)
        else:
            positions = range(bisect_right(self.keys, start) if start is not None else 0, len(self.keys))
        found: list[dict[str, Any]] = []
        for pos in positions:
            rec = self.records[pos]
            if predicate is None or predicate(rec):
                if len(found) == size:
                    return found, True
                found.append(rec)
        return found, False
