"""The cluster kill test: 3 worker processes over 50 client projects (generated from the
prestashop-sage100 template, each against its own PrestaShop and Sage 100 simulators, each with its
own ``.env`` under the same variable names, every project's run state in the PostgreSQL that also
holds the job queue: ``state: ${env:PASSERELLE_STATE}``), a scheduler enqueuing every project's orders flow every
2 s, and random workers SIGKILLed while they run flows, then restarted.

Afterwards, for every project: every paid order is in its Sage exactly once (and nothing from
another project is), and no two requests of the project were ever in flight at once on its
simulators — a flow run sends its requests one after the other, so an overlap would be two runs of
the flow at once (the simulators' per-request timeline, wall clock, taken before the answer leaves).
"""
from __future__ import annotations

import random
import signal

import pytest

from cluster_support import queue_counts, start_scheduler, start_worker, stop, wait_until
from engine.cli.cluster_farm import FarmProcess

PROJECTS, WORKERS, ORDERS = 50, 3, 4


def _all_in(farm: FarmProcess) -> dict | None:
    report = farm.report()
    return report if all(not p["missing"] for p in report.values()) else None


@pytest.mark.slow
def test_killed_workers_create_every_order_once_and_never_run_a_flow_twice_at_once(jobs_database, tmp_path):
    projects = tmp_path / "projects"
    farm = FarmProcess(projects, PROJECTS, orders=ORDERS, latency_ms=15, schedule="every 2s", state=jobs_database)
    log = tmp_path / "cluster.log"
    workers, scheduler, kills = [], None, 0
    rng = random.Random(16)
    try:
        workers = [start_worker(projects, jobs_database, log) for _ in range(WORKERS)]
        scheduler = start_scheduler(projects, jobs_database, log)
        for _ in range(6):  # chaos: every ~2.5 s a random worker is killed outright, and restarted
            wait_until(lambda: False, 2.5)
            index = rng.randrange(WORKERS)
            workers[index].send_signal(signal.SIGKILL)
            workers[index].wait()
            kills += 1
            workers[index] = start_worker(projects, jobs_database, log)
        report = wait_until(lambda: _all_in(farm), timeout=45, step=1.0) or farm.report()
        stop(scheduler)
        scheduler = None
        wait_until(lambda: not queue_counts(jobs_database).get("doing"), timeout=15)
        report = farm.report()
    finally:
        for process in workers + ([scheduler] if scheduler else []):
            stop(process)
        farm.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert kills == 6
    assert '"event":"job_taken_over"' in text, "no kill landed on a running flow: the takeover was not exercised"
    for name, project in sorted(report.items()):
        assert project["missing"] == [] and project["unexpected"] == [], (name, project)
        assert project["documents"] == project["distinct"] == project["expected"] == ORDERS or \
            project["documents"] == project["distinct"] == project["expected"], (name, project)
        assert project["overlaps"] == [], (name, project["overlaps"])
        assert project["errors"] == 0, name
    assert sum(p["requests"] for p in report.values()) > PROJECTS * 10  # the flows ran, many times
    import psycopg

    with psycopg.connect(jobs_database) as conn:  # every project's ledger is in PostgreSQL (no SQLite file)
        assert conn.execute("SELECT count(DISTINCT project) FROM passerelle.ledger").fetchone()[0] == PROJECTS
    assert not list(projects.glob("*/.passerelle/state.db"))
