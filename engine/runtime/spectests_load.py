"""Spec test files (``PROJECT/tests/*.yaml``): read with every value located, checked against
``schemas/spectest.schema.json`` (the single source of truth of the test language), all errors at once.

Nothing here runs a test: :mod:`engine.runtime.spectests` does, through the flow's compiled plan.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, Loc
from engine.project.load import display
from engine.schema.validate import validate_doc
from engine.spec.yamlsrc import YamlDoc, load_file

SCHEMA = "spectest.schema.json"
PAYLOAD_CHECKS = ("equals", "contains", "absent")


@dataclass
class Expectation:
    """What one record must give (``key`` as text), and where the test writes it."""

    key: str
    data: dict
    path: tuple  # inside the test file: ("tests", i, "expect", key)


@dataclass
class SpecTest:
    """One test of a file: a flow, its input, the fixtures, the expectations."""

    name: str
    flow: str
    data: dict
    doc: YamlDoc
    index: int
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def path(self) -> tuple:
        return ("tests", self.index)

    def loc(self, *sub) -> Loc:
        return self.doc.loc(self.path + sub)

    def key_loc(self, *sub) -> Loc:
        return self.doc.key_loc(self.path + sub)

    @property
    def base_dir(self) -> Path:
        return Path(self.doc.file).parent

    @property
    def has_expect(self) -> bool:
        return "expect" in self.data


@dataclass
class SpecTestFile:
    doc: YamlDoc
    tests: list[SpecTest] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def spec_test_files(project: Path) -> list[Path]:
    """The test files of a project: ``tests/*.yaml`` (and ``*.yml``), sorted."""
    folder = project / "tests"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_spec_test_file(path: Path, flows: set[str] | None = None) -> SpecTestFile:
    """Parse and check one test file; ``flows``: the project's flow names (an unknown one is an error)."""
    doc = load_file(path, display_name=display(path))
    found = SpecTestFile(doc, diagnostics=list(doc.diagnostics))
    if not doc.ok:
        return found
    schema = [_worded(d) for d in validate_doc(doc, SCHEMA)]
    found.diagnostics += schema
    if schema or not isinstance(doc.data, dict):
        found.diagnostics += _unknown_flows(doc, flows)  # all at once: beside the schema's errors
        return found
    for index, data in enumerate(doc.data["tests"]):
        test = SpecTest(str(data["name"]), str(data["flow"]), data, doc, index)
        found.diagnostics += _check(test, flows)
        for key, expected in (data.get("expect") or {}).items():
            test.expectations.append(Expectation(str(key), expected, test.path + ("expect", key)))
        found.tests.append(test)
    return found


_ONE_OF = "is not valid under any of the given schemas"
_SHAPES = {"input": "a list of records, or {file: PATH} (relative to the test file)",
           "rejected": "a text the reason contains, or {contains: TEXT} / {equals: TEXT} with an optional field",
           "related": "a list of records, or {file: PATH} (relative to the test file)"}


def _worded(diagnostic: Diagnostic) -> Diagnostic:
    """A schema error of a value that may take several shapes, said with the shapes it may take."""
    if not diagnostic.message.endswith(_ONE_OF):
        return diagnostic
    parts = diagnostic.path.split(".")
    shape = _SHAPES.get(parts[-1]) or (_SHAPES["related"] if len(parts) > 1 and parts[-2] == "related" else None)
    if shape is None:
        return diagnostic
    return replace(diagnostic, message=f"expected {shape}")


def _unknown_flow(test: SpecTest, flows: set[str] | None) -> list[Diagnostic]:
    if flows is None or test.flow in flows:
        return []
    from engine.util.suggest import hint_for

    return [Diagnostic("unknown-flow", f"no flow named '{test.flow}' in the project", test.loc("flow"),
                       f"tests[{test.index}].flow", hint_for(test.flow, sorted(flows), "flows"))]


def _unknown_flows(doc: YamlDoc, flows: set[str] | None) -> list[Diagnostic]:
    """The unknown flows of a file the schema refused (its tests that name a flow as text)."""
    tests = doc.data.get("tests") if isinstance(doc.data, dict) else None
    return [d for index, data in enumerate(tests if isinstance(tests, list) else [])
            if isinstance(data, dict) and isinstance(data.get("flow"), str)
            for d in _unknown_flow(SpecTest(str(data.get("name")), data["flow"], data, doc, index), flows)]


def _check(test: SpecTest, flows: set[str] | None) -> list[Diagnostic]:
    out = _unknown_flow(test, flows)
    where = f"tests[{test.index}]"
    for key, expected in (test.data.get("expect") or {}).items():
        payload = [k for k in PAYLOAD_CHECKS if k in expected]
        for other in ("rejected", "skipped"):
            if other in expected and payload:
                out.append(Diagnostic("bad-expectation", f"`{other}` and `{payload[0]}` cannot both hold: a "
                                      f"record {'set aside' if other == 'rejected' else 'left out'} gives no payload",
                                      test.key_loc("expect", key, other), f"{where}.expect.{key}",
                                      f"keep `{other}`, or the payload checks"))
        if "rejected" in expected and "skipped" in expected:
            out.append(Diagnostic("bad-expectation", "a record is either rejected or skipped, not both",
                                  test.key_loc("expect", key, "skipped"), f"{where}.expect.{key}"))
    tz = test.data.get("tz")
    if isinstance(tz, str):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            out.append(Diagnostic("bad-value", f"unknown time zone '{tz}'", test.loc("tz"), f"{where}.tz",
                                  "an IANA name such as Europe/Paris"))
    return out


def reason_of(expected: Any) -> tuple[str, str, str | None]:
    """A `rejected` expectation as (mode, text, field): mode ``contains`` or ``equals``."""
    if isinstance(expected, str):
        return "contains", expected, None
    mode = "equals" if "equals" in expected else "contains"
    return mode, str(expected[mode]), expected.get("field")


__all__ = ["Expectation", "SpecTest", "SpecTestFile", "load_spec_test_file", "reason_of", "spec_test_files"]
