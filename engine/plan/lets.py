"""``let:`` — named values of a flow, added to each record's scope before ``filter``, ``reject`` and ``map``.

::

    let:
      b2b: "(meta_data[?key=='b2b'].value | [0]) == 'yes' || role == 'b2b'"
      account: "b2b && customer_code || 'CLIENT-WEB'"     # a let may use the lets above it

Every expression is compiled once, here. Per record, one closure copies the joined record and adds
each value in order, so ``when: b2b``, ``from: account`` or ``filter: b2b`` read them as root names.
A let hides a source field of the same name (warning ``let-shadows`` when the connector declares
that field). A flow without ``let`` gets no closure at all: it pays nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.connectors.base import ResourcePlan
from engine.errors import Diagnostic, RecordError, TransformError
from engine.lang.expr import CompiledExpr, getter
from engine.lang.names import KEY, INDEX, POSITION
from engine.lang.scope_names import root_fields
from engine.project.load import Item

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")  # read unquoted by JMESPath (`short-ref` is not)
ExprFn = Callable[[Any, tuple, str], "CompiledExpr | None"]  # reports bad-expression itself


def scope_names(data: dict) -> frozenset[str]:
    """The engine's ``_`` names a flow-level expression may read (they depend on the flow's shape)."""
    names = set()
    if data.get("fan_out") is not None or data.get("group") is not None:
        names.add(KEY)
    if data.get("fan_out") is not None:
        names |= {INDEX, POSITION}
    return frozenset(names)


def shadowed_fields(resource: ResourcePlan | None, related: Iterable[str]) -> dict[str, str]:
    """Root names of the joined record known at compile time -> what they are (for ``let-shadows``)."""
    known: dict[str, str] = {}
    if resource is not None:
        for path in resource.types:
            head = re.split(r"[.\[]", str(path), maxsplit=1)[0]
            known.setdefault(head, f"a field of resource '{resource.name}' (its connector declares its type)")
    for name in related:
        known[name] = f"the related record '{name}' joined under that name"
    return known


def compile_lets(item: Item, spec: Any, expr: ExprFn, diags: list[Diagnostic],
                 shadowed: Mapping[str, str]) -> Callable[[Any], dict] | None:
    """``record -> scope`` (the record plus every let), or None when the flow has no ``let``."""
    if not isinstance(spec, dict) or not spec:
        return None
    label = f"flows.{item.name}.let"
    order = {name: position for position, name in enumerate(spec)}
    steps: list[tuple[str, Callable, Any]] = []
    for position, (name, text) in enumerate(spec.items()):
        path = ("let", name)
        if not isinstance(name, str) or not NAME.match(name):
            reserved = isinstance(name, str) and name.startswith("_")
            diags.append(Diagnostic(
                "bad-let", f"let '{name}': names starting with '_' are the engine's" if reserved
                else f"let '{name}' is not a name an expression can read unquoted", item.key_loc(*path),
                f"{label}.{name}", "name it with a letter, then letters, digits and `_` (e.g. `short_ref`)"))
            continue
        compiled = expr(text, path, "let")
        if compiled is None:
            continue
        for used in dict.fromkeys(root_fields(compiled.tree)):
            if order.get(used, -1) > position:
                diags.append(Diagnostic("bad-let", f"let '{name}' uses '{used}', which is defined after it",
                                        item.loc(*path), f"{label}.{name}",
                                        f"move `{used}` above `{name}`: lets are evaluated in the order written"))
        if name in shadowed:
            diags.append(Diagnostic("let-shadows", f"let '{name}' hides {shadowed[name]}", item.key_loc(*path),
                                    f"{label}.{name}", f"rename the let (e.g. `{name}_value`) unless hiding "
                                    "it is what you mean: every expression of the flow reads the let",
                                    severity="warning"))
        steps.append((name, getter(compiled), item.loc(*path)))
    return _scope_builder(tuple(steps), item.loc("let")) if steps else None


def _scope_builder(steps: tuple, loc: Any) -> Callable[[Any], dict]:
    def with_lets(record: Any) -> dict:
        if record.__class__ is not dict:
            raise RecordError(f"the record is not an object but {type(record).__name__}: its lets cannot be "
                              "added", field="let", loc=loc)
        scope = dict(record)
        for name, get, at in steps:
            try:
                scope[name] = get(scope)
            except TransformError as exc:
                raise RecordError(str(exc), field=f"let.{name}", loc=at) from None
        return scope

    return with_lets


__all__ = ["compile_lets", "scope_names", "shadowed_fields"]
