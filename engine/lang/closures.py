"""A parsed JMESPath expression turned into nested Python closures, one per node, each doing the
JMESPath interpreter's own step for its node without the interpreter's per-node dispatch (a method
looked up by the node's type name, then called with the node). Filters, comparisons, ``&&``/``||``/``!``,
projections, pipes and function calls are the forms a flow evaluates on every record (the reference
flow's ``long_sku`` let walks every order row through a filter); any other node is handed to the
interpreter as is, so every form keeps exactly the interpreter's result and errors.

Fast paths inside a node (a comparison of two numbers, ``length()`` of a text, list or object) give
what the general step gives and fall back to it for any other value. Built in engine/lang/expr.py,
once per expression text.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from jmespath.visitor import TreeInterpreter, _is_comparable

Fn = Callable[[Any], Any]
_NUMBERS = (int, Decimal, float)
_SIZED = (str, list, dict)


def closure_of(node: dict, interpreter: TreeInterpreter) -> Fn:
    """``value -> result`` for ``node``, equal to ``interpreter.visit(node, value)``."""
    build = _BUILDERS.get(node.get("type"))  # type: ignore[arg-type]
    if build is not None:
        made = build(node, interpreter)
        if made is not None:
            return made
    visit = interpreter.visit
    return lambda value: visit(node, value)


def _children(node: dict, interpreter: TreeInterpreter) -> list[Fn]:
    return [closure_of(child, interpreter) for child in node["children"]]


def _field(node: dict, interpreter: TreeInterpreter) -> Fn:
    name = node["value"]

    def field(value: Any) -> Any:
        if value.__class__ is dict:
            return value.get(name)
        try:
            return value.get(name)
        except AttributeError:
            return None
    return field


def _chain(node: dict, interpreter: TreeInterpreter) -> Fn:
    """``a.b``, ``a[0]``, ``a | b``: each child on the result of the one before."""
    if node["type"] == "subexpression" and all(child.get("type") == "field" for child in node["children"]):
        names = [child["value"] for child in node["children"]]

        def fields(value: Any) -> Any:  # `a.b.c`: the field steps in one loop
            for name in names:
                if value.__class__ is dict:
                    value = value.get(name)
                else:
                    try:
                        value = value.get(name)
                    except AttributeError:
                        return None
            return value
        return fields
    steps = _children(node, interpreter)
    if len(steps) == 2:
        first, second = steps
        return lambda value: second(first(value))

    def chain(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value
    return chain


def _index(node: dict, interpreter: TreeInterpreter) -> Fn | None:
    position = node["value"]
    if position.__class__ is not int:
        return None

    def index(value: Any) -> Any:
        if not isinstance(value, list):
            return None
        try:
            return value[position]
        except IndexError:
            return None
    return index


def _literal(node: dict, interpreter: TreeInterpreter) -> Fn:
    constant = node["value"]
    return lambda value: constant


def _identity(node: dict, interpreter: TreeInterpreter) -> Fn:
    return lambda value: value


def _comparator(node: dict, interpreter: TreeInterpreter) -> Fn:
    left, right = _children(node, interpreter)
    if node["children"][1].get("type") == "literal":  # `x > \`19\``: the constant, not a call for it
        constant = node["children"][1]["value"]
        right = _constant(constant)
    general = interpreter.COMPARATOR_FUNC[node["value"]]
    if node["value"] in ("eq", "ne"):
        # the general step (`_equals`) only differs from `==` for a bool against 0 or 1
        equal = node["value"] == "eq"

        def equality(value: Any) -> Any:
            a, b = left(value), right(value)
            if a.__class__ in _NUMBERS and b.__class__ in _NUMBERS or a.__class__ is str and b.__class__ is str:
                return (a == b) is equal
            return general(a, b)
        return equality
    ordering = _ORDERING[node["value"]]

    def compare(value: Any) -> Any:
        a, b = left(value), right(value)
        if a.__class__ in _NUMBERS and b.__class__ in _NUMBERS:
            return ordering(a, b)
        return _general_ordering(general, a, b)
    return compare


def _general_ordering(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """The interpreter's ordering step: only numbers and texts are compared, anything else is null."""
    if not (_is_comparable(a) and _is_comparable(b)):
        return None
    return op(a, b)


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b, "gte": lambda a, b: a >= b}


def _falsiness(interpreter: TreeInterpreter) -> Callable[[Any], bool]:
    """The interpreter's ``_is_false``; for the engine's (``ZERO_IS_FALSE``: null, false, zero and empty
    texts, lists and objects are false) ``not value`` first, on the kinds where the two agree."""
    is_false = interpreter._is_false
    if not getattr(interpreter, "ZERO_IS_FALSE", False):
        return is_false

    def falsy(value: Any) -> bool:
        return (not value) if value.__class__ in _PLAIN else is_false(value)
    return falsy


_PLAIN = frozenset({str, list, dict, bool, int, float, type(None)})  # not Decimal: a signalling NaN raises


def _constant(value: Any) -> Fn:
    return lambda _: value


def _and(node: dict, interpreter: TreeInterpreter) -> Fn:
    left, right = _children(node, interpreter)
    is_false = _falsiness(interpreter)

    def both(value: Any) -> Any:
        matched = left(value)
        return matched if is_false(matched) else right(value)
    return both


def _or(node: dict, interpreter: TreeInterpreter) -> Fn:
    left, right = _children(node, interpreter)
    is_false = _falsiness(interpreter)

    def either(value: Any) -> Any:
        matched = left(value)
        return right(value) if is_false(matched) else matched
    return either


def _not(node: dict, interpreter: TreeInterpreter) -> Fn | None:
    if type(interpreter).visit_not_expression is TreeInterpreter.visit_not_expression:
        return None  # the engine's interpreter redefines `!` as its own falsiness: only that one is inlined
    (child,) = _children(node, interpreter)
    is_false = _falsiness(interpreter)
    return lambda value: is_false(child(value))


def _filter(node: dict, interpreter: TreeInterpreter) -> Fn:
    base, each, test = _children(node, interpreter)
    if type(interpreter)._is_true is not TreeInterpreter._is_true:  # not `not _is_false(value)`
        is_true = interpreter._is_true
        test_of = test
        test = lambda element: is_true(test_of(element))  # noqa: E731 - True when kept
    return _collected(base, each, test, _falsiness(interpreter))


def _projection(node: dict, interpreter: TreeInterpreter) -> Fn:
    base, each = _children(node, interpreter)
    return _collected(base, each, None, None)


def _collected(base: Fn, each: Fn, test: Fn | None, is_false: Callable[[Any], bool] | None) -> Fn:
    """``base[?test].each`` (``test`` None: ``base[*].each``): the non-null results, for a list only."""
    def collected(value: Any) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        out = []
        for element in items:
            if test is not None and is_false(test(element)):  # type: ignore[misc]
                continue
            current = each(element)
            if current is not None:
                out.append(current)
        return out
    return collected


def _function(node: dict, interpreter: TreeInterpreter) -> Fn:
    arguments = _children(node, interpreter)
    name = node["value"]
    call = interpreter._functions.call_function
    if name == "length" and len(arguments) == 1:
        (argument,) = arguments
        if node["children"][0].get("type") == "field":  # `length(name)`: the field read here
            field = node["children"][0]["value"]

            def length_of_field(value: Any) -> Any:
                got = value.get(field) if value.__class__ is dict else argument(value)
                return len(got) if got.__class__ in _SIZED else call(name, [got])
            return length_of_field

        def length(value: Any) -> Any:
            got = argument(value)
            return len(got) if got.__class__ in _SIZED else call(name, [got])
        return length
    return lambda value: call(name, [argument(value) for argument in arguments])


_BUILDERS: dict[str, Callable[[dict, TreeInterpreter], Fn | None]] = {
    "field": _field, "subexpression": _chain, "index_expression": _chain, "pipe": _chain, "index": _index,
    "literal": _literal, "current": _identity, "identity": _identity, "comparator": _comparator, "and_expression": _and,
    "or_expression": _or, "not_expression": _not, "filter_projection": _filter, "projection": _projection,
    "function_expression": _function,
}

__all__ = ["closure_of"]
