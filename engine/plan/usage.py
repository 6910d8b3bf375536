"""Which top-level fields of its source records a flow may read: only those are typed.

A connector's ``types:`` declare how to read dozens of fields, while a flow maps a few of them;
converting every declared value of every record costs more than the mapping itself. The compiler
works out, once, the set of top-level source fields a flow may read, and the source resource's
typing is restricted to the declarations under those fields. Fields left out stay as the decoder
gave them (strings for XML) - and a malformed value in a field the flow never reads no longer sets
the record aside.

The analysis is deliberately generous (a field is dropped only when nothing can read it):

* every name in the flow's spec counts as possibly read: each field name of every expression that
  parses as JMESPath (at any depth: ``associations.order_rows[].detail`` keeps ``associations``,
  ``order_rows`` and ``detail``), every word of every other string (``since: date_upd``, transform
  arguments such as a ``template: "{firstname} {lastname}"``, whose placeholders are also read as
  expressions: a reject ``reason`` is rendered on the record), and every mapping key (``where:``
  fields, ``match:`` sides, output names). That covers map, let, filter, reject, key, related
  joins, acknowledgements (``when``/``map``/``with``), ``target.with``, ``find.match``, ``since``,
  ``where`` and transform arguments alike, wherever they are written;
* the flow's key, when it comes from the connector (``resources.<name>.key``), counts too;
* anything that reads the record *as a whole* makes the flow use every field (``None``): ``@`` on
  the scope itself (``@``, ``keys(@)``, ``to_string(@)``, ``merge(@, ...)``), a wildcard on it
  (``*``, ``*.x``), ``_parent`` used whole (anything but ``_parent.name``: ``_parent | keys(@)``,
  ``_parent.*``, ``_parent._parent``), and flows that fan out or group (their scopes hold whole
  records). ``@`` inside a filter or a projection (``rows[?@ > `1`]``, ``x[].{n: @}``) reads an
  element, not the record.

Records kept in the run state (for replays and acknowledgements sent later) are the typed records:
every field an acknowledgement reads is in the set, and a replay types the stored record again
with the plan of the day.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.lang import names
from engine.lang.exprnames import spanned_tree

_WORDS = (re.compile(r"[\w\-]+"), re.compile(r"\w+"))  # `a-b` as one name and as two; any alphabet
_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
# the first child continues on the same value as its parent (`a` in `a.b`, `a[0]`, `a | b`)
_LEFT = frozenset({"subexpression", "index_expression", "projection", "value_projection", "filter_projection",
                   "pipe", "flatten"})
# every child is evaluated on the same value as the node (`f(a, b)`, `a == b`, `[a, b]`, `{k: a}`)
_SAME = frozenset({"comparator", "or_expression", "and_expression", "not_expression", "function_expression",
                   "multi_select_list", "multi_select_dict", "key_val_pair"})


class _Whole(Exception):
    """An expression reads the record as a whole: every field is used."""


def _strings(value: Any) -> Iterator[str]:
    """Every string of a spec value: scalars and mapping keys, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                if isinstance(key, str):
                    yield key
                stack.append(sub)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _placeholders(text: str) -> Iterator[str]:
    """The ``{expression}`` texts of a template (``reason:``, ``template:``); ``{{`` is a literal brace."""
    depth, start, i = 0, 0, 0
    while i < len(text):
        char = text[i]
        if char == "{" and depth == 0 and text.startswith("{{", i):
            i += 2
            continue
        if char == "{":
            depth += 1
            start = i + 1 if depth == 1 else start
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                yield text[start:i]
        i += 1


def _is_parent(node: dict) -> bool:
    """``node`` is the field ``_parent``, or a node whose first child (the value it continues) is."""
    first = node if node.get("type") == "field" else (node.get("children") or [{}])[0]
    return isinstance(first, dict) and first.get("type") == "field" and first.get("value") == names.PARENT


def _expression_names(tree: dict, found: set[str]) -> None:
    """Every field name of ``tree`` into ``found``; raises :class:`_Whole` when the scope itself is read
    whole (``@``, a wildcard, ``_parent`` alone) - not an element inside a filter or projection."""
    stack: list[tuple[dict, bool, bool]] = [(tree, True, False)]  # node, on the scope, continued by a path
    while stack:
        node, on_scope, continued = stack.pop()
        kind = node.get("type")
        if kind == "field":
            found.add(str(node.get("value")))
            if on_scope and not continued and node.get("value") == names.PARENT:
                raise _Whole()
            continue
        if on_scope and (kind == "current" or (kind == "identity" and not continued)):
            raise _Whole()
        if on_scope and kind in ("value_projection", "flatten", "projection") and \
                (node.get("children") or [{}])[0].get("type") in ("identity", "current"):
            raise _Whole()  # `*`, `*.x`, `[*]`, `[]` on the scope
        if on_scope and kind in _LEFT and _is_parent(node):  # `_parent` continued by other than a field
            steps = node.get("children") or []
            if kind != "subexpression" or len(steps) < 2 or steps[1].get("type") != "field" or _is_parent(steps[1]):
                raise _Whole()  # `_parent | keys(@)`, `_parent.*`, `_parent[*]`, `_parent._parent`
        for index, child in enumerate(node.get("children", ())):
            if not isinstance(child, dict):
                continue
            if kind in _LEFT and index == 0:
                stack.append((child, on_scope, True))
            elif kind in _SAME:
                stack.append((child, on_scope, False))
            else:  # a step of a path, a filter's condition, a pipe's right side, `&expr`: another value
                stack.append((child, False, False))


def used_fields(flow: Mapping[str, Any], key_text: Any = None) -> frozenset[str] | None:
    """The top-level source field names ``flow`` (its spec data) may read; ``None`` for every field."""
    if not isinstance(flow, Mapping) or flow.get("fan_out") is not None or flow.get("group") is not None:
        return None
    found: set[str] = set()
    texts = list(_strings({k: v for k, v in flow.items() if k != "description"}))
    if isinstance(key_text, str):
        texts.append(key_text)
    try:
        for text in texts:
            for words in _WORDS:
                found.update(words.findall(text))
            for source in (text, *_placeholders(text)):  # a template's `{expr}` reads the record too
                tree = spanned_tree(source) if source.strip() else None
                if tree is not None:
                    _expression_names(tree, found)
    except _Whole:
        return None
    return frozenset(found)


def restrict_types(types: Mapping[str, str], used: frozenset[str] | None) -> dict[str, str]:
    """The declarations of ``types`` under the fields of ``used`` (all of them for ``None``)."""
    if used is None:
        return dict(types)
    kept = {}
    for path, type_name in types.items():
        first = _SEGMENT.match(path) if isinstance(path, str) else None
        if first is None or first.group(0) in used:
            kept[path] = type_name  # a path that is not a field name is kept: check_types reports it
    return kept


__all__ = ["restrict_types", "used_fields"]
