"""The root names an expression reads: the fields it looks up on the scope it is evaluated on.

``a.b`` reads ``a``; ``items[?qty > `1`].sku`` reads ``items`` only (``qty`` and ``sku`` are read on
the elements); ``x | y`` reads ``x`` (``y`` applies to the result); ``sort_by(rows, &pos)`` reads
``rows``. Used to check that a name is defined before it is used (``let``) and to report names the
scope will not hold.
"""
from __future__ import annotations

from collections.abc import Iterator

# node types whose first child is evaluated on the current value and the others on its result
_LEFT_ONLY = frozenset({"subexpression", "index_expression", "projection", "value_projection",
                        "filter_projection", "pipe"})


def root_fields(tree: dict) -> Iterator[str]:
    """Every field name ``tree`` looks up on the value it is evaluated on, in reading order."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "field":
            yield node["value"]
            continue
        if kind == "expref":
            continue  # evaluated on each element by the function that receives it
        children = [c for c in node.get("children", ()) if isinstance(c, dict)]
        if kind in _LEFT_ONLY:
            children = children[:1]
        stack.extend(reversed(children))


__all__ = ["root_fields"]
