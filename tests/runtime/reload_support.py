"""Shared set-up for the hot-reload tests: a timed event log, a counting build, waiting helpers."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from engine.plan.load import load_plan
from engine.project.load import ConnectorStore


class Events(list):
    """The LivePlan/Session log: (monotonic time, event, fields)."""

    def __call__(self, event, **fields):
        self.append((time.monotonic(), event, fields))

    def named(self, name):
        return [f for _, e, f in list(self) if e == name]

    def timed(self, name):
        return [(t, f) for t, e, f in list(self) if e == name]


class CountingBuild:
    """``load_plan`` with the start time of every build recorded."""

    def __init__(self, project: Path):
        self.project, self.store = project, ConnectorStore()
        self.starts: list[float] = []
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.starts.append(time.monotonic())
        return load_plan(self.project, self.store)


def wait_for(condition, timeout=5.0, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def carriers_default(plan) -> str:
    return plan.lookups["carriers"].default


def set_default(project: Path, value: str) -> None:
    """Save ``lookups.yaml`` with the ``carriers`` table's default changed."""
    path = project / "lookups.yaml"
    text = path.read_text()
    current = text.split("    default: ", 1)[1].split("\n", 1)[0]
    # saved whole (a temporary file renamed over it), as editors that save atomically do: a build that runs
    # while the file is still busy must see one save or the next, never half of one (a test that wants half
    # a file writes it so itself)
    partial = path.with_name(path.name + ".saving")
    partial.write_text(text.replace(f"    default: {current}\n", f"    default: {value}\n", 1))
    os.replace(partial, path)


def age(path: Path, seconds: float = 60) -> None:
    """Date a file ``seconds`` back: written long ago, so nothing waits for it to be quiet."""
    then = time.time() - seconds
    os.utime(path, (then, then))
