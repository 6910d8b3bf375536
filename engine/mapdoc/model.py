"""The client's mapping document as plain data, built from a compiled plan: per flow, its sections
(source, filter, rejections, field table, acknowledgements, target and contract...), the lookup tables,
the endpoints and the systems they stand for. Renderers (Markdown, HTML) only lay it out.

Secrets never reach the document: a setting written ``${env:NAME}`` is shown as the variable's name,
a secret setting written in clear as "(secret, not shown)".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.lang.registry import Registry
from engine.lang.transforms.words import show
from engine.mapdoc.exprwords import condition, source
from engine.mapdoc.fields import FieldWalker, Row
from engine.plan.model import FlowPlan, Plan

_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    rows: list[Row] | None = None  # a field table
    table: tuple[tuple[str, ...], Sequence[tuple[str, ...]]] | None = None  # headers, rows


@dataclass
class FlowDoc:
    name: str
    description: str
    source: str  # endpoint names (the diagram's arrow)
    target: str
    sections: list[Section]
    undescribed: list[str]


@dataclass
class ProjectDoc:
    name: str
    generated: str
    version: str
    systems: dict[str, str]  # endpoint -> system name
    endpoints: Section
    flows: list[FlowDoc]
    lookups: list[Section]
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # from endpoint, to endpoint, label

    @property
    def undescribed(self) -> list[str]:
        return sorted({name for flow in self.flows for name in flow.undescribed})


def build(plan: Plan, registry: Registry, generated: str, version: str) -> ProjectDoc:
    systems = {name: _system(plan, name) for name in plan.endpoints}
    flows = [_flow(flow, plan, registry, systems) for flow in plan.flows.values()]
    edges = []
    for flow in plan.flows.values():
        edges.append((flow.source_endpoint, flow.target_endpoint, flow.name))
        back = [ack.endpoint for ack in flow.acks if ack.endpoint != flow.target_endpoint]
        for endpoint in dict.fromkeys(back):  # one arrow per system acknowledged, saying how many
            count = back.count(endpoint)
            label = f"{count} acknowledgements of {flow.name}" if count > 1 else f"acknowledgement of {flow.name}"
            edges.append((flow.target_endpoint, endpoint, label))
    return ProjectDoc(str(plan.settings.get("name") or plan.project.root.name), generated, version, systems,
                      _endpoints(plan, systems), flows, [_lookup(plan, name) for name in plan.lookups], edges)


def _system(plan: Plan, endpoint: str) -> str:
    connector = plan.connectors.get(endpoint)
    return str((connector.source.get("system") if connector else None) or (connector.name if connector else endpoint))


def secret_free(value: Any) -> str:
    """A setting as the document shows it: ``${env:X}`` as the variable's name, never its value."""
    if isinstance(value, str) and _ENV.search(value):
        return _ENV.sub(lambda m: f"environment variable {m.group(1)}", value)
    return show(value)


def _endpoints(plan: Plan, systems: dict[str, str]) -> Section:
    rows = []
    for name, endpoint in plan.endpoints.items():
        decls = endpoint.connector.settings
        shown = []
        for key, value in endpoint.settings.items():
            decl = decls.get(key)
            secret = decl is not None and decl.secret and not (isinstance(value, str) and _ENV.fullmatch(value))
            shown.append(f"{key}: {'(secret, not shown)' if secret else secret_free(value)}")
        rows.append((name, systems[name], endpoint.connector.name, "; ".join(shown)))
    return Section("Systems", table=(("Endpoint", "System", "Connector", "Settings"), rows))


def _lookup(plan: Plan, name: str) -> Section:
    table = plan.lookups[name]
    item = plan.project.lookups.get(name)
    data = item.data if item is not None and isinstance(item.data, dict) else {}
    lines = [str(data["description"])] if data.get("description") else []
    if table.source != "map":
        lines.append(f"Kept in the file `{table.source}` (the client may edit it).")
    lines.append(f"When a value is not in the table: {show(table.default)}." if table.has_default
                 else "When a value is not in the table: the record is rejected (no default).")
    if table.match == "number":
        lines.append("Keys are compared as numbers (20 matches 20.000).")
    rows = [(str(k), show(table.get(k)[1])) for k in table.keys()]
    return Section(f"Lookup table {name}", lines, table=(("Value", "Becomes"), rows))


def _flow(flow: FlowPlan, plan: Plan, registry: Registry, systems: dict[str, str]) -> FlowDoc:
    data = flow.item.data if isinstance(flow.item.data, dict) else {}
    src, tgt = data.get("source") or {}, data.get("target") or {}
    walker = FieldWalker(registry, plan.lookups)
    contract = flow.target_op.contract
    walker.walk(data.get("map"), schema=contract.schema if contract else None)
    sections = [_source(flow, src, systems), _when(flow, data)]
    sections += [s for s in (_rejects(data), _shape(data)) if s is not None]
    sections.append(Section("Fields", rows=walker.rows))
    sections.append(_target(flow, tgt, systems))
    if contract is not None:
        sections.append(_contract(contract))
    for index, ack in enumerate(_acks(data)):
        ack_walker = FieldWalker(registry, plan.lookups)
        ack_walker.walk(ack.get("map"))
        walker.undescribed += ack_walker.undescribed
        title = f"Acknowledgement: {ack.get('endpoint')}.{ack.get('write')}"
        lines = [f"Once {systems.get(flow.target_endpoint, flow.target_endpoint)} confirmed a record, "
                 f"written back to {systems.get(str(ack.get('endpoint')), ack.get('endpoint'))} "
                 f"(operation `{ack.get('write')}`), once, retried on its own."]
        if ack.get("when"):
            lines.append(f"Only when {condition(ack['when'])}.")
        sections.append(Section(title, lines, rows=ack_walker.rows))
    return FlowDoc(flow.name, " ".join(str(data.get("description") or "").split()), flow.source_endpoint,
                   flow.target_endpoint, sections, walker.undescribed)


def _acks(data: dict) -> list[dict]:
    acks = data.get("acknowledge")
    return [a for a in (acks if isinstance(acks, list) else [acks] if acks else []) if isinstance(a, dict)]


def _source(flow: FlowPlan, src: dict, systems: dict[str, str]) -> Section:
    system = systems.get(flow.source_endpoint, flow.source_endpoint)
    lines = [f"Read from {system} (endpoint `{flow.source_endpoint}`), resource `{flow.source_resource}`."]
    if src.get("where"):
        conds = ", ".join(f"`{k}` is {' or '.join(map(str, v)) if isinstance(v, list) else v}"
                          for k, v in src["where"].items())
        lines.append(f"Only records where {conds}.")
    if flow.since:
        lines.append(f"Only records changed since the last run (by `{flow.since}`"
                     + (f", re-reading the last {flow.lookback} s" if flow.lookback else "") + ").")
    lines.append(f"A record is known by {source(data_key(flow))}: it is sent once, then again only when it changed.")
    for name, rel in (src.get("related") or {}).items():
        if not isinstance(rel, dict):
            continue
        where = f"{systems.get(str(rel.get('endpoint')), rel.get('endpoint'))} " if rel.get("endpoint") else ""
        match = ", ".join(f"`{k}` = {source(v)}" for k, v in (rel.get("match") or {}).items())
        at = f" for each element of `{rel['at']}`" if rel.get("at") else ""
        need = " (required: a record without it is rejected)" if rel.get("required") else ""
        lines.append(f"Joined as `{name}`{at}: {where}`{rel.get('read')}` where {match}{need}.")
    schedule = flow.schedule or "on demand only (no schedule)"
    lines.append(f"Schedule: {schedule}.")
    return Section("Source", lines)


def data_key(flow: FlowPlan) -> str:
    data = flow.item.data if isinstance(flow.item.data, dict) else {}
    return str(data.get("key") or (".".join(flow.key_path) if flow.key_path else "its key"))


def _when(flow: FlowPlan, data: dict) -> Section:
    lines = []
    for name, expr in (data.get("let") or {}).items():
        lines.append(f"`{name}` stands for {source(expr)}.")
    if data.get("filter"):
        lines.append(f"Only records where {condition(data['filter'])} are sent; the others are skipped.")
    else:
        lines.append("Every record read is sent (no filter).")
    return Section("Which records", lines)


def _rejects(data: dict) -> Section | None:
    rules = [r for r in data.get("reject") or [] if isinstance(r, dict)]
    if not rules:
        return None
    rows = [(condition(r.get("when")), str(r.get("reason"))) for r in rules]
    return Section("Rejections", ["Checked in order; a rejected record is not sent and is listed with "
                                  "its reason."], table=(("When", "Reason given"), rows))


def _shape(data: dict) -> Section | None:
    lines = []
    fan, group = data.get("fan_out"), data.get("group")
    if isinstance(fan, dict):
        lines.append(f"Fan-out: one target record per element of {source(fan.get('each'))} "
                     f"(named `{fan.get('as', 'item')}`), each known by “{fan.get('key')}”.")
    if isinstance(group, dict):
        order = f", members ordered by {source(group['order'])}" if group.get("order") else ""
        lines.append(f"Grouping: records with the same {source(group.get('by'))} become one target record "
                     f"(members named `{group.get('as', 'members')}`{order}).")
    return Section("Fan-out and grouping", lines) if lines else None


def _target(flow: FlowPlan, tgt: dict, systems: dict[str, str]) -> Section:
    system = systems.get(flow.target_endpoint, flow.target_endpoint)
    lines = [f"Written to {system} (endpoint `{flow.target_endpoint}`) with operation `{flow.target_operation}`"
             + (f": {flow.target_op.description}" if flow.target_op.description else "") + "."]
    if flow.update_operation:
        lines.append(f"A record sent before and changed since is updated with `{flow.update_operation}`.")
    if tgt.get("reference"):
        lines.append(f"After a lost reply, {system} is searched by {source(tgt['reference'])} before "
                     "creating again (never twice).")
    find = tgt.get("find")
    if isinstance(find, dict):
        match = ", ".join(f"`{k}` = {source(v)}" for k, v in (find.get("match") or {}).items())
        lines.append(f"Before creating, `{find.get('read')}` is searched where {match}: found, it is kept.")
    for name, expr in (tgt.get("with") or {}).items():
        lines.append(f"`{name}` of the operation: {source(expr)}.")
    return Section("Target", lines)


def _contract(contract: Any) -> Section:
    rows: list[tuple[str, ...]] = []

    def visit(schema: Any, path: str) -> None:
        if not isinstance(schema, dict):
            return
        for branch in schema.get("oneOf") or []:
            visit(branch, f"{path} ({branch.get('title')})" if isinstance(branch, dict) and branch.get("title") else path)
        required = set(schema.get("required") or ())
        for name, sub in (schema.get("properties") or {}).items():
            full = f"{path}.{name}" if path else name
            rules = ["required"] if name in required else []
            if isinstance(sub, dict) and "maxLength" in sub:
                rules.append(f"at most {sub['maxLength']} characters")
            if rules:
                rows.append((full, ", ".join(rules)))
            if isinstance(sub, dict):
                visit(sub.get("items") if sub.get("type") == "array" else sub, full + ("[]" if sub.get("type") == "array" else ""))

    visit(contract.schema, "")
    return Section(f"What {contract.system} accepts", [f"Checked before sending: a record breaking one of these "
                                                       "rules is rejected with the rule it breaks."],
                   table=(("Field", "Rule"), rows))
