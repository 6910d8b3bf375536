"""Dry-run: map source records read from files and show exactly what the target would receive.

Nothing is sent, no state is read or written, no environment variable is resolved (so no secret
can appear). Each record that fails is reported with its key, the field, the spec location and the
reason, and the other records still come out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.connectors.codecs.xmlcodec import XmlOptions
from engine.plan.compile import FlowPlan, Plan
from engine.errors import Diagnostic, Loc, RecordError, SpecError, TransformError
from engine.connectors.codecs.records import InputError, read_input
from engine.project.load import ConnectorStore, display, load_project
from engine.plan.related import RelatedData
from engine.util.suggest import hint_for


@dataclass
class DryRunResult:
    flow: str
    target: str
    payloads: list = field(default_factory=list)  # (key, payload) in input order
    failures: list[RecordError] = field(default_factory=list)
    skipped: list = field(default_factory=list)  # keys filtered out by the flow's `filter`
    warnings: list[str] = field(default_factory=list)
    read: int = 0


def xml_options(plan: Plan, endpoint: str) -> XmlOptions | None:
    connector = plan.connectors.get(endpoint)
    fmt = (connector.data.get("format") or {}) if connector else {}
    if fmt.get("type") != "xml":
        return None
    xml = fmt.get("xml") or {}
    return XmlOptions(root=xml.get("root"), list_attribute=xml.get("list_attribute"),
                      list_containers=tuple(xml.get("list_containers") or ()),
                      i18n_element=xml.get("i18n_element"),
                      list_item_names=dict(xml.get("list_item_names") or {}))


def read_inputs(plan: Plan, flow: FlowPlan, inputs: list[tuple[str | None, Path]]) -> dict[str, list]:
    """Read every ``--input`` file; returns records by resource name (untyped)."""
    connector = plan.connectors.get(flow.source_endpoint)
    singular = {}
    if connector:
        singular = {(d or {}).get("item"): name for name, d in connector.resources().items()
                    if isinstance(d, dict) and d.get("item")}
    options = xml_options(plan, flow.source_endpoint)
    by_resource: dict[str, list] = {}
    for name, path in inputs:
        for resource, rows in read_input(path, name=name, default_resource=flow.source_resource,
                                         xml_options=options):
            resource = singular.get(resource, resource)
            by_resource.setdefault(resource, []).extend(rows)
    return by_resource


def dry_run(plan: Plan, flow: FlowPlan, inputs: list[tuple[str | None, Path]]) -> DryRunResult:
    result = DryRunResult(flow.name, f"{flow.target_endpoint}.{flow.target_operation}")
    by_resource = read_inputs(plan, flow, inputs)
    if flow.source_resource not in by_resource:
        raise InputError(f"no input holds '{flow.source_resource}' records (the source of flow "
                         f"'{flow.name}'); name a file with --input {flow.source_resource}=FILE")
    missing = sorted({spec.resource for spec in flow.related if spec.resource not in by_resource})
    if missing:
        raise InputError(f"flow '{flow.name}' joins related records from {', '.join(missing)}: give "
                         f"each as --input FILE (a list response names its resource, or write "
                         f"--input {missing[0]}=FILE)")
    related = RelatedData()
    for resource, rows in by_resource.items():
        if resource == flow.source_resource:
            continue
        related.add(resource, _typed_rows(flow, resource, rows, result.warnings))
    records = by_resource[flow.source_resource]
    result.read = len(records)
    coerce = flow.types.get(flow.source_resource)
    for raw in records:
        key = flow.record_key(raw)
        try:
            record = coerce(raw) if coerce else raw
        except TransformError as exc:
            result.failures.append(RecordError(str(exc), flow.name, key, "source",
                                               flow.item.loc("source", "read")))
            continue
        try:
            enriched = flow.enrich(record, related)
            if not flow.accept(enriched):  # after the joins, as in a live run
                result.skipped.append(key)
                continue
            result.payloads.append((flow.record_key(record), flow.map(enriched)))
        except RecordError as exc:
            exc.flow, exc.key = flow.name, flow.record_key(record)
            result.failures.append(exc)
    return result


def _typed_rows(flow: FlowPlan, resource: str, rows: list, warnings: list[str]) -> list:
    coerce = flow.types.get(resource)
    if coerce is None:
        return rows
    typed = []
    for row in rows:
        try:
            typed.append(coerce(row))
        except TransformError as exc:
            ident = row.get("id") if isinstance(row, dict) else None
            warnings.append(f"{resource} record {ident!r} left out: {exc}")
    return typed


@dataclass
class LiveDryRun:
    flow: str
    requests: list = field(default_factory=list)  # (key, [request dicts]) in read order
    payloads: list = field(default_factory=list)  # (key, payload)
    failures: list[RecordError] = field(default_factory=list)
    skipped: int = 0
    read: int = 0


def live_dry_run(plan: Plan, flow: FlowPlan, environ=None, limit: int = 20) -> LiveDryRun:
    """Read up to ``limit`` records through the live source endpoint (reads only), map them, and
    describe the writes a run would send — target and acknowledgement — without sending them."""
    from engine.runtime.endpoints import open_endpoints
    from engine.runtime.runner import FlowRunner
    from engine.runtime.state import SqliteStore

    endpoints = open_endpoints(plan, flow.endpoint_names(), environ)
    result = LiveDryRun(flow.name)
    scratch = SqliteStore(":memory:")  # nothing on disk: a dry-run touches no state
    try:
        runner = FlowRunner(plan, flow, endpoints, scratch)
        source = endpoints[flow.source_endpoint]
        records = []
        for page in source.read(flow.source_resource, where=dict(flow.where) or None,
                                page_size=min(limit, flow.page_size or limit)):
            records.extend(page)
            if len(records) >= limit:
                break
        records = records[:limit]
        result.read = len(records)
        for record, enriched in runner.prepare(records):
            key = flow.record_key(record)
            if isinstance(enriched, RecordError):
                result.failures.append(enriched)
                continue
            try:
                if not flow.accept(enriched):
                    result.skipped += 1
                    continue
                payload = flow.map(enriched)
                values = flow.write_values(enriched)
            except RecordError as exc:
                exc.flow, exc.key = flow.name, key
                result.failures.append(exc)
                continue
            requests = [endpoints[flow.target_endpoint].describe_write(flow.target_operation, payload, values)]
            if flow.ack is not None:
                scope = dict(record)
                scope["_target"] = {"id": "<id given by the target>"}
                ack_values = {name: get(scope) for name, get in flow.ack.values.items()}
                requests.append(endpoints[flow.ack.endpoint].describe_write(flow.ack.operation,
                                                                            flow.ack.map(scope), ack_values))
            result.payloads.append((key, payload))
            result.requests.append((key, requests))
        for failure in [e for e in scratch.entries(flow.name) if e.status == "failed"]:
            result.failures.append(RecordError(failure.reason, flow.name, failure.key))
    finally:
        scratch.close()
        for endpoint in endpoints.values():
            endpoint.close()
    return result
