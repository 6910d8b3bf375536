"""Golden files: dry-run payloads and validation messages are features; review their diffs like code.

* ``tests/cases/dry_run/<case>/case.yaml`` names a project, a flow and inputs; the expected stdout
  (``--format json``) and stderr sit in ``expected/``.
* ``tests/cases/invalid/<case>/`` is a project folder with mistakes; ``expected/diagnostics.txt``
  is exactly what ``passerelle validate`` prints for it (paths relative to the case folder).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support import ROOT, check_golden, run_cli

CASES = ROOT / "tests" / "cases"


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@pytest.mark.parametrize("case", _dirs(CASES / "dry_run"), ids=lambda p: p.name)
def test_dry_run_golden(case: Path, update_golden: bool):
    spec = yaml.safe_load((case / "case.yaml").read_text())
    argv = ["dry-run", spec["project"], "--flow", spec["flow"], "--format", "json"]
    for item in spec["inputs"]:
        argv += ["--input", item]
    code, out, err = run_cli(argv, ROOT)
    assert code == spec["exit"], err
    json.loads(out)  # stdout is always one JSON array, even when records failed
    check_golden(case / "expected" / "stdout.json", out, update_golden)
    check_golden(case / "expected" / "stderr.txt", err, update_golden)


@pytest.mark.parametrize("case", _dirs(CASES / "invalid"), ids=lambda p: p.name)
def test_invalid_spec_golden(case: Path, update_golden: bool):
    project = case / "project"
    code, out, err = run_cli(["validate", "project"], case)
    assert code == 1, out + err
    check_golden(case / "expected" / "diagnostics.txt", out, update_golden)
    # every error line points into the case's own files, with a line and a column
    for line in out.splitlines():
        if line.startswith("  hint:"):
            continue
        location = line.split(": ", 1)[0]
        file, line_no, col = location.rsplit(":", 2)
        assert (case / file).is_file() or (ROOT / file).is_file(), line
        assert int(line_no) >= 1 and int(col) >= 1
    assert project.is_dir()
