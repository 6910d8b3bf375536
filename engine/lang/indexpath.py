"""Expressions made of fields and literal indexes only (``associations.taxes[0].id``), read without the
JMESPath interpreter's dispatch, with its exact steps (compiled once, in engine/lang/expr.py). Plain
dotted paths have their own fast path there; this one is for the paths with an index, such as the
join key of PrestaShop's taxes, evaluated on every order row."""
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


__all__ = ["indexed_path_of", "steps_search"]
