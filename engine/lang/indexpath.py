"""Expressions made of fields and literal indexes only (``associations.taxes[0].id``), read without the
JMESPath interpreter's dispatch, with its exact steps (compiled once, in engine/lang/expr.py). Plain
dotted paths have their own fast path there; this one is for the paths with an index, such as the
join key of PrestaShop's taxes, evaluated on every order row; and projections of such paths
(``variants[].sku``, ``variants[].{name: value1}``: a product's option values from its variants, on
every product of a catalogue)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def indexed_path_of(node: dict) -> tuple[str | int, ...] | None:
    """``a.b[0].c`` -> ``('a', 'b', 0, 'c')``: fields and (literal) indexes; anything else -> None."""
    kind = node.get("type")
    if kind == "field":
        return (node["value"],)
    if kind in ("current", "identity"):  # `@`, and the value a leading `[0]` indexes
        return ()
    if kind == "index":
        return (node["value"],) if node.get("value").__class__ is int else None
    if kind in ("subexpression", "index_expression"):
        parts: list[str | int] = []
        for child in node["children"]:
            sub = indexed_path_of(child)
            if sub is None:
                return None
            parts.extend(sub)
        return tuple(parts)
    return None


def steps_search(steps: tuple[str | int, ...]) -> Callable[..., Any]:
    """The interpreter's own steps for fields and indexes: a field is ``value.get(name)`` (None without
    ``get``), an index ``value[i]`` on a list only (None past its end or on anything else)."""
    def search(value: Any, options: Any = None) -> Any:
        for step in steps:
            if step.__class__ is int:
                if not isinstance(value, list):
                    return None
                try:
                    value = value[step]
                except IndexError:
                    return None
            else:
                try:
                    value = value.get(step)
                except AttributeError:
                    return None
        return value
    return search


def projection_search(node: dict) -> Callable[..., Any] | None:
    """``path[].right`` / ``path[*].right`` where ``right`` is a path or ``{key: path, ...}``, with the
    interpreter's exact steps (a flatten merges nested lists; a non-list gives None; a None result of
    ``right`` is left out, and ``{...}`` on None is None); anything else -> None."""
    kind = node.get("type")
    if kind == "subexpression" and node["children"][-1].get("type") == "projection":  # `a.b[*].c`
        outer = indexed_path_of({"type": "subexpression", "children": node["children"][:-1]})
        rest = projection_search(node["children"][-1])
        if outer is None or rest is None:
            return None
        head = steps_search(outer)
        return lambda value, options=None: rest(head(value))
    if kind != "projection":
        return None
    left, right = node["children"]
    flatten = left.get("type") == "flatten"
    steps = indexed_path_of(left["children"][0] if flatten else left)
    if steps is None:
        return None
    base = steps_search(steps)
    if right.get("type") == "multi_select_dict":
        pairs = []
        for pair in right["children"]:
            inner = indexed_path_of(pair["children"][0])
            if inner is None:
                return None
            pairs.append((pair["value"], steps_search(inner)))

        def each(element: Any) -> Any:
            return None if element is None else {key: read(element) for key, read in pairs}
    else:
        inner = indexed_path_of(right)
        if inner is None:
            return None
        each = steps_search(inner)

    def search(value: Any, options: Any = None) -> Any:
        items = base(value)
        if not isinstance(items, list):
            return None
        if flatten:
            merged: list = []
            for element in items:
                if isinstance(element, list):
                    merged.extend(element)
                else:
                    merged.append(element)
            items = merged
        out = []
        for element in items:
            current = each(element)
            if current is not None:
                out.append(current)
        return out
    return search


__all__ = ["indexed_path_of", "projection_search", "steps_search"]
