"""A folder of client projects as a worker or a scheduler sees it (``passerelle worker|schedule|status
--projects DIR``).

* Each sub-folder holding YAML files is one project, named by its folder (the name a job carries, the
  project's identity in a shared state).
* Each project keeps its own live plan (:class:`~engine.runtime.watch.LivePlan`): before every job the
  project's files are hashed, and a change is built then (hot reload per project). A build with
  errors is logged (located) and never runs: the last clean plan keeps running; a project that never
  had a clean plan runs nothing, and its job fails with the errors. The same hold-back rules as
  ``serve`` apply to a surprising build (``passerelle reload PROJECT --accept`` releases it only in a
  ``serve``: a worker takes it when the same content is saved again).
* Each project's ``${env:...}`` resolve against its own environment only
  (:mod:`engine.runtime.project_env`).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.plan.load import load_plan
from engine.plan.model import Plan
from engine.project.load import ConnectorStore
from engine.runtime.project_env import project_environ
from engine.runtime.watch import LivePlan


class UnknownProject(Exception):
    """A job names a project that is not (or no longer) in the folder."""


def project_dirs(root: Path) -> list[Path]:
    """The projects of ``root``: its visible sub-folders holding at least one YAML file, by name."""
    found = []
    for child in sorted(Path(root).iterdir()) if Path(root).is_dir() else []:
        if child.name.startswith((".", "_")) or not child.is_dir():
            continue
        if any(p.suffix in (".yaml", ".yml") for p in child.iterdir()):
            found.append(child)
    return found


@dataclass
class Project:
    """One project of the folder: its live plan once built, and the lock its build is taken under."""

    name: str
    path: Path
    live: LivePlan | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class ProjectPool:
    """The projects of a folder, each with its live plan, built and rebuilt on demand (thread-safe)."""

    def __init__(self, root: Path, log: Callable[..., None], connector_dirs: list[Path] | None = None,
                 settle: float = 0.0):
        self.root = Path(root).resolve()
        self.log = log
        self.connectors = ConnectorStore(extra_dirs=connector_dirs or [])
        self.settle = settle
        self._projects: dict[str, Project] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return [p.name for p in project_dirs(self.root)]

    def project(self, name: str) -> Project:
        path = self.root / name
        if "/" in name or name.startswith(".") or not path.is_dir():
            raise UnknownProject(f"no project '{name}' in {self.root}")
        with self._lock:
            found = self._projects.get(name)
            if found is None:
                found = self._projects[name] = Project(name, path)
            return found

    def logger(self, name: str) -> Callable[..., None]:
        def log(event: str, **fields: Any) -> None:
            self.log(event, project=name, **fields)
        return log

    def live(self, name: str) -> LivePlan:
        """``name``'s live plan, rebuilt first when its files changed (raises SpecError when it never
        built clean)."""
        project = self.project(name)
        with project.lock:
            if project.live is None:
                project.live = LivePlan(project.path, lambda: load_plan(project.path, self.connectors),
                                        self.logger(name), settle=self.settle)
            else:
                project.live.check()  # the content hash decides; a broken edit keeps the live plan
            return project.live

    def plan(self, name: str) -> Plan:
        return self.live(name).current()

    def environ(self, name: str) -> Any:
        return project_environ(self.project(name).path)

    def plans(self) -> Iterator[tuple[str, Plan]]:
        """Every project's current plan (a project that never built clean is logged and left out)."""
        from engine.errors import SpecError

        for name in self.names():
            try:
                yield name, self.plan(name)
            except SpecError as exc:
                self.log("project_invalid", project=name, errors=len(exc.diagnostics),
                         details="\n".join(d.format_text() for d in exc.diagnostics[:20]))


__all__ = ["Project", "ProjectPool", "UnknownProject", "project_dirs"]
