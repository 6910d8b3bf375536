"""What a spec test gives the flow instead of the live systems: its records (inline, or read from a
file with the readers of ``dry-run --input``), fixed lookup tables (a plan compiled with them), the
cross-references the ``xref`` transform finds, and the time zone. Nothing here opens an endpoint or
reads the project's state.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.connectors.codecs.instream import stream_input
from engine.connectors.codecs.records import InputError
from engine.errors import Diagnostic, Loc, OperatorError
from engine.lang.xref import XrefMissing
from engine.plan.compile import compile_project
from engine.plan.model import FlowPlan, Plan
from engine.project.load import Item, Project
from engine.runtime.dryrun import record_options, text_format
from engine.runtime.spectests_load import SpecTest
from engine.util.fileio import OutsideFolder, confine


class FixtureError(Exception):
    """A test's input that cannot be used (an unreadable file, a lookup that does not compile)."""

    def __init__(self, message: str, loc: Loc, code: str = "test-input"):
        super().__init__(message)
        self.loc, self.code = loc, code


def records_of(test: SpecTest, plan: Plan, flow: FlowPlan, given: Any, resource: str, where: tuple) -> list:
    """The raw records of one resource: written inline, or read from ``{file: PATH}`` (relative to the
    test file) as ``dry-run --input RESOURCE=PATH`` reads it."""
    if isinstance(given, list):
        return list(given)
    name = given["file"]
    path = test.base_dir / name
    loc = test.loc(*where, "file")
    try:
        confine(test.base_dir.parent, Path(test.base_dir.name) / name)
    except (OutsideFolder, OSError, ValueError):
        raise FixtureError(f"'{name}' is outside the project folder", loc) from None
    connector = plan.connectors.get(flow.source_endpoint)
    singular = {r.item: n for n, r in connector.resources.items() if r.item} if connector else {}
    rows: list = []
    try:
        for found, records in stream_input(path, name=resource, default_resource=flow.source_resource,
                                           xml_options=record_options(connector),
                                           text=text_format(connector, resource)):
            if singular.get(found, found) == resource:
                rows.extend(records)
    except (InputError, OperatorError, OSError) as exc:
        raise FixtureError(f"cannot read '{name}': {exc}", loc) from None
    return rows


def plan_with_lookups(project: Project, base: Plan, test: SpecTest) -> Plan:
    """The project's plan, or one compiled with the test's lookup tables in place of the project's."""
    given = test.data.get("lookups")
    if not given:
        return base
    tables = dict(project.lookups)
    for name, data in given.items():
        if name not in project.lookups:
            from engine.util.suggest import hint_for

            raise FixtureError(f"the project has no lookup '{name}' to replace"
                               + (f" ({hint_for(name, sorted(project.lookups), 'lookups')})"
                                  if project.lookups else ""), test.key_loc("lookups", name), "unknown-lookup")
        tables[name] = Item("lookup", name, data, test.doc, test.path + ("lookups", name))
    plan, diags = compile_project(replace(project, lookups=tables, diagnostics=list(project.diagnostics)))
    if plan is None:
        first = next(d for d in diags if d.is_error)
        raise FixtureError(f"the test's lookups do not compile: {first.message}",
                           first.loc or test.key_loc("lookups"), first.code)
    return plan


class FixedXref:
    """The ``xref`` transform's resolver for one test: the pairs it lists, nothing else."""

    def __init__(self, entries: list[dict], flows_for: dict[tuple[str, str], list[str]]):
        self.pairs: dict[tuple, list[tuple[str, str]]] = {}
        self.flows = flows_for
        for entry in entries:
            source, target = str(entry["id"]), str(entry["target"])
            to = entry.get("to", "")
            self.pairs.setdefault((entry["from"], entry["type"], source, False), []).append((target, to))
            self.pairs.setdefault((entry["from"], entry["type"], target, True), []).append((source, to))

    def translate(self, system: str, type_: str, value: str, to: str | None, reverse: bool) -> str:
        found = [answer for answer, where in self.pairs.get((system, type_, value, reverse), ())
                 if not to or not where or where == to]
        answers = sorted(set(found))
        if not answers:
            raise XrefMissing(self.flows.get((system, type_), []))
        if len(answers) > 1:
            raise XrefMissing([], f"has {len(answers)} cross-references ({', '.join(answers)})")
        return answers[0]


@contextmanager
def time_zone(name: str | None) -> Iterator[None]:
    """The process's local time zone set to ``name`` for the block (restored after)."""
    if not name or not hasattr(time, "tzset"):
        yield
        return
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def unknown_related(test: SpecTest, flow: FlowPlan) -> list[Diagnostic]:
    joined = {spec.resource for spec in flow.related}
    return [Diagnostic("unknown-related", f"flow '{flow.name}' joins no '{name}' records",
                       test.key_loc("related", name), f"tests[{test.index}].related.{name}",
                       f"it joins: {', '.join(sorted(joined))}" if joined else "it joins no related record")
            for name in (test.data.get("related") or {}) if name not in joined]


__all__ = ["FixedXref", "FixtureError", "plan_with_lookups", "records_of", "time_zone", "unknown_related"]
