"""Semantic checks that the schema cannot express, each yielding located diagnostics: endpoint
settings against their connector, and the resources and operations a flow names."""
from __future__ import annotations

from collections.abc import Iterator

from engine.connectors.base import ConnectorPlan, OperationPlan, ResourcePlan
from engine.connectors.registry import protocol
from engine.errors import Diagnostic
from engine.project.load import Item, Project
from engine.spec.env import has_reference, reference_problems
from engine.spec.yamlsrc import format_path
from engine.util.suggest import hint_for
from engine.util.urls import userinfo_secrets


def check_endpoint(item: Item, project: Project) -> Iterator[Diagnostic]:
    """Settings given by an endpoint against those its connector declares."""
    connector = project.connectors.get(item.name)
    data = item.data if isinstance(item.data, dict) else {}
    settings = data.get("settings")
    given: dict = settings if isinstance(settings, dict) else {}
    base = f"endpoints.{item.name}.settings"
    for key, value in given.items():
        if isinstance(value, str):
            for offset, problem in reference_problems(value):
                yield Diagnostic("bad-env-reference", problem, item.loc("settings", key).shifted(offset),
                                 f"{base}.{key}")
            if any(not has_reference(found) for found in userinfo_secrets(value, users=False)):
                yield Diagnostic("literal-secret", f"setting '{key}' holds a password in a URL "
                                 "(user:password@host) written in the spec", item.loc("settings", key),
                                 f"{base}.{key}", "a password comes from the environment: write "
                                 "https://user:${env:NAME}@host, or the whole URL as ${env:NAME}")
    plan = connector.plan if connector is not None else None
    if plan is None:
        return
    width, spec = data.get("concurrency"), protocol(plan.protocol)
    if isinstance(width, int) and width > 1 and spec is not None and not spec.concurrent:
        yield Diagnostic("concurrency-ignored", f"connector '{plan.name}' ({plan.protocol}) takes one request at a "
                         f"time: records are written to this endpoint one at a time", item.loc("concurrency"),
                         f"endpoints.{item.name}.concurrency", "remove `concurrency` (it applies to HTTP endpoints)",
                         severity="warning")
    declared = plan.settings
    for key in given:
        if key not in declared:
            yield Diagnostic("unknown-setting", f"connector '{plan.name}' has no setting '{key}'",
                             item.key_loc("settings", key), f"{base}.{key}",
                             hint_for(key, declared, "settings"))
    for key, decl in declared.items():
        if decl.required and key not in given and not decl.has_default:
            where = item.loc("settings") if "settings" in data else item.loc()
            yield Diagnostic("missing-setting", f"connector '{plan.name}' needs setting '{key}'",
                             where, base, decl.description)
        value = given.get(key)
        if decl.secret and isinstance(value, str) and value and not has_reference(value):
            yield Diagnostic("literal-secret", f"secret setting '{key}' is written in the spec",
                             item.loc("settings", key), f"{base}.{key}",
                             "secrets come from the environment: write ${env:NAME} and set NAME "
                             "where the engine runs")


def connector_plan(project: Project, endpoint: object) -> ConnectorPlan | None:
    connector = project.connectors.get(endpoint) if isinstance(endpoint, str) else None
    return connector.plan if connector is not None else None


def check_connector_ref(project: Project, endpoint: object, path: tuple, item: Item, what: str,
                        kind: str, name: object) -> Iterator[Diagnostic]:
    """``endpoint`` exists and its connector has resource/operation ``name``."""
    label = format_path(("flows", item.name) + path)  # list items as [N]
    if not isinstance(endpoint, str):
        return
    if endpoint not in project.endpoints:
        if project.names_may_be_missing():
            return
        yield Diagnostic("unknown-endpoint", f"no endpoint named '{endpoint}'",
                         item.loc(*path, "endpoint"), label + ".endpoint",
                         hint_for(endpoint, project.endpoints, "endpoints"))
        return
    plan = connector_plan(project, endpoint)
    if plan is None or not isinstance(name, str):
        return
    table = plan.resources if kind == "resource" else plan.operations
    if name not in table:
        yield Diagnostic(f"unknown-{kind}", f"connector '{plan.name}' (endpoint '{endpoint}') has "
                         f"no {kind} '{name}'", item.loc(*path, what), f"{label}.{what}",
                         hint_for(name, table, f"{kind}s"))


def resource_of(project: Project, endpoint: object, name: object) -> ResourcePlan | None:
    plan = connector_plan(project, endpoint)
    return plan.resources.get(name) if plan is not None and isinstance(name, str) else None


def operation_of(project: Project, endpoint: object, name: object) -> OperationPlan | None:
    plan = connector_plan(project, endpoint)
    return plan.operations.get(name) if plan is not None and isinstance(name, str) else None
