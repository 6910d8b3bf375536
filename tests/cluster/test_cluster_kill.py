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


def _burst(url: str, names: list[str]) -> int:
    """Ask for each project's flow 3 times at once (as three schedulers would): the queueing lock keeps
    one; without it the workers would take several runs of one flow together."""
    from engine.runtime.flow_jobs import enqueue, make_app

    app = make_app(url)
    with app.open():
        return sum(enqueue(app, name, "orders_to_sage") for _ in range(3) for name in names)


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
        names = sorted(p.name for p in projects.iterdir())
        queued = _burst(jobs_database, names)
        workers = [start_worker(projects, jobs_database, log) for _ in range(WORKERS)]
        scheduler = start_scheduler(projects, jobs_database, log)
        for _ in range(6):  # chaos: every ~2.5 s a random worker is killed outright, and restarted
            wait_until(lambda: False, 2.5)
            queued += _burst(jobs_database, names)
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
    assert queued <= PROJECTS * 7  # at most one of each burst of 3 was queued (one waiting run per flow)
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


@pytest.mark.slow
def test_idle_workers_never_take_a_second_run_of_a_running_flow(jobs_database, tmp_path):
    """Few projects, many idle slots, long runs (50 ms per request) and a run queued every second: a
    free worker sees the next run of a flow while the previous one still runs, and must leave it."""
    projects = tmp_path / "projects"
    farm = FarmProcess(projects, 2, orders=8, latency_ms=50, schedule="every 1s", state=jobs_database)
    log = tmp_path / "cluster.log"
    workers, scheduler = [], None
    try:
        workers = [start_worker(projects, jobs_database, log) for _ in range(WORKERS)]
        scheduler = start_scheduler(projects, jobs_database, log, tick=0.2)
        report = wait_until(lambda: _all_in(farm), timeout=45, step=1.0) or farm.report()
        wait_until(lambda: False, 4)  # more runs, queued while one runs
        stop(scheduler)
        scheduler = None
        wait_until(lambda: not queue_counts(jobs_database).get("doing"), timeout=15)
        report = farm.report()
        done = queue_counts(jobs_database).get("succeeded", 0)
    finally:
        for process in workers + ([scheduler] if scheduler else []):
            stop(process)
        farm.stop()
    assert done >= 6  # several runs of each flow
    for name, project in sorted(report.items()):
        assert project["overlaps"] == [], (name, project["overlaps"])
        assert project["documents"] == project["distinct"] == project["expected"], (name, project)
