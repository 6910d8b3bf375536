"""``target.find`` (find-or-create) compiled once: the target resource to search, the match getters
and the id of a found item; and the type under which a flow's id pairs are kept (``target.xref``).

Checks (all located): ``read`` is a resource of the target endpoint's connector (``unknown-resource``
with did-you-mean), the resource can be filtered on every ``match`` field (``unsupported-filter``),
every ``match`` expression and ``id`` compile (``bad-expression``), and an id can be told
(``no-find-id`` when the resource declares no key and ``id`` is not given).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from engine.checks import connector_use
from engine.checks import references as checks
from engine.errors import Diagnostic, Loc
from engine.lang.expr import CompiledExpr
from engine.plan.mapping import MappingBuilder
from engine.plan.match import compile_match
from engine.project.load import Item, Project
from engine.util.records import frozen

Getter = Callable[[Any], Any]
PATH = ("target", "find")


@frozen
class FindPlan:
    """How to find the target item a record stands for before creating one."""

    resource: str
    match: tuple[tuple[str, Getter], ...]  # resource field -> getter on the record's scope
    id: Getter  # found item -> its id
    id_text: str
    loc: Loc | None

    def describe(self, values: dict) -> str:
        """``Email='a@b.c'`` (for messages)."""
        return ", ".join(f"{name}={value!r}" for name, value in values.items())


class _Compiler(Protocol):
    builder: MappingBuilder

    def expr(self, text: Any, path: tuple, what: str) -> CompiledExpr | None: ...
    def ref(self, endpoint: Any, path: tuple, what: str, kind: str, name: Any) -> None: ...


def compile_find(fc: _Compiler, item: Item, project: Project, target: dict,
                 diags: list[Diagnostic]) -> FindPlan | None:
    """The flow's FindPlan, or None (no ``find``, or a problem reported in ``diags``)."""
    spec = target.get("find")
    if not isinstance(spec, dict):
        return None
    endpoint, name = target.get("endpoint"), spec.get("read")
    fc.ref(endpoint, PATH, "read", "resource", name)
    resource = checks.resource_of(project, endpoint, name)
    given = spec.get("match")
    match: dict = given if isinstance(given, dict) else {}
    # a value is a JMESPath, or {from, transform} for one built from the record (WEB + padded id)
    compiled = compile_match(item, PATH, match, False, lambda text, at, what: fc.expr(text, at, "match expression"),
                             fc.builder, diags)
    getters = list(zip(compiled.fields, compiled.getters))
    if resource is not None:
        diags.extend(connector_use.check_find(item, PATH, resource, str(endpoint), [str(f) for f in match]))
    id_text = spec.get("id") if spec.get("id") is not None else (resource.key if resource is not None else None)
    id_expr = fc.expr(id_text, PATH + ("id",) if "id" in spec else PATH + ("read",), "id")
    if resource is not None and id_text is None:
        diags.append(Diagnostic("no-find-id", f"resource '{resource.name}' of endpoint '{endpoint}' declares no "
                                "key: a found item's id cannot be told", item.loc(*PATH), f"flows.{item.name}.target.find",
                                "add `id:` (a JMESPath on the found item, e.g. `NumeroTiers`)"))
    if resource is None or id_expr is None or len(getters) != len(match) or not getters:
        return None
    return FindPlan(str(name), tuple(getters), id_expr.search, str(id_text), item.loc(*PATH))


def xref_type(target: dict, source_resource: Any) -> str:
    """The type under which the flow's pairs are kept: ``target.xref``, else the source resource."""
    given = target.get("xref")
    return given if isinstance(given, str) and given else str(source_resource)


__all__ = ["FindPlan", "compile_find", "xref_type"]
