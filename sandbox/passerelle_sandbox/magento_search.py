"""``searchCriteria`` for the Magento simulator's list endpoints (Adobe Commerce REST, search criteria).

* ``searchCriteria[filter_groups][G][filters][F][field|value|condition_type]``: filters of one group
  are OR-ed, groups are AND-ed; ``condition_type`` defaults to ``eq``. Conditions: ``eq, neq, gt,
  gteq, lt, lteq, moreq`` (= gteq), ``like, nlike`` (SQL ``%``/``_`` wildcards), ``in, nin`` (comma
  lists), ``finset, nfinset``, ``from`` (>=), ``to`` (<=), ``null, notnull``.
* Comparisons follow MySQL: a numeric column compares numerically; text compares case-insensitively
  (the default ``utf8_general_ci`` collation); a date-only value on a ``*_at`` column means midnight.
  An absent (NULL) column matches only ``null``, as in SQL (even ``NULL <> x`` is not true).
* ``sortOrders[i][field|direction]`` (ASC default; NULL sorts first ascending); ties keep entity-id
  order. ``pageSize`` + ``currentPage`` (1-based): no ``pageSize`` (or 0) → every match; a page past
  the end answers the last page (``past_end="last"``, the historical behaviour of #3787/#8099/#26986)
  or an empty page (``past_end="empty"``); a page below 1 is page 1.
* camelCase and snake_case keys are both accepted (``filterGroups``/``filter_groups``, ``pageSize``/
  ``page_size``…), as Magento's input processor converts them.
* An unknown field or condition would be an SQL error inside Magento: the simulator answers the
  a generic 500 (simulator choice).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

__all__ = ["MagentoError", "Criteria", "parse_criteria", "search"]

CONDITIONS = frozenset({"eq", "neq", "gt", "gteq", "lt", "lteq", "moreq", "like", "nlike", "in", "nin",
                        "finset", "nfinset", "from", "to", "null", "notnull"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class MagentoError(Exception):
    """An error answer: ``{"message": …, "parameters": …}``; parameters left out when empty."""

    def __init__(self, status: int, message: str, parameters: list | dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.parameters = status, message, parameters

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def required(name: str) -> MagentoError:
    return MagentoError(400, '"%fieldName" is required. Enter and try again.', {"fieldName": name})


def internal_error(report: str) -> MagentoError:
    return MagentoError(500, f"Internal Error. Details are available in Magento log file. Report ID: {report}")


def _snake(key: str) -> str:
    return _CAMEL.sub("_", key).lower()


def _node(value: Any) -> dict[str, Any]:
    return {_snake(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _int(value: Any, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    match = re.match(r"^\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


def _ordered(value: Any) -> list[Any]:
    """PHP array members in key order (numeric keys numerically)."""
    if not isinstance(value, dict):
        return []
    return [value[k] for k in sorted(value, key=lambda k: (0, int(k)) if k.isdigit() else (1, k))]


class Criteria:
    """The parsed criteria and what Magento echoes back as ``search_criteria``."""

    def __init__(self, groups: list[list[dict[str, str]]], sorts: list[tuple[str, str]],
                 page_size: int | None, current_page: int | None) -> None:
        self.groups, self.sorts = groups, sorts
        self.page_size, self.current_page = page_size, current_page

    def echo(self) -> dict[str, Any]:
        out: dict[str, Any] = {"filter_groups": [{"filters": [dict(f) for f in g]} for g in self.groups]}
        if self.sorts:
            out["sort_orders"] = [{"field": f, "direction": d} for f, d in self.sorts]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


def parse_criteria(params: dict[str, Any]) -> Criteria:
    """``params`` = PHP-style nested query (``php_params``); missing ``searchCriteria`` → 400."""
    if "searchCriteria" not in params and "search_criteria" not in params:
        raise required("searchCriteria")
    root = _node(params.get("searchCriteria", params.get("search_criteria")))
    groups = []
    for group in _ordered(root.get("filter_groups")):
        filters = []
        for raw in _ordered(_node(group).get("filters")):
            f = _node(raw)
            item = {"field": str(f.get("field", "")), "value": str(f.get("value", "")),
                    "condition_type": str(f.get("condition_type") or "eq")}
            filters.append(item)
        if filters:
            groups.append(filters)
    sorts = []
    for raw in _ordered(root.get("sort_orders")):
        s = _node(raw)
        direction = str(s.get("direction") or "ASC").upper()
        sorts.append((str(s.get("field", "")), "DESC" if direction == "DESC" else "ASC"))
    return Criteria(groups, sorts, _int(root.get("page_size"), None), _int(root.get("current_page"), None))


def _number(text: str) -> Decimal | None:
    match = re.match(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)", text)
    try:
        return Decimal(match.group(1)) if match else Decimal(0)
    except InvalidOperation:
        return None


def _key(field: str, stored: Any, value: str) -> tuple[Any, Any]:
    """(stored, wanted) in comparable form: numbers numerically, text case-insensitively."""
    if isinstance(stored, bool):
        stored = int(stored)
    if isinstance(stored, (int, float, Decimal)):
        return Decimal(str(stored)), _number(value) or Decimal(0)
    text = value.replace("T", " ", 1) if field.endswith("_at") else value
    if field.endswith("_at") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += " 00:00:00"
    return str(stored).lower(), text.lower()


def _like(pattern: str) -> re.Pattern[str]:
    parts = []
    for ch in pattern.lower():
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(parts), re.S)


def _matches(row: dict[str, Any], f: dict[str, str], compiled: dict[int, Any]) -> bool:
    field, value, cond = f["field"], f["value"], f["condition_type"]
    stored = row.get(field)
    if cond == "null":
        return stored is None
    if cond == "notnull":
        return stored is not None
    if stored is None:
        return False
    if cond in ("in", "nin"):
        wanted = {_key(field, stored, v.strip())[1] for v in value.split(",")}
        hit = _key(field, stored, "")[0] in wanted
        return hit if cond == "in" else not hit
    if cond in ("finset", "nfinset"):
        hit = value.lower() in [p.lower() for p in str(stored).split(",")]
        return hit if cond == "finset" else not hit
    if cond in ("like", "nlike"):
        pattern = compiled.setdefault(id(f), _like(value))
        hit = pattern.fullmatch(str(stored).lower()) is not None
        return hit if cond == "like" else not hit
    have, want = _key(field, stored, value)
    if want is None:
        return False
    return {"eq": have == want, "neq": have != want, "gt": have > want, "gteq": have >= want,
            "moreq": have >= want, "from": have >= want, "lt": have < want, "lteq": have <= want,
            "to": have <= want}[cond]


def search(rows: Iterable[dict[str, Any]], criteria: Criteria, columns: frozenset[str] | set[str],
           report: str, past_end: str = "last") -> tuple[list[dict[str, Any]], int]:
    """(the requested page, total_count). ``rows`` come in entity-id order; ``columns`` are the fields
    that exist (filter/sort on anything else → 500)."""
    for group in criteria.groups:
        for f in group:
            if f["field"] not in columns or f["condition_type"] not in CONDITIONS:
                raise internal_error(report)
    for field, _ in criteria.sorts:
        if field not in columns:
            raise internal_error(report)
    compiled: dict[int, Any] = {}
    found = [row for row in rows
             if all(any(_matches(row, f, compiled) for f in group) for group in criteria.groups)]
    for field, direction in reversed(criteria.sorts):
        found.sort(key=lambda r: _sort_key(r.get(field)), reverse=direction == "DESC")
    total = len(found)
    size = criteria.page_size or 0
    if size <= 0:
        return found, total
    last = max(1, -(-total // size))
    page = max(1, criteria.current_page or 1)
    if page > last:
        if past_end == "empty":
            return [], total
        page = last
    return found[(page - 1) * size: page * size], total


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (1, Decimal(str(value)))
    return (2, str(value).lower())
