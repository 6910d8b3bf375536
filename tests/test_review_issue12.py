"""Adversarial review of the consultant's workflow (issue 12): `init`, `test`, `docs` used the wrong way
by a consultant who never saw the tool. Each test pins down one bug found, fixed beside it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import ROOT, run_cli

PRESTASHOP = ROOT / "specs" / "examples" / "prestashop-sage100"


def _project(tmp_path: Path, tests: dict[str, str]) -> Path:
    project = tmp_path / "client"
    shutil.copytree(PRESTASHOP, project, ignore=shutil.ignore_patterns("tests"))
    (project / "tests").mkdir()
    for name, text in tests.items():
        (project / "tests" / name).write_text(text, encoding="utf-8")
    return project


def test_init_into_a_path_under_a_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    code, out, err = run_cli(["init", str(tmp_path / "afile" / "acme"), "--template", "prestashop-sage100"],
                             tmp_path)
    assert code == 1, out + err
    assert "internal error" not in err and "error[init]" in err
    assert "afile" in err


def test_docs_with_an_output_folder_that_is_a_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "mapping").write_text("x", encoding="utf-8")
    code, out, err = run_cli(["docs", str(PRESTASHOP), "--out", str(tmp_path / "mapping")], tmp_path)
    assert code == 1, out + err
    assert "internal error" not in err and "error[docs]" in err and "mapping" in err
    code, out, err = run_cli(["docs", str(PRESTASHOP), "--out", str(tmp_path / "mapping" / "sub")], tmp_path)
    assert code == 1 and "internal error" not in err and "error[docs]" in err


DUPLICATE_KEYS = """\
tests:
  - name: two records with one key
    flow: prices_to_shop
    input:
      - { Reference: MUG-CLASSIC, PrixVente: "8" }
      - { Reference: MUG-CLASSIC, PrixVente: "huit" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
    expect:
      MUG-CLASSIC:
        equals: { id: 27, price: 8 }
"""


def test_every_record_of_an_expected_key_is_checked_not_only_the_first(tmp_path):
    """The second record of the key is rejected: the expectation does not hold for it, the test fails."""
    project = _project(tmp_path, {"dup.yaml": DUPLICATE_KEYS})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 1, out + err
    assert "FAIL" in out and "record 2 of 2 with this key" in out and "cannot read 'huit'" in out


ANCHORED = """\
tests:
  - name: holds the anchor
    flow: prices_to_shop
    input:
      - { Reference: MUG-CLASSIC, PrixVente: "8.3333333" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
    expect:
      MUG-CLASSIC: &price   # shared with the next test
        equals:
          id: 27
          price: 9
  - name: uses the anchor
    flow: prices_to_shop
    input:
      - { Reference: MUG-CLASSIC, PrixVente: "9" }
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
    expect:
      MUG-CLASSIC: *price
"""


def test_update_never_removes_an_anchor_another_test_uses(tmp_path):
    """Replacing the block that defines ``&price`` left ``*price`` dangling: the file no longer parsed."""
    project = _project(tmp_path, {"anchored.yaml": ANCHORED})
    code, out, err = run_cli(["test", str(project), "--update"], tmp_path)
    assert "unknown alias" not in out + err and "yaml-syntax" not in out + err
    assert (project / "tests" / "anchored.yaml").read_text(encoding="utf-8") == ANCHORED
    assert "&price" in err and "left as it is" in err
    assert code == 1 and "1 of 2 test(s) passed" in err


def test_an_expression_ending_or_starting_with_a_literal_is_one_code_span_in_markdown_and_html():
    """``closed == `false``` closed the double-backtick span one backtick early (a stray ` in the HTML
    page, no code span at all in the Markdown)."""
    from markdown_it import MarkdownIt

    from engine.mapdoc.exprwords import condition
    from engine.mapdoc.html import inline

    for expr in ("!contains(tags, 'x') && closed == `false`", "`0` < length(tags[?a])"):
        words = condition(expr)
        assert inline(words) == f"<code>{expr.replace('&', '&amp;').replace(chr(39), '&#x27;').replace('<', '&lt;')}</code>"
        rendered = MarkdownIt("commonmark").renderInline(words)
        assert rendered.startswith("<code>") and rendered.endswith("</code>") and rendered.count("<code>") == 1, rendered


def test_init_next_step_command_works_as_printed_for_a_folder_with_quotes_and_a_colon(tmp_path):
    import shlex

    target = tmp_path / 'ACME "Bougies": 2025'
    code, out, err = run_cli(["init", str(target), "--template", "prestashop-sage100", "--name",
                              'ACME "Bougies": n°1'], tmp_path)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("next: "))
    words = shlex.split(line[len("next: "):])
    assert words == ["passerelle", "validate", str(target), "&&", "passerelle", "test", str(target)]
    code, out, err = run_cli(["validate", str(target)], tmp_path)
    assert code == 0, out + err


def test_a_wrong_flow_name_is_reported_with_the_schema_errors_of_the_same_file(tmp_path):
    """Every error at once: a misspelt key elsewhere in the file hid the unknown flow until it was fixed."""
    text = """\
tests:
  - name: a typo in a key
    flow: prices_to_shop
    inputs: [{ Reference: MUG-CLASSIC, PrixVente: "8" }]
  - name: a wrong flow name
    flow: price_to_shop
    input: [{ Reference: MUG-CLASSIC, PrixVente: "8" }]
"""
    project = _project(tmp_path, {"mistakes.yaml": text})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 1
    assert "mistakes.yaml:4:5: error[unknown-key]" in out
    assert "mistakes.yaml:6:11: error[unknown-flow]" in out and "prices_to_shop" in out


def test_the_summary_counts_the_errors_it_prints(tmp_path):
    text = "tests:\n  - 3\n  - flow: 4\n"
    project = _project(tmp_path, {"bad.yaml": text})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    shown = sum(" error[" in line for line in out.splitlines())
    assert code == 1 and shown >= 3
    assert f", {shown} error(s) in test files" in err


ABSENT = """\
tests:
  - name: absent paths
    flow: prices_to_shop
    input: [{ Reference: MUG-CLASSIC, PrixVente: "8" }]
    related:
      products: [{ id: 27, reference: MUG-CLASSIC }]
    expect:
      MUG-CLASSIC:
        absent: [ABSENT]
"""


@pytest.mark.parametrize("path, verdict", [
    ("wholesale_price", "no entry of the flow's map produces this field"),  # a typo can never fail: said so
    ("pric", "no entry of the flow's map produces this field"),
    ("doc..x", "is not a field path"),
    ("price", "expected absent, got 8"),
])
def test_an_absent_path_the_map_never_produces_or_malformed_fails_the_test(tmp_path, path, verdict):
    project = _project(tmp_path, {"absent.yaml": ABSENT.replace("ABSENT", path)})
    code, out, err = run_cli(["test", str(project)], tmp_path)
    assert code == 1 and verdict in out, out + err


@pytest.mark.parametrize("where", ["missing/dir/report.xml", "."])
def test_a_report_that_cannot_be_written_is_an_error_before_the_tests_run(tmp_path, where):
    """`--output` into a folder that does not exist, or naming a folder, was an internal error after the run."""
    code, out, err = run_cli(["test", str(PRESTASHOP), "--format", "junit", "--output", str(tmp_path / where)],
                             tmp_path)
    assert code == 1 and "internal error" not in err, err
    assert f"error[output] cannot write the report to {tmp_path / where}" in err and "passed" not in err
