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
from typing import Callable


from engine.checks.schedule import schedule_interval
from engine.plan.load import load_plan
from engine.plan.model import FlowPlan, Plan
from engine.project.load import ConnectorStore
from engine.runtime.endpoints import open_endpoints
from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.state import SqliteStore
from engine.runtime.watch import LivePlan

class Session:
    def __init__(self, project_dir: Path, *, state_dir: Path | None = None, environ=None,
                 log: Callable[..., None] = lambda event, **f: None, store: ConnectorStore | None = None,
                 endpoint_options: dict | None = None, runner_options: dict | None = None,
                 settle: float | None = None):
        self.project_dir = project_dir
        self.environ = environ
        self.log = log
        self.connector_store = store
        self.endpoint_options = endpoint_options or {}
        self.runner_options = runner_options or {}
        self.live = LivePlan(project_dir, self._build, log, settle=settle)
        plan = self.live.current()
        self.state_dir = Path(state_dir or project_dir / plan.settings.get("state_dir", ".passerelle"))
        self.state = SqliteStore(self.state_dir / "state.db")
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

    def run_flows(self, names: list[str] | None = None) -> list[Summary]:
        plan = self.live.current()
        names = names or list(plan.flows)
        summaries = []
        for name in names:
            if self.stop.is_set():
                break
            flow = plan.flows[name]
            endpoints = self.open_endpoints(plan, flow)
            try:
                runner = FlowRunner(plan, flow, endpoints, self.state, log=self.log, stop=self.stop,
                                    plan_source=self._live_flow(name, flow), **self.runner_options)
                summary = runner.run()
            finally:
                for endpoint in endpoints.values():
                    endpoint.close()
            self.log("flow_summary", **summary.as_dict())
            summaries.append(summary)
        return summaries

    def _live_flow(self, name: str, fallback: FlowPlan) -> Callable[[], FlowPlan]:
        """The flow as the live plan has it now (hot reload), or as it was if a reload removed it."""
        def current() -> FlowPlan:
            return self.live.current().flows.get(name, fallback)
        return current

    def serve(self, names: list[str] | None = None, tick: float = 0.2) -> list[Summary]:
        """Run flows on their schedules until stopped; returns the last summary of each flow."""
        self.live.start(control=self.state_dir)  # `passerelle reload --accept` reaches it there
        last: dict[str, Summary] = {}
        due: dict[str, float] = {}
        try:
            while not self.stop.is_set():
                plan = self.live.current()
                now = time.time()
                for name in names or list(plan.flows):
                    flow = plan.flows.get(name)
                    if flow is None:
                        continue
                    nxt = schedule_interval(flow.schedule)
                    if name not in due:
                        due[name] = now
                    if now >= due[name]:
                        for summary in self.run_flows([name]):
                            last[name] = summary
                        due[name] = nxt(time.time()) if nxt else float("inf")
                self.stop.wait(tick)
        finally:
            self.live.stop()
        return list(last.values())

    def close(self) -> None:
        self.state.close()
