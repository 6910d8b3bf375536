"""Orders/s of the cluster: 1, 2 and 4 procrastinate workers over 40 client projects, side by side with
the single-process SQLite runtime on the same work.

The work: 40 projects generated from the ``prestashop-sage100`` template (``engine.cli.cluster_farm``),
each with its own PrestaShop and Sage 100 simulators holding ``--orders`` paid orders, run once:
every order to Sage and its acknowledgement back to the shop. The simulators run in ``--farms``
separate processes (20 projects each by default) so that they do not share the workers' process;
their CPU use over the measured interval is printed (a farm near 100 % of one core is the limit).

* ``sqlite``: one process runs every project's flow one after the other, each project's state in its
  SQLite file (``Session.run_flows``, what ``passerelle run`` does), plans built in the interval.
* ``N workers``: N ``passerelle worker`` processes (concurrency 1 each) on a PostgreSQL started for
  the bench (``engine.cli.pg_temp``: fsync off) holding the job queue and every project's run state;
  the workers are started and registered first, then the 40 runs are queued at once; the interval
  ends when the last job succeeded. Plans are built in the interval too (first job of a project on
  a worker).

Each configuration gets fresh simulators, orders and database; the rounds alternate the
configurations; the median of the rounds is printed with the load, and the ratios. Every order is
checked to be in its Sage exactly once.

Target: 2 workers >= 1.5x one worker (on a 2-core machine, where the simulators are not the limit).

    .venv/bin/python bench/cluster.py [--orders 25] [--projects 40] [--rounds 3] [--workers 1,2,4] [--strict]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "sandbox")])}
TARGET = 1.5


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process, of its children that ended (waited for: the backends of closed
    connections) and of those running (the PostgreSQL server and its backends)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime, stime, cutime, cstime
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            total += _cpu(int(child))
        except OSError:  # ended meanwhile
            pass
    return total


def _farms(root: Path, projects: int, orders: int, parts: int, state: str | None):
    from engine.cli.cluster_farm import FarmProcess

    size = -(-projects // parts)
    return [FarmProcess(root, min(size, projects - i * size), orders=orders, env=ENV, state=state, offset=i * size)
            for i in range(parts) if projects - i * size > 0]


def _check(farms) -> int:
    """Orders in Sage, after checking each is there exactly once."""
    total = 0
    for farm in farms:
        for name, project in farm.report().items():
            if project["missing"] or project["documents"] != project["distinct"] or project["unexpected"]:
                raise SystemExit(f"{name}: orders missing or doubled: {project}")
            total += project["documents"]
    return total


def _measure_sqlite(args, work: Path) -> tuple[float, int, float]:
    projects = work / "projects"
    farms = _farms(projects, args.projects, args.orders, args.farms, None)
    try:
        cpu = [_cpu(f.process.pid) for f in farms]
        done = subprocess.run([sys.executable, __file__, "--sqlite-run", str(projects)], env=ENV, capture_output=True,
                              text=True, timeout=900)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        elapsed, cpu_used = (float(x) for x in done.stdout.split()[-2:])
        CPU["sqlite"] = (cpu_used / (args.projects * args.orders) * 1000, 0.0)
        farm_cpu = max(_cpu(f.process.pid) - c for f, c in zip(farms, cpu)) / elapsed
        return elapsed, _check(farms), farm_cpu
    finally:
        for farm in farms:
            farm.stop()


def _sqlite_run(projects: Path) -> None:
    """(child) every project's flows, one after the other, in this process; prints the seconds."""
    from engine.runtime.project_env import project_environ
    from engine.runtime.project_pool import project_dirs
    from engine.runtime.session import Session

    start, cpu = time.perf_counter(), time.process_time()
    for folder in project_dirs(projects):
        session = Session(folder, environ=project_environ(folder), settle=0)
        try:
            for summary in session.run_flows():
                if summary.error or summary.failed:
                    raise SystemExit(f"{folder.name}: {summary.line()}")
        finally:
            session.close()
    print(f"elapsed {time.perf_counter() - start:.4f} {time.process_time() - cpu:.4f}")


DATABASE: dict[str, tuple[float, float, int]] = {}  # per run: transactions/s, per order, connections
CPU: dict[str, tuple[float, float]] = {}  # per run: CPU seconds per 1000 orders of the workers, of PostgreSQL


def _commits(conn) -> int:
    """Transactions committed in the database so far (the statistics collector's count: a snapshot per
    transaction, hence the fresh one asked for first)."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def _measure_workers(args, work: Path, cluster, workers: int, tag: str) -> tuple[float, int, float]:
    import psycopg

    from engine.runtime.flow_jobs import enqueue, make_app

    url = cluster.create_database(f"bench_{tag}")
    for command in (("jobs", "upgrade", "--database", url), ("db", "upgrade", "--state", url)):
        subprocess.run([sys.executable, "-m", "engine", *command], env=ENV, check=True, capture_output=True)
    projects = work / "projects"
    farms = _farms(projects, args.projects, args.orders, args.farms, url)
    log = open(work / "workers.log", "w")
    processes = [subprocess.Popen([sys.executable, "-m", "engine", "worker", "--projects", str(projects),
                                   "--database", url, "--concurrency", "1"], env=ENV, stdout=log, stderr=log)
                 for _ in range(workers)]
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            while conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] < workers:
                time.sleep(0.05)
            names = sorted(p.name for p in projects.iterdir())
            connections = 0
            app = make_app(url)
            cpu = [_cpu(f.process.pid) for f in farms]
            own = [_cpu(p.pid) for p in processes] + [_tree_cpu(cluster.process.pid)]
            commits = _commits(conn)
            start = time.perf_counter()
            with app.open():
                for name in names:
                    enqueue(app, name, "orders_to_sage")
            while conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'").fetchone()[0] \
                    < len(names):
                if conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'").fetchone()[0]:
                    raise SystemExit(f"a job failed: see {work / 'workers.log'}")
                connections = max(connections, conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0] - 1)
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
            commits = _commits(conn) - commits
            own = [a - b for a, b in zip([_cpu(p.pid) for p in processes] + [_tree_cpu(cluster.process.pid)], own)]
        farm_cpu = max(_cpu(f.process.pid) - c for f, c in zip(farms, cpu)) / elapsed
        orders = _check(farms)
        DATABASE[tag] = (commits / elapsed, commits / orders, connections)
        CPU[tag] = (sum(own[:-1]) / orders * 1000, own[-1] / orders * 1000)
        return elapsed, orders, farm_cpu
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        log.close()
        for farm in farms:
            farm.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=25, help="paid orders in each project's shop")
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--farms", type=int, default=2, help="simulator processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--sqlite-run", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sqlite_run:
        _sqlite_run(args.sqlite_run)
        return 0
    from engine.cli import pg_temp

    counts = [int(n) for n in args.workers.split(",")]
    cluster = pg_temp.start(max_connections=100)
    results: dict[str, list[tuple[float, int, float]]] = {}
    loads = []
    try:
        for round_ in range(args.rounds):
            for config in ["sqlite"] + [f"{n} workers" for n in counts]:
                work = Path(tempfile.mkdtemp(prefix="passerelle-bench-cluster-"))
                try:
                    loads.append(os.getloadavg()[0])
                    if config == "sqlite":
                        result = _measure_sqlite(args, work)
                    else:
                        n = int(config.split()[0])
                        result = _measure_workers(args, work, cluster, n, f"{n}_{round_}")
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                results.setdefault(config, []).append(result)
    finally:
        cluster.stop()
    orders = results["sqlite"][0][1]
    print(f"{args.projects} projects x {args.orders} orders ({orders} orders), {args.rounds} round(s), "
          f"{os.cpu_count()} cores, load {statistics.median(loads):.1f} (1-min average, median over the runs)")
    rate = {}
    for config, runs in results.items():
        rates = [o / e for e, o, _ in runs]
        rate[config] = statistics.median(rates)
        farm = statistics.median(c for _, _, c in runs)
        print(f"  {config:<10} {rate[config]:8.1f} orders/s  (min {min(rates):.1f} .. max {max(rates):.1f}); "
              f"busiest simulator process {farm * 100:.0f} % of a core")
    for n in counts:
        runs = [v for k, v in DATABASE.items() if k.startswith(f"{n}_")]
        if runs:
            cpu = [v for k, v in CPU.items() if k.startswith(f"{n}_")]
            print(f"  PostgreSQL with {n} worker(s): {statistics.median(r[0] for r in runs):.0f} transactions/s, "
                  f"{statistics.median(r[1] for r in runs):.1f} per order, up to "
                  f"{max(r[2] for r in runs)} connections; CPU per 1000 orders: workers "
                  f"{statistics.median(c[0] for c in cpu):.1f} s, PostgreSQL {statistics.median(c[1] for c in cpu):.1f} s")
    if "sqlite" in CPU:
        print(f"  sqlite: CPU per 1000 orders {CPU['sqlite'][0]:.1f} s (the one process, last round)")
    one = rate.get("1 workers")
    for config in rate:
        if config != "sqlite":
            print(f"  {config} / sqlite = {rate[config] / rate['sqlite']:.2f}x"
                  + (f"; / 1 worker = {rate[config] / one:.2f}x" if one and config != "1 workers" else ""))
    two = rate.get("2 workers")
    if one and two:
        ok = two / one >= TARGET
        print(f"target: 2 workers >= {TARGET}x one worker: {two / one:.2f}x {'met' if ok else 'MISSED'}")
        return 1 if args.strict and not ok else 0
    print("target: 2 workers >= 1.5x one worker (not measured: give --workers 1,2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
