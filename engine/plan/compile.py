"""Project -> Plan: the only place where plugin factories run and mappings are generated.

``compile_project`` never touches the network, never reads the environment and never mutates the
spec data; it returns every diagnostic it finds (schema, semantic and compile-time) at once, and a
Plan only when there is no error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from engine.checks import references as checks
from engine.checks.schedule import schedule_interval
from engine.plan.codegen import generate
from engine.lang.context import SimpleContext
from engine.errors import Diagnostic, RecordError, TransformError
from engine.lang.expr import CompiledExpr, ExprError, compile_expression
from engine.lang.lookups import LookupTable, build_lookup
from engine.plan.mapping import MappingBuilder
from engine.project.load import Connector, Item, Project
from engine.lang.builtins import default_registry
from engine.lang.registry import ArgError, Registry
from engine.plan.related import RelatedSpec, compile_enricher
from engine.plan.coerce import check_types, compile_types


@dataclass(frozen=True)
class AckPlan:
    """What is written back to the source once the target confirmed a record."""

    endpoint: str
    operation: str
    map: Callable[[dict], dict]
    values: Mapping[str, Callable[[dict], Any]]


@dataclass(frozen=True)
class FlowPlan:
    """One compiled flow. ``map(record)`` raises RecordError (without flow and key: see ``run_map``)."""

    name: str
    item: Item
    source_endpoint: str
    source_resource: str
    target_endpoint: str
    target_operation: str
    key: Callable[[dict], Any]
    accept: Callable[[dict], bool]
    related: tuple[RelatedSpec, ...]
    enrich: Callable
    map: Callable[[dict], dict]
    source_code: str
    types: Mapping[str, Callable[[dict], dict]] = field(default_factory=dict)  # by resource
    ack: AckPlan | None = None
    reference: Callable[[Any], Any] | None = None  # payload -> document reference (for look-ups)
    update_operation: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    since: str | None = None
    lookback: int = 0
    page_size: int | None = None
    schedule: str | None = None
    target_values: Mapping[str, Callable[[dict], Any]] = field(default_factory=dict)

    def endpoint_names(self) -> list[str]:
        """Every endpoint a run of this flow talks to (source, target, joins, acknowledgement)."""
        names = {self.source_endpoint, self.target_endpoint, *(spec.endpoint for spec in self.related)}
        if self.ack is not None:
            names.add(self.ack.endpoint)
        return sorted(names)

    def write_values(self, enriched: dict) -> dict:
        """The operation's placeholder values for one (joined) record."""
        return {name: get(enriched) for name, get in self.target_values.items()}

    def record_key(self, record: dict) -> Any:
        try:
            return self.key(record)
        except TransformError:
            return None

    def run_map(self, record: dict, related) -> dict:
        """Enrich and map one typed record; every failure becomes a RecordError with flow and key."""
        key = self.record_key(record)
        try:
            return self.map(self.enrich(record, related))
        except RecordError as exc:
            exc.flow, exc.key = self.name, key
            raise


@dataclass(frozen=True)
class Plan:
    project: Project
    flows: Mapping[str, FlowPlan]
    lookups: Mapping[str, LookupTable]
    connectors: Mapping[str, Connector]


def compile_project(project: Project, registry: Registry | None = None
                    ) -> tuple[Plan | None, list[Diagnostic]]:
    registry = registry or default_registry()
    diags: list[Diagnostic] = list(project.diagnostics)
    for item in project.endpoints.values():
        if ("endpoints", item.name) not in project.broken:
            diags.extend(checks.check_endpoint(item, project))
    lookups = _build_lookups(project, diags)
    flows = {}
    for name, item in project.flows.items():
        if not isinstance(item.data, dict):
            continue  # the schema said what is wrong; flows with other schema errors still compile,
            # so that every mistake is reported at once
        try:
            plan = _compile_flow(item, project, lookups, registry, diags)
        except Exception as exc:  # a bug must still give a located message, not a traceback
            if ("flows", name) in project.broken:
                continue  # a value of the wrong shape: the schema error above already says where
            diags.append(Diagnostic("internal-error", f"could not compile flow: {type(exc).__name__}: "
                                    f"{exc}", item.key_loc(), f"flows.{name}",
                                    "please report this with the spec"))
            continue
        if plan is not None:
            flows[name] = plan
    if any(d.is_error for d in diags):
        return None, diags
    return Plan(project, MappingProxyType(flows), MappingProxyType(lookups),
                MappingProxyType(dict(project.connectors))), diags


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
            diags.append(Diagnostic("bad-lookup", exc.message, item.loc(*exc.at),
                                    f"lookups.{name}", exc.hint))
            # a stand-in, so flows using the table are still checked without cascading errors
            tables[name] = build_lookup(name, {"map": {}, "default": None}, item.base_dir)
    return tables


def _compile_flow(item: Item, project: Project, lookups: dict, registry: Registry,
                  diags: list[Diagnostic]) -> FlowPlan | None:
    data = item.data
    start = len(diags)
    source = data.get("source") or {}
    target = data.get("target") or {}
    src_endpoint, resource = source.get("endpoint"), source.get("read")
    diags.extend(checks.check_connector_ref(project, src_endpoint, ("source",), item, "read",
                                            "resource", resource))
    diags.extend(checks.check_connector_ref(project, target.get("endpoint"), ("target",), item,
                                            "write", "operation", target.get("write")))
    types: dict[str, Callable] = {}
    resource_def = _resource(project, src_endpoint, resource)
    _add_types(types, resource, resource_def, project.connectors.get(src_endpoint), diags,
               project.endpoints.get(src_endpoint) if isinstance(src_endpoint, str) else None)
    related = _related(item, project, source, types, diags)
    key_text = data.get("key") or (resource_def or {}).get("key") or "id"
    key_expr = _expr(item, key_text, ("key",) if "key" in data else ("source", "read"), diags, "key")
    accept = _filter(item, data.get("filter"), diags)
    ctx = SimpleContext(lookups, item.base_dir)
    builder = MappingBuilder(item.doc, item.path, registry, ctx, diags)
    root = builder.build_object(data.get("map"), ("map",))
    ack = data.get("acknowledge") if isinstance(data.get("acknowledge"), dict) else None
    ack_root = None
    if ack is not None:
        diags.extend(checks.check_connector_ref(project, ack.get("endpoint"), ("acknowledge",), item,
                                                "write", "operation", ack.get("write")))
        ack_root = builder.build_object(ack.get("map") or {}, ("acknowledge", "map"))
        ack_values = {name: _expr(item, text, ("acknowledge", "with", name), diags, "value")
                      for name, text in (ack.get("with") or {}).items()}
    reference = _expr(item, target.get("reference"), ("target", "reference"), diags, "reference") \
        if target.get("reference") is not None else None
    target_values = {name: _expr(item, text, ("target", "with", name), diags, "value")
                     for name, text in (target.get("with") or {}).items()}
    if target.get("update") is not None:
        diags.extend(checks.check_connector_ref(project, target.get("endpoint"), ("target",), item,
                                                "update", "operation", target.get("update")))
    if isinstance(data.get("schedule"), str):
        try:
            schedule_interval(data["schedule"])
        except ValueError as exc:
            diags.append(Diagnostic("bad-schedule", str(exc), item.loc("schedule"), f"flows.{item.name}.schedule",
                                    "e.g. `every 5m`, `every 1h`, or cron `*/10 8-19 * * 1-5` (UTC)"))
    if len(diags) > start and any(d.is_error for d in diags[start:]):
        return None
    mapper, source_code = generate(item.name, root)
    ack_plan = None
    if ack is not None:
        ack_mapper, _ = generate(item.name + ".acknowledge", ack_root)
        ack_plan = AckPlan(ack["endpoint"], ack["write"], ack_mapper,
                           MappingProxyType({k: v.search for k, v in ack_values.items() if v is not None}))
    key = key_expr.search if key_expr is not None else (lambda record: None)
    return FlowPlan(item.name, item, src_endpoint, resource, target.get("endpoint"), target.get("write"),
                    key, accept, tuple(related), compile_enricher(related), mapper, source_code,
                    MappingProxyType(types), ack_plan, reference.search if reference else None,
                    target.get("update"), MappingProxyType(dict(source.get("where") or {})),
                    source.get("since"), int(source.get("lookback") or 0), source.get("page_size"),
                    data.get("schedule"),
                    MappingProxyType({k: v.search for k, v in target_values.items() if v is not None}))


def _resource(project: Project, endpoint: Any, name: Any) -> dict | None:
    connector = project.connectors.get(endpoint) if isinstance(endpoint, str) else None
    found = connector.resources().get(name) if connector and isinstance(name, str) else None
    return found if isinstance(found, dict) else None


def _add_types(types: dict, resource: Any, definition: dict | None, connector: Connector | None,
               diags: list[Diagnostic], endpoint: Item | None = None) -> None:
    if not isinstance(resource, str) or resource in types:
        return
    declared = (definition or {}).get("types") or {}
    problems = check_types(declared)
    overridden = _overridden_types(endpoint, resource)
    for path, problem in problems:
        if path in overridden:  # written in the project's override, not in the shared connector
            loc, where = endpoint.loc("override", "resources", resource, "types", path), \
                f"endpoints.{endpoint.name}.override.resources.{resource}.types.{path}"
        else:
            loc, where = (connector.loc("resources", resource, "types", path) if connector else None), \
                f"resources.{resource}.types.{path}"
        diags.append(Diagnostic("bad-type", problem, loc, where))
    if not problems:
        types[resource] = compile_types(declared)


def _overridden_types(endpoint: Item | None, resource: str) -> dict:
    data = endpoint.data if endpoint is not None and isinstance(endpoint.data, dict) else {}
    override = data.get("override") if isinstance(data.get("override"), dict) else {}
    resources = override.get("resources") if isinstance(override.get("resources"), dict) else {}
    entry = resources.get(resource) if isinstance(resources.get(resource), dict) else {}
    return entry.get("types") if isinstance(entry.get("types"), dict) else {}


def _expr(item: Item, text: Any, path: tuple, diags: list[Diagnostic], what: str) -> CompiledExpr | None:
    if not isinstance(text, str):
        return None
    try:
        return compile_expression(text)
    except ExprError as exc:
        quoted = item.doc.styles.get(item.path + path) in ("'", '"')
        diags.append(Diagnostic("bad-expression", f"invalid {what} {text!r}: {exc.message}",
                                item.loc(*path).shifted(exc.offset + quoted), f"flows.{item.name}."
                                + ".".join(map(str, path))))
        return None


def _filter(item: Item, text: Any, diags: list[Diagnostic]) -> Callable[[dict], bool]:
    from engine.plan.codegen import truthy

    expr = _expr(item, text, ("filter",), diags, "filter") if text is not None else None
    if expr is None:
        return lambda record: True
    loc = item.loc("filter")

    def accept(record: dict) -> bool:
        try:
            return truthy(expr.search(record))
        except TransformError as exc:
            raise RecordError(str(exc), field="filter", loc=loc) from None

    return accept


def _related(item: Item, project: Project, source: dict, types: dict,
             diags: list[Diagnostic]) -> list[RelatedSpec]:
    specs = []
    entries = source.get("related") or {}
    for name, entry in entries.items():
        path = ("source", "related", name)
        endpoint = entry.get("endpoint", source.get("endpoint"))
        diags.extend(checks.check_connector_ref(project, endpoint, path, item, "read", "resource",
                                                entry.get("read")))
        definition = _resource(project, endpoint, entry.get("read"))
        _add_types(types, entry.get("read"), definition, project.connectors.get(endpoint), diags,
                   project.endpoints.get(endpoint) if isinstance(endpoint, str) else None)
        fields, getters, texts = [], [], []
        for field_name, text in (entry.get("match") or {}).items():
            expr = _expr(item, text, path + ("match", field_name), diags, "join path")
            if expr is not None:
                fields.append(field_name)
                getters.append(expr.search)
                texts.append(text)
        at = tuple(entry["at"].split(".")) if entry.get("at") else ()
        specs.append(RelatedSpec(name, entry.get("read"), endpoint, at, tuple(fields), tuple(getters),
                                 tuple(texts), bool(entry.get("many")), bool(entry.get("required")),
                                 bool(entry.get("reference")), item.key_loc(*path)))
    return specs


__all__ = ["AckPlan", "FlowPlan", "Plan", "compile_project"]
