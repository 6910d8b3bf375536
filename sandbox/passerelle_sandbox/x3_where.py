"""The SData ``where`` and ``orderBy`` parameters of the simulated X3 ``api1`` endpoint, parsed once per
request into a predicate and a sort key (a small tokenizer + recursive-descent parser; no ``eval``).

Grammar simulated (SData 2.0 specification, "Query Language" page, https://sage.github.io/SData-2.0/pages/core/0212/,
and the subset X3 evaluates, documented with X3's ``evalueSData`` 4GL function)::

    or_expr   := and_expr ("or" and_expr)*                  # or binds last, and before it
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | "(" or_expr ")" | compare
    compare   := operand ( ("eq"|"ne"|"lt"|"le"|"gt"|"ge"|"=") operand
                         | "between" operand "and" operand
                         | "in" ( "(" literal ("," literal)* ")" | literal ("," literal)* )
                         | "like" string )
    operand   := literal | PROPERTY | left(o, n) | right(o, n) | lower(o) | upper(o) | substring(o, start, len)
    literal   := 'text' ('' doubles a quote) | "text" | 17 | 17.5 | @2026-01-15@ | @2026-01-15T10:00:00Z@

``=`` is the only symbolic operator with public evidence (the X3 and SData function examples write
``left(name,3)="Doe"``); ``<>``, ``<``, ``>``, the arithmetic operators and the other SData functions are
*not simulated* (HTTP 501) rather than guessed either way. ``like`` takes ``%`` (any run) and ``_``
(one character). Comparisons are case-sensitive [assumption]; a number compared with a text property is
compared as text [assumption].

Errors, in the SData 2.0 diagnosis format ``{"$diagnoses": [{"$severity", "$sdataCode", "$message"}]}``
(SData 2.0 JSON format; X3's own ``$message`` texts are not public): a malformed ``where`` is
``400 BadWhereSyntax`` (the SData diagnosis code for "invalid syntax for a where condition"); an unknown
property in ``where`` is **HTTP 500** (verified: X3 online help, api-guide_api-get-query) with
``ApplicationDiagnosis``; ``orderBy`` is "a comma-separated list of property names followed by an optional
asc or desc keyword" (X3 online help, integration-guide_ws-query); its unknown properties are treated like
``where``'s (500) [assumption] and a malformed list is ``400 BadQueryParameter`` [assumption].
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["QueryError", "compile_order", "compile_where", "sort_rows"]

Row = dict[str, Any]
Getter = Callable[[Row], Any]
Predicate = Callable[[Row], bool]


class QueryError(Exception):
    """An answer other than 200: ``status``, SData diagnosis code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _syntax(message: str) -> QueryError:
    return QueryError(400, "BadWhereSyntax", f"where: {message}")


def _not_simulated(what: str) -> QueryError:
    return QueryError(501, "ApplicationDiagnosis", f"where: {what} is not simulated")


_TOKEN = re.compile(r"""(?:
    (?P<str>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<date>@[^@]*@)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$.]*)
  | (?P<sym><>|<=|>=|[()=,<>+\-*/])
  )""", re.VERBOSE)
_COMPARE = {"eq": "eq", "=": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge"}
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
_KEYWORDS = {"and", "or", "not", "between", "in", "like", "eq", "ne", "lt", "le", "gt", "ge",
             "mul", "div", "mod"}
_FUNCTIONS: dict[str, int] = {"left": 2, "right": 2, "lower": 1, "upper": 1, "substring": 3}
_OTHER_SDATA_FUNCTIONS = {"concat", "replace", "length", "locate", "lpad", "rpad", "trim", "ascii", "char",
                          "abs", "sign", "round", "trunc", "floor", "ceil", "pow", "currentdate",
                          "currenttime", "currenttimestamp", "year", "month", "day", "hour", "minute",
                          "second", "millisecond", "tzhour", "tzminute", "dateadd", "datesub",
                          "timestampadd", "timestampsub"}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise _syntax(f"unexpected character {text[pos]!r} at position {pos + 1}")
        out.append((match.lastgroup, match.group(match.lastgroup), pos + 1))
        pos = match.end()


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        quote = text[0]
        return text[1:-1].replace(quote * 2, quote)
    if kind == "num":
        return Decimal(text) if "." in text else int(text)
    body = text[1:-1]
    try:
        return date.fromisoformat(body) if "T" not in body else datetime.fromisoformat(body.replace("Z", "+00:00"))
    except ValueError:
        raise _syntax(f"{text} is not a date (@YYYY-MM-DD@) or timestamp (@YYYY-MM-DDThh:mm:ss[Z]@)") from None


def _norm(a: Any, b: Any) -> tuple[Any, Any]:
    """Values of one kind for a comparison: numbers as Decimal, dates as dates, anything else as text."""
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return Decimal(a), Decimal(b)
    if isinstance(a, date) and isinstance(b, date) and type(a) is type(b) and \
            (getattr(a, "tzinfo", None) is None) == (getattr(b, "tzinfo", None) is None):
        return a, b
    if isinstance(a, date) or isinstance(b, date):
        return _as_date_text(a), _as_date_text(b)
    return ("" if a is None else str(a)), ("" if b is None else str(b))


def _as_date_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    text = "" if value is None else str(value)
    if len(text) == 20 and text[10] == "T" and text.endswith("Z"):  # a UTC stamp as SData JSON writes it
        return text[:-1]
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


class _Parser:
    def __init__(self, text: str, properties: set[str]) -> None:
        self.toks, self.at, self.properties = _tokens(text), 0, properties

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        i = self.at + offset
        return self.toks[i] if i < len(self.toks) else None

    def word(self, offset: int = 0) -> str:
        tok = self.peek(offset)
        return tok[1].lower() if tok and tok[0] in ("name", "sym") else ""

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise _syntax(f"unexpected end of the expression{f', expected {expected!r}' if expected else ''}")
        if expected is not None and tok[1].lower() != expected:
            raise _syntax(f"expected {expected!r} at position {tok[2]}, found {tok[1]!r}")
        self.at += 1
        return tok

    def parse(self) -> Predicate:
        if not self.toks:
            raise _syntax("the expression is empty")
        result = self.or_expr()
        if self.peek() is not None:
            tok = self.take()
            if tok[1] in ("+", "-", "*", "/") or tok[1].lower() in ("mul", "div", "mod"):
                raise _not_simulated(f"the arithmetic operator {tok[1]!r}")
            raise _syntax(f"unexpected {tok[1]!r} at position {tok[2]}")
        return result

    def or_expr(self) -> Predicate:
        return self.joined("or", self.and_expr, any)

    def and_expr(self) -> Predicate:
        return self.joined("and", self.not_expr, all)

    def joined(self, keyword: str, part: Callable[[], Predicate], combine: Callable[[Any], bool]) -> Predicate:
        parts = [part()]
        while self.word() == keyword:
            self.take()
            parts.append(part())
        return parts[0] if len(parts) == 1 else (lambda row: combine(p(row) for p in parts))

    def not_expr(self) -> Predicate:
        if self.word() == "not":
            self.take()
            inner = self.not_expr()
            return lambda row: not inner(row)
        if self.word() == "(":
            self.take()
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.compare()

    def compare(self) -> Predicate:
        left = self.operand()
        op = self.word()
        if op in ("<>", "<", ">", "<=", ">="):
            raise _not_simulated(f"the symbolic operator {op!r}")
        if op in _COMPARE:
            self.take()
            right, test = self.operand(), _TESTS[_COMPARE[op]]
            return lambda row: test(*_norm(left(row), right(row)))
        if op == "between":
            self.take()
            low = self.operand()
            self.take("and")
            high = self.operand()
            return lambda row: _between(left(row), low(row), high(row))
        if op == "in":
            self.take()
            values = self.in_list()
            return lambda row: any(_TESTS["eq"](*_norm(left(row), v)) for v in values)
        if op == "like":
            self.take()
            kind, text, pos = self.take()
            if kind != "str":
                raise _syntax(f"like needs a string pattern at position {pos}, found {text!r}")
            pattern = _like(_literal(kind, text))
            return lambda row: pattern.fullmatch(_norm(left(row), "")[0]) is not None
        tok = self.peek()
        raise _syntax(f"expected a comparison operator at position {tok[2]}, found {tok[1]!r}" if tok else
                      "unexpected end of the expression, expected a comparison operator")

    def in_list(self) -> list[Any]:
        wrapped = self.word() == "("
        if wrapped:
            self.take()
        values = [self.literal()]
        while self.word() == ",":
            self.take()
            values.append(self.literal())
        if wrapped:
            self.take(")")
        return values

    def literal(self) -> Any:
        kind, text, pos = self.take()
        if kind not in ("str", "num", "date"):
            raise _syntax(f"expected a literal at position {pos}, found {text!r}")
        return _literal(kind, text)

    def operand(self) -> Getter:
        kind, text, pos = self.take()
        if kind in ("str", "num", "date"):
            value = _literal(kind, text)
            return lambda row: value
        if text == "-":
            raise _not_simulated("the unary minus")
        if kind != "name" or text.lower() in _KEYWORDS:
            raise _syntax(f"expected a property, a function or a literal at position {pos}, found {text!r}")
        if self.word() == "(":
            return self.function(text, pos)
        if text.startswith("$"):
            raise _not_simulated(f"the protocol filter variable {text}")
        if text not in self.properties:
            raise QueryError(500, "ApplicationDiagnosis", f"where: unknown property {text!r} "
                             f"(known: {', '.join(sorted(self.properties))})")
        return lambda row: row.get(text)

    def function(self, name: str, pos: int) -> Getter:
        lname = name.lower()
        if lname in _OTHER_SDATA_FUNCTIONS:
            raise _not_simulated(f"the function {name}()")
        if lname not in _FUNCTIONS:
            raise _syntax(f"unknown function {name}() at position {pos}")
        self.take("(")
        args = [self.operand()]
        while self.word() == ",":
            self.take()
            args.append(self.operand())
        self.take(")")
        if len(args) != _FUNCTIONS[lname]:
            raise _syntax(f"{name}() takes {_FUNCTIONS[lname]} argument(s), got {len(args)}")
        return _call(lname, args)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _call(name: str, args: list[Getter]) -> Getter:
    first = args[0]
    if name == "lower":
        return lambda row: _text(first(row)).lower()
    if name == "upper":
        return lambda row: _text(first(row)).upper()
    if name == "left":
        return lambda row: _text(first(row))[:max(_int(args[1](row)), 0)]
    if name == "right":
        return lambda row: (lambda s, n: s[len(s) - n:] if 0 < n < len(s) else s if n > 0 else "")(
            _text(first(row)), _int(args[1](row)))
    return lambda row: _text(first(row))[max(_int(args[1](row)) - 1, 0):
                                         max(_int(args[1](row)) - 1, 0) + max(_int(args[2](row)), 0)]


def _between(value: Any, low: Any, high: Any) -> bool:
    a, lo = _norm(value, low)
    b, hi = _norm(value, high)
    return lo <= a and b <= hi


def compile_where(text: str, properties: set[str]) -> Predicate:
    """The ``where`` parameter as a predicate on one resource (raises :class:`QueryError`)."""
    return _Parser(text, properties).parse()


_ORDER_ITEM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*", re.IGNORECASE)


def compile_order(text: str, properties: set[str]) -> list[tuple[str, bool]]:
    """``orderBy`` → [(property, descending)], in priority order (raises :class:`QueryError`)."""
    out = []
    for item in text.split(","):
        match = _ORDER_ITEM.fullmatch(item)
        if match is None:
            raise QueryError(400, "BadQueryParameter", f"orderBy: {item.strip()!r} is not "
                             "'<property> [asc|desc]' (items are separated by commas)")
        name, direction = match.group(1), (match.group(2) or "asc").lower()
        if name not in properties:
            raise QueryError(500, "ApplicationDiagnosis", f"orderBy: unknown property {name!r} "
                             f"(known: {', '.join(sorted(properties))})")
        out.append((name, direction == "desc"))
    return out


def sort_rows(rows: list[Row], order: list[tuple[str, bool]]) -> list[Row]:
    """Rows sorted by ``order`` (stable: the last key first, so earlier keys win)."""
    for name, descending in reversed(order):
        rows = sorted(rows, key=lambda row: _sort_key(row.get(name)), reverse=descending)
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, Decimal)):
        return (0, Decimal(value))
    return (1, "" if value is None else str(value))
