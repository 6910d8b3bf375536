"""Loading a client project: find its YAML files, validate each one, merge them, resolve connectors.

A project is a folder. Every ``*.yaml``/``*.yml`` file in it (not in sub-folders) is part of the
project and may define ``endpoints``, ``lookups`` and ``flows``; a name defined twice is an error.
Files whose top-level key is ``connector`` are connector definitions, not project files.
``use: NAME`` resolves, in order, to ``<project>/connectors/NAME.yaml``, to the folders listed in
``PASSERELLE_CONNECTORS`` and to the shipped ``specs/connectors/NAME.yaml``.
"""
from __future__ import annotations

import copy
from dataclasses import field
from pathlib import Path
from typing import Any

from engine.connectors.base import ConnectorPlan
from engine.connectors.compile import compile_connector
from engine.errors import Diagnostic, Loc
from engine.project.discover import (  # noqa: F401  (discover and display: re-exported)
    confined, discover, display, extra_connector_dirs, project_files)
from engine.util.resources import shipped_connectors_dir
from engine.schema.validate import error_to_diagnostics, schema_errors, validate_doc
from engine.util.suggest import hint_for
from engine.spec.yamlsrc import YamlDoc, load_bytes, load_file
from engine.util.fileio import read_bytes
from engine.util.records import mutable

SECTIONS = ("endpoints", "lookups", "flows")


@mutable
class Item:
    """A named definition (endpoint, lookup or flow) and where it was written."""

    kind: str
    name: str
    data: Any
    doc: YamlDoc
    path: tuple

    def loc(self, *sub) -> Loc:
        return self.doc.loc(self.path + sub)

    def key_loc(self, *sub) -> Loc:
        return self.doc.key_loc(self.path + sub)

    @property
    def file(self) -> str:
        return self.doc.file

    @property
    def base_dir(self) -> Path:
        return Path(self.doc.file).parent


@mutable
class Connector:
    """A connector definition an endpoint uses, with the endpoint's override applied."""

    name: str
    data: dict  # the mapping under `connector:`, with the endpoint's override applied
    doc: YamlDoc
    plan: ConnectorPlan | None = None  # compiled (None when the definition has errors)
    override: Item | None = None  # the endpoint whose `override` changed the definition

    def loc(self, *sub) -> Loc:
        """Where a part of the definition is written: in the project's override when it comes from
        there, else in the shared connector file."""
        if self.override is not None and _has_path(self.override.data.get("override"), sub):
            return self.override.loc("override", *sub)
        return self.doc.loc(("connector",) + sub)


@mutable
class Project:
    """A loaded project: its documents, endpoints, flows, lookups and connectors."""

    root: Path
    docs: list[YamlDoc] = field(default_factory=list)
    endpoints: dict[str, Item] = field(default_factory=dict)
    lookups: dict[str, Item] = field(default_factory=dict)
    flows: dict[str, Item] = field(default_factory=dict)
    connectors: dict[str, Connector] = field(default_factory=dict)  # by endpoint name
    settings: dict = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    broken: set = field(default_factory=set)  # (section, name) with schema errors inside
    unreadable: list[str] = field(default_factory=list)  # files that could not be read as YAML

    def names_may_be_missing(self) -> bool:
        """A file that could not be read may define the endpoints or lookups others name: an unknown
        name is then no mistake of its own (the file's error says what to fix)."""
        return bool(self.unreadable)

    def section(self, name: str) -> dict[str, Item]:
        return getattr(self, name)


class ConnectorStore:
    """Loads and caches connector definition files (each validated once)."""

    def __init__(self, extra_dirs: list[Path] | None = None):
        self.extra_dirs = extra_connector_dirs(extra_dirs)
        self._cache: dict[Path, tuple[Any, YamlDoc, ConnectorPlan | None]] = {}  # path -> (bytes, doc, plan)

    def search_dirs(self, project_root: Path) -> list[Path]:
        return [project_root / "connectors", *self.extra_dirs, shipped_connectors_dir()]

    def available(self, project_root: Path) -> list[str]:
        names: set[str] = set()
        for folder in self.search_dirs(project_root):
            if folder.is_dir():
                names.update(p.stem for p in folder.glob("*.yaml"))
        return sorted(names)

    def find(self, name: str, project_root: Path) -> Path | None:
        for folder in self.search_dirs(project_root):
            for ext in (".yaml", ".yml"):
                candidate = folder / f"{name}{ext}"
                if candidate.is_file():
                    return candidate
        return None

    def load(self, path: Path) -> YamlDoc:
        """The parsed, schema-checked and compiled connector file; parsed again when its content changed
        (``serve`` keeps one store while a consultant edits a project's own connectors). The cache is
        keyed by the bytes read — not the file's date and size — so a hot reload building from pinned
        bytes (``engine.util.fileio.pinned``) never gets a definition parsed from other bytes."""
        key = path.resolve()
        try:
            raw: bytes | None = read_bytes(key)
        except OSError:
            raw = None
        version = raw  # the bytes themselves (a digest would cost OpenSSL's start-up to every validate)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == version and version is not None:
            return cached[1]
        name = display(path)
        doc = load_bytes(raw, name) if raw is not None else load_file(path, display_name=name)
        plan = None
        if doc.ok:
            doc.diagnostics += validate_doc(doc, "connector.schema.json")
            data = doc.data.get("connector") if isinstance(doc.data, dict) else None
            if isinstance(data, dict) and data.get("name") not in (None, path.stem):
                doc.diagnostics.append(Diagnostic(
                    "connector-name", f"connector name '{data.get('name')}' differs from its file "
                    f"name '{path.stem}'", doc.loc(("connector", "name")), "connector.name",
                    f"name it '{path.stem}': projects find connectors by file name"))
            if doc.ok and isinstance(data, dict):
                shared = Connector(str(data.get("name")), data, doc)
                doc.diagnostics += compile_definition(shared)
                plan = shared.plan
        self._cache[key] = (version, doc, plan)
        return doc

    def plan(self, path: Path) -> ConnectorPlan | None:
        """The compiled definition of a connector file as shipped (no override)."""
        self.load(path)
        return self._cache[path.resolve()][2]


def _has_path(data: Any, path: tuple) -> bool:
    for step in path:
        if isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]  # an override's list replaces the shipped one whole: its items are its own
            continue
        if not isinstance(data, dict) or step not in data:
            return False
        data = data[step]
    return True


def compile_definition(connector: Connector) -> list[Diagnostic]:
    """Compile ``connector.data`` into ``connector.plan``; returns the located problems."""
    plan, diags = compile_connector(connector.data, lambda path: connector.loc(*path))
    connector.plan = plan if not any(d.is_error for d in diags) else None
    return diags


def is_connector_doc(doc: YamlDoc) -> bool:
    return isinstance(doc.data, dict) and "connector" in doc.data


def load_project(root: Path, docs: list[YamlDoc] | None = None,
                 store: ConnectorStore | None = None) -> Project:
    """Parse, schema-check and merge the project in folder ``root`` (nothing is compiled here)."""
    store = store or ConnectorStore()
    project = Project(root=root)
    if docs is None:
        docs = [load_file(p, display_name=display(p)) for p in project_files(root)]
    for doc in docs:
        if is_connector_doc(doc):
            continue
        project.docs.append(doc)
        project.diagnostics += doc.diagnostics
        if not doc.ok:
            project.unreadable.append(doc.file)
            continue
        if doc.data is None:
            continue
        schema_diags = validate_doc(doc, "project.schema.json", skip=_reported_by_checks)
        project.diagnostics += schema_diags
        _merge(project, doc, schema_diags)
    if not project.docs:
        project.diagnostics.append(Diagnostic(
            "empty-project", "no project files (*.yaml with endpoints, lookups or flows) here",
            Loc(display(root), 1, 1)))
    for name, item in project.endpoints.items():
        connector = resolve_connector(item, project, store)
        if connector is not None:
            project.connectors[name] = connector
    return project


def _reported_by_checks(error) -> bool:
    """Transform pipelines are checked by the compiler, with better messages than the schema's."""
    schema_path = list(error.absolute_schema_path)
    return any(a == "properties" and b in ("transform", "their") for a, b in zip(schema_path, schema_path[1:]))


def _merge(project: Project, doc: YamlDoc, schema_diags: list[Diagnostic]) -> None:
    data = doc.data if isinstance(doc.data, dict) else {}
    broken_paths = {d.path for d in schema_diags}
    settings = data.get("project")
    if isinstance(settings, dict):
        project.settings.update(settings)
        state_dir = settings.get("state_dir")
        if isinstance(state_dir, str) and state_dir and not confined(project.root, project.root / state_dir):
            project.diagnostics.append(Diagnostic(
                "outside-project", f"state_dir '{state_dir}' is outside the project folder (symbolic links "
                "followed)", doc.loc(("project", "state_dir")), "project.state_dir",
                "name a folder of the project (default .passerelle); to keep the state elsewhere, run "
                "with --state DIR"))
    for section in SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        kind = section[:-1]
        for name, value in entries.items():
            item = Item(kind, name, value, doc, (section, name))
            existing = project.section(section).get(name)
            if existing is not None:
                project.diagnostics.append(Diagnostic(
                    "duplicate-name", f"{kind} '{name}' is defined twice (first in {existing.file} "
                    f"line {existing.key_loc().line})", item.key_loc(), f"{section}.{name}",
                    "rename one of them or remove the copy"))
                continue
            prefix = f"{section}.{name}"
            if any(p == prefix or p.startswith(prefix + ".") or p.startswith(prefix + "[")
                   for p in broken_paths):
                project.broken.add((section, name))
            project.section(section)[name] = item


def resolve_connector(endpoint: Item, project: Project, store: ConnectorStore) -> Connector | None:
    data = endpoint.data if isinstance(endpoint.data, dict) else {}
    name = data.get("use")
    if not isinstance(name, str):
        return None
    if any(char in name for char in "/\\\x00") or name.startswith("."):
        project.diagnostics.append(Diagnostic(
            "outside-project", f"'{name}' is a path: `use` takes the name of a connector definition",
            endpoint.loc("use"), f"endpoints.{endpoint.name}.use",
            "write the name alone (use: prestashop); a project's own definitions go in its connectors/ folder"))
        return None
    path = store.find(name, project.root)
    if path is None:
        project.diagnostics.append(Diagnostic(
            "unknown-connector", f"no connector definition named '{name}'", endpoint.loc("use"),
            f"endpoints.{endpoint.name}.use", hint_for(name, store.available(project.root), "connectors")))
        return None
    if path.parent == project.root / "connectors" and not confined(project.root, path):
        project.diagnostics.append(Diagnostic(
            "outside-project", f"connectors/{path.name} is a link leading outside the project folder: refused",
            endpoint.loc("use"), f"endpoints.{endpoint.name}.use",
            "copy the definition into the project's connectors/ folder, or name its folder in "
            "PASSERELLE_CONNECTORS"))
        return None
    doc = store.load(path)
    if doc.diagnostics:
        project.diagnostics += [d for d in doc.diagnostics if d not in project.diagnostics]
    if not doc.ok or not isinstance(doc.data, dict) or not isinstance(doc.data.get("connector"), dict):
        project.diagnostics.append(Diagnostic(
            "broken-connector", f"connector '{name}' ({doc.file}) has errors", endpoint.loc("use"),
            f"endpoints.{endpoint.name}.use"))
        return None
    merged = doc.data["connector"]
    override = data.get("override")
    if not isinstance(override, dict):
        return Connector(name, merged, doc, store.plan(path))
    merged = deep_merge(merged, override)
    bad = schema_errors("connector.schema.json", {"connector": merged})
    for error in bad:
        for diag in error_to_diagnostics(error, doc, ()):
            project.diagnostics.append(Diagnostic(
                "bad-override", f"after override: {diag.message}", endpoint.loc("override"),
                f"endpoints.{endpoint.name}.override", diag.hint))
    if bad:
        return None  # never build on a connector of the wrong shape: the errors above say why
    connector = Connector(name, merged, doc, override=endpoint)
    project.diagnostics += compile_definition(connector)
    return connector


def deep_merge(base: Any, override: Any) -> Any:
    """A new value: ``override`` merged into ``base`` (mappings recursively; other values replace)."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return result
    return copy.deepcopy(override)
