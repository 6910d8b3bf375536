"""``passerelle schedule``: enqueues each flow of each project on its ``schedule:``.

One scheduler process for the cluster (procrastinate's periodic tasks are declared in code with a cron
expression, where a flow's schedule is ``every 5m`` or cron, per project, and changes with the
project's files: a loop over the projects follows them). Each tick it looks at every project's
current plan (rebuilt when the files changed, as the workers do) and, for each flow that is due,
enqueues one job with the flow's ``queueing_lock``: a flow already waiting in the queue is not
queued again, so a slow flow, a stopped worker pool or two schedulers by mistake never pile up
runs. A flow is due at the scheduler's start (as ``serve`` runs every flow at start), then at its
schedule's next time after each enqueue; a flow without ``schedule:`` is enqueued once, at start.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from engine.checks.schedule import schedule_interval
from engine.runtime.flow_jobs import enqueue
from engine.runtime.project_pool import ProjectPool


class Scheduler:
    def __init__(self, app: Any, pool: ProjectPool, log: Callable[..., None]):
        self.app = app
        self.pool = pool
        self.log = log
        self.due: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()

    def tick(self, now: float | None = None) -> list[tuple[str, str]]:
        """Enqueue what is due now; the (project, flow) pairs queued."""
        now = time.time() if now is None else now
        queued = []
        seen = set()
        for project, plan in self.pool.plans():
            for flow_name, flow in plan.flows.items():
                key = (project, flow_name)
                seen.add(key)
                if self.due.setdefault(key, now) > now:
                    continue
                if enqueue(self.app, project, flow_name):
                    queued.append(key)
                    self.log("flow_queued", project=project, flow=flow_name)
                nxt = schedule_interval(flow.schedule)
                self.due[key] = nxt(now) if nxt else float("inf")
        for gone in set(self.due) - seen:  # a flow or project removed: forgotten
            del self.due[gone]
        return queued

    def next_runs(self) -> dict[tuple[str, str], float]:
        return dict(self.due)

    def run(self, tick: float = 1.0) -> None:
        while not self.stop.is_set():
            self.tick()
            self.stop.wait(tick)


__all__ = ["Scheduler"]
