"""A project ready to run: live plan, state store, endpoints; ``run`` once or ``serve`` on schedules.

SIGTERM and SIGINT set a stop flag: the record in hand is finished, state is saved, and the process
exits cleanly. ``serve`` hot-reloads the project (see ``watch``) and logs which plan is live; both
``run`` and ``serve`` start from a project whose files have been quiet for the settle period.
"""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Callable, ContextManager


from engine.checks.schedule import schedule_interval
from engine.plan.load import load_plan
from engine.plan.model import FlowPlan, Plan
from engine.project.load import ConnectorStore
from engine.runtime.endpoints import open_endpoints
from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.lease import Busy, Held
from engine.runtime.run_store import from_summary
from engine.runtime.store_open import locate, open_store
from engine.runtime.watch import LivePlan

SERVE_TURN_WAIT = 900.0  # how long a run waits for a serve to finish the flow it is running


class Session:
    def __init__(self, project_dir: Path, *, state_dir: Path | str | None = None, environ=None,
                 log: Callable[..., None] = lambda event, **f: None, store: ConnectorStore | None = None,
                 endpoint_options: dict | None = None, runner_options: dict | None = None,
                 wait: float = 0.0, settle: float | None = None, live: LivePlan | None = None):
        self.project_dir = project_dir
        self.wait = wait  # seconds to wait for a lease another process holds (0: refuse at once)
        self.environ = environ
        self.log = log
        self.connector_store = store
        self.endpoint_options = endpoint_options or {}
        self.runner_options = runner_options or {}
        # ``live``: a plan kept by the caller across sessions (a worker's per-project cache)
        self.live = live or LivePlan(project_dir, self._build, log, settle=settle)
        plan = self.live.current()
        self.location = locate(project_dir, plan.settings, state_dir, environ)  # SQLite or PostgreSQL
        self.state_dir = self.location.folder
        self.state = open_store(self.location)
        self.stop = threading.Event()

    def _build(self) -> Plan:
        return load_plan(self.project_dir, self.connector_store)

    def install_signal_handlers(self) -> None:
        def stopping(name: str) -> None:
            self.log("stopping", signal=name)
            self.stop.set()

        def handler(signum, frame):
            # Not here: the handler runs in the main thread, between two bytecodes of whatever it was
            # doing — inside `stop.wait()` it holds the event's lock (set() would wait for it forever),
            # inside a log write it holds the stream's. Another thread takes them once the main thread
            # lets go.
            threading.Thread(target=stopping, args=(signal.Signals(signum).name,), daemon=True).start()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handler)

    def open_endpoints(self, plan: Plan, flow) -> dict:
        return open_endpoints(plan, flow.endpoint_names(), self.environ, token_store=self.state,
                              **self.endpoint_options)

    def flow_lease(self, name: str, wait: float | None = None) -> Held:
        """The lease of one flow's ledger and cursor (raises Busy naming the holder)."""
        return self.state.lease(f"flow-{name}", f"flow '{name}' of {self.project_dir}",
                                self.wait if wait is None else wait)

    def run_flows(self, names: list[str] | None = None, skip_busy: bool = False) -> list[Summary]:
        """Run flows once, each under its lease. A flow another process is running raises Busy, or
        with ``skip_busy`` (serve) waits for its next turn."""
        plan = self.live.current()
        names = names or plan.run_order()
        summaries = []
        for name in names:
            if self.stop.is_set():
                break
            try:
                lease = self.flow_lease(name, 0.0 if skip_busy else None)
            except Busy as exc:
                if skip_busy:
                    self.log("flow_busy", flow=name, reason=str(exc))
                    continue
                if not exc.serving:
                    raise
                # a serve is running this flow right now: it lets go within its run; take the next turn
                self.log("flow_waiting", flow=name, reason=str(exc))
                lease = self.flow_lease(name, max(self.wait, SERVE_TURN_WAIT))
            with lease:
                summaries.append(self._run_flow(plan, name))
        return summaries

    def _run_flow(self, plan: Plan, name: str) -> Summary:
        flow = plan.flows[name]
        endpoints = self.open_endpoints(plan, flow)
        try:
            runner = FlowRunner(plan, flow, endpoints, self.state, log=self.log, stop=self.stop,
                                plan_source=self._live_flow(name, flow), live_plan=self.live.current,
                                **self.runner_options)
            summary = runner.run()
        finally:
            for endpoint in endpoints.values():
                endpoint.close()
        self.log("flow_summary", **summary.as_dict())
        self.record_run(summary, "run")
        return summary

    def record_run(self, summary: Summary, kind: str) -> None:
        """Keep a flow run (``run``) or replay (``replay``) that ended in the run history
        (:mod:`engine.runtime.run_store`), with the version of the plan live now."""
        self.state.record_run(from_summary(summary, kind, self.live.version or None))

    def _live_flow(self, name: str, fallback: FlowPlan) -> Callable[[], FlowPlan]:
        """The flow as the live plan has it now (hot reload), or as it was if a reload removed it."""
        def current() -> FlowPlan:
            return self.live.current().flows.get(name, fallback)
        return current

    def serve(self, names: list[str] | None = None, tick: float = 0.2, busy_retry: float = 5.0,
              around: Callable[["Session"], ContextManager] | None = None) -> list[Summary]:
        """Run flows on their schedules until stopped; returns the last summary of each flow. One
        serve per project (its lease); a flow another process is running gets its turn a little later.
        ``around``: what runs beside the scheduler while it serves (the HTTP side: engine.web.server)."""
        with self.state.lease("serve", f"serving {self.project_dir}", self.wait):
            if around is None:
                return self._serve(names, tick, busy_retry)
            with around(self):
                return self._serve(names, tick, busy_retry)

    def _serve(self, names: list[str] | None, tick: float, busy_retry: float) -> list[Summary]:
        self.live.start(control=self.state_dir)  # `passerelle reload --accept` reaches it there
        last: dict[str, Summary] = {}
        due: dict[str, float] = {}
        try:
            while not self.stop.is_set():
                plan = self.live.current()
                now = time.time()
                for name in names or plan.run_order():
                    flow = plan.flows.get(name)
                    if flow is None:
                        continue
                    nxt = schedule_interval(flow.schedule)
                    if name not in due:
                        due[name] = now
                    if now >= due[name]:
                        ran = self.run_flows([name], skip_busy=True)
                        for summary in ran:
                            last[name] = summary
                        if ran:
                            due[name] = nxt(time.time()) if nxt else float("inf")
                        else:  # busy in another process (a manual run): its turn comes shortly
                            due[name] = time.time() + busy_retry
                self.stop.wait(tick)
        finally:
            self.live.stop()
        return list(last.values())

    def close(self) -> None:
        self.state.close()
