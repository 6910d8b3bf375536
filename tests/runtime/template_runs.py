"""Helpers of the shipped templates' end-to-end tests: run one flow of a copied template with
``passerelle run --flow`` against the simulators and read its summary line as numbers. (The other
``test_example_*`` files hold their own copy of these lines: they can switch to this module.)"""
from __future__ import annotations

import re
from pathlib import Path

from runtime_support import cli

SUMMARY = re.compile(r"^(?P<flow>\w+): (?P<read>\d+) read, (?P<created>\d+) created, (?P<updated>\d+) updated, "
                     r"(?P<skipped>\d+) skipped, (?P<failed>\d+) failed, (?P<acked>\d+) acknowledged"
                     r"(?:, (?P<found>\d+) found)?", re.M)


def command(project: Path, state: str, env: dict, monkeypatch, *argv: str, code: int = 0) -> tuple[str, str]:
    """``passerelle ARGV PROJECT --state STATE``: (stdout, stderr), the exit code checked."""
    got, out, err = cli([*argv, str(project), "--state", state], env, monkeypatch)
    assert got == code, err
    return out, err


def run_flow(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    """``passerelle run --flow FLOW``: its summary as numbers (``found`` 0 when not printed)."""
    _, err = command(project, state, env, monkeypatch, "run", "--flow", flow, code=code)
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    return {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}
