"""OData v4 query options as the Smartstore Web API (ASP.NET Core OData 8) applies them — the subset flows use.

* ``$filter``: a real parser for comparisons ``eq ne gt ge lt le`` of a property (left) with a literal
  (right), ``and``/``or``/``not`` and parentheses, and ``Prop in (lit, …)`` (the IN operator, supported by
  ASP.NET (Core) OData since 7.0). Literals: strings in single quotes (``''`` escapes a quote), integers,
  decimals, ``true``/``false``/``null``, and DateTimeOffset literals written unquoted in ISO 8601 with
  ``Z`` or an offset (``UpdatedOnUtc gt 2024-05-14T10:00:00Z``). A quoted date compared with a
  DateTimeOffset property is refused with the OData "incompatible types" error, as the real server does.
  Functions (``contains(…)``, ``startswith(…)``), arithmetic, lambdas and navigation paths answer **501
  not simulated** (:class:`NotSimulated`), never an imitation of a vendor error.
* ``$orderby`` (``Prop [asc|desc], …``), ``$top`` (above MaxTop: 400), ``$skip``, ``$count=true``,
  ``$select`` and ``$expand`` (a list of navigation properties; nested options are not simulated).

Property types are the entity set's declared EDM types (:data:`passerelle_sandbox.smartstore_data.TYPES`).
Error texts are Microsoft.OData's (``Could not find a property named …``); the ``$top`` limit text is
ASP.NET OData's query validator's, unverified against a live Smartstore.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

__all__ = ["NotSimulated", "ODataError", "Query", "compile_filter", "parse_query"]


class ODataError(Exception):
    """A request the real server refuses: HTTP status and the OData error message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class NotSimulated(Exception):
    """A valid OData construct this simulator does not implement (answered 501)."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[mMdDfF])?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[(),])
""", re.X)
COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_KIND = {"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan",
         "le": "LessThanOrEqual"}
UNSIMULATED_WORDS = {"has", "add", "sub", "mul", "div", "mod", "any", "all", "divby"}


@dataclass(frozen=True)
class Literal:
    edm: str  # Edm.String, Edm.Int32, Edm.Decimal, Edm.Boolean, Edm.DateTimeOffset, null
    value: Any


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ODataError(400, f"Syntax error at position {pos} in '{text}'.")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append((kind, match.group()))
    return out


def parse_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _literal(kind: str, text: str) -> Literal:
    if kind == "date":
        return Literal("Edm.DateTimeOffset", parse_datetime(text))
    if kind == "string":
        return Literal("Edm.String", text[1:-1].replace("''", "'"))
    if kind == "number":
        digits = text.rstrip("mMdDfF")
        if "." in digits or digits != text:
            return Literal("Edm.Decimal", Decimal(digits))
        return Literal("Edm.Int32", int(digits))
    if text in ("true", "false"):
        return Literal("Edm.Boolean", text == "true")
    if text == "null":
        return Literal("null", None)
    raise NotSimulated(f"the filter value {text!r}")


Predicate = Callable[[dict[str, Any]], bool]


class _Parser:
    def __init__(self, text: str, types: dict[str, str], entity: str) -> None:
        self.text, self.types, self.entity = text, types, entity
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ODataError(400, f"Syntax error: the expression '{self.text}' ended unexpectedly.")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, text = self.take()
        if text != value:
            raise ODataError(400, f"Syntax error: '{value}' expected at '{text}' in '{self.text}'.")

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            word = self.peek()[1]  # type: ignore[index]
            if word in UNSIMULATED_WORDS:
                raise NotSimulated(f"the operator '{word}'")
            raise ODataError(400, f"Syntax error at '{word}' in '{self.text}'.")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("name", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() == ("name", "and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def unary(self) -> Predicate:
        token = self.take()
        if token == ("name", "not"):
            inner = self.unary()
            return lambda r: not inner(r)
        if token == ("punct", "("):
            inner = self.disjunction()
            self.expect(")")
            return inner
        kind, name = token
        if kind != "name" or name in ("true", "false", "null"):
            raise NotSimulated(f"a filter whose left operand is not a property ({name!r})")
        follower = self.peek()
        if follower == ("punct", "("):
            raise NotSimulated(f"the function {name}()")
        if "/" in name:
            raise NotSimulated(f"the navigation path {name}")
        edm = self.types.get(name)
        if edm is None:
            raise ODataError(400, f"Could not find a property named '{name}' on type '{self.entity}'.")
        op = self.take()[1]
        if op == "in":
            return self.in_list(name, edm)
        if op in UNSIMULATED_WORDS:
            raise NotSimulated(f"the operator '{op}'")
        if op not in COMPARE:
            raise ODataError(400, f"Syntax error at '{op}' in '{self.text}'.")
        right = self.take()
        if right[1] in ("(",) or (right[0] == "name" and self.peek() == ("punct", "(")):
            raise NotSimulated("a filter whose right operand is not a literal")
        if right[0] == "name" and right[1] not in ("true", "false", "null"):
            raise NotSimulated(f"comparing two properties ({name} {op} {right[1]})")
        literal = self.check(name, edm, _literal(*right), op)
        return _compare(name, op, literal)

    def in_list(self, name: str, edm: str) -> Predicate:
        self.expect("(")
        values = []
        while True:
            values.append(self.check(name, edm, _literal(*self.take()), "In").value)
            kind, text = self.take()
            if text == ")":
                break
            if text != ",":
                raise ODataError(400, f"Syntax error: ',' or ')' expected at '{text}' in '{self.text}'.")
        wanted = set(values)
        return lambda r: _cast(r.get(name), edm) in wanted

    def check(self, name: str, edm: str, literal: Literal, op: str) -> Literal:
        if literal.edm == "null" or literal.edm == edm:
            return literal
        numeric = ("Edm.Int32", "Edm.Decimal")
        if edm in numeric and literal.edm in numeric:
            return Literal(edm, Decimal(literal.value) if edm == "Edm.Decimal" else literal.value)
        if edm.startswith("Smartstore.") and literal.edm == "Edm.String":
            return literal  # enum members compare with their name in quotes
        raise ODataError(400, "A binary operator with incompatible types was detected. Found operand types "
                              f"'{edm}' and '{literal.edm}' for operator kind '{_KIND.get(op, op)}'.")


def _cast(value: Any, edm: str) -> Any:
    if value is None:
        return None
    if edm == "Edm.DateTimeOffset":
        return parse_datetime(value)
    if edm == "Edm.Decimal":
        return Decimal(str(value))
    return value


def _compare(name: str, op: str, literal: Literal) -> Predicate:
    wanted, edm = literal.value, literal.edm

    def test(record: dict[str, Any]) -> bool:
        value = _cast(record.get(name), edm) if edm != "null" else record.get(name)
        if op == "eq":
            return bool(value == wanted)
        if op == "ne":
            return bool(value != wanted)
        if value is None or wanted is None:  # null compares false (OData: null propagates)
            return False
        return {"gt": value > wanted, "ge": value >= wanted, "lt": value < wanted, "le": value <= wanted}[op]
    return test


def compile_filter(text: str, types: dict[str, str], entity: str) -> Predicate:
    return _Parser(text, types, entity).parse()


@dataclass
class Query:
    predicate: Predicate | None = None
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()


SUPPORTED = {"$filter", "$orderby", "$top", "$skip", "$count", "$select", "$expand", "$format"}
KNOWN = {"$apply", "$search", "$compute", "$levels", "$skiptoken", "$deltatoken", "$index", "$schemaversion"}


def _integer(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ODataError(400, f"Invalid value '{text}' for {name} query option found. The {name} query option "
                              "requires a non-negative integer value.") from None
    if value < 0:
        raise ODataError(400, f"Invalid value '{text}' for {name} query option found. The {name} query option "
                              "requires a non-negative integer value.")
    return value


def parse_query(params: list[tuple[str, str]], types: dict[str, str], navigations: dict[str, str],
                entity: str, max_top: int) -> Query:
    """The query options of one request (``navigations``: name → entity set it expands to)."""
    query = Query()
    seen: set[str] = set()
    for key, value in params:
        if not key.startswith("$"):
            continue  # custom query options are ignored by OData
        if key in seen:
            raise ODataError(400, f"Query option '{key}' was specified more than once, but it must be specified "
                                  "at most once.")
        seen.add(key)
        if key in KNOWN:
            raise NotSimulated(f"the query option {key}")
        if key not in SUPPORTED:
            raise ODataError(400, f"The query parameter '{key}' is not supported.")
        if key == "$filter":
            query.predicate = compile_filter(value, types, entity)
        elif key == "$orderby":
            query.orderby = tuple(_order_item(part, types, entity) for part in value.split(","))
        elif key == "$top":
            query.top = _integer("$top", value)
            if query.top > max_top:
                raise ODataError(400, f"The limit of '{max_top}' for Top query has been exceeded. The value from "
                                      f"the incoming request is '{query.top}'.")
        elif key == "$skip":
            query.skip = _integer("$skip", value)
        elif key == "$count":
            if value not in ("true", "false"):
                raise ODataError(400, f"'{value}' is not a valid count option.")
            query.count = value == "true"
        elif key == "$select":
            query.select = tuple(_names(value, types, entity, "$select"))
        elif key == "$expand":
            query.expand = tuple(_names(value, navigations, entity, "$expand"))
        elif key == "$format" and value.split(";")[0] not in ("json", "application/json"):
            raise NotSimulated(f"$format={value}")
    return query


def _order_item(part: str, types: dict[str, str], entity: str) -> tuple[str, bool]:
    words = part.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
        raise ODataError(400, f"Syntax error in $orderby '{part.strip()}'.")
    if "/" in words[0] or "(" in words[0]:
        raise NotSimulated(f"$orderby on {words[0]}")
    if words[0] not in types:
        raise ODataError(400, f"Could not find a property named '{words[0]}' on type '{entity}'.")
    return words[0], len(words) == 2 and words[1] == "desc"


def _names(value: str, known: dict[str, str], entity: str, option: str) -> list[str]:
    out = []
    for raw in value.split(","):
        name = raw.strip()
        if "(" in name or "/" in name or name == "*":
            raise NotSimulated(f"{option} with nested options or paths ({name})")
        if name not in known:
            raise ODataError(400, f"Could not find a property named '{name}' on type '{entity}'.")
        out.append(name)
    return out


def _sortable(value: Any, edm: str) -> tuple[int, Any]:
    if value is None:
        return (0, 0)  # nulls first in ascending order (SQL Server)
    try:
        return (1, _cast(value, edm))
    except (InvalidOperation, ValueError):
        return (1, str(value))


def apply_order(records: list[dict[str, Any]], orderby: tuple[tuple[str, bool], ...],
                types: dict[str, str]) -> list[dict[str, Any]]:
    out = list(records)
    for name, descending in reversed(orderby):  # stable sorts, last key first
        out.sort(key=lambda r: _sortable(r.get(name), types[name]), reverse=descending)
    return out
