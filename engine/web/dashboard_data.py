"""What the dashboard's pages show, read from a serving session: flows, runs, the dead letter, the plan.

Every text that comes from a record or a target (a reason) goes through :func:`engine.spec.env.scrub`
once more here, though the state store already keeps reasons scrubbed: a page never shows a secret.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

from engine.checks.schedule import schedule_interval
from engine.runtime.removal_store import REMOVING
from engine.runtime.run_store import RunRecord
from engine.runtime.state import ACKED, DONE, FAILED
from engine.spec.env import scrub

QueueStatus = Callable[[], "tuple[int, float | None]"]
DEAD_LETTER_LIMIT = 500  # entries listed per flow on a page (the count says how many there are)


def no_queue() -> tuple[int, float | None]:
    """The queue status while no webhook queue is configured: empty."""
    return 0, None


@dataclass(frozen=True)
class PlanStatus:
    version: str
    generation: int
    changed_at: float  # wall clock of the last plan change (or the start)
    held: dict | None  # a reload held back: {"version", "warnings"}


@dataclass(frozen=True)
class FlowRow:
    name: str
    schedule: str | None
    source: str
    target: str
    last: RunRecord | None
    next_due: float | None
    ledger: dict[str, int] = field(default_factory=dict)
    dead: int = 0  # what the dead letter lists: set aside, updates and removals refused

    @property
    def in_target(self) -> int:
        return self.ledger.get(DONE, 0) + self.ledger.get(ACKED, 0)


@dataclass(frozen=True)
class DeadEntry:
    flow: str
    key: str
    kind: str  # "failed", "update refused", "removal refused"
    reason: str
    loc: str | None
    attempts: int
    updated_at: float
    target_id: str | None = None


def plan_status(session: Any) -> PlanStatus:
    live = session.live
    swapped = getattr(live, "swapped_at", None)
    changed = time.time() - (time.monotonic() - swapped) if swapped is not None else time.time()
    held = live.held.status() if live.held is not None else None
    if held is not None:
        held = {"version": held["version"], "warnings": [scrub(w) for w in held["warnings"]]}
    return PlanStatus(live.version, live.generation, changed, held)


def flows(session: Any) -> list[FlowRow]:
    plan = session.live.current()
    rows = []
    for name, flow in plan.flows.items():
        runs = session.state.runs(name, limit=20)
        last = runs[0] if runs else None
        scheduled = next((run for run in runs if run.kind == "run"), None)  # a replay does not move the schedule
        due = None
        interval = schedule_interval(flow.schedule) if flow.schedule else None
        if interval is not None:
            due = interval(scheduled.ended) if scheduled is not None else time.time()
        ledger = dict(session.state.counts(name))
        dead = ledger.get(FAILED, 0) + len(session.state.refused_updates(name)) \
            + (ledger.get(REMOVING, 0) if flow.remove is not None else 0)  # as dead_letter() lists them
        rows.append(FlowRow(name, flow.schedule, f"{flow.source_endpoint}.{flow.source_resource}",
                            f"{flow.target_endpoint}.{flow.target_operation}", last, due, ledger, dead))
    return rows


def recent_runs(session: Any, flow: str | None = None, limit: int = 20) -> list[RunRecord]:
    runs = session.state.runs(flow, limit=limit)
    return [run if not run.error else _scrubbed_run(run) for run in runs]


def _scrubbed_run(run: RunRecord) -> RunRecord:
    from dataclasses import replace
    return replace(run, error=scrub(run.error or ""))


def spec_location(loc: str | None, project_dir: Path) -> str | None:
    """``orders.yaml:40:7`` for a location in the project folder (the folder is the dashboard's), else as kept."""
    root = str(Path(project_dir).resolve()) + os.sep
    return loc[len(root):] if loc and loc.startswith(root) else loc


def dead_letter(session: Any, flow: str | None = None) -> tuple[list[DeadEntry], dict[str, int]]:
    """The records ``replay`` would send again, per flow (at most :data:`DEAD_LETTER_LIMIT` listed per
    flow), and how many there are per flow."""
    plan = session.live.current()
    store = session.state
    listed: list[DeadEntry] = []
    totals: dict[str, int] = {}
    for name in plan.flows:
        if flow is not None and name != flow:
            continue
        where = partial(spec_location, project_dir=session.project_dir)
        entries = [DeadEntry(e.flow, e.key, "failed", scrub(e.reason or ""), where(e.loc), e.attempts, e.updated_at)
                   for e in store.entries(name, FAILED)]
        entries += [DeadEntry(e.flow, e.key, "update refused", scrub(e.reason or ""), where(e.loc), e.attempts,
                              e.updated_at, e.target_id)
                    for e in store.refused_updates(name)]
        if plan.flows[name].remove is not None:
            entries += [DeadEntry(e.flow, e.key, "removal refused", scrub(e.reason or "the removal was not confirmed"),
                                  e.loc, e.attempts, e.updated_at, e.target_id) for e in store.entries(name, REMOVING)]
        totals[name] = len(entries)
        listed += entries[:DEAD_LETTER_LIMIT]
    return listed, totals


def health(session: Any) -> tuple[bool, dict[str, Any]]:
    """Whether the process can work: a plan is loaded and the state store answers."""
    checks: dict[str, Any] = {"status": "ok"}
    try:
        plan = session.live.current()
        checks["plan"] = {"loaded": True, "version": session.live.version, "generation": session.live.generation,
                          "flows": len(plan.flows)}
    except Exception as exc:  # health must answer whatever is wrong
        checks["plan"] = {"loaded": False, "error": scrub(f"{type(exc).__name__}: {exc}")}
    try:
        session.state.runs(limit=1)
        checks["state"] = {"reachable": True}
    except Exception as exc:
        checks["state"] = {"reachable": False, "error": scrub(str(exc))}
    ok = bool(checks["plan"].get("loaded")) and bool(checks["state"]["reachable"])
    checks["status"] = "ok" if ok else "failing"
    return ok, checks


__all__ = ["DeadEntry", "FlowRow", "PlanStatus", "QueueStatus", "dead_letter", "flows", "health", "no_queue",
           "plan_status", "recent_runs"]
