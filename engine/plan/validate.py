"""``passerelle validate``: every project and connector file under the given paths, all errors at once."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.errors import Diagnostic, Loc, sort_diagnostics
from engine.plan.resultcache import Outcome, ResultCache, Unit
from engine.project.discover import discover, display, project_files
from engine.util.readlog import logging_reads

TYPE_CHECKING = False  # (as typing's: importing typing is start-up time a known validate need not pay)
if TYPE_CHECKING:
    from engine.project.load import ConnectorStore


class Report:
    """What `passerelle validate` found: the diagnostics, and how many projects and connectors."""

    __slots__ = ("diagnostics", "projects", "connectors")

    def __init__(self, diagnostics: list[Diagnostic] | None = None, projects: int = 0, connectors: int = 0):
        self.diagnostics = list(diagnostics or [])
        self.projects, self.connectors = projects, connectors

    def __repr__(self) -> str:
        return f"Report(diagnostics={self.diagnostics!r}, projects={self.projects}, connectors={self.connectors})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Report) and (self.diagnostics, self.projects, self.connectors) == (
            other.diagnostics, other.projects, other.connectors)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it was

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(not d.is_error for d in self.diagnostics)


def validate_paths(paths: list[Path], store: ConnectorStore | None = None, fork: bool = False,
                   results: ResultCache | None = None, connector_dirs: list[Path] | None = None) -> Report:
    """``fork``: half of the projects validated by a forked child (engine/plan/forked.py; the
    console's one-shot validate only). ``results``: each project's and connector file's outcome
    replayed from there when known, stored there when found (engine/plan/resultcache.py).
    ``connector_dirs``: the ``--connectors`` folders, when no ``store`` is given."""
    report = Report()
    existing = []
    for path in paths:
        if path.exists():
            existing.append(path)
        else:
            report.diagnostics.append(Diagnostic("not-found", "no such file or folder",
                                                 Loc(str(path), 1, 1)))
    projects, connector_files = discover(existing)
    units: list[Unit] = [("connector", p) for p in connector_files] + [("project", p) for p in projects]
    keys = [results.key(unit) if results is not None else None for unit in units]
    outcomes: list[Outcome | None] = [results.get(key) if results is not None and key else None for key in keys]
    todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
    if todo:
        if store is None:
            from engine.project.load import ConnectorStore
            store = ConnectorStore(extra_dirs=connector_dirs)
        ignore = results.ignored() if results is not None else None
        for i, fresh in zip(todo, _validate([units[i] for i in todo], store, fork, ignore)):
            outcomes[i] = fresh
            key = keys[i]
            if results is not None and key is not None and results.key(units[i]) == key:
                results.put(key, fresh)  # (not when the folders `use:` searches changed meanwhile)
        if results is not None:
            results.flush()
    for outcome in outcomes:
        assert outcome is not None
        report.diagnostics += outcome.diagnostics
        report.projects += outcome.projects
        report.connectors += outcome.connectors
    if existing and not projects and not connector_files:
        for path in existing:
            report.diagnostics.append(Diagnostic(
                "nothing-to-validate", "no project or connector files (*.yaml) here", Loc(str(path), 1, 1),
                hint="point validate at a project folder, or at a folder holding projects"))
    report.diagnostics = sort_diagnostics(report.diagnostics)
    return report


def _validate(units: list[Unit], store: ConnectorStore, fork: bool, ignore: tuple[str, ...] | None) -> list[Outcome]:
    """Each unit's outcome, in order: the connector files first (loaded before any fork), then the
    projects, the second half in a forked child when asked. ``ignore``: what each unit read is
    noted (engine/util/readlog.py), but for files under these folders."""
    from engine.plan.forked import can_fork, in_child

    outcomes = [_unit(lambda outcome: _connector_file(path, store, outcome), ignore)
                for kind, path in units if kind == "connector"]
    projects = [path for kind, path in units if kind == "project"]
    theirs: Callable[[], list[Outcome]] | None = None
    if fork and len(projects) > 1 and can_fork():
        half = len(projects) // 2
        theirs = in_child(lambda: _flushed(_projects(projects[half:], store, ignore)))
        projects = projects[:half]
    outcomes += _flushed(_projects(projects, store, ignore))
    if theirs is not None:
        outcomes += theirs()
    return outcomes


def _flushed(outcomes: list[Outcome]) -> list[Outcome]:
    """``outcomes``, once what this process learnt is in the cache of parsed files (if one is used)."""
    from engine.spec import yamlcache

    cache = yamlcache.active()
    if cache is not None:
        cache.flush()
    return outcomes


def _unit(work: Callable[[Outcome], None], ignore: tuple[str, ...] | None) -> Outcome:
    outcome = Outcome([])
    if ignore is None:
        work(outcome)
        return outcome
    with logging_reads(ignore) as log:
        work(outcome)
    outcome.reads = log
    return outcome


def _connector_file(path: Path, store: ConnectorStore, outcome: Outcome) -> None:
    outcome.connectors += 1
    outcome.diagnostics += store.load(path).diagnostics


def _projects(projects: list[Path], store: ConnectorStore, ignore: tuple[str, ...] | None) -> list[Outcome]:
    return [_unit(lambda outcome: _project(root, store, outcome), ignore) for root in projects]


def _project(root: Path, store: ConnectorStore, outcome: Outcome) -> None:
    from engine.plan.compile import compile_project
    from engine.project.load import is_connector_doc, load_project
    from engine.spec.yamlsrc import load_file

    docs = [load_file(p, display_name=display(p)) for p in project_files(root)]
    connector_docs = [d for d in docs if is_connector_doc(d)]
    for doc in connector_docs:
        _connector_file(Path(doc.file), store, outcome)
    if len(connector_docs) < len(docs):
        outcome.projects += 1
        project = load_project(root, docs=docs, store=store)
        _, diags = compile_project(project, check_only=True)
        outcome.diagnostics += diags
