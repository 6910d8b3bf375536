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
from dataclasses import dataclass
from typing import Any

from engine.errors import Diagnostic, Loc, RecordError, TransformError
from engine.lang.expr import CompiledExpr, getter
from engine.lang.names import INDEX, KEY, POSITION
from engine.lang.registry import ArgError
from engine.lang.transforms._common import show, stringify
from engine.lang.transforms.text import parse_template

Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class FanOut:
    """``items(record)`` -> ``[(key, scope), ...]`` in list order; raises RecordError for the whole record."""

    items: Callable[[Any], list]
    name: str  # the element's name in the item scope (`as`)
    loc: Loc | None = None


@dataclass(frozen=True)
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
        name = spec.get("as") if isinstance(spec.get("as"), str) else "item"
        key = self.key_template(spec.get("key"))
        if each is None or key is None:
            return None
        loc = self.item.loc("fan_out")
        return FanOut(fan_out_items(getter(each), name, key, self.item.loc("fan_out", "each"),
                                    self.item.loc("fan_out", "key")), name, loc)

    def key_template(self, text: Any) -> list | None:
        if not isinstance(text, str):
            return None
        try:
            parts = parse_template(text, self.ctx)
        except ArgError as exc:
            code = "bad-template" if "in placeholder" not in exc.message else "bad-expression"
            self.error(code, f"fan-out key {text!r}: {exc.message}", ("fan_out", "key"), exc.hint, exc.offset)
            return None
        if all(part.__class__ is str for part in parts):
            self.error("bad-template", f"fan-out key {text!r} has no {{placeholder}}: every item of a record "
                       "would get the same key", ("fan_out", "key"),
                       "name what tells the items apart, e.g. `{Reference}/{tier.QteMin}`")
            return None
        return parts

    def grouping(self, spec: dict) -> Grouping | None:
        by = self.expr(spec.get("by"), ("group", "by"), "group key")
        order = self.expr(spec.get("order"), ("group", "order"), "group order") if "order" in spec else None
        name = spec.get("as") if isinstance(spec.get("as"), str) else "members"
        if by is None or ("order" in spec and order is None):
            return None
        loc = self.item.loc("group")
        return Grouping(group_key(getter(by), self.item.loc("group", "by")),
                        group_scope(getter(order) if order is not None else None, name,
                                    self.item.loc("group", "order")), name, loc)


# -- the closures -----------------------------------------------------------------------------------

def render_key(parts: list, loc: Loc | None) -> Callable[[dict, int], str]:
    """The key template as a closure; a placeholder giving null, an empty text, a list or an object
    fails the record (a key with a part missing would collide with another item's)."""
    steps = tuple((part, None) if part.__class__ is str else (part[0], part[1]) for part in parts)

    def render(scope: dict, position: int) -> str:
        out = []
        for text, search in steps:
            if search is None:
                out.append(text)
                continue
            value = search(scope)
            if value.__class__ is not str:
                if value is None or isinstance(value, (dict, list)):
                    raise RecordError(f"item {position}: key placeholder {{{text}}} gave {show(value)}, not "
                                      "a value: each item needs a key of its own", field="fan_out.key", loc=loc)
                value = stringify(value)
            elif not value:
                raise RecordError(f"item {position}: key placeholder {{{text}}} is an empty text: each item "
                                  "needs a key of its own", field="fan_out.key", loc=loc)
            out.append(value)
        return "".join(out)

    return render


def fan_out_items(each: Getter, name: str, parts: list, each_loc: Loc | None, key_loc: Loc | None
                  ) -> Callable[[Any], list]:
    render = render_key(parts, key_loc)

    def items(record: Any) -> list:
        try:
            elements = each(record)
        except TransformError as exc:
            raise RecordError(str(exc), field="fan_out.each", loc=each_loc) from None
        if elements is None:
            return []
        if elements.__class__ is not list:
            raise RecordError(f"`each` gave {show(elements)}, not a list", field="fan_out.each", loc=each_loc)
        base = record if record.__class__ is dict else {}
        out = []
        seen: dict[str, int] = {}
        for index, element in enumerate(elements):
            scope = base.copy()
            scope[name] = element
            scope[INDEX] = index
            scope[POSITION] = index + 1
            try:
                key = render(scope, index + 1)
            except TransformError as exc:
                raise RecordError(f"item {index + 1}: {exc}", field="fan_out.key", loc=key_loc) from None
            if key in seen:
                raise RecordError(f"items {seen[key] + 1} and {index + 1} both have the key {key!r}: each item "
                                  "needs a key of its own", field="fan_out.key", loc=key_loc)
            seen[key] = index
            scope[KEY] = key
            out.append((key, scope))
        return out

    return items


def group_key(by: Getter, loc: Loc | None) -> Callable[[Any], str | None]:
    def key(record: Any) -> str | None:
        try:
            value = by(record)
        except TransformError as exc:
            raise RecordError(str(exc), field="group.by", loc=loc) from None
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list)):
            raise RecordError(f"the group key is {show(value)}, not a value", field="group.by", loc=loc)
        return value if value.__class__ is str else stringify(value)

    return key


def group_scope(order: Getter | None, name: str, loc: Loc | None) -> Callable[[str, list], dict]:
    def scope(key: str, members: list) -> dict:
        if order is not None and len(members) > 1:
            members = _ordered(members, order, loc)
        first = members[0]
        out = first.copy() if first.__class__ is dict else {}
        out[name] = members
        out[KEY] = key
        return out

    return scope


def _ordered(members: list, order: Getter, loc: Loc | None) -> list:
    try:
        keyed = [(order(member), position, member) for position, member in enumerate(members)]
    except TransformError as exc:
        raise RecordError(str(exc), field="group.order", loc=loc) from None
    try:  # nulls last; ties keep the order read
        keyed.sort(key=lambda entry: (entry[0] is None, entry[0] if entry[0] is not None else 0, entry[1]))
    except TypeError:  # values of different kinds (text and numbers): compared as text
        keyed.sort(key=lambda entry: (entry[0] is None, "" if entry[0] is None else str(entry[0]), entry[1]))
    return [member for _, _, member in keyed]


__all__ = ["ExpandCompiler", "FanOut", "Grouping"]
