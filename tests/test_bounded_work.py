"""Unbounded work from a spec or from data ends in a located error, never a hang, a MemoryError or a
RecursionError: a backtracking regular expression on one shop value (a record error naming the field,
within a bounded time), widths beyond their maximum (`validate`), mappings and expressions nested too
deeply (`validate`, at the line of the node too deep)."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from engine.errors import TransformError
from engine.lang.builtins import default_registry
from engine.lang.context import SimpleContext
from engine.lang.expr import MAX_DEPTH as MAX_EXPR_DEPTH
from engine.lang.patterns import TIMEOUT
from engine.plan.mapping import MAX_LIST_NESTING, MAX_NESTING
from runtime.runtime_support import EXAMPLE, copy_project
from support import ROOT, run_cli

SAMPLES = EXAMPLE / "samples"
BACKTRACKING = "^(a|aa)+$"  # exponential on "aaaa…ab" with a backtracking engine


def _add_fields(project: Path, lines: list[str]) -> tuple[str, int]:
    """Insert ``lines`` (already indented as fields of `doc`) after TotalTTC; returns the new text and
    the line number of the first one."""
    flow = project / "orders_to_sage.yaml"
    anchor = "        TotalTTC: { from: total_paid_tax_incl }\n"
    text = flow.read_text()
    first = text[:text.index(anchor) + len(anchor)].count("\n") + 1
    text = text.replace(anchor, anchor + "\n".join(lines) + "\n")
    flow.write_text(text)
    return text, first


def _validate(project: Path) -> str:
    started = time.monotonic()
    code, out, err = run_cli(["validate", str(project)], ROOT)
    assert time.monotonic() - started < 30
    assert code == 1, out + err
    assert "internal-error" not in out and "RecursionError" not in out + err and "internal error" not in err
    return out


def test_a_backtracking_regex_is_stopped_on_one_value(tmp_path):
    project = copy_project(tmp_path)
    _, line = _add_fields(project, [
        f'        SectionAnalytique: {{ from: reference, transform: [{{ regex_replace: {{ pattern: "{BACKTRACKING}", '
        'replace: "" } }] }'])
    samples = tmp_path / "samples"
    shutil.copytree(SAMPLES, samples)
    orders = samples / "orders.xml"
    orders.write_text(orders.read_text().replace("LJHRTGKAA", "a" * 5000 + "b", 1))
    started = time.monotonic()
    code, out, err = run_cli(["dry-run", str(project), "--flow", "orders_to_sage",
                              *[a for n in ("orders", "order_details", "carriers", "customers", "taxes")
                                for a in ("--input", str(samples / f"{n}.xml"))]], ROOT)
    assert time.monotonic() - started < 10 * TIMEOUT + 20
    assert code == 3, err
    failure = next(row for row in err.splitlines() if "regular expression" in row)
    assert re.search(rf"orders_to_sage\.yaml:{line}:\d+: error\[record\] flow orders_to_sage record \d+: "
                     r"field doc\.SectionAnalytique: regular expression .* was stopped", failure), failure
    assert "internal error" not in err and out.count("# orders_to_sage record") == 4  # the others mapped


def test_the_regex_bound_holds_on_a_long_value():
    fn = default_registry().get("transform", "regex_replace").factory(
        {"pattern": BACKTRACKING, "replace": ""}, SimpleContext())
    started = time.monotonic()
    with pytest.raises(TransformError, match=r"ran longer than .* s on a value of 100001 characters"):
        fn("a" * 100_000 + "b")
    assert time.monotonic() - started < 10 * TIMEOUT + 2
    assert fn("aaaa") == ""  # the pattern still works on values it can handle
    assert fn(None) is None


@pytest.mark.parametrize("transform, path", [
    ("{ pad: { width: 4000000000, char: '0' } }", "pad.width"),
    ("{ truncate: 4000000000 }", "truncate"),
])
def test_widths_have_a_maximum(tmp_path, transform, path):
    project = copy_project(tmp_path)
    _, line = _add_fields(project, [f"        Padded: {{ from: id, transform: [{transform}] }}"])
    out = _validate(project)
    assert re.search(rf"orders_to_sage\.yaml:{line}:\d+: error\[bad-argument\] "
                     rf"flows\.orders_to_sage\.map\.doc\.Padded\.transform\[0\]\.{re.escape(path)}: .*"
                     r"greater than the maximum", out), out


def test_a_when_ladder_deeper_than_the_bound_is_located_at_its_line(tmp_path):
    project = copy_project(tmp_path)
    lines, indent = ["        Deep:"], "          "
    for level in range(MAX_NESTING + 5):  # deep enough for the bound, within YAML's own 64 levels
        lines += [f'{indent}when: "id > `{level}`"', f"{indent}from: id", f"{indent}else:"]
        indent += "  "
    lines.append(f"{indent}value: 0")
    text, _ = _add_fields(project, lines)
    out = _validate(project)
    # map (1), doc (2), Deep (3): the else at level MAX_NESTING - 2 is the first node too deep
    elses = [n for n, row in enumerate(text.splitlines(), 1) if row.strip() == "else:"]
    line = elses[MAX_NESTING - 3]
    assert re.search(rf"orders_to_sage\.yaml:{line}:\d+: error\[too-deep\] flows\.orders_to_sage\.map\.doc\.Deep"
                     rf"(\.else)+: values nested more than {MAX_NESTING} levels deep", out), out
    assert out.count("error[too-deep]") == 1


def test_a_200_deep_when_built_with_aliases_is_located(tmp_path):
    project = copy_project(tmp_path)
    lines = ["        D0: &l0 { value: 0 }"]
    lines += [f'        D{i}: &l{i} {{ when: "id > `{i}`", from: id, else: *l{i - 1} }}' for i in range(1, 201)]
    text, first = _add_fields(project, lines)
    out = _validate(project)
    found = re.search(r"orders_to_sage\.yaml:(\d+):\d+: error\[too-deep\] flows\.orders_to_sage\.map\.doc\.D(\d+)", out)
    assert found, out
    line, field = int(found.group(1)), int(found.group(2))
    assert line == first + field and text.splitlines()[line - 1].startswith(f"        D{field}:"), out
    assert out.count("error[too-deep]") == 1


def test_objects_nested_with_aliases(tmp_path):
    project = copy_project(tmp_path)
    lines = ["        O0: &o0 { value: 0 }"] + [f"        O{i}: &o{i} {{ x: *o{i - 1} }}" for i in range(1, 201)]
    _add_fields(project, lines)
    out = _validate(project)
    assert "error[too-deep] flows.orders_to_sage.map.doc.O" in out, out


def test_lists_nested_too_deeply(tmp_path):
    project = copy_project(tmp_path)
    lines, indent = ["        Nest:"], "          "
    for _ in range(MAX_LIST_NESTING + 1):
        lines += [f"{indent}- each: associations.order_rows", f"{indent}  map:", f"{indent}    inner:"]
        indent += "      "
    lines.append(f"{indent}- value: 1")
    _add_fields(project, lines)
    out = _validate(project)
    assert f"lists made with `each` nested more than {MAX_LIST_NESTING} levels deep" in out, out


@pytest.mark.parametrize("expression, column", [
    ("(" * 100 + "id" + ")" * 100, MAX_EXPR_DEPTH),  # at the first bracket too deep
    (" || ".join(["id"] * 300), 0),
    ("!" * 2000 + "id", 0),
    ("length([" * 80 + "id" + "])" * 80, None),
])
def test_expressions_nested_too_deeply(tmp_path, expression, column):
    project = copy_project(tmp_path)
    text, line = _add_fields(project, [f"        Cond: {{ when: '{expression}', value: 1 }}"])
    out = _validate(project)
    found = re.search(rf"orders_to_sage\.yaml:{line}:(\d+): error\[bad-expression\] .*nested more than "
                      rf"{MAX_EXPR_DEPTH} levels deep", out)
    assert found, out
    if column is not None:  # the column of the bracket too deep, or of the expression's quote
        start = text.splitlines()[line - 1].index(expression[:10]) + 1
        assert int(found.group(1)) == (start + column if column else start - 1), out
