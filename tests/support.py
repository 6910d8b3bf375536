"""Helpers shared by tests (imported as ``support``; conftest modules are not importable by name)."""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare ``actual`` with the golden file (or rewrite it with --update-golden)."""
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden and review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (run pytest --update-golden to rewrite, then review)"


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``passerelle ARGV`` in-process from ``cwd``; returns (exit code, stdout, stderr)."""
    from engine.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def without_contracts(*operations: str) -> dict:
    """An endpoint ``override`` dropping the contracts of ``operations``: for specs whose payloads are
    small made-up objects, testing something else than what the target accepts."""
    return {"operations": {name: {"accepts": None} for name in operations}}


def validate_connector(root: Path, connector: dict, flows: str) -> tuple[int, str]:
    """Write ``project/connectors/<name>.yaml`` and ``project/flows.yaml`` under ``root``, run ``validate``:
    it ends 0 or 1, with no traceback nor internal error, every line about the connector file located
    in it. Returns (exit code, everything printed). For robustness properties of connector keys."""
    import re

    import yaml

    name = connector["name"]
    (root / "project" / "connectors").mkdir(parents=True)
    (root / "project" / "connectors" / f"{name}.yaml").write_text(yaml.safe_dump({"connector": connector},
                                                                                 allow_unicode=True))
    (root / "project" / "flows.yaml").write_text(flows)
    code, out, err = run_cli(["validate", "project"], root)
    text = out + err
    assert code in (0, 1), text
    assert "Traceback" not in text and "internal error" not in text and "internal-error" not in text, text
    located = re.compile(rf"^project/connectors/{re.escape(name)}\.yaml:(\d+):(\d+): error\[[a-z-]+\] ")
    for line in out.splitlines():
        if line.startswith("project/connectors/"):
            assert located.match(line), line
    return code, text
