"""Helpers of the shipped templates' end-to-end tests: ``passerelle COMMAND PROJECT --state STATE`` with its
exit code checked; ``SUMMARY`` and ``run_flow`` are runtime_support's (one copy)."""
from __future__ import annotations

from pathlib import Path

from runtime_support import SUMMARY, cli, run_flow

__all__ = ["SUMMARY", "command", "run_flow"]


def command(project: Path, state: str, env: dict, monkeypatch, *argv: str, code: int = 0) -> tuple[str, str]:
    """``passerelle ARGV PROJECT --state STATE``: (stdout, stderr), the exit code checked."""
    got, out, err = cli([*argv, str(project), "--state", state], env, monkeypatch)
    assert got == code, err
    return out, err
