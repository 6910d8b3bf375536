"""A related entry's ``match``: which of our values equals which field of the related records.

A match value is a JMESPath text (``{id: id_customer}``) or a mapping that normalises either side::

    match:
      NumeroTiers: { from: id_customer, transform: [{ pad: { width: 6, char: "0" } }, { prefix: WEB }] }
      Email: { from: email, transform: [trim, lower], their: [trim, lower] }

``transform`` applies to our value: the normalised value is what is compared, and what is sent to the
source as the key filter when the join fetches by key. ``their`` applies to the related record's
field before it is indexed; it needs ``reference: true`` (the whole list is read and indexed in
memory — a fetch by key cannot filter on a normalised value). Pipelines are built by the mapping's
own builder (same arguments, same located errors) and composed here once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from engine.errors import Diagnostic
from engine.lang.expr import CompiledExpr
from engine.plan.mapping import MappingBuilder, Transform
from engine.project.load import Item
from engine.spec.yamlsrc import format_path
from engine.util.records import mutable

ExprFn = Callable[[Any, tuple, str], "CompiledExpr | None"]  # reports bad-expression itself


@mutable
class Match:
    """The compiled ``match`` of one related entry, field by field."""

    fields: list[str] = field(default_factory=list)  # related-side fields
    getters: list[Callable[[Any], Any]] = field(default_factory=list)  # our side (normalised)
    texts: list[str] = field(default_factory=list)  # our side as written (for messages)
    theirs: list[Callable[[Any, Any], Any] | None] = field(default_factory=list)  # (value, row) -> value


def compile_match(item: Item, path: tuple, spec: Any, reference: bool, expr: ExprFn,
                  builder: MappingBuilder, diags: list[Diagnostic]) -> Match:
    match = Match()
    for name, value in (spec.items() if isinstance(spec, dict) else ()):
        sub = path + ("match", name)
        given = value if isinstance(value, dict) else {"from": value}
        compiled = expr(given.get("from"), sub + ("from",) if isinstance(value, dict) else sub, "join path")
        ours = builder.build_pipeline(given["transform"], sub + ("transform",)) if "transform" in given else []
        theirs = builder.build_pipeline(given["their"], sub + ("their",)) if "their" in given else []
        if "their" in given and not reference:
            diags.append(Diagnostic("unsupported-filter", f"match '{name}' normalises the related records' "
                                    "field (`their`): they cannot be fetched by that key",
                                    item.key_loc(*sub, "their"), format_path(item.path + sub + ("their",)),
                                    "add `reference: true` to read the whole list once per run and index "
                                    "it on the normalised value"))
        if compiled is None:
            continue
        match.fields.append(name)
        match.getters.append(_normalised(compiled.search, ours))
        match.texts.append(compiled.text)
        match.theirs.append(_pipeline(theirs) if theirs else None)
    return match


def _pipeline(steps: list[Transform]) -> Callable[[Any, Any], Any]:
    """``(value, scope) -> value`` through every step (a scope-reading step gets ``scope``)."""
    calls = tuple((step.fn, step.needs_scope) for step in steps)

    def run(value: Any, scope: Any) -> Any:
        for fn, needs_scope in calls:
            value = fn(value, scope) if needs_scope else fn(value)
        return value

    return run


def _normalised(search: Callable[[Any], Any], steps: list[Transform]) -> Callable[[Any], Any]:
    if not steps:
        return search
    run = _pipeline(steps)
    return lambda obj: run(search(obj), obj)


__all__ = ["Match", "compile_match"]
