"""Typing source values declared by a connector definition.

Some sources deliver every value as a string (XML webservices do); the connector definition says
which fields are numbers or booleans. Declarations map a *path* to a *type*::

    id: int
    total_paid_tax_incl: decimal
    associations.order_rows[].product_quantity: int
    associations.taxes[].id: int

A path is dot-separated field names; ``[]`` after a name means "each element of this list" (it may
repeat, ``matrix[][]``, and may end a path, ``tags[]``). Types: ``int``, ``decimal``, ``string``,
``bool``.

Conversion rules:

* ``""`` and ``None`` read as ``None`` for ``int``, ``decimal`` and ``bool``; ``string`` keeps
  ``""`` and ``None`` as they are.
* ``int``: an int, a string of ASCII digits with an optional sign (surrounding spaces allowed), or
  a ``Decimal`` without fractional digits. ``"12.000"`` is an error, and so is any bool or float.
* ``decimal``: a plain decimal string (``"12.500000"`` -> ``Decimal("12.500000")``, exponent
  allowed, no NaN/Infinity), an int, a ``Decimal``, or a float (via ``repr``: ``0.1`` -> ``0.1``).
* ``bool``: ``"1"``/``"0"``/``"true"``/``"false"`` (any case), ``1``/``0``, ``True``/``False``.
* ``string``: strings unchanged; ints and ``Decimal`` as their text; a float via ``repr``.

A missing key is left missing; a path that meets something other than a dict (for a field) or a
list (for ``[]``) leaves it alone. A value that cannot be converted raises
:class:`engine.errors.TransformError` naming the concrete path: ``field
associations.order_rows[1].product_quantity: cannot read 'abc' as int``.

The paths are compiled once into a tree of small closures, the rule; the returned function runs
their inlined twin, written by :mod:`engine.plan.coerce_gen` on first use. It never mutates
its input: it returns a new record, copying dicts and lists only along typed paths and sharing
everything else.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import TransformError
from engine.plan.coerce_gen import generate_dict
from engine.lang.values import show
from engine.util.suggest import did_you_mean

TYPES = ("int", "decimal", "string", "bool")

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\])*)")
_INT = re.compile(r"\s*[+-]?[0-9]+\s*")
_DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?").fullmatch
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})


class _Fail(Exception):
    """A failed conversion travelling up the tree, collecting the concrete path on the way."""

    def __init__(self, value: object, type_name: str):
        super().__init__()
        self.value = value
        self.type_name = type_name
        self.parts: list[str] = []  # innermost first

    def path(self) -> str:
        path = ""
        for part in reversed(self.parts):
            path += part if part.startswith("[") or not path else "." + part
        return path

    def reason(self) -> str:
        # as the input wrote it: 1.5 or 1E+5000, not Decimal('1.5'); true, not True
        shown = str(self.value) if isinstance(self.value, Decimal) else show(self.value, 60)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        return f"cannot read {shown} as {self.type_name}"

    def message(self) -> str:
        return f"field {self.path()}: {self.reason()}"


class SourceTypeError(TransformError):
    """A source value that is not of the type its connector declares; ``field`` is its concrete path."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"field {field}: {reason}")
        self.field, self.reason = field, reason


# ----------------------------------------------------------------------------------------------
# Leaf converters

def _to_int(value: object) -> object:
    if value.__class__ is str and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)  # the common case first: plain ASCII digits (what XML gives)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Fail(value, "int")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT.fullmatch(value):
        try:
            return int(value)
        except ValueError:  # more digits than Python converts
            raise _Fail(value, "int") from None
    if isinstance(value, Decimal) and value.is_finite() and int(value.as_tuple().exponent) >= 0 \
            and value.adjusted() < 19:  # an identifier or a quantity, not 1e5000
        return int(value)
    raise _Fail(value, "int")


def _to_decimal(value: object) -> Decimal | None:
    if value.__class__ is str and _PLAIN_DECIMAL(value):  # the common case first: 12.500000
        return Decimal(value)  # at most 40 digits: never beyond the exponent limit below
    number = value if value.__class__ is Decimal and value.is_finite() else _decimal(value)  # a driver's Decimal
    if number is not None and number and abs(number.adjusted()) > 60:
        raise _Fail(value, "decimal")  # an amount or a quantity, not 1e999999
    return number


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Fail(value, "decimal")
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
        raise _Fail(value, "decimal")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        result = Decimal(repr(value))
        if result.is_finite():
            return result
        raise _Fail(value, "decimal")
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise _Fail(value, "decimal") from None
    raise _Fail(value, "decimal")


def _to_bool(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise _Fail(value, "bool")


def _to_string(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _Fail(value, "string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise _Fail(value, "string")


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "int": _to_int, "decimal": _to_decimal, "string": _to_string, "bool": _to_bool,
}


# ----------------------------------------------------------------------------------------------
# Paths and the declaration tree

def _parse_path(path: object) -> tuple[list[tuple[str, int]] | None, str | None]:
    """``"a.b[].c"`` -> ``[("a", 0), ("b", 1), ("c", 0)]`` (name, count of ``[]``) or a problem."""
    if not isinstance(path, str) or not path:
        return None, "a path must be a non-empty string"
    segments = []
    for raw in path.split("."):
        if not raw:
            return None, "empty segment (two dots, or a dot at an end)"
        match = _SEGMENT.fullmatch(raw)
        if not match:
            if re.search(r"\[[^\]]+\]", raw):
                return None, f"'{raw}': use [] for each element of a list, not an index"
            return None, (f"'{raw}' is not a field name (letters, digits, '_' or '-', "
                          "optionally followed by [])")
        segments.append((match.group(1), len(match.group(2)) // 2))
    return segments, None


# A tree node is ("leaf", type) | ("dict", {name: node}) | ("list", node).
def _insert(tree: dict, segments: list[tuple[str, int]], type_name: str) -> str | None:
    fields: dict = tree
    for position, (name, depth) in enumerate(segments):
        last = position == len(segments) - 1
        wanted: list[str] = ["list"] * depth + ["leaf" if last else "dict"]
        node_holder: dict = fields
        key = name
        for kind in wanted:
            node: tuple[str, Any] | None = node_holder.get(key)
            if node is None:
                node = ("leaf", type_name) if kind == "leaf" else (
                    ("dict", {}) if kind == "dict" else ("list", {}))
                node_holder[key] = node
            elif node[0] != kind or kind == "leaf":
                return "conflicts with another declaration of the same field"
            children: Any = node[1]  # a dict of fields for "dict" and "list" nodes
            if kind == "list":
                node_holder, key = children, "[]"
            elif kind == "dict":
                fields = children
    return None


def check_types(types: object) -> list[tuple[str, str]]:
    """Problems in a ``{path: type}`` declaration, as ``(path, problem)`` pairs (``[]`` if none)."""
    if not isinstance(types, dict):
        return [("", "types must be a mapping of field path to type")]
    problems: list[tuple[str, str]] = []
    tree: dict = {}
    for path, type_name in types.items():
        segments, problem = _parse_path(path)
        shown = path if isinstance(path, str) else repr(path)
        if problem:
            problems.append((shown, problem))
            continue
        if not isinstance(type_name, str) or type_name not in _CONVERTERS:
            hint = did_you_mean(type_name, TYPES) if isinstance(type_name, str) else ""
            problems.append((shown, f"unknown type {type_name!r}{hint} "
                                    f"(known types: {', '.join(TYPES)})"))
            continue
        problem = _insert(tree, segments or [], type_name)
        if problem:
            problems.append((shown, problem))
    return problems


# ----------------------------------------------------------------------------------------------
# Compilation into closures

def _compile_node(node: tuple) -> Callable[[object], object]:
    kind, body = node
    if kind == "leaf":
        return _CONVERTERS[body]
    if kind == "list":
        return _compile_list(_compile_node(body["[]"]))
    return _compile_dict(tuple((name, _compile_node(child)) for name, child in body.items()))


def _compile_list(item: Callable[[object], object]) -> Callable[[object], object]:
    def convert_list(value: object) -> object:
        if not isinstance(value, list):
            return value
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except _Fail as fail:
                fail.parts.append(f"[{index}]")
                raise
        return out
    return convert_list


def _compile_dict(fields: tuple[tuple[str, Callable[[object], object]], ...]
                  ) -> Callable[[object], object]:
    def convert_dict(value: object) -> object:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for name, convert in fields:
            if name in out:
                try:
                    out[name] = convert(out[name])
                except _Fail as fail:
                    fail.parts.append(name)
                    raise
        return out
    return convert_dict


def compile_types(types: dict[str, str]) -> Callable[[dict], dict]:
    """Compile ``{path: type}`` declarations into a function ``record -> typed record``.

    Raises ``ValueError`` listing the problems when the declarations are invalid (see
    :func:`check_types`); the returned function raises :class:`TransformError` on bad values."""
    problems = check_types(types)
    if problems:
        raise ValueError("invalid source types: "
                         + "; ".join(f"{path}: {problem}" for path, problem in problems))
    tree: dict = {}
    for path, type_name in types.items():
        segments, _ = _parse_path(path)
        _insert(tree, segments or [], type_name)
    convert: Callable[[object], object] | None = None  # the closures' twin, inlined: written on first use
    fields = {name: _compile_node(node) for name, node in tree.items()}

    def apply_types(record: dict) -> dict:
        nonlocal convert
        if not isinstance(record, dict):
            raise TransformError(f"a record must be a dict, not {type(record).__name__}")
        if convert is None:  # not at compile time: `validate` and the flows a command does not run never type
            convert = generate_dict(tree, _CONVERTERS, _compile_node, _Fail, _PLAIN_DECIMAL)
        try:
            typed = convert(record)
        except _Fail as fail:
            raise SourceTypeError(fail.path(), fail.reason()) from None
        assert isinstance(typed, dict)
        return typed
    apply_types.fields = fields  # type: ignore[attr-defined]  # one top-level field's converter, by name
    apply_types.declared = dict(types)  # type: ignore[attr-defined]  # as given (a dry-run's early readers compile it too)
    return apply_types
