"""``passerelle status --projects DIR``: per project and flow, what the cluster is doing.

* from the project's state (read only, never created or migrated): the last run (when it ended, its
  outcome and counts) and the ledger's counts (records created, set aside...);
* from procrastinate's tables in the jobs database: the worker running the flow now (and since when),
  whether a run waits in the queue, when the last one was queued — the next run is the flow's
  schedule after that (the scheduler's own rule), or "queued" when one waits.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from engine.checks.schedule import schedule_interval
from engine.runtime.flow_jobs import TASK
from engine.runtime.project_pool import ProjectPool

_JOBS = """
SELECT j.lock, j.status::text, j.worker_id,
       (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'started')
  FROM procrastinate_jobs j
 WHERE j.task_name = %(task)s AND j.status IN ('todo', 'doing')
"""
_LAST_QUEUED = """
SELECT j.lock, max(e.at)
  FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
 WHERE j.task_name = %(task)s AND e.type = 'deferred'
 GROUP BY j.lock
"""


@dataclass
class FlowStatus:
    project: str
    flow: str
    schedule: str | None
    last_run: float | None = None  # when the last run ended (epoch seconds)
    last_outcome: str | None = None
    last_counts: dict | None = None
    next_run: float | str | None = None  # epoch seconds, "queued", or None (no schedule)
    ledger: dict | None = None  # records by ledger status
    failures: int = 0  # records set aside (dead letter)
    worker: str | None = None  # "worker 12 since 14:02:31" while a worker runs it

    def as_json(self) -> dict:
        return asdict(self)


def job_rows(connection: Any) -> tuple[dict[str, list[tuple]], dict[str, float]]:
    """The live jobs by lock, and when each lock's last job was queued."""
    live: dict[str, list[tuple]] = {}
    for lock, status, worker, started in connection.execute(_JOBS, {"task": TASK}).fetchall():
        live.setdefault(lock, []).append((status, worker, started))
    queued = {lock: at.timestamp() for lock, at in connection.execute(_LAST_QUEUED, {"task": TASK}).fetchall()}
    return live, queued


def collect(pool: ProjectPool, connection: Any, now: float | None = None) -> list[FlowStatus]:
    from engine.runtime.flow_jobs import job_lock
    from engine.runtime.state import FAILED
    from engine.runtime.store_open import locate, reading

    now = time.time() if now is None else now
    live, queued = job_rows(connection)
    rows = []
    for project, plan in pool.plans():
        location = locate(pool.project(project).path, plan.settings, None, pool.environ(project))
        with reading(location) as state:  # read only: never created, changed or migrated
            for name, flow in plan.flows.items():
                row = FlowStatus(project, name, flow.schedule)
                if state is not None:
                    last = state.runs(name, 1)
                    if last:
                        row.last_run, row.last_outcome = last[0].ended, last[0].outcome
                        row.last_counts = {k: v for k, v in last[0].counts.items() if v}
                    row.ledger = state.counts(name)
                    row.failures = int(row.ledger.get(FAILED, 0))
                lock = job_lock(project, name)
                jobs = live.get(lock, [])
                for status, worker, started in jobs:
                    if status == "doing":
                        row.worker = f"worker {worker}" + (f" since {started:%H:%M:%S}" if started else "")
                if any(status == "todo" for status, _, _ in jobs):
                    row.next_run = "queued"
                else:
                    nxt = schedule_interval(flow.schedule)
                    if nxt is not None:
                        row.next_run = nxt(queued.get(lock, now))
                rows.append(row)
    return rows


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return time.strftime("%H:%M:%S", time.localtime(value))


def table(rows: list[FlowStatus]) -> str:
    """The status as an aligned table for people."""
    head = ("project", "flow", "last run", "outcome", "last counts", "next run", "created", "failures", "running on")
    lines = [head]
    for r in rows:
        counts = ", ".join(f"{k} {v}" for k, v in (r.last_counts or {}).items()) or \
            ("nothing new" if r.last_run is not None else "-")
        created = sum(v for k, v in (r.ledger or {}).items() if k in ("done", "acked"))
        lines.append((r.project, r.flow, _when(r.last_run), r.last_outcome or "-", counts, _when(r.next_run),
                      str(created), str(r.failures), r.worker or "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


__all__ = ["FlowStatus", "collect", "job_rows", "table"]
