"""Checks of the expressions of a flow, run at ``validate`` (never per record):

* ``unknown-name`` (error): a ``_``-name that the scope of the place does not hold;
* ``pipe-precedence`` (warning): a ``|`` that takes a comparison, ``||`` or ``&&`` along on its right
  and so changes what the rest of it reads: ``meta[?key=='b2b'].value | [0] == 'yes' || role == 'b2b'``
  is ``meta[?key=='b2b'].value | ([0] == 'yes' || role == 'b2b')``, where ``role`` is read on the
  piped value (null) instead of the record;
* ``not-precedence`` (warning): a ``!`` followed by a dotted path: ``!a.b`` is ``(!a).b`` in JMESPath,
  a field of a boolean, always null, so a condition written with it never holds;
* ``strict-lookup-null`` (warning): a ``lookup`` on a table with no default, fed by a value that can be
  null with nothing guarding it (the record would be set aside on the first null: free shipping with
  no tax rate).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.errors import Diagnostic, Loc
from engine.lang.expr import simple_path_of
from engine.lang.exprnames import name_problems, outer_span, spanned_tree
from engine.lang.lookups import LookupTable
from engine.project.load import Item
from engine.schema.validate import FIELD_SPEC_KEYS
from engine.spec.yamlsrc import format_path

_BINARY = ("or_expression", "and_expression", "comparator")
_CONTAINERS = frozenset({"multi_select_list", "multi_select_dict", "key_val_pair", "function_expression",
                         "comparator", "or_expression", "and_expression", "not_expression"})


def check_expression(text: str, allowed: frozenset[str], loc: Loc, path: str) -> list[Diagnostic]:
    """Diagnostics for one expression that compiled; ``loc`` is where its text starts."""
    out = [Diagnostic("unknown-name", message, loc.shifted(offset), path, hint)
           for offset, message, hint in name_problems(text, allowed)]
    out += [Diagnostic("pipe-precedence", message, loc.shifted(offset), path, hint, severity="warning")
            for offset, message, hint in pipe_problems(text)]
    out += [Diagnostic("not-precedence", message, loc.shifted(offset), path, hint, severity="warning")
            for offset, message, hint in not_problems(text)]
    return out


def check_placeholders(spans: list, allowed: frozenset[str], loc: Loc | None, path: str) -> list[Diagnostic]:
    """``check_expression`` for each ``(offset, text)`` placeholder of a template on the scope (a reject
    reason, a fan-out key); ``loc`` is where the template's text starts."""
    if loc is None:
        return []
    return [diag for offset, text in spans for diag in check_expression(text, allowed, loc.shifted(offset), path)]


# -- pipe precedence -----------------------------------------------------------------------------

def _constant(node: dict) -> bool:
    if node.get("type") == "literal":
        return True
    children = [c for c in node.get("children", ()) if isinstance(c, dict)]
    return node.get("type") in _CONTAINERS and bool(children) and all(_constant(c) for c in children)


def _nodes(tree: dict) -> Iterator[dict]:
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in node.get("children", ()) if isinstance(c, dict))


def pipe_problems(text: str) -> Iterator[tuple[int, str, str]]:
    """``(offset of the |, message, hint)`` for every pipe whose right side, not in parentheses, is a
    comparison or ``||``/``&&`` whose other operands read a value: JMESPath reads them on what the
    pipe gives, where the author most likely meant the record. (``a | [0] == 'yes'`` means the same
    both ways and ``a | !b`` too: no warning.)"""
    tree = spanned_tree(text)
    if tree is None:
        return
    for node in _nodes(tree):
        if node.get("type") != "pipe" or len(node.get("children", ())) != 2:
            continue
        left, right = node["children"]
        if right.get("paren") or right.get("type") not in _BINARY or "span" not in left or "span" not in right:
            continue
        spine, others = right, []
        while spine.get("type") in _BINARY and not spine.get("paren"):
            others.append(spine["children"][1])
            spine = spine["children"][0]
        misread = next((o for o in reversed(others) if not _constant(o)), None)
        if misread is None or "span" not in spine or "span" not in misread:
            continue
        start, end = outer_span(left)[0], outer_span(spine)[1]
        bar = text.find("|", outer_span(left)[1])
        finish = outer_span(right)[1]
        whole = text[start:finish]
        read = f"{text[start:bar].rstrip()} | ({text[bar + 1:finish].strip()})"
        rewrite = f"{text[:start]}({text[start:end]}){text[end:]}"
        shown = text[slice(*outer_span(misread))]
        yield (bar, f"`|` binds last: JMESPath reads `{whole}` as `{read}`, so `{shown}` is evaluated on "
               "the piped value, not on the record",
               f"write `{rewrite}` (or put the right side of `|` in parentheses if that reading is meant)")


# -- `!` before a dotted path ---------------------------------------------------------------------

def not_problems(text: str) -> Iterator[tuple[int, str, str]]:
    """``(offset of the !, message, hint)`` for every ``!x.y`` not in parentheses: JMESPath binds ``!``
    tighter than ``.``, so it reads ``(!x).y`` (a field of true or false: null), never ``!(x.y)``."""
    tree = spanned_tree(text)
    if tree is None:
        return
    for node in _nodes(tree):
        children = node.get("children", ())
        if node.get("type") != "subexpression" or node.get("paren") or not children:
            continue
        negated = children[0]
        if not isinstance(negated, dict) or negated.get("type") != "not_expression" or negated.get("paren") \
                or "span" not in negated or "span" not in node:
            continue
        bang, end = negated["span"][0], node["span"][1]
        written = text[bang:end]
        yield (bang, f"`!` binds tighter than `.`: JMESPath reads `{written}` as `(!{written[1:].split('.')[0].strip()})."
               f"{written.split('.', 1)[1]}`, a field of true or false, always null, so this never holds",
               f"write `!({written[1:].strip()})`")


# -- strict lookups fed by a null ----------------------------------------------------------------

def check_lookups(item: Item, lookups: Mapping[str, LookupTable], key: tuple | None) -> Iterator[Diagnostic]:
    """``strict-lookup-null`` warnings for the flow's ``map`` and its acknowledgement's ``map``
    (``key``: the record key's path, never null)."""
    data = item.data if isinstance(item.data, dict) else {}
    ack = data.get("acknowledge")
    for path, spec in ((("map",), data.get("map")),
                       (("acknowledge", "map"), ack.get("map") if isinstance(ack, dict) else None)):
        for where, message, hint in strict_lookup_problems(spec, lookups, key, path):
            yield Diagnostic("strict-lookup-null", message, item.loc(*where),
                             format_path(item.path + where), hint, severity="warning")


_ALWAYS_SET = frozenset({"to_string", "length", "type", "keys", "values", "join", "contains", "starts_with",
                         "ends_with", "to_array", "sort", "sort_by", "reverse", "merge", "sum", "map", "unique"})
_MAY_NULL = frozenset({"null_if", "parse_date", "parse_ms_json_date", "if_positive", "flag_if_positive",
                       "from_epoch", "coalesce", "cast"})


def _nullable(node: dict, key: tuple | None) -> bool:
    """Can the expression give null? (False only when it cannot, as far as its form shows.)"""
    kind = node.get("type")
    children = [c for c in node.get("children", ()) if isinstance(c, dict)]
    if kind == "literal":
        return node.get("value") is None
    if kind in ("comparator", "not_expression", "multi_select_list", "multi_select_dict"):
        return kind == "comparator" and node.get("value") not in ("eq", "ne")
    if kind == "or_expression":
        return _nullable(children[1], key)
    if kind == "and_expression":
        return _nullable(children[0], key) or _nullable(children[1], key)
    if kind == "function_expression":
        if node.get("value") in ("not_null", "coalesce"):
            return all(_nullable(c, key) for c in children)
        return node.get("value") not in _ALWAYS_SET
    if key is not None and kind in ("field", "subexpression"):
        return simple_path_of(node) != key  # the record's key is never null
    return True


def _lookup_step(arg: Any, lookups: Mapping[str, LookupTable]) -> tuple[str, bool, bool]:
    """(table name, strict: a null fails it, the result may be null) for a ``lookup`` step's argument."""
    name = arg if isinstance(arg, str) else arg.get("table") if isinstance(arg, dict) else None
    if isinstance(name, str):
        table = lookups.get(name)
        if table is None:
            return name, False, True
        if isinstance(arg, dict) and "default" in arg:
            return name, False, arg["default"] is None
        return name, not table.has_default and not table.get(None)[0], table.has_default and table.default is None
    entries = arg.get("map") if isinstance(arg, dict) else None
    if not isinstance(entries, dict):
        return "(inline)", False, True
    if "default" in arg:
        return "(inline)", False, arg["default"] is None
    return "(inline)", None not in entries, False


def strict_lookup_problems(spec: Any, lookups: Mapping[str, LookupTable], key: tuple | None,
                           path: tuple = ("map",), guarded: bool = False) -> Iterator[tuple[tuple, str, str]]:
    """``(spec path of the lookup step, message, hint)`` for each strict lookup of a ``map`` that a
    null can reach. A `when` on the field or on a value around it, `required: true`, or a transform
    before it that never gives null (`default`, a lookup with a default) guards it."""
    if isinstance(spec, list):
        for index, entry in enumerate(spec):
            if isinstance(entry, dict):
                yield from _field(entry, lookups, None, path + (index,), guarded)
        return
    if not isinstance(spec, dict):
        return
    for name, entry in spec.items():
        sub = path + (name,)
        if isinstance(entry, list):
            yield from strict_lookup_problems(entry, lookups, None, sub, guarded)
        elif isinstance(entry, dict) and any(k in entry for k in FIELD_SPEC_KEYS):
            yield from _field(entry, lookups, key, sub, guarded)
        elif isinstance(entry, dict):
            yield from strict_lookup_problems(entry, lookups, key, sub, guarded)


def _field(spec: dict, lookups, key, path: tuple, guarded: bool) -> Iterator[tuple[tuple, str, str]]:
    here = guarded or "when" in spec or spec.get("required") is True
    if "map" in spec:
        yield from strict_lookup_problems(spec["map"], lookups, None if "each" in spec else key,
                                          path + ("map",), here)
    other = spec.get("else")
    if isinstance(other, dict) and any(k in other for k in ("from", "value", "map")):
        yield from _field(other, lookups, key, path + ("else",), guarded)
    source, steps = spec.get("from"), spec.get("transform")
    if here or not isinstance(source, str) or steps is None:
        return
    tree = spanned_tree(source)
    nullable = tree is None or _nullable(tree, None if "each" in spec else key)
    listed = isinstance(steps, list)
    for index, step in enumerate(steps if listed else [steps]):
        name, arg = (step, None) if isinstance(step, str) else \
            next(iter(step.items())) if isinstance(step, dict) and len(step) == 1 else (None, None)
        if name == "lookup":
            table, strict, gives_null = _lookup_step(arg, lookups)
            if strict and nullable:
                where = path + ("transform",) + ((index,) if listed else ())
                yield (where, f"`{source}` can be null here, and a null fails the strict lookup '{table}' "
                       "(it has no default): the whole record would be set aside",
                       f"guard the field with `when: \"{source} != null\"`, give the lookup a `default`, "
                       "or say a null is an error with `required: true`")
            nullable = gives_null
        elif name == "default":
            nullable = arg is None
        elif name in _MAY_NULL:
            nullable = True


__all__ = ["check_expression", "check_placeholders", "check_lookups", "pipe_problems", "strict_lookup_problems"]
