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

Related records (``source.related``) are typed the same way, on the same set of names, unless the flow
may read one of them *whole* - then its resource keeps every declaration. Conservatively, a related
entry is read whole when an expression ends on (reads without going on to one of its fields) its
name or a step of its ``at`` path (``detail``, ``keys(detail)``, ``detail[0]``, ``detail | x``,
``from: customer`` with a transform, ``associations.order_rows`` copied to the payload), when the
source itself is read whole (see above), or when the resource is also the flow's source. ``each:``
iterates its list (its elements' whole reads are ``@``, caught above), and ``at:`` only says where
to attach.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
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


def _field_step(node: Any) -> bool:
    """``node`` goes on into a field of the value before it (``.name``, ``.name[0]``)."""
    while isinstance(node, dict) and node.get("type") in ("subexpression", "index_expression"):
        node = (node.get("children") or [None])[0]
    return isinstance(node, dict) and node.get("type") == "field"


def _ends(tree: dict, found: set[str], iterated: bool = False) -> None:
    """The field names of ``tree`` whose value may be read whole (not only through a field of it) into
    ``found``; ``iterated``: the expression's own value is only iterated (``each:``)."""
    stack: list[tuple[Any, bool]] = [(tree, iterated)]  # node, its value is only gone into
    while stack:
        node, continued = stack.pop()
        if not isinstance(node, dict):
            continue
        kind, children = node.get("type"), node.get("children") or []
        if kind == "field":
            if not continued:
                found.add(str(node.get("value")))
            continue
        for index, child in enumerate(children):
            if kind == "subexpression":
                stack.append((child, continued if index == len(children) - 1 else _field_step(children[index + 1])))
            elif kind in ("index_expression", "flatten") and index == 0:
                stack.append((child, continued))
            elif kind in ("projection", "filter_projection") and index < 2:
                stack.append((child, _field_step(children[1]) if index == 0 and len(children) > 1 else
                              continued if index == 1 else False))
            else:
                stack.append((child, False))


def _related_texts(flow: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    """Every string value of the flow's spec (not its keys, not related `at:`), with whether it is an
    ``each:`` list path."""
    stack: list[tuple[Any, str | None, tuple]] = [(flow, None, ())]
    while stack:
        item, key, path = stack.pop()
        if isinstance(item, str):
            if key == "at" and len(path) == 4 and path[:2] == ("source", "related"):
                continue
            yield item, key == "each"
        elif isinstance(item, Mapping):
            stack.extend((sub, name, path + (name,)) for name, sub in item.items() if name != "description")
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, key, path + (None,)) for sub in item)


def whole_related(flow: Mapping[str, Any], key_text: Any = None) -> frozenset[str] | None:
    """The names of the related entries whose records ``flow`` may read whole; ``None``: all of them."""
    if used_fields(flow, key_text) is None:
        return None
    source = flow.get("source")
    related = source.get("related") if isinstance(source, Mapping) else None
    if not isinstance(related, Mapping):
        return frozenset()
    ends: set[str] = set()
    for text, iterated in [*_related_texts(flow), *([(key_text, False)] if isinstance(key_text, str) else [])]:
        for expression in (text, *_placeholders(text)):
            tree = spanned_tree(expression) if expression.strip() else None
            if tree is not None:
                _ends(tree, ends, iterated and expression is text)
    whole = set()
    for name, entry in related.items():
        at = entry.get("at") if isinstance(entry, Mapping) else None
        if not isinstance(at, str) and at is not None:
            return None
        reach = {name, *(at.split(".") if at else ())}
        if reach & ends:
            whole.add(name)
    return frozenset(whole)


def related_types(flow: Mapping[str, Any], used: frozenset[str] | None, related: Iterable[Any],
                  resource_of: Callable[[Any], Any], source_resource: str, key_text: Any = None
                  ) -> dict[str, dict[str, str]]:
    """The declarations of each related resource that may be restricted (``related``: the flow's
    RelatedSpecs; ``resource_of(spec)``: its ResourcePlan or None): those under ``used`` when no
    entry reading it is read whole and it is not the source's resource (one typing for both)."""
    whole = whole_related(flow, key_text) if used is not None else None
    if whole is None:
        return {}
    specs = list(related)
    blocked = {spec.resource for spec in specs if spec.name in whole} | {source_resource}
    out: dict[str, dict[str, str]] = {}
    for spec in specs:
        if spec.resource in blocked or spec.resource in out:
            continue
        resource = resource_of(spec)  # the first entry's, as the compiler typed it
        if resource is None:
            blocked.add(spec.resource)
            continue
        out[spec.resource] = restrict_types(resource.types, used)
    return out


__all__ = ["related_types", "restrict_types", "used_fields", "whole_related"]
