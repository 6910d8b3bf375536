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
