"""``passerelle validate``: every project and connector file under the given paths, all errors at once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path

from engine.plan.compile import compile_project
from engine.errors import Diagnostic, Loc, sort_diagnostics
from engine.plan.forked import can_fork, in_child
from engine.project.load import ConnectorStore, discover, display, is_connector_doc, load_project, project_files
from engine.spec import yamlcache
from engine.spec.yamlsrc import load_file
from engine.util.records import mutable


@mutable
class Report:
    """What `passerelle validate` found: the diagnostics, and how many projects and connectors."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    projects: int = 0
    connectors: int = 0

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(not d.is_error for d in self.diagnostics)


def validate_paths(paths: list[Path], store: ConnectorStore | None = None, fork: bool = False) -> Report:
    """``fork``: half of the projects validated by a forked child (engine/plan/forked.py; the
    console's one-shot validate only)."""
    store = store or ConnectorStore()
    report = Report()
    existing = []
    for path in paths:
        if path.exists():
            existing.append(path)
        else:
            report.diagnostics.append(Diagnostic("not-found", "no such file or folder",
                                                 Loc(str(path), 1, 1)))
    projects, connector_files = discover(existing)
    for path in connector_files:
        report.connectors += 1
        report.diagnostics += store.load(path).diagnostics
    theirs: Callable[[], Report] | None = None
    if fork and len(projects) > 1 and can_fork():
        half = len(projects) // 2
        theirs = in_child(lambda: _flushed(_projects(projects[half:], store, Report())))
        projects = projects[:half]
    _flushed(_projects(projects, store, report))
    if theirs is not None:
        other = theirs()
        report.diagnostics += other.diagnostics
        report.projects += other.projects
        report.connectors += other.connectors
    if existing and not projects and not connector_files:
        for path in existing:
            report.diagnostics.append(Diagnostic(
                "nothing-to-validate", "no project or connector files (*.yaml) here", Loc(str(path), 1, 1),
                hint="point validate at a project folder, or at a folder holding projects"))
    report.diagnostics = sort_diagnostics(report.diagnostics)
    return report


def _flushed(report: Report) -> Report:
    """``report``, once what this process learnt is in the cache of parsed files (if one is used)."""
    cache = yamlcache.active()
    if cache is not None:
        cache.flush()
    return report


def _projects(projects: list[Path], store: ConnectorStore, report: Report) -> Report:
    for root in projects:
        docs = [load_file(p, display_name=display(p)) for p in project_files(root)]
        connector_docs = [d for d in docs if is_connector_doc(d)]
        for doc in connector_docs:
            report.connectors += 1
            report.diagnostics += store.load(Path(doc.file)).diagnostics
        if len(connector_docs) == len(docs):
            continue
        report.projects += 1
        project = load_project(root, docs=docs, store=store)
        _, diags = compile_project(project, check_only=True)
        report.diagnostics += diags
    return report
