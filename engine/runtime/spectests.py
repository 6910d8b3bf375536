"""``passerelle test``: spec unit tests kept in a project (``PROJECT/tests/*.yaml``).

Each test sends records through one flow of the project's compiled plan, along the one per-record path
of :mod:`engine.runtime.pipeline` (type -> join -> let -> filter -> reject -> map -> contract -> JSON),
as ``dry-run --input`` does — fully offline: no endpoint is opened, no environment variable resolved,
the state is neither read nor written (the ``xref`` transform finds only the pairs the test lists).
Then each record's payload, rejection or skip is compared with the test's expectations; a failure is
located at the test file's line, with a field-by-field difference.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, Loc, SpecError
from engine.lang.xref import bound
from engine.plan.compile import compile_project
from engine.plan.load import select_flow
from engine.plan.model import FlowPlan, Plan
from engine.plan.related import RelatedData
from engine.project.load import ConnectorStore, Project, display, load_project
from engine.runtime.pipeline import Joiner, Outcome, records, typed_rows
from engine.runtime.spectests_diff import Difference, absent, differences, show
from engine.runtime.spectests_fixtures import (FixedXref, FixtureError, plan_with_lookups, records_of,
                                               time_zone, unknown_related)
from engine.runtime.spectests_load import (Expectation, SpecTest, SpecTestFile, load_spec_test_file,
                                           reason_of, spec_test_files)
from engine.runtime.xref_store import flows_by_type

PAGE = 100


@dataclass
class Failure:
    """One way a test failed: located in the test file, with the differences (if any) below."""

    loc: Loc
    flow: str
    key: str | None
    message: str
    details: list[str] = field(default_factory=list)
    code: str = "test-failed"  # or what made the test's input unusable (test-input, unknown-lookup...)

    def text(self) -> str:
        record = f" record {self.key}" if self.key is not None else ""
        lines = [f"{self.loc}: error[{self.code}] {self.flow}{record}: {self.message}"]
        lines += [f"    {line}" for line in self.details]
        return "\n".join(lines)


@dataclass
class Actual:
    """What one record gave: ``kind`` payload, rejected or skipped."""

    key: str
    kind: str
    value: Any  # the payload (JSON values, exact decimals), or the rejection's reason


@dataclass
class SpecTestResult:
    test: SpecTest
    failures: list[Failure] = field(default_factory=list)
    actual: list[Actual] = field(default_factory=list)  # in input order
    failed_keys: set[str] = field(default_factory=set)  # expectations that failed (for --update)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class FileResult:
    file: SpecTestFile
    results: list[SpecTestResult] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.file.doc.file


@dataclass
class SuiteReport:
    files: list[FileResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # invalid test files
    seconds: float = 0.0

    @property
    def results(self) -> list[SpecTestResult]:
        return [r for f in self.files for r in f.results]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics) and all(r.passed for r in self.results)


def run_suite(root: Path, store: ConnectorStore | None = None, flow: str | None = None) -> SuiteReport:
    """Load and compile the project once, then run every test of ``root/tests`` (of ``flow`` only)."""
    started = time.perf_counter()
    project = load_project(root, store=store or ConnectorStore())
    plan, diags = compile_project(project)
    if plan is None:
        raise SpecError(diags)
    if flow is not None:
        select_flow(plan, flow)  # an unknown flow: error[unknown-flow] with a did-you-mean
    report = SuiteReport()
    paths = spec_test_files(root)
    if not paths:
        report.diagnostics.append(Diagnostic("no-tests", "no test file (tests/*.yaml) in this project",
                                             Loc(display(root), 1, 1),
                                             hint="write one (docs/testing.md); `passerelle test --update` "
                                                  "fills in what the records give"))
    for path in paths:
        loaded = load_spec_test_file(path, set(plan.flows))
        report.diagnostics += loaded.diagnostics
        if not loaded.ok:
            continue
        found = FileResult(loaded)
        for test in loaded.tests:
            if flow is None or test.flow == flow:
                found.results.append(run_test(project, plan, test))
        report.files.append(found)
    report.seconds = time.perf_counter() - started
    return report


def run_test(project: Project, base: Plan, test: SpecTest) -> SpecTestResult:
    started = time.perf_counter()
    result = SpecTestResult(test)
    try:
        plan = plan_with_lookups(project, base, test)
        flow = plan.flows[test.flow]
        outcomes = _outcomes(plan, flow, test)
    except FixtureError as exc:
        result.failures.append(Failure(exc.loc, test.flow, None, str(exc), code=exc.code))
        result.seconds = time.perf_counter() - started
        return result
    _judge(result, flow, outcomes)
    result.seconds = time.perf_counter() - started
    return result


def _outcomes(plan: Plan, flow: FlowPlan, test: SpecTest) -> list[Outcome]:
    bad = unknown_related(test, flow)
    if bad:
        raise FixtureError(bad[0].message + (f" ({bad[0].hint})" if bad[0].hint else ""),
                           bad[0].loc or test.key_loc("related"), bad[0].code)
    source = records_of(test, plan, flow, test.data["input"], flow.source_resource, ("input",))
    given = test.data.get("related") or {}
    related = RelatedData()
    for resource in dict.fromkeys(spec.resource for spec in flow.related):
        rows = records_of(test, plan, flow, given[resource], resource, ("related", resource)) \
            if resource in given else []
        related.add(resource, typed_rows(flow.types.get(resource), rows))
    resolver = FixedXref(test.data.get("xref") or [], flows_by_type(plan))
    remaining = iter(source)
    pages = iter(lambda: list(islice(remaining, PAGE)), [])
    with time_zone(test.data.get("tz")), bound(resolver):
        return list(records(flow, pages, Joiner(preloaded=related)))


def _actual(outcome: Outcome) -> Actual:
    if outcome.error is not None:
        return Actual(outcome.key, "rejected", outcome.error)
    if outcome.skipped:
        return Actual(outcome.key, "skipped", None)
    return Actual(outcome.key, "payload", json.loads(outcome.payload_json or "null", parse_float=Decimal))


def _said(actual: Actual) -> str:
    if actual.kind == "rejected":
        return f"it was rejected: {actual.value.detail}"
    if actual.kind == "skipped":
        return "the flow's filter left it out (skipped)"
    return f"it gave a payload: {show(actual.value)}"


def _judge(result: SpecTestResult, flow: FlowPlan, outcomes: list[Outcome]) -> None:
    test = result.test
    by_key: dict[str, Actual] = {}
    every: dict[str, list[Actual]] = {}  # several records may share a key: the expectation holds for each
    for outcome in outcomes:
        actual = _actual(outcome)
        result.actual.append(actual)
        by_key.setdefault(actual.key, actual)
        every.setdefault(actual.key, []).append(actual)
    expected_keys = {e.key for e in test.expectations}
    for expectation in test.expectations:
        same_key: list[Actual | None] = [*every.get(expectation.key, [])] or [None]
        for position, found in enumerate(same_key, 1):
            failure = _check(test, flow, expectation, found, by_key)
            if failure is not None:
                if len(same_key) > 1:
                    failure.message += f" (record {position} of {len(same_key)} with this key)"
                result.failures.append(failure)
                result.failed_keys.add(expectation.key)
                break
    if not test.has_expect:
        result.failures.append(Failure(test.key_loc("name"), flow.name, None,
                                       f"test '{test.name}' has no `expect` ({len(outcomes)} record(s) mapped)",
                                       ["run `passerelle test PROJECT --update` to write what the records give, "
                                        "then review it"]))
        return
    for actual in result.actual:  # a rejection nobody expected is a failure
        if actual.kind == "rejected" and actual.key not in expected_keys:
            result.failures.append(Failure(test.key_loc("expect"), flow.name, actual.key,
                                           f"rejected, and the test expects nothing of it: {actual.value.detail}"))
            result.failed_keys.add(actual.key)


def _check(test: SpecTest, flow: FlowPlan, expectation: Expectation, actual: Actual | None,
           by_key: dict[str, Actual]) -> Failure | None:
    where = test.doc.key_loc(expectation.path)
    data = expectation.data
    if actual is None:
        keys = ", ".join(list(by_key)[:10]) or "none"
        return Failure(where, flow.name, expectation.key, f"no input record has this key (keys: {keys})")
    if "skipped" in data:
        return None if actual.kind == "skipped" else \
            Failure(where, flow.name, actual.key, f"expected skipped by the filter, but {_said(actual)}")
    if "rejected" in data:
        if actual.kind != "rejected":
            return Failure(where, flow.name, actual.key, f"expected rejected, but {_said(actual)}")
        mode, text, field_ = reason_of(data["rejected"])
        error = actual.value
        ok = (text in error.detail) if mode == "contains" else (text == error.reason)
        if ok and (field_ is None or field_ == error.field):
            return None
        wanted = f"a reason {'containing' if mode == 'contains' else 'equal to'} {text!r}" + \
                 (f" on field {field_}" if field_ is not None else "")
        return Failure(test.doc.loc(expectation.path + ("rejected",)), flow.name, actual.key,
                       f"rejected with another reason: expected {wanted}",
                       [f"got: {error.detail}"])
    if actual.kind != "payload":
        return Failure(where, flow.name, actual.key, f"expected a payload, but {_said(actual)}")
    found: list[tuple[str, Difference]] = []
    if "equals" in data:
        found += [("equals", d) for d in differences(data["equals"], actual.value)]
    if "contains" in data:
        found += [("contains", d) for d in differences(data["contains"], actual.value, subset=True)]
    if "absent" in data:
        mapped = flow.item.data.get("map") if isinstance(flow.item.data, dict) else None
        found += [("absent", d) for d in absent(data["absent"], actual.value, mapped)]
    if not found:
        return None
    locs = [test.doc.loc(expectation.path + (check,) + d.at) for check, d in found]
    checks = sorted({check for check, _ in found}, key=("equals", "contains", "absent").index)
    details = [f"{d.line()}  (line {loc.line})" for (_, d), loc in zip(found, locs)]
    return Failure(locs[0], flow.name, actual.key,
                   f"the payload differs from `{'`, `'.join(checks)}` ({len(found)} difference(s))", details)


__all__ = ["Actual", "Failure", "FileResult", "SuiteReport", "SpecTestResult", "run_suite", "run_test"]
