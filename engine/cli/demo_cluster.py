"""``make demo-cluster`` / ``python -m engine.cli.demo_cluster``: many client projects on 3 workers.

Starts a PostgreSQL for the demo (a temporary cluster, as the tests do: ``engine.cli.pg_temp``),
creates its job tables (``passerelle jobs upgrade``) and its run-state schema (``passerelle db
upgrade``), generates 20 client projects from the ``prestashop-sage100`` template, each against
its own PrestaShop and Sage 100 simulators (in a separate process) with its own ``.env`` (its URLs,
keys and ``PASSERELLE_STATE``), then starts a scheduler and 3 workers and prints ``passerelle
status`` as they run. Midway one worker is killed outright (SIGKILL) and restarted: its flows are
taken over once its heartbeat is missed. At the end every order must be in its project's Sage
exactly once; everything started is stopped and removed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _engine(*args: str, log: Path | None = None) -> subprocess.Popen:
    stream = open(log, "a") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "engine", *args], stdout=stream, stderr=stream)


def _status(projects: Path, url: str) -> str:
    import psycopg

    from engine.runtime.cluster_status import collect, table
    from engine.runtime.project_pool import ProjectPool

    with psycopg.connect(url) as connection:
        return table(collect(ProjectPool(projects, lambda event, **f: None), connection))


def _queue(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status").fetchall())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.cli.demo_cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--orders", type=int, default=6, help="orders in each project's shop")
    parser.add_argument("--seconds", type=float, default=24, help="how long the cluster runs")
    args = parser.parse_args(argv)

    from engine.cli import pg_temp
    from engine.cli.cluster_farm import FarmProcess

    try:
        cluster = pg_temp.start()
    except pg_temp.Unavailable as exc:
        print(f"error: {exc}: install it (`apt-get install postgresql`, or `make system-deps` as root)",
              file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="passerelle-cluster-"))
    projects, log = work / "projects", work / "cluster.log"
    processes: list[subprocess.Popen] = []
    farm = None
    try:
        url = cluster.create_database("passerelle")
        for command in (("jobs", "upgrade", "--database", url), ("db", "upgrade", "--state", url)):
            subprocess.run([sys.executable, "-m", "engine", *command], check=True, capture_output=True)
        print(f"PostgreSQL: {cluster.url('passerelle').replace('postgres@', '***@')} (jobs and run state)")
        farm = FarmProcess(projects, args.projects, orders=args.orders, latency_ms=5, schedule="every 5s", state=url)
        print(f"{args.projects} client projects in {projects} (prestashop-sage100, each with its own simulators "
              f"and .env)\nworker logs: {log}\n")
        processes.append(_engine("schedule", "--projects", str(projects), "--database", url, "--tick", "0.5", log=log))
        worker_args = ("worker", "--projects", str(projects), "--database", url, "--concurrency", "2",
                       "--stalled-after", "3")
        workers = [_engine(*worker_args, log=log) for _ in range(args.workers)]
        processes += workers
        start, killed = time.monotonic(), False
        while time.monotonic() - start < args.seconds:
            time.sleep(4)
            print(f"== after {time.monotonic() - start:.0f} s — passerelle status --projects {projects.name}")
            print(_status(projects, url) + "\n")
            if not killed and time.monotonic() - start > args.seconds / 3:
                victim = workers[0]
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                workers[0] = _engine(*worker_args, log=log)
                processes.append(workers[0])
                killed = True
                print(f"== worker pid {victim.pid} killed (SIGKILL) and a new one started: its flows are taken over "
                      "once its heartbeat is missed\n")
        processes[0].terminate()  # the scheduler: no new run; the workers finish what is queued
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (_queue(url).get("todo") or _queue(url).get("doing")):
            time.sleep(0.5)
        report = farm.report()
        documents = sum(p["documents"] for p in report.values())
        distinct = sum(p["distinct"] for p in report.values())
        expected = sum(p["expected"] for p in report.values())
        runs = _queue(url).get("succeeded", 0)
        print(f"{runs} flow runs done; the {args.projects} Sage simulators hold {documents} sales documents for "
              f"{distinct} distinct orders; the shops had {expected} paid orders")
        ok = documents == distinct == expected and all(not p["overlaps"] for p in report.values())
        print("demo-cluster: OK" if ok else "demo-cluster: FAILED")
        return 0 if ok else 1
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if farm is not None:
            farm.stop()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
