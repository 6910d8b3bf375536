"""Project -> Plan: the only place where plugin factories run and mappings are generated.

``compile_project`` never touches the network, never reads the environment and never mutates the
spec data; it returns every diagnostic it finds (schema, semantic and compile-time) at once, and a
Plan only when there is no error.
"""
from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.checks import connector_use, expr_lint
from engine.checks import references as checks
from engine.checks.schedule import schedule_interval
from engine.connectors.base import ConnectorPlan, ResourcePlan
from engine.errors import Diagnostic, RecordError, TransformError
from engine.lang.builtins import default_registry
from engine.lang.context import SimpleContext
from engine.lang.expr import CompiledExpr, ExprError, compile_expression
from engine.lang.lookups import LookupTable, build_lookup
from engine.lang.registry import ArgError, Registry

from engine.plan.codegen import generate, truthy
from engine.plan.coerce import check_types, compile_types
from engine.plan.lets import compile_lets, scope_names, shadowed_fields
from engine.plan.expand import ExpandCompiler
from engine.plan.find import compile_find, xref_type
from engine.plan.contracts import check_contract
from engine.plan.mapping import MappingBuilder
from engine.plan.acks import AckCompiler
from engine.plan.reserve import ReserveCompiler
from engine.plan.match import compile_match
from engine.plan.rejects import compile_rejects
from engine.plan.removal import compile_remove
from engine.plan.webhooks import compile_flow_webhooks
from engine.plan.usage import related_types, restrict_types, used_fields
from engine.plan.related import RelatedSpec, compile_enricher
from engine.project.load import Connector, Item, Project
from engine.spec.yamlsrc import format_path
from engine.util.suggest import hint_for

if TYPE_CHECKING:  # the plan's classes are built only when a Plan is (validate never imports them)
    from engine.plan.model import EndpointPlan, FlowPlan, Plan


def compile_project(project: Project, registry: Registry | None = None, *, check_only: bool = False
                    ) -> tuple[Plan | None, list[Diagnostic]]:
    """``check_only`` (``passerelle validate``): the same diagnostics, never a Plan — the runtime-only
    analysis (fields typed, mapping code generated) is skipped: it finds no error of the spec."""
    registry = registry or default_registry()
    diags: list[Diagnostic] = list(project.diagnostics)
    for item in project.endpoints.values():
        if ("endpoints", item.name) not in project.broken:
            diags.extend(checks.check_endpoint(item, project))
    lookups = _build_lookups(project, diags)
    pairs = recorded_pairs(project)  # what the `xref` transforms of the flows may translate
    flows = {}
    for name, item in project.flows.items():
        if not isinstance(item.data, dict):
            continue  # the schema said what is wrong; flows with other schema errors still compile,
            # so that every mistake is reported at once
        try:
            plan = _compile_flow(item, project, lookups, registry, diags, pairs, check_only)
        except Exception as exc:  # a bug must still give a located message, not a traceback
            if ("flows", name) in project.broken:
                continue  # a value of the wrong shape: the schema error above already says where
            diags.append(Diagnostic("internal-error", f"could not compile flow: {type(exc).__name__}: "
                                    f"{exc}", item.key_loc(), f"flows.{name}",
                                    "please report this with the spec"))
            continue
        if plan is not None:
            flows[name] = plan
    if check_only or any(d.is_error for d in diags):
        return None, diags
    from engine.plan.model import Plan

    connectors: dict[str, ConnectorPlan] = {name: c.plan for name, c in project.connectors.items()
                                            if c.plan is not None}
    endpoints = {name: _endpoint(project.endpoints[name], plan) for name, plan in connectors.items()}
    return Plan(project, MappingProxyType(flows), MappingProxyType(lookups), MappingProxyType(connectors),
                MappingProxyType(endpoints), MappingProxyType(dict(project.settings))), diags


def _endpoint(item: Item, connector: ConnectorPlan) -> EndpointPlan:
    from engine.plan.model import EndpointPlan

    given = item.data.get("settings") if isinstance(item.data, dict) else None
    given = given if isinstance(given, dict) else {}
    settings = {key: given.get(key, decl.default) for key, decl in connector.settings.items()}
    locs = {key: item.loc("settings", key) if key in given else item.key_loc() for key in connector.settings}
    width = item.data.get("concurrency", 1) if isinstance(item.data, dict) else 1
    return EndpointPlan(item.name, connector, MappingProxyType(settings), MappingProxyType(locs), item.key_loc(),
                        width if isinstance(width, int) and not isinstance(width, bool) and width > 0 else 1)


def _build_lookups(project: Project, diags: list[Diagnostic]) -> dict[str, LookupTable]:
    tables = {}
    for name, item in project.lookups.items():
        if ("lookups", name) in project.broken:
            tables[name] = build_lookup(name, {"map": {}, "default": None}, item.base_dir)
            continue
        data = item.data if isinstance(item.data, dict) else {}
        if ("map" in data) == ("file" in data):
            diags.append(Diagnostic("bad-lookup", "a lookup has either `map` (inline) or `file` (CSV)"
                                    + (" — not both" if "map" in data else ""), item.loc(),
                                    f"lookups.{name}"))
            tables[name] = build_lookup(name, {"map": {}, "default": None}, item.base_dir)
            continue
        try:
            tables[name] = build_lookup(name, {k: v for k, v in data.items() if k != "description"},
                                        item.base_dir)
        except ArgError as exc:
            diags.append(Diagnostic(exc.code or "bad-lookup", exc.message, item.loc(*exc.at),
                                    f"lookups.{name}", exc.hint))
            # a stand-in, so flows using the table are still checked without cascading errors
            tables[name] = build_lookup(name, {"map": {}, "default": None}, item.base_dir)
    return tables


def recorded_pairs(project: Project) -> dict[tuple[str, str], tuple[str, ...]]:
    """(source endpoint, type) -> the flows keeping such cross-reference pairs (every flow keeps its own:
    type `target.xref`, else the resource it reads)."""
    pairs: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, item in project.flows.items():
        source = item.data.get("source") if isinstance(item.data, dict) else None
        target = item.data.get("target") if isinstance(item.data, dict) else None
        if not isinstance(source, dict):
            continue
        if isinstance(source.get("endpoint"), str) and isinstance(source.get("read"), str):
            key = (source["endpoint"], xref_type(target if isinstance(target, dict) else {}, source["read"]))
            pairs[key] = pairs.get(key, ()) + (name,)
    return pairs


class _FlowCompiler:
    """Compiles one flow; every problem goes to ``diags`` (nothing stops at the first)."""

    def __init__(self, item: Item, project: Project, lookups: dict, registry: Registry, diags: list[Diagnostic],
                 project_pairs: dict[tuple[str, str], tuple[str, ...]] | None = None, check_only: bool = False):
        self.item, self.project, self.diags, self.check_only = item, project, diags, check_only
        self.context = SimpleContext(lookups, item.base_dir, missing_ok=project.names_may_be_missing(),
                                     xrefs=project_pairs)
        self.builder = MappingBuilder(item.doc, item.path, registry, self.context, diags)
        self.types: dict[str, Callable] = {}

    def expr(self, text: Any, path: tuple, what: str, allowed: frozenset[str] | None = None) -> CompiledExpr | None:
        """``allowed``: the reserved names of its scope (default: the flow's)."""
        if not isinstance(text, str):
            return None
        item = self.item
        quoted = item.doc.styles.get(item.path + path) in ("'", '"')
        try:
            compiled = compile_expression(text)
        except ExprError as exc:
            self.diags.append(Diagnostic("bad-expression", f"invalid {what} {text!r}: {exc.message}",
                                         item.loc(*path).shifted(exc.offset + quoted),
                                         format_path(item.path + path)))
            return None
        self.diags.extend(expr_lint.check_expression(
            text, self.builder.scope_names if allowed is None else allowed, item.loc(*path).shifted(quoted),
            format_path(item.path + path)))
        return compiled

    def values(self, given: Any, path: tuple, allowed: frozenset[str] | None = None) -> dict[str, Callable]:
        getters = {name: self.expr(text, path + (name,), "value", allowed) for name, text in (given or {}).items()}
        return {name: expr.search for name, expr in getters.items() if expr is not None}

    def ref(self, endpoint: Any, path: tuple, what: str, kind: str, name: Any) -> None:
        self.diags.extend(checks.check_connector_ref(self.project, endpoint, path, self.item, what, kind, name))

    def add_types(self, endpoint: Any, resource: ResourcePlan | None) -> None:
        if resource is None or resource.name in self.types:
            return
        problems = check_types(dict(resource.types))
        connector: Connector | None = self.project.connectors.get(endpoint) if isinstance(endpoint, str) else None
        for path, problem in problems:
            loc = connector.loc("resources", resource.name, "types", path) if connector else None
            self.diags.append(Diagnostic("bad-type", problem, loc, f"resources.{resource.name}.types.{path}"))
        if not problems and not self.check_only:
            self.types[resource.name] = compile_types(dict(resource.types))

    def filter(self, text: Any) -> Callable[[dict], bool]:
        expr = self.expr(text, ("filter",), "filter") if text is not None else None
        if expr is None:
            return lambda record: True
        loc = self.item.loc("filter")

        def accept(record: dict) -> bool:
            try:
                return truthy(expr.search(record))
            except TransformError as exc:
                raise RecordError(str(exc), field="filter", loc=loc) from None

        return accept

    def related(self, source: dict) -> list[RelatedSpec]:
        specs = []
        for name, entry in (source.get("related") or {}).items():
            path = ("source", "related", name)
            endpoint = entry.get("endpoint", source.get("endpoint"))
            self.ref(endpoint, path, "read", "resource", entry.get("read"))
            resource = checks.resource_of(self.project, endpoint, entry.get("read"))
            self.add_types(endpoint, resource)
            match = compile_match(self.item, path, entry.get("match"), bool(entry.get("reference")),
                                  lambda text, at, what: self.expr(text, at, what, frozenset()),  # the joined row's
                                  self.builder, self.diags)
            fields = match.fields
            if resource is not None and fields and not entry.get("reference"):
                self.diags.extend(connector_use.check_join(self.item, path, resource, endpoint, fields[0]))
            at = tuple(entry["at"].split(".")) if entry.get("at") else ()
            specs.append(RelatedSpec(name, entry.get("read"), endpoint, at, tuple(fields), tuple(match.getters),
                                     tuple(match.texts), bool(entry.get("many")), bool(entry.get("required")),
                                     bool(entry.get("reference")), self.item.key_loc(*path), tuple(match.theirs)))
        return specs

    def write(self, block: dict, path: tuple, op_key: str, provided: tuple = ()) -> tuple[Any, Any]:
        """Check that a write's operation exists and gets every value it needs; (endpoint, operation plan)."""
        endpoint, name = block.get("endpoint"), block.get(op_key)
        self.ref(endpoint, path, op_key, "operation", name)
        operation = checks.operation_of(self.project, endpoint, name)
        if operation is not None:
            self.diags.extend(connector_use.check_write_values(self.item, path, str(endpoint), operation,
                                                               block.get("with"), provided))
        return endpoint, operation


def _compile_flow(item: Item, project: Project, lookups: dict, registry: Registry, diags: list[Diagnostic],
                  pairs: dict[tuple[str, str], tuple[str, ...]] | None = None, check_only: bool = False
                  ) -> FlowPlan | None:
    data = item.data
    start = len(diags)
    fc = _FlowCompiler(item, project, lookups, registry, diags, pairs, check_only)
    run_after = _declared_after(item, project, diags)
    fc.builder.scope_names = fc.builder.names = scope_names(data)  # fan-out/grouping: _index, _position, _key
    source = data.get("source") or {}
    target = data.get("target") or {}
    src_endpoint, resource_name = source.get("endpoint"), source.get("read")
    fc.ref(src_endpoint, ("source",), "read", "resource", resource_name)
    resource = checks.resource_of(project, src_endpoint, resource_name)
    fc.add_types(src_endpoint, resource)
    if resource is not None:
        diags.extend(connector_use.check_source_filters(item, resource, str(src_endpoint), source.get("where"),
                                                        source.get("since")))
    related = fc.related(source)
    key_text = data.get("key") or (resource.key if resource is not None else None) or "id"
    key_expr = fc.expr(key_text, ("key",) if "key" in data else ("source", "read"), "key")
    lets = compile_lets(item, data.get("let"), fc.expr, diags, shadowed_fields(resource, (s.name for s in related)))
    accept = fc.filter(data.get("filter"))
    rejects = compile_rejects(item, data.get("reject"), fc.expr, fc.builder.ctx, diags)
    fan_out, group = ExpandCompiler(item, fc.expr, fc.builder.ctx, diags).compile(data)
    root = fc.builder.build_object(data.get("map"), ("map",))
    _, target_op = fc.write(target, ("target",), "write")
    update_op = None
    if target.get("update") is not None:
        _, update_op = fc.write(target, ("target",), "update", provided=("target_id",))
    acks = AckCompiler(fc, data.get("acknowledge"), diags)
    reserve = ReserveCompiler(fc, data.get("reserve"), diags)  # stock held before the document (plan/reserve.py)
    find = compile_find(fc, item, project, target, diags)
    remove = compile_remove(fc, item, data, target, diags)  # a record gone from the source: removed (plan/removal.py)
    diags.extend(check_contract(item, root, data.get("map"), ("map",), getattr(target_op, "contract", None),
                                f"{target.get('endpoint')}.{target.get('write')}"))
    if reserve.root is not None:
        diags.extend(check_contract(item, reserve.root, data["reserve"].get("map"), ("reserve", "map"),
                                    getattr(reserve.op, "contract", None),
                                    f"{data['reserve'].get('endpoint')}.{data['reserve'].get('write')}"))
    for part in acks.parts + (reserve.refused.parts if reserve.refused else []):  # writes back: checked the same way
        diags.extend(check_contract(item, part.root, part.block.get("map"), part.path + ("map",),
                                    getattr(part.op, "contract", None),
                                    f"{part.block.get('endpoint')}.{part.block.get('write')}"))
    reference = fc.expr(target.get("reference"), ("target", "reference"), "reference", frozenset())  # on the payload
    diags.extend(expr_lint.check_lookups(item, lookups, key_expr.simple_path if key_expr is not None else None))
    if target.get("lookup_before_create") and target_op is not None and (reference is None or not target_op.find):
        missing = "a `reference`" if reference is None else f"a `find` on operation '{target_op.name}'"
        diags.append(Diagnostic("no-lookup", f"lookup_before_create needs {missing} to search the target by",
                                item.loc("target", "lookup_before_create"), f"flows.{item.name}.target.lookup_before_create",
                                "declare target.reference (the payload's document reference), or remove the key"))
    target_values = fc.values(target.get("with"), ("target", "with"))
    webhooks = compile_flow_webhooks(item, project, data.get("webhooks"), diags)  # events also come pushed
    if isinstance(data.get("schedule"), str):
        try:
            schedule_interval(data["schedule"])
        except ValueError as exc:
            diags.append(Diagnostic("bad-schedule", str(exc), item.loc("schedule"), f"flows.{item.name}.schedule",
                                    "e.g. `every 5m`, `every 1h`, or cron `*/10 8-19 * * 1-5` (UTC)"))
    if len(diags) > start and any(d.is_error for d in diags[start:]):
        return None
    if resource is None or target_op is None or root is None or acks.broken or reserve.broken:
        return None  # a broken connector: its own diagnostics say why
    if check_only:
        return None
    from engine.plan.model import FlowPlan

    used = used_fields(data, key_text)  # only the source fields the flow may read are typed (plan/usage.py)
    if resource is not None and resource.name in fc.types and all(s.resource != resource.name for s in related):
        fc.types[resource.name] = compile_types(restrict_types(resource.types, used))
    restricted = related_types(data, used, related, lambda spec: checks.resource_of(
        project, spec.endpoint, spec.resource), str(resource_name), key_text)
    for name, declared in restricted.items():
        if name in fc.types:  # related records nothing reads whole: typed on the same names (plan/usage.py)
            fc.types[name] = compile_types(declared)
    mapper, source_code = generate(item.name, root)
    key = key_expr.search if key_expr is not None else (lambda record: None)
    return FlowPlan(item.name, item, str(src_endpoint), str(resource_name), resource, str(target.get("endpoint")),
                    str(target.get("write")), target_op, key, accept, tuple(related), compile_enricher(related),
                    mapper, source_code, MappingProxyType(fc.types), acks.plans(item.name),
                    reference.search if reference else None, target.get("update"),
                    MappingProxyType(dict(source.get("where") or {})), source.get("since"),
                    int(source.get("lookback") or 0), source.get("page_size"), data.get("schedule"),
                    MappingProxyType(target_values), key_expr.simple_path if key_expr is not None else None,
                    target.get("lookup_before_create", "always") == "always" and reference is not None
                    and target_op.find is not None, lets=lets, reject=rejects, fan_out=fan_out, group=group,
                    find=find, xref_type=xref_type(target, resource_name), source_fields=used,
                    related_fields=MappingProxyType({name: used for name in restricted if used is not None}),
                    remove=remove, reserve=reserve.plan(item.name), webhooks=webhooks,
                    after=tuple(sorted(set(run_after) | {flow for used in fc.context.xrefs_used
                                                         for flow in (pairs or {}).get(used, ()) if flow != item.name})))


def _declared_after(item: Item, project: Project, diags: list[Diagnostic]) -> list[str]:
    """The flows of `after:`; a name no flow has is an `unknown-flow` error at its place."""
    names = item.data.get("after")
    if not isinstance(names, list):
        return []
    for index, name in enumerate(names):
        if isinstance(name, str) and name not in project.flows:
            diags.append(Diagnostic("unknown-flow", f"no flow named '{name}' to run after", item.loc("after", index),
                                    format_path(item.path + ("after", index)), hint_for(name, project.flows, "flows")))
    return [name for name in names if isinstance(name, str) and name in project.flows and name != item.name]


__all__ = ["compile_project"]
