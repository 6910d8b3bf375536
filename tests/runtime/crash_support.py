"""Kill `passerelle run` at random points, again and again, then let it finish (shared with bench/)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import ROOT


def run_cli(project: Path, state: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", "run", str(project), "--state", str(state),
                           "--log-format", "json"], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def kill_repeatedly(project: Path, state: Path, env: dict, kills: int, seed: int,
                    window: tuple[float, float]) -> int:
    """Start the run and SIGKILL it after a random delay, ``kills`` times; returns how many kills
    hit a running process (the others found it already finished)."""
    rng = random.Random(seed)
    interrupted = 0
    for _ in range(kills):
        process = subprocess.Popen([sys.executable, "-m", "engine", "run", str(project), "--state", str(state),
                                    "--log-format", "json"], cwd=ROOT, env={**os.environ, **env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(*window)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            interrupted += 1
        process.wait(timeout=30)
    return interrupted


class Either:
    """Two fault plans on one simulator: the first that injects something wins."""

    def __init__(self, *plans):
        self.plans = plans

    def decide(self, method: str, path: str):
        for plan in self.plans:
            decision = plan.decide(method, path)
            if decision.kind is not None or decision.lose_reply or decision.truncate:
                return decision
        return decision
