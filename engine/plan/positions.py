"""Positions inside a map `- each:` item: ``_index`` (0-based) and ``_position`` (1-based).

The generated mapper numbers a loop (``for i, s in enumerate(...)``) only when an expression within
its item names one of them (a ``from``, a ``when``, a nested ``each``, or a transform's ``from``); the
code generator then reads a plain path ``_position`` as ``i + 1`` and gives a full JMESPath the item's
scope with the positions attached. A mapping that never names them runs exactly as before.
"""
from __future__ import annotations

from typing import Any

from engine.lang.names import INDEX, PARENT, POSITION
from engine.plan.mapping import ListNode, ObjNode, ValueNode

POSITIONS = (INDEX, POSITION)


def with_position(item: Any, parent: Any, index: int) -> dict:
    scope = dict(item) if isinstance(item, dict) else {"@": item}
    scope[PARENT] = parent
    scope[INDEX] = index
    scope[POSITION] = index + 1
    return scope


def names_position(text: str) -> bool:
    return INDEX in text or POSITION in text


def uses_position(node: Any) -> bool:
    """Does an expression (or a transform's ``from``) within ``node`` name ``_index``/``_position``?"""
    if isinstance(node, ListNode):
        return any((item.each is not None and names_position(item.each.text)) or uses_position(item.value)
                   for item in node.items)
    if isinstance(node, ObjNode):
        return any(uses_position(child) for _, child in node.fields)
    if not isinstance(node, ValueNode):
        return False
    texts = [e.text for e in (node.expr, node.when) if e is not None] + [t.reads for t in node.transforms]
    return any(names_position(t) for t in texts) or uses_position(node.obj) or uses_position(node.otherwise)


__all__ = ["POSITIONS", "names_position", "uses_position", "with_position"]
