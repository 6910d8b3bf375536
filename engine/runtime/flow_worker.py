"""What a worker does with one job: run one flow of one project, as ``passerelle run --flow`` would.

The project's latest clean plan (:class:`~engine.runtime.project_pool.ProjectPool`), its own
environment, its own state store (the factory every command uses: the SQLite file in the project's
state folder, or the database its ``state:`` setting names), the flow's lease taken without waiting:
held by a process outside the queue, the job raises :class:`~engine.runtime.flow_jobs.FlowBusy` and is
retried a little later. A flow that stops on an endpoint error ends its job normally: the error is in
the run history and the logs, and the next scheduled run tries again.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import SpecError, format_diagnostics, sort_diagnostics
from engine.runtime.endpoints import ConfigError
from engine.runtime.flow_jobs import FlowBusy
from engine.runtime.project_pool import ProjectPool


class ProjectInvalid(Exception):
    """A job's project has no clean plan to run (its errors, located)."""


class FlowWorker:
    """Runs the jobs of one worker process (thread-safe: each job has its own session)."""

    def __init__(self, projects: Path, log: Callable[..., None], connector_dirs: list[Path] | None = None):
        self.pool = ProjectPool(projects, log, connector_dirs)
        self.log = log
        self.stop = threading.Event()
        self._sessions: set[Any] = set()
        self._lock = threading.Lock()

    def run_flow(self, project: str, flow: str) -> dict:
        """One job; what it did (the flow's summary) for procrastinate's job result."""
        from engine.runtime.session import Session

        try:
            live = self.pool.live(project)
        except SpecError as exc:  # it never built clean: nothing runs, the job fails with the located errors
            details = format_diagnostics(sort_diagnostics([d for d in exc.diagnostics if d.is_error]))
            self.log("project_invalid", project=project, flow=flow, details=details)
            raise ProjectInvalid(f"project {project} has never built clean:\n{details}") from None
        if flow not in live.current().flows:
            self.log("flow_gone", project=project, flow=flow)
            return {"project": project, "flow": flow, "skipped": "no such flow in the live plan"}
        session = Session(self.pool.project(project).path, environ=self.pool.environ(project),
                          log=self.pool.logger(project), live=live)
        with self._lock:
            self._sessions.add(session)
            if self.stop.is_set():
                session.stop.set()
        try:
            summaries = session.run_flows([flow], skip_busy=True)
            if summaries and live.current().flows[flow].webhooks is not None and not session.stop.is_set():
                self._work_off_events(session, flow)
        except ConfigError as exc:  # a setting missing from the project's environment: located, no retry
            self.log("flow_config_error", project=project, flow=flow, error=str(exc))
            return {"project": project, "flow": flow, "error": str(exc), "created": 0}
        finally:
            with self._lock:
                self._sessions.discard(session)
            session.close()
        if not summaries:
            if session.stop.is_set():
                return {"project": project, "flow": flow, "stopped": True}
            raise FlowBusy(f"flow '{flow}' of project {project} is running outside the queue")
        return {"project": project, **summaries[0].as_dict()}

    def _work_off_events(self, session: Any, flow: str) -> None:
        """The flow's webhook events a ``serve --listen`` front end committed to the project's queue (in
        its state: shared when PostgreSQL), through the same ledger, under the flow's lease."""
        from engine.runtime.webhook_run import EventProcessor

        queue = session.state.events()
        processor = EventProcessor(session, queue, lease_wait=0.0)
        try:
            processor.process_flow(flow)
        finally:
            processor.close()
            queue.close()

    def stop_all(self) -> None:
        """Every flow in hand stops at its next record (state saved); no new one starts."""
        self.stop.set()
        with self._lock:
            for session in self._sessions:
                session.stop.set()


__all__ = ["FlowWorker", "ProjectInvalid"]
