"""JMESPath expressions, compiled once, evaluated with Decimal-aware functions.

Traps handled here:
* built-in functions type-check with int/float only: ``sum()`` over ``Decimal`` would raise. Our
  function table treats ``Decimal`` as a number, and ``to_number`` / ``to_string`` keep exactness;
* an ordering comparison between a string and a number raises ``TypeError`` inside jmespath: every
  evaluation error becomes a ``TransformError`` that the caller locates (flow, field, record key);
* ``jmespath.search(text, ...)`` re-parses once its small cache overflows: we keep the parsed object.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import jmespath
from jmespath import exceptions as jexc
from jmespath import functions as jfunc
from jmespath.visitor import TreeInterpreter

from engine.errors import TransformError
from engine.lang.closures import closure_of
from engine.lang.exprmemo import parse_remembered
from engine.lang.indexpath import indexed_path_of, steps_search
from engine.lang.values import show


MAX_DEPTH = 64  # nesting of an expression: brackets, or operators within operators


def bracket_depths(text: str, start: int = 0, opening: str = "([{", closing: str = ")]}") -> Iterator[tuple[int, int]]:
    """``(index, depth after it)`` for every bracket of ``text`` from ``start``, skipping quoted text,
    raw strings and JSON literals (``'…'``, ``"…"``, `` `…` ``, with backslash escapes)."""
    depth, quote = 0, None
    i = start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char in opening:
            depth += 1
            yield i, depth
        elif char in closing:
            depth -= 1
            yield i, depth
        i += 1


def _deep_bracket(text: str) -> int | None:
    """The offset of the first bracket that opens level ``MAX_DEPTH + 1``, or None. Checked before
    parsing: the parser recurses per level."""
    return next((i for i, depth in bracket_depths(text) if depth > MAX_DEPTH), None)


def _depth(node: dict) -> int:
    """The depth of a parsed expression, walked without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in current.get("children", ()) if isinstance(child, dict))
    return deepest


class ExprError(Exception):
    """A JMESPath syntax error; ``offset`` is the 0-based position inside the expression text."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


class DecimalFunctions(jfunc.Functions):
    """JMESPath built-ins that accept ``Decimal`` as a number, plus a few exact-money helpers."""

    def _get_allowed_pytypes(self, types):
        allowed, subtypes = super()._get_allowed_pytypes(types)
        if "float" in allowed:
            allowed = list(allowed) + ["Decimal"]
        subtypes = [list(s) + ["Decimal"] if "float" in s else s for s in subtypes]
        return allowed, subtypes

    def _convert_to_jmespath_type(self, pyobject):
        return "number" if pyobject == "Decimal" else super()._convert_to_jmespath_type(pyobject)

    @jfunc.signature({"types": []})
    def _func_to_number(self, arg):
        if isinstance(arg, bool):
            return None
        if isinstance(arg, (int, Decimal)):
            return arg
        if isinstance(arg, float):
            return Decimal(repr(arg))
        if isinstance(arg, str):
            try:
                value = Decimal(arg.strip())
            except InvalidOperation:
                return None
            if not value.is_finite():
                return None
            return int(value) if value == value.to_integral_value() and "." not in arg else value
        return None

    @jfunc.signature({"types": []})
    def _func_to_string(self, arg):
        if isinstance(arg, str):
            return arg
        if isinstance(arg, Decimal):
            return format(arg, "f")
        return json.dumps(arg, separators=(",", ":"), default=lambda d: format(d, "f"))

    @jfunc.signature({"types": []})
    def _func_decimal(self, arg):
        """``decimal(x)``: exact Decimal from a string or number (null when not a number)."""
        value = self._func_to_number(arg)
        return Decimal(value) if isinstance(value, int) else value

    @jfunc.signature({"types": ["string", "null"]}, {"types": []})
    def _func_placeholders(self, message, parameters):
        """``placeholders(message, parameters)``: fill ``%1``..``%n`` from a list, or ``%name`` from an
        object (Magento error messages)."""
        if message is None:
            return None
        if isinstance(parameters, list):
            for index in range(len(parameters), 0, -1):
                message = message.replace(f"%{index}", self._func_to_string(parameters[index - 1]))
        elif isinstance(parameters, dict):
            for name in sorted(parameters, key=len, reverse=True):
                message = message.replace(f"%{name}", self._func_to_string(parameters[name]))
        return message

    @jfunc.signature({"types": [], "variadic": True})
    def _func_coalesce(self, *args):
        """``coalesce(a, b, ...)``: the first argument that is not null or an empty string."""
        for arg in args:
            if arg is not None and arg != "":
                return arg
        return None


    @jfunc.signature({"types": ["array", "null"]})
    def _func_unique(self, values):
        """``unique(list)``: the list without repeats, first occurrence kept (numbers by value, ``true`` is
        not ``1``); null gives ``[]``. Scalars are hashed; lists and objects compared with ``==``."""
        out: list = []
        seen: set = set()
        nested: list = []
        for value in values or ():
            if isinstance(value, (list, dict)):
                if value in nested:
                    continue
                nested.append(value)
            else:
                key = (value.__class__ is bool, value)
                if key in seen:
                    continue
                seen.add(key)
            out.append(value)
        return out


class Interpreter(TreeInterpreter):
    """One truth rule everywhere (``when``, ``filter``, ``&&``, ``||``, ``!``, ``[?...]``): null, false,
    empty text/list/object and the number zero are false. (Plain JMESPath counts 0 as true except
    under ``!``; specs read more naturally when a zero shipping amount is "no shipping".)
    ``_is_true`` is JMESPath's own: ``not _is_false(value)``."""

    ZERO_IS_FALSE = True  # engine/lang/closures.py tests truth with `not value` for plain kinds

    def _is_false(self, value):
        if value is None or value is False or value == "" or value == [] or value == {}:
            return True
        return value.__class__ in (int, float, Decimal) and value == 0

    def visit_not_expression(self, node, value):
        return self._is_false(self.visit(node["children"][0], value))


OPTIONS = jmespath.Options(custom_functions=DecimalFunctions())
_INTERPRETER = Interpreter(OPTIONS)


def _decimal_literals(node: dict) -> None:
    """JSON literals such as 2.1 arrive as binary floats: make them exact Decimals, so that
    ``rate == `2.1` `` matches a Decimal rate of 2.1 (a Decimal equals a float only when exact)."""
    if node.get("type") == "literal":
        node["value"] = _exact(node["value"])
    for child in node.get("children", ()):
        if isinstance(child, dict):
            _decimal_literals(child)


def _exact(value):
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    return value
_KNOWN_FUNCTIONS = frozenset(OPTIONS.custom_functions.FUNCTION_TABLE)


def _function_names(node: dict):
    if node.get("type") == "function_expression":
        yield node["value"]
    for child in node.get("children", ()):
        if isinstance(child, dict):
            yield from _function_names(child)


class CompiledExpr:
    """A parsed JMESPath expression; ``simple_path`` is set for plain dotted field paths."""

    __slots__ = ("text", "_parsed", "simple_path", "_search")

    def __init__(self, text: str):
        self.text = text
        deep = _deep_bracket(text)
        if deep is not None:
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep", deep)
        try:
            self._parsed = parse_remembered(text)
        except jexc.ParseError as exc:
            offset = exc.lex_position if isinstance(exc.lex_position, int) else 0
            raise ExprError(_parse_message(exc), max(0, min(offset, len(text)))) from None
        except jexc.JMESPathError as exc:  # lexer errors
            offset = getattr(exc, "lex_position", 0) or 0
            raise ExprError(str(exc).splitlines()[0], offset) from None
        except RecursionError:  # e.g. a long run of `!` (brackets are caught above)
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep", 0) from None
        if _depth(self._parsed.parsed) > MAX_DEPTH:  # `a || b || ...`, `!!!a`: no bracket needed
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels deep", 0)
        for name in _function_names(self._parsed.parsed):
            if name not in _KNOWN_FUNCTIONS:
                from engine.util.suggest import did_you_mean
                raise ExprError(f"unknown function '{name}()'" + did_you_mean(name, _KNOWN_FUNCTIONS),
                                max(0, text.find(name)))
        try:
            _decimal_literals(self._parsed.parsed)
        except RecursionError:  # a JSON literal nested hundreds of levels deep
            raise ExprError(f"a literal nested more than {MAX_DEPTH} levels deep", 0) from None
        self.simple_path = simple_path_of(self._parsed.parsed)
        # jmespath's ParsedResult.search builds an interpreter per call; closures of the interpreter's
        # steps instead, built at the first evaluation (validate evaluates nothing)
        tree = self._parsed.parsed
        self._search = self._first_search
        if self.simple_path:
            self._search = _path_search(self.simple_path)
        elif (steps := indexed_path_of(self._parsed.parsed)) is not None:  # `associations.taxes[0].id`
            self._search = steps_search(steps)
        elif tree.get("type") == "not_expression" and (steps := indexed_path_of(tree["children"][0])) is not None:
            self._search = _negated(steps_search(steps))  # `!(detail.associations.taxes[0])`, on every row

    @property
    def tree(self) -> dict:
        """The parsed expression (JMESPath's AST), for code generation."""
        return self._parsed.parsed

    def sub(self, node: dict) -> "CompiledExpr":
        """An expression evaluating just ``node`` of this one's tree, with the same semantics."""
        clone = CompiledExpr.__new__(CompiledExpr)
        clone.text = self.text
        clone.simple_path = None
        clone._parsed = type(self._parsed)(self.text, node)
        clone._search = clone._first_search
        return clone

    def _first_search(self, value: Any, options: Any = None) -> Any:
        evaluate = closure_of(self._parsed.parsed, _INTERPRETER)  # the interpreter's steps, no dispatch
        self._search = lambda value, options=None: evaluate(value)
        return evaluate(value)

    def search(self, scope: Any) -> Any:
        try:
            return self._search(scope, OPTIONS)
        except (jexc.JMESPathError, TypeError, ValueError, ArithmeticError) as exc:
            raise TransformError(f"expression {self.text!r} failed: {_runtime_message(exc)}") from None

    def __repr__(self) -> str:
        return f"CompiledExpr({self.text!r})"


_COMPILED: dict[str, CompiledExpr] = {}  # text -> expression: a spec repeats its texts (one parse each)
_COMPILED_MAX = 4096


def compile_expression(text: str) -> CompiledExpr:
    """The compiled ``text``; the same object for the same text (read-only after compiling, as the
    trees JMESPath's own cache shares are): validate of the shipped specs compiles 711 texts, 318 distinct."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression", 0)
    compiled = _COMPILED.get(text)
    if compiled is None:
        compiled = CompiledExpr(text)  # an invalid text raises each time: errors are not remembered
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[text] = compiled
    return compiled


def _parse_message(exc: jexc.ParseError) -> str:
    token = exc.token_value
    if isinstance(exc, jexc.IncompleteExpressionError) or token in (None, ""):
        return "incomplete expression"
    return f"unexpected {exc.token_type} {token!r}" if exc.token_type else f"invalid syntax near {token!r}"


_TYPE_WORDS = {"null": "null", "str": "a text", "string": "a text", "number": "a number", "array": "a list",
               "object": "an object", "boolean": "a boolean", "bool": "a boolean", "array-number": "a list of numbers",
               "array-string": "a list of texts", "expref": "an &expression", "list": "a list", "dict": "an object"}


def _runtime_message(exc: Exception) -> str:
    if isinstance(exc, jexc.JMESPathTypeError):  # was: "... invalid type for value: None, ... received: "null""
        words = [_TYPE_WORDS.get(kind, kind) for kind in exc.expected_types]
        expected = " or ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]
        return (f"{exc.function_name}() takes {expected}, got {show(exc.current_value)}"
                + ("" if exc.current_value is None else f" ({_TYPE_WORDS.get(exc.actual_type, exc.actual_type)})"))
    if isinstance(exc, TypeError) and "not supported between" in str(exc):
        return f"{exc} (compare numbers with numbers: type the source field, or use to_number())"
    return str(exc).splitlines()[0]


def simple_path_of(node: dict) -> tuple[str, ...] | None:
    """``a.b.c`` -> ``('a', 'b', 'c')``; anything else (indexes, filters, functions) -> None."""
    if node.get("type") == "identity":  # the left of a projection or a leading `[...]`: not a path
        return None
    steps = indexed_path_of(node)
    return steps if steps is not None and all(step.__class__ is str for step in steps) else None  # type: ignore[return-value]


def _negated(search: Callable[..., Any]) -> Callable[..., Any]:
    """``!path``: the interpreter's ``visit_not_expression`` on the path's value, without its dispatch."""
    is_false = _INTERPRETER._is_false
    return lambda value, options=None: is_false(search(value))


def _path_search(path: tuple[str, ...]) -> Callable[..., Any]:
    """The interpreter's own steps for a dotted path, without its dispatch: each field is
    ``value.get(name)``, and a value without ``get`` (None, a list, a string) gives None."""
    def search(value: Any, options: Any = None) -> Any:
        for name in path:
            try:
                value = value.get(name)
            except AttributeError:
                return None
        return value
    return search


def getter(expr: CompiledExpr):
    """A fast ``scope -> value`` for ``expr``: plain dotted paths read with dict.get."""
    path = expr.simple_path
    if path is None or not path:
        return expr.search
    if len(path) == 1:
        (key,) = path

        def get_one(scope):
            return scope.get(key) if scope.__class__ is dict else None

        return get_one

    def get_path(scope):
        for key in path:
            if scope.__class__ is not dict:
                return None
            scope = scope.get(key)
        return scope

    return get_path


def walk_fields(node: dict):
    """Yield every field name used in a parsed expression (for reference checks)."""
    if node.get("type") == "field":
        yield node["value"]
    for child in node.get("children", ()):
        if isinstance(child, dict):
            yield from walk_fields(child)
