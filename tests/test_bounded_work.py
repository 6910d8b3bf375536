"""Unbounded work from a spec or from data ends in a located error, never a hang or a MemoryError: a
backtracking regular expression on one shop value (a record error naming the field, within a bounded
time), widths beyond their maximum (`validate`)."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from engine.errors import TransformError
from engine.lang.builtins import default_registry
from engine.lang.context import SimpleContext
from engine.lang.patterns import TIMEOUT
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
    assert "internal-error" not in out and "internal error" not in err
    return out


def test_a_backtracking_regex_is_stopped_on_one_value(tmp_path):
    project = copy_project(tmp_path)
    _, line = _add_fields(project, [
        f'        Cleaned: {{ from: reference, transform: [{{ regex_replace: {{ pattern: "{BACKTRACKING}", '
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
                     r"field doc\.Cleaned: regular expression .* was stopped", failure), failure
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
