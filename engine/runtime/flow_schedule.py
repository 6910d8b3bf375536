"""``passerelle schedule``: enqueues each flow of each project on its ``schedule:``.

One scheduler process for the cluster (procrastinate's periodic tasks are declared in code with a cron
expression, where a flow's schedule is ``every 5m`` or cron, per project, and changes with the
project's files: a loop over the projects follows them). Each tick it looks at every project's
current plan (rebuilt when the files changed, as the workers do) and, for each flow that is due,
enqueues one job with the flow's ``queueing_lock``: a flow already waiting in the queue is not
queued again, so a slow flow, a stopped worker pool or two schedulers by mistake never pile up
runs. A flow is due at the scheduler's start (as ``serve`` runs every flow at start), then at its
schedule's next time after each enqueue; a flow without ``schedule:`` is enqueued once, at start.

A flow taking webhooks is also enqueued, whatever its schedule, as soon as the project's webhook queue
(in its state, where ``serve --listen`` front ends commit the events they receive) holds events for
it: the worker's job works them off after its poll.
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
        self._queues: dict[str, tuple[Any, Any]] = {}  # project -> (store, its webhook queue)

    def tick(self, now: float | None = None) -> list[tuple[str, str]]:
        """Enqueue what is due now; the (project, flow) pairs queued."""
        now = time.time() if now is None else now
        queued = []
        seen = set()
        for project, plan in self.pool.plans():
            waiting = self._events_waiting(project, plan)
            for flow_name, flow in plan.flows.items():
                key = (project, flow_name)
                seen.add(key)
                due = self.due.setdefault(key, now) <= now
                if not due and flow_name not in waiting:
                    continue
                if enqueue(self.app, project, flow_name):
                    queued.append(key)
                    self.log("flow_queued", project=project, flow=flow_name,
                             **({} if due else {"why": "webhook events waiting"}))
                if due:
                    nxt = schedule_interval(flow.schedule)
                    self.due[key] = nxt(now) if nxt else float("inf")
        for gone in set(self.due) - seen:  # a flow or project removed: forgotten
            del self.due[gone]
        return queued

    def _events_waiting(self, project: str, plan: Any) -> set[str]:
        """The project's flows with webhook events queued (none when no flow takes webhooks, or the
        project has no state yet)."""
        if not any(flow.webhooks is not None for flow in plan.flows.values()):
            return set()
        if project not in self._queues:
            from engine.runtime.store_open import locate, open_store

            location = locate(self.pool.project(project).path, plan.settings, None, self.pool.environ(project))
            if location.url is None and not location.database.exists():
                return set()
            store = open_store(location)
            self._queues[project] = (store, store.events())
        return set(self._queues[project][1].flows_waiting())

    def close(self) -> None:
        for store, queue in self._queues.values():
            queue.close()
            store.close()
        self._queues.clear()

    def run(self, tick: float = 1.0) -> None:
        try:
            while not self.stop.is_set():
                self.tick()
                self.stop.wait(tick)
        finally:
            self.close()


__all__ = ["Scheduler"]
