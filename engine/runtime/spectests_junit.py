"""The JUnit XML report of ``passerelle test --format junit``, as CI systems read it: one
``<testsuite>`` per test file, one ``<testcase>`` per test (``classname`` the flow), a ``<failure>`` whose
message is the first failure and whose text is every failure with its differences. A test file that
is invalid is one ``<testcase>`` with an ``<error>`` (its located diagnostics)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from engine.errors import format_diagnostics
from engine.runtime.spectests import SuiteReport


def _clean(text: str) -> str:
    """Text XML 1.0 can hold (control characters a record may carry are shown escaped)."""
    return "".join(c if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD
                   or ord(c) >= 0x10000 else f"\\x{ord(c):02x}" for c in text)


def junit_xml(report: SuiteReport) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", name="passerelle test")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    broken: dict[str, list] = {}
    for diagnostic in report.diagnostics:
        if diagnostic.is_error:
            broken.setdefault(diagnostic.loc.file if diagnostic.loc else "tests", []).append(diagnostic)
    for name, diagnostics in broken.items():
        suite = ET.SubElement(root, "testsuite", name=name, tests="1", failures="0", errors="1", skipped="0",
                              time="0.000", timestamp=stamp)
        case = ET.SubElement(suite, "testcase", classname="passerelle.test", name=f"{name} is a valid test file",
                             time="0.000", file=name)
        text = _clean(format_diagnostics(diagnostics))
        error = ET.SubElement(case, "error", message=text.splitlines()[0], type="invalid-test-file")
        error.text = text
        totals["tests"] += 1
        totals["errors"] += 1
    for found in report.files:
        failed = sum(not r.passed for r in found.results)
        seconds = sum(r.seconds for r in found.results)
        suite = ET.SubElement(root, "testsuite", name=found.name, tests=str(len(found.results)),
                              failures=str(failed), errors="0", skipped="0", time=f"{seconds:.3f}",
                              timestamp=stamp)
        for result in found.results:
            test = result.test
            case = ET.SubElement(suite, "testcase", classname=test.flow, name=_clean(test.name),
                                 time=f"{result.seconds:.3f}", file=found.name, line=str(test.key_loc().line))
            if result.failures:
                text = _clean("\n".join(f.text() for f in result.failures))
                failure = ET.SubElement(case, "failure", message=text.splitlines()[0], type="test-failed")
                failure.text = text
        totals["tests"] += len(found.results)
        totals["failures"] += failed
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{report.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["junit_xml"]
