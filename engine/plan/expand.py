"""Fan-out and grouping, compiled once: how one source record becomes several target items
(``fan_out``), or several records one target record (``group``).

Everything here runs at compile time except the closures it returns: the ``each``/``by``/``order``
expressions are compiled JMESPath getters, and the item key template is parsed once, by the same
parser as the ``template`` transform (:func:`engine.lang.transforms.text.parse_template`).

Per record (fan-out) the closure returns ``(key, scope)`` pairs; per group it returns the group's
scope. Failures are :class:`RecordError` located at the spec (the runtime adds flow and key).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from operator import itemgetter
from typing import Any

from engine.checks.expr_lint import check_placeholders
from engine.errors import Diagnostic, Loc, RecordError, TransformError
from engine.lang.expr import CompiledExpr, compile_expression, getter
from engine.lang.names import INDEX, KEY, POSITION
from engine.lang.registry import ArgError
from engine.lang.transforms._common import show, stringify
from engine.lang.transforms.text import parse_template
from engine.plan.lets import scope_names
from engine.spec.yamlsrc import format_path
from engine.util.records import frozen

Getter = Callable[[Any], Any]


@frozen
class FanOut:
    """``items(record)`` -> ``[(key, scope), ...]`` in list order; raises RecordError for the whole record."""

    items: Callable[[Any], list]
    name: str  # the element's name in the item scope (`as`)
    loc: Loc | None = None


@frozen
class Grouping:
    """``key(record)`` -> the group key as text (None: the record belongs to no group);
    ``scope(key, members)`` -> the group's scope (members ordered by ``order``)."""

    key: Callable[[Any], str | None]
    scope: Callable[[str, list], dict]
    name: str  # the members list's name in the group scope (`as`)
    loc: Loc | None = None


# -- compile time -----------------------------------------------------------------------------------

class ExpandCompiler:
    """Compiles a flow's ``fan_out`` or ``group``; every problem becomes a located diagnostic.
    ``expr(text, path, what)`` is the flow compiler's (it reports bad JMESPath itself)."""

    def __init__(self, item, expr: Callable[[Any, tuple, str], CompiledExpr | None], ctx,
                 diags: list[Diagnostic]):
        self.item, self.expr, self.ctx, self.diags = item, expr, ctx, diags

    def error(self, code: str, message: str, path: tuple, hint: str | None = None, offset: int = 0) -> None:
        loc = self.item.loc(*path)
        if offset and loc is not None:
            quoted = self.item.doc.styles.get(self.item.path + path) in ("'", '"')
            loc = loc.shifted(offset + quoted)
        self.diags.append(Diagnostic(code, message, loc, f"flows.{self.item.name}." + ".".join(path), hint))

    def compile(self, data: dict) -> tuple[FanOut | None, Grouping | None]:
        fan, group = data.get("fan_out"), data.get("group")
        if isinstance(fan, dict) and isinstance(group, dict):
            self.error("conflicting-keys", "a flow has either `fan_out` (one record -> several items) or "
                       "`group` (several records -> one), not both", ("group",),
                       "split it in two flows, or group first and write the members as children in `map`")
            return None, None
        if isinstance(group, dict):
            source = data.get("source")
            if isinstance(source, dict) and source.get("since") is not None:
                self.error("group-needs-full-read", "a grouping flow reads its whole source: a group needs all "
                           "its members, and `since` would read only those that changed", ("source", "since"),
                           "remove `since`: unchanged groups are skipped by their payload hash, so a full read "
                           "writes only what changed")
            return None, self.grouping(group)
        return (self.fan_out(fan) if isinstance(fan, dict) else None), None

    def fan_out(self, spec: dict) -> FanOut | None:
        each = self.expr(spec.get("each"), ("fan_out", "each"), "fan-out list")
        name: str = spec["as"] if isinstance(spec.get("as"), str) else "item"
        key = self.key_template(spec.get("key"))
        if each is None or key is None:
            return None
        loc = self.item.loc("fan_out")
        return FanOut(fan_out_items(getter(each), name, key, self.item.loc("fan_out", "each"),
                                    self.item.loc("fan_out", "key"), _mentioned(self.item.data)), name, loc)

    def key_template(self, text: Any) -> list | None:
        if not isinstance(text, str):
            return None
        spans: list = []
        try:
            parts = parse_template(text, self.ctx, spans)
        except ArgError as exc:
            code = "bad-template" if "in placeholder" not in exc.message else "bad-expression"
            self.error(code, f"fan-out key {text!r}: {exc.message}", ("fan_out", "key"), exc.hint, exc.offset)
            return None
        if all(part.__class__ is str for part in parts):
            self.error("bad-template", f"fan-out key {text!r} has no {{placeholder}}: every item of a record "
                       "would get the same key", ("fan_out", "key"),
                       "name what tells the items apart, e.g. `{Reference}/{tier.QteMin}`")
            return None
        path = self.item.path + ("fan_out", "key")  # was: `{_keyy}` in a key went unreported
        quoted = self.item.doc.styles.get(path) in ("'", '"')
        for diag in check_placeholders(spans, scope_names(self.item.data) - {KEY},
                                       self.item.loc("fan_out", "key").shifted(quoted), format_path(path)):
            self.diags.append(replace(diag, hint="`_key` is the key this template writes") if
                              diag.message.startswith(f"`{KEY}` ") else diag)
        return parts

    def grouping(self, spec: dict) -> Grouping | None:
        by = self.expr(spec.get("by"), ("group", "by"), "group key")
        order = self.expr(spec.get("order"), ("group", "order"), "group order") if "order" in spec else None
        name: str = spec["as"] if isinstance(spec.get("as"), str) else "members"
        if by is None or ("order" in spec and order is None):
            return None
        loc = self.item.loc("group")
        return Grouping(group_key(getter(by), self.item.loc("group", "by"), _field(by)),
                        group_scope(getter(order) if order is not None else None, name,
                                    self.item.loc("group", "order"), _field(order)), name, loc)


def _mentioned(data: Any, names: frozenset = frozenset({INDEX, POSITION, KEY})) -> frozenset:
    """The reserved names written anywhere in a flow (keys and texts): a scope holds only those."""
    found: set = set()
    stack = [data]
    while stack and len(found) < len(names):
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and "_" in node:
            found.update(name for name in names if name in node)
    return frozenset(found)


def _field(expr: CompiledExpr | None) -> str | None:
    """The one field an expression reads, when it is a plain field name."""
    path = expr.simple_path if expr is not None else None
    return path[0] if path is not None and len(path) == 1 else None


# -- the closures -----------------------------------------------------------------------------------

def _part(text: str, loc: Loc | None) -> Callable[[Any, int], str]:
    """A key part that is not a non-empty text: written as text, or the record fails (a key with a
    part missing would collide with another item's)."""
    def part(value: Any, position: int) -> str:
        if value.__class__ is str and value:
            return value
        if value is None or value == "" or isinstance(value, (dict, list)):
            what = "is an empty text" if value == "" else f"gave {show(value)}, not a value"
            raise RecordError(f"item {position}: key placeholder {{{text}}} {what}: each item needs a key of "
                              "its own", field="fan_out.key", loc=loc)
        try:
            return stringify(value)
        except TransformError as exc:
            raise RecordError(f"item {position}: {exc}", field="fan_out.key", loc=loc) from None

    return part


def _read(path: tuple, source: str, target: str) -> list[str]:
    """Lines reading a plain dotted ``path`` from ``source`` into ``target`` (as the mapping's code does)."""
    lines = [f"{target} = {source}.get({path[0]!r}) if {source}.__class__ is dict else None"]
    lines += [f"{target} = {target}.get({step!r}) if {target}.__class__ is dict else None" for step in path[1:]]
    return lines


ITEMS_CODE = """def make(EACH, NOT_LIST, EACH_FAILED, DUPLICATE, BASE, SEARCH, PART):
    def items(record):
        try:
            elements = EACH(record)
        except TransformError as exc:
            EACH_FAILED(exc)
        if elements is None:
            return []
        if elements.__class__ is not list:
            NOT_LIST(elements)
        base = record if record.__class__ is dict else BASE
        out = []
        if not elements:
            return out
{hoisted}
        seen = {{}}
        position = 0
        for element in elements:
            position += 1
            scope = base.copy()
            scope[{name!r}] = element
{positions}
{parts}
            key = {key}
            if key in seen:
                DUPLICATE(key, seen[key], position)
            seen[key] = position
{key_line}
            out.append((key, scope))
        return out
    return items
"""


def fan_out_items(each: Getter, name: str, parts: list, each_loc: Loc | None, key_loc: Loc | None,
                  used: frozenset = frozenset({INDEX, POSITION, KEY})) -> Callable[[Any], list]:
    """The items of one record, as one generated function: the key's placeholders that read only the
    record (not the element, nor a position) are read once per record; plain paths are inlined.
    ``used``: the reserved names the flow mentions somewhere (the others are not put in the scope)."""
    per_item = {name, INDEX, POSITION, KEY}
    hoisted: list[str] = []
    lines: list[str] = []
    pieces: list[str] = []
    searches: list = []
    part_fns: list = []
    prefix: list[str] = []
    per_record = True  # still in the leading pieces that do not depend on the item
    for part in parts:
        if part.__class__ is str:
            pieces.append(repr(part))
            if per_record:
                prefix.append(repr(part))
            continue
        text, search = part
        n = len(part_fns)
        part_fns.append(_part(text, key_loc))
        path = compile_expression(text).simple_path
        var = f"p{n}"
        if path and path[0] not in per_item:  # the record's own field: read and checked once per record
            hoisted += _read(path, "base", var) + [f"if {var}.__class__ is not str or not {var}:",
                                                   f"    {var} = PART[{n}]({var}, 1)"]
        else:
            per_record = False
            if path and path[0] == name:  # the element itself: no look-up in the scope
                lines += [f"{var} = element"] + _read(path[1:], var, var) if len(path) > 1 else [f"{var} = element"]
            elif path:
                lines += _read(path, "scope", var)
            else:
                lines.append(f"{var} = SEARCH[{len(searches)}](scope)")
                searches.append(search)
            lines.append(f"if {var}.__class__ is not str or not {var}:")  # an int written as is, else checked
            lines.append(f"    {var} = str({var}) if {var}.__class__ is int else PART[{n}]({var}, position)")
        pieces.append(var)
        if per_record:  # a leading run of literals and record fields is joined once per record
            prefix.append(var)
    prefix_len = len(prefix)
    hoisted.append("prefix = " + (" + ".join(pieces[:prefix_len]) if prefix_len else "''"))
    key = " + ".join(["prefix"] + pieces[prefix_len:]) if prefix_len < len(pieces) else "prefix"
    code = ITEMS_CODE.format(hoisted="\n".join(" " * 8 + line for line in hoisted),
                             parts="\n".join(" " * 12 + line for line in lines), key=key,
                             name=name, positions="\n".join(
                                 " " * 12 + f"scope[{n!r}] = {value}" for n, value in
                                 ((INDEX, "position - 1"), (POSITION, "position")) if n in used) or "",
                             key_line=" " * 12 + f"scope[{KEY!r}] = key" if KEY in used else "")

    def not_list(elements: Any) -> None:
        raise RecordError(f"`each` gave {show(elements)}, not a list", field="fan_out.each", loc=each_loc)

    def each_failed(exc: TransformError) -> None:
        raise RecordError(str(exc), field="fan_out.each", loc=each_loc) from None

    def duplicate(key: str, before: int, position: int) -> None:
        raise RecordError(f"items {before} and {position} both have the key {key!r}: each item needs a key of "
                          "its own", field="fan_out.key", loc=key_loc)

    namespace: dict = {"TransformError": TransformError}
    exec(compile(code, f"<passerelle fan-out {name}>", "exec"), namespace)  # compiled once, per flow
    return namespace["make"](each, not_list, each_failed, duplicate, {}, tuple(searches), tuple(part_fns))


def group_key(by: Getter, loc: Loc | None, field: str | None = None) -> Callable[[Any], str | None]:
    """The group key of one record as text (None: no group). ``field``: ``by`` is that one field."""
    def text(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list)):
            raise RecordError(f"the group key is {show(value)}, not a value", field="group.by", loc=loc)
        return stringify(value)

    if field is not None:
        def key_of_field(record: Any) -> str | None:
            value = record.get(field) if record.__class__ is dict else None
            return value if value.__class__ is str and value else text(value)

        return key_of_field

    def key(record: Any) -> str | None:
        try:
            value = by(record)
        except TransformError as exc:
            raise RecordError(str(exc), field="group.by", loc=loc) from None
        return value if value.__class__ is str and value else text(value)

    return key


def group_scope(order: Getter | None, name: str, loc: Loc | None, field: str | None = None
                ) -> Callable[[str, list], dict]:
    """The group's scope; ``field``: ``order`` is that one field (read inline)."""
    by_field = itemgetter(field) if field is not None else None

    def scope(key: str, members: list) -> dict:
        if order is not None and len(members) > 1:
            try:  # the common case, in C: one field, values of one kind, no null (stable: ties as read)
                members = sorted(members, key=by_field) if by_field is not None else _ordered(
                    members, _values(members, order, loc))
            except (KeyError, TypeError):  # a member without it, a null, values of different kinds
                members = _ordered(members, _values(members, order, loc))
        first = members[0]
        out = first.copy() if first.__class__ is dict else {}
        out[name] = members
        out[KEY] = key
        return out

    return scope


def _values(members: list, order: Getter, loc: Loc | None) -> list:
    try:
        return [order(member) for member in members]
    except TransformError as exc:
        raise RecordError(str(exc), field="group.order", loc=loc) from None


def _ordered(members: list, values: list) -> list:
    if None not in values:
        try:  # the common case: values of one kind; the sort is stable, ties keep the order read
            return [members[i] for i in sorted(range(len(members)), key=values.__getitem__)]
        except TypeError:
            pass
    keyed = list(zip(values, range(len(members)), members))
    try:  # nulls last
        keyed.sort(key=lambda entry: (entry[0] is None, entry[0] if entry[0] is not None else 0, entry[1]))
    except TypeError:  # values of different kinds (text and numbers): compared as text
        keyed.sort(key=lambda entry: (entry[0] is None, "" if entry[0] is None else str(entry[0]), entry[1]))
    return [member for _, _, member in keyed]


__all__ = ["ExpandCompiler", "FanOut", "Grouping"]
