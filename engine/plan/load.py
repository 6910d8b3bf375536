"""A project folder -> its compiled plan, or a SpecError carrying every diagnostic."""
from __future__ import annotations

from pathlib import Path

from engine.errors import Diagnostic, Loc, SpecError
from engine.plan.compile import compile_project
from engine.plan.model import FlowPlan, Plan
from engine.project.load import ConnectorStore, display, load_project
from engine.util.suggest import hint_for


def load_plan(project_dir: Path, store: ConnectorStore | None = None) -> Plan:
    project = load_project(project_dir, store=store)
    plan, diags = compile_project(project)
    if plan is None:
        raise SpecError(diags)
    return plan


def select_flow(plan: Plan, name: str) -> FlowPlan:
    flow = plan.flows.get(name)
    if flow is None:
        raise SpecError([Diagnostic("unknown-flow", f"no flow named '{name}'",
                                    Loc(display(plan.project.root), 1, 1), "",
                                    hint_for(name, plan.flows, "flows"))])
    return flow
