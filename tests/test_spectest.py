"""``passerelle test``: spec unit tests kept in a project (``PROJECT/tests/*.yaml``).

The shipped examples' suites pass; failures are located at the test file's line with a field-by-field
difference; invalid test files give every located error at once; the JUnit report is what a CI system
reads (checked against the JUnit XSD shape with lxml); ``--update`` rewrites only the expectations
concerned; the tests run offline (no endpoint, no state).
"""
from __future__ import annotations

import re
import shutil
import socket
import time
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from support import ROOT, run_cli

from engine.plan.validate import validate_paths
from engine.runtime.spectests import run_suite
from engine.runtime.spectests_diff import absent, differences, steps

EXAMPLES = sorted(p for p in (ROOT / "specs" / "examples").iterdir() if (p / "endpoints.yaml").is_file())
PRESTASHOP = ROOT / "specs" / "examples" / "prestashop-sage100"

# The shape of a JUnit report as Jenkins / GitLab / GitHub test reporters read it (the common subset of
# the Jenkins JUnit schema): testsuites > testsuite > testcase > failure | error.
JUNIT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence><xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="xs:decimal"/>
      <xs:attribute name="timestamp" type="xs:dateTime"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testcase">
    <xs:complexType>
      <xs:choice minOccurs="0" maxOccurs="unbounded">
        <xs:element name="failure"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">
          <xs:attribute name="message" type="xs:string"/><xs:attribute name="type" type="xs:string"/>
        </xs:extension></xs:simpleContent></xs:complexType></xs:element>
        <xs:element name="error"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">
          <xs:attribute name="message" type="xs:string"/><xs:attribute name="type" type="xs:string"/>
        </xs:extension></xs:simpleContent></xs:complexType></xs:element>
      </xs:choice>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="classname" type="xs:string"/>
      <xs:attribute name="time" type="xs:decimal"/>
      <xs:attribute name="file" type="xs:string"/>
      <xs:attribute name="line" type="xs:positiveInteger"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

PRICE_TEST = """\
# the client's price rules
tests:
  - name: a simple product's price   # keep this comment
    flow: prices_to_shop
    input:
      - { Reference: MUG-CLASSIC, PrixVente: "8.3333333" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
    expect:
      MUG-CLASSIC:
        equals:
          id: 27
          price: 8.333334
      # a comment between expectations
      OTHER: { skipped: true }

  - name: no expectation yet
    flow: prices_to_shop
    input:
      - { Reference: MUG-CLASSIC, PrixVente: "8.5" }
      - { Reference: PORT, PrixVente: "5" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
# the end
"""


def _project(tmp_path: Path, tests: dict[str, str] | None = None) -> Path:
    """A copy of the reference example (without its own tests), with ``tests`` written into it."""
    project = tmp_path / "client"
    shutil.copytree(PRESTASHOP, project, ignore=shutil.ignore_patterns("tests"))
    (project / "tests").mkdir()
    for name, text in (tests or {}).items():
        (project / "tests" / name).write_text(text, encoding="utf-8")
    return project


def _schema(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    etree.XMLSchema(etree.fromstring(JUNIT_XSD)).assertValid(root)
    return root


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_example_has_a_passing_suite(example):
    started = time.perf_counter()
    report = run_suite(example)
    seconds = time.perf_counter() - started
    failures = [f.text() for r in report.results for f in r.failures]
    assert report.ok, "\n".join(failures + [d.format_text() for d in report.diagnostics])
    flows = {r.test.flow for r in report.results}
    assert len(report.results) >= 4 and flows == set(run_suite.__globals__["load_project"](example).flows)
    kinds = {a.kind for r in report.results for a in r.actual}
    assert {"payload", "rejected", "skipped"} <= kinds  # a normal record, a rejection, a filter skip
    print(f"{example.name}: {len(report.results)} tests in {seconds * 1000:.0f} ms")


def test_every_example_suite_covers_a_lookup_miss_or_default():
    texts = "".join(p.read_text(encoding="utf-8") for e in EXAMPLES for p in (e / "tests").glob("*.yaml"))
    assert texts.count("in lookup '") >= 3  # strict tables' misses, expected as rejections
    assert "lookups:" in texts and "xref:" in texts


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_junit_report_of_each_example_reads_as_junit(example, tmp_path):
    out = tmp_path / "report.xml"
    code, _, err = run_cli(["test", str(example), "--format", "junit", "--output", str(out)], ROOT)
    assert code == 0, err
    root = _schema(out.read_bytes())
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == sorted(
        str(p.relative_to(ROOT)) for p in (example / "tests").glob("*.yaml"))
    cases = root.findall("testsuite/testcase")
    assert int(root.get("tests")) == len(cases) == sum(int(s.get("tests")) for s in suites) >= 4
    assert root.get("failures") == "0" and not root.findall(".//failure")


def test_a_failure_is_located_with_a_decimal_exact_diff(tmp_path):
    project = _project(tmp_path, {"prices.yaml": PRICE_TEST})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 1
    assert "client/tests/prices.yaml:13:18: error[test-failed] prices_to_shop record MUG-CLASSIC: the payload " \
           "differs from `equals` (1 difference(s))" in out
    assert "    price: expected 8.333334, got 8.333333  (line 13)" in out
    assert "client/tests/prices.yaml:15:7: error[test-failed] prices_to_shop record OTHER: no input record has " \
           "this key (keys: MUG-CLASSIC)" in out
    assert "client/tests/prices.yaml:17:5: error[test-failed] prices_to_shop: test 'no expectation yet' has no " \
           "`expect`" in out
    assert "FAILED: 0 of 2 test(s) passed" in err


def test_junit_failure_message_is_the_diff(tmp_path):
    project = _project(tmp_path, {"prices.yaml": PRICE_TEST})
    code, out, _ = run_cli(["test", str(project), "--format", "junit"], tmp_path)
    assert code == 1
    root = _schema(out.encode("utf-8"))
    assert root.get("tests") == "2" and root.get("failures") == "2"
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message").endswith("record MUG-CLASSIC: the payload differs from `equals` (1 difference(s))")
    assert "price: expected 8.333334, got 8.333333" in failure.text
    case = root.find("testsuite/testcase")
    assert case.get("classname") == "prices_to_shop" and case.get("line") == "3"


def test_junit_reports_read_with_a_junit_parser_as_ci_systems_do(tmp_path):
    """The report read by junitparser (what CI plugins use): suites, cases, and the failure's diff."""
    from junitparser import Failure, JUnitXml

    project = _project(tmp_path, {"prices.yaml": PRICE_TEST})
    out = tmp_path / "report.xml"
    code, _, _ = run_cli(["test", str(project), "--format", "junit", "--output", str(out)], tmp_path)
    assert code == 1
    report = JUnitXml.fromfile(str(out))
    cases = [case for suite in report for case in suite]
    assert [suite.name for suite in report] == ["client/tests/prices.yaml"] and len(cases) == 2
    failures = [result for case in cases for result in case.result if isinstance(result, Failure)]
    assert len(failures) == 2 and sum(not case.is_passed for case in cases) == 2
    assert "price: expected 8.333334, got 8.333333" in failures[0].text
    for example in EXAMPLES:  # every template's suite: all passed
        code, _, err = run_cli(["test", str(example), "--format", "junit", "--output", str(out)], ROOT)
        suites = list(JUnitXml.fromfile(str(out)))
        assert code == 0 and suites and all(case.is_passed for suite in suites for case in suite), err


def test_update_rewrites_only_the_expectations_concerned(tmp_path):
    project = _project(tmp_path, {"prices.yaml": PRICE_TEST})
    code, _, err = run_cli(["test", str(project), "--update"], tmp_path)
    text = (project / "tests" / "prices.yaml").read_text(encoding="utf-8")
    assert "updated client/tests/prices.yaml" in err
    # the failing expectation replaced, the key no record has left (its failure says so), comments kept
    assert "      MUG-CLASSIC:\n        equals:\n          id: 27\n          price: 8.333333\n" in text
    assert "  - name: a simple product's price   # keep this comment\n" in text
    assert "      # a comment between expectations\n      OTHER: { skipped: true }\n" in text
    assert text.startswith("# the client's price rules\n") and text.endswith("# the end\n")
    # the test without expectations gets them, at its end
    assert "      products: [{ id: 27, reference: MUG-CLASSIC }]\n    expect:\n      MUG-CLASSIC:\n" \
           "        equals:\n          id: 27\n          price: 8.5\n      PORT:\n        skipped: true\n# the end" in text
    assert code == 1  # OTHER still names no record: that the consultant decides
    assert "record OTHER: no input record has this key" in run_cli(["test", str(project)], tmp_path)[1]
    (project / "tests" / "prices.yaml").write_text(text.replace("      OTHER: { skipped: true }\n", ""))
    assert run_cli(["test", str(project)], tmp_path)[0] == 0
    before = (project / "tests" / "prices.yaml").read_bytes()
    assert run_cli(["test", str(project), "--update"], tmp_path)[0] == 0
    assert (project / "tests" / "prices.yaml").read_bytes() == before  # nothing to update: untouched


def test_update_writes_rejections_and_unexpected_ones(tmp_path):
    test = """tests:
  - name: stock
    flow: stock_to_shop
    input:
      - { Reference: MUG-CLASSIC, QteStock: "douze" }
      - { Reference: PORT, QteStock: "1" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
      stock_availables: [{ id: 502, id_product: 27, id_product_attribute: 0, quantity: 9 }]
    expect:
      PORT: { skipped: true }
"""
    project = _project(tmp_path, {"stock.yaml": test})
    code, out, _ = run_cli(["test", str(project)], tmp_path)
    assert code == 1 and "record MUG-CLASSIC: rejected, and the test expects nothing of it: field QteStock" in out
    assert run_cli(["test", str(project), "--update"], tmp_path)[0] == 0
    text = (project / "tests" / "stock.yaml").read_text(encoding="utf-8")
    assert "      PORT: { skipped: true }\n      MUG-CLASSIC:\n        rejected: \"field QteStock: " in text


def test_update_leaves_a_flow_style_expect_alone_and_says_so(tmp_path):
    test = """tests:
  - { name: price, flow: prices_to_shop, input: [{ Reference: A, PrixVente: "1" }],
      related: { products: [{ id: 1, reference: A }] }, expect: { A: { equals: { id: 1, price: 2 } } } }
"""
    project = _project(tmp_path, {"p.yaml": test})
    code, _, err = run_cli(["test", str(project), "--update"], tmp_path)
    assert code == 1 and "written in flow style" in err
    assert (project / "tests" / "p.yaml").read_text(encoding="utf-8") == test


def test_invalid_test_files_give_every_located_error_at_once(tmp_path):
    bad = """tests:
  - name: one
    flow: price_to_shop
    input: [{ Reference: A }]
    expect:
      A: { skipped: true, equals: {} }
  - flow: prices_to_shop
    input: { path: x.json }
    tz: Europe/Pariss
    expect:
      A: { rejected: 5, skip: true }
"""
    project = _project(tmp_path, {"bad.yaml": bad, "broken.yaml": "tests: [\n"})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 1
    found = re.findall(r"^client/tests/(\w+)\.yaml:(\d+):(\d+): error\[([\w-]+)\]", out, re.M)
    assert ("bad", "7", "5", "missing-key") in found  # `name`
    assert ("bad", "11", "25", "unknown-key") in found  # `skip`
    assert any(f[0] == "bad" and f[1] == "8" for f in found)  # `input` is neither a list nor {file}
    assert any(f[0] == "bad" and f[1] == "11" and f[3] != "unknown-key" for f in found)  # rejected: 5
    assert ("broken", "2", "1", "yaml-syntax") in found
    assert "error(s) in test files" in err


def test_semantic_errors_of_a_valid_file(tmp_path):
    bad = """tests:
  - name: one
    flow: price_to_shop
    input: [{ Reference: A }]
    tz: Europe/Pariss
    expect:
      A: { skipped: true, equals: {} }
"""
    project = _project(tmp_path, {"bad.yaml": bad})
    code, out, _ = run_cli(["test", str(project)], tmp_path)
    assert code == 1
    assert "client/tests/bad.yaml:3:11: error[unknown-flow] tests[0].flow: no flow named 'price_to_shop' in the " \
           "project\n  hint: did you mean 'prices_to_shop'?" in out
    assert "bad.yaml:5:9: error[bad-value] tests[0].tz: unknown time zone 'Europe/Pariss'" in out
    assert "bad.yaml:7:12: error[bad-expectation] tests[0].expect.A: `skipped` and `equals` cannot both hold" in out


def test_fixture_errors_are_located_failures(tmp_path):
    tests = """tests:
  - name: outside
    flow: prices_to_shop
    input: { file: ../../secret.json }
  - name: missing file
    flow: prices_to_shop
    input: { file: nope.json }
  - name: unknown lookup
    flow: prices_to_shop
    input: []
    lookups: { carrier: { map: {} } }
  - name: bad lookup
    flow: prices_to_shop
    input: []
    lookups: { carriers: { map: { a: 1 }, match: numbr } }
  - name: unknown related
    flow: prices_to_shop
    input: []
    related: { product: [] }
"""
    project = _project(tmp_path, {"f.yaml": tests})
    (tmp_path / "secret.json").write_text("[]")
    code, out, _ = run_cli(["test", str(project)], tmp_path)
    assert code == 1
    assert "f.yaml:4:20: error[test-input] prices_to_shop: '../../secret.json' is outside the project folder" in out
    assert "f.yaml:7:20: error[test-input] prices_to_shop: cannot read 'nope.json': client/tests/nope.json: file " \
           "not found" in out
    assert "f.yaml:11:16: error[unknown-lookup] prices_to_shop: the project has no lookup 'carrier' to replace " \
           "(did you mean 'carriers'?)" in out
    assert "f.yaml:15:50: error[bad-lookup] prices_to_shop: the test's lookups do not compile: unknown match mode " \
           "'numbr' in lookup 'carriers'" in out
    assert "f.yaml:19:16: error[unknown-related] prices_to_shop: flow 'prices_to_shop' joins no 'product' " \
           "records (it joins: combinations, products)" in out


def test_runs_offline_with_no_endpoint_reachable_and_no_state(tmp_path, monkeypatch):
    project = _project(tmp_path, {"prices.yaml": PRICE_TEST.split("\n  - name: no expectation")[0]
                                  .replace("8.333334", "8.333333").replace("      # a comment between "
                                                                           "expectations\n      OTHER: { skipped: true }\n", "")})
    endpoints = project / "endpoints.yaml"
    endpoints.write_text(endpoints.read_text().replace('"${env:ACME_PS_URL}"', "https://shop.unresolvable.invalid")
                         .replace('"${env:ACME_SAGE_URL}"', "https://sage.unresolvable.invalid"))
    for name in ("ACME_PS_URL", "ACME_PS_KEY", "ACME_SAGE_URL", "ACME_SAGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("passerelle test opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 0, out + err
    assert not (project / ".passerelle").exists() and not (tmp_path / ".passerelle").exists()
    assert sorted(p.name for p in project.iterdir()) == sorted(p.name for p in PRESTASHOP.iterdir())


def test_flow_option_and_unknown_flow(tmp_path):
    code, out, _ = run_cli(["test", str(PRESTASHOP), "--flow", "stock_to_shop"], ROOT)
    assert code == 0 and out.count("stock_to_shop") == 3 and "orders_to_sage" not in out
    code, _, err = run_cli(["test", str(PRESTASHOP), "--flow", "stock_to_sho"], ROOT)
    assert code == 1 and "error[unknown-flow]" in err and "did you mean 'stock_to_shop'" in err
    code, _, err = run_cli(["test", str(tmp_path / "nope")], ROOT)
    assert code == 1 and "error[not-found]" in err


def test_a_project_without_tests_fails_saying_so(tmp_path):
    project = _project(tmp_path)
    code, out, _ = run_cli(["test", str(project)], tmp_path)
    assert code == 1 and "error[no-tests] no test file (tests/*.yaml) in this project" in out


def test_validate_does_not_take_test_files_for_specs():
    report = validate_paths([ROOT / "specs" / "examples"])
    assert report.diagnostics == [] and report.projects == len(EXAMPLES)
    report = validate_paths([PRESTASHOP / "tests" / "orders_to_sage.yaml"])
    assert report.projects == 0 and [d.code for d in report.diagnostics] == ["nothing-to-validate"]


# -- the comparison itself ---------------------------------------------------------------------------

def test_numbers_compare_as_exact_decimals_and_kinds_never_mix():
    assert differences({"a": Decimal("41.90")}, {"a": Decimal("41.9")}) == []
    assert differences(20, Decimal("20.000")) == []
    assert [d.line() for d in differences({"a": Decimal("0.1")}, {"a": Decimal("0.10000000000000001")})] == \
        ["a: expected 0.1, got 0.10000000000000001"]
    assert [d.line() for d in differences({"a": "20"}, {"a": 20})] == ['a: expected "20", got 20']
    assert [d.line() for d in differences({"a": True}, {"a": 1})] == ["a: expected true, got 1"]
    assert [d.line() for d in differences({"a": None}, {})] == ["a: missing (expected null)"]


def test_contains_is_recursive_and_lists_go_by_position():
    actual = {"doc": {"a": 1, "b": 2}, "lines": [{"x": 1, "y": 2}, {"x": 3}]}
    assert differences({"doc": {"a": 1}, "lines": [{"x": 1}]}, actual, subset=True) == []
    found = differences({"lines": [{"x": 3}]}, actual, subset=True)
    assert [(d.field, d.at) for d in found] == [("lines[0].x", ("lines", 0, "x"))]
    assert [d.line() for d in differences({"lines": [{}, {}, {}]}, actual, subset=True)] == \
        ["lines[2]: missing (expected {}; the list has 2 item(s))"]
    assert [d.line() for d in differences({"doc": {"a": 1}}, {"doc": {"a": 1, "b": 2}})] == \
        ["doc.b: not expected (got 2)"]


def test_absent_paths():
    payload = {"doc": {"a": None}, "lines": [{"x": 1}]}
    assert steps("doc.Lignes[2].CodeTaxe") == ["doc", "Lignes", 2, "CodeTaxe"]
    assert steps("a..b") is None and steps("") is None
    assert [d.line() for d in absent(["doc.a", "doc.b", "lines[0].x", "lines[1]"], payload)] == \
        ["doc.a: expected absent, got null", "lines[0].x: expected absent, got 1"]
