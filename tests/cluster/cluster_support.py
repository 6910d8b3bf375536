"""Workers, schedulers and the simulators' farm as child processes, for the cluster tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pg_support import pg_state_cluster  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "sandbox")])}


@pytest.fixture
def jobs_database(pg_state_cluster) -> str:  # noqa: F811
    """A fresh database holding both procrastinate's job tables and the projects' run state (one
    PostgreSQL for the cluster), each created by its command; its URL."""
    url = pg_state_cluster.create_database(f"cluster_{uuid.uuid4().hex[:10]}")
    for command in (("jobs", "upgrade", "--database", url), ("db", "upgrade", "--state", url)):
        done = cli(*command)
        assert done.returncode == 0, done.stderr
    return url


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], env=env or ENV, capture_output=True, text=True,
                          timeout=timeout)


def start_worker(projects: Path, url: str, log: Path, concurrency: int = 2, stalled_after: float = 2.0,
                 env: dict | None = None) -> subprocess.Popen:
    with open(log, "a") as stream:
        return subprocess.Popen([sys.executable, "-m", "engine", "worker", "--projects", str(projects), "--database",
                                 url, "--concurrency", str(concurrency), "--stalled-after", str(stalled_after)],
                                env=env or ENV, stdout=stream, stderr=stream)


def start_scheduler(projects: Path, url: str, log: Path, tick: float = 0.5) -> subprocess.Popen:
    with open(log, "a") as stream:
        return subprocess.Popen([sys.executable, "-m", "engine", "schedule", "--projects", str(projects), "--database",
                                 url, "--tick", str(tick)], env=ENV, stdout=stream, stderr=stream)


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def queue_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status").fetchall())


def wait_until(predicate, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
