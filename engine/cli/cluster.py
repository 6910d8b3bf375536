"""``passerelle worker | schedule | status | jobs``: many client projects on several workers
(procrastinate on PostgreSQL; see docs/scale-out.md).

The jobs database is ``--database URL``, else the ``PASSERELLE_DATABASE`` environment variable of
the process (a ``postgresql://`` URL; its password is never printed). Each project's own settings
and secrets come from ``PROJECT/.env``, else from the process environment, never mixed.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.errors import OperatorError

EXIT_OK, EXIT_FAIL = 0, 1
DATABASE_ENV = "PASSERELLE_DATABASE"


def add_parsers(sub) -> None:
    def common(p, projects: bool = True) -> None:
        if projects:
            p.add_argument("--projects", type=Path, required=True, metavar="DIR",
                           help="the folder of client projects (one sub-folder each)")
        p.add_argument("--database", metavar="URL", help=f"the jobs database, postgresql://... (default: ${DATABASE_ENV})")

    p = sub.add_parser("worker", help="run the queued flow runs of a folder of projects (procrastinate worker)")
    common(p)
    p.add_argument("--concurrency", type=int, default=1, metavar="N", help="flow runs at once in this process")
    p.add_argument("--stalled-after", type=float, default=None, metavar="SECONDS",
                   help="a worker silent this long is taken for dead and its runs are taken over (default 30)")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--log-format", choices=("text", "json"), default="json")

    p = sub.add_parser("schedule", help="enqueue each project's flows on their schedules (one per cluster)")
    common(p)
    p.add_argument("--once", action="store_true", help="enqueue every flow of every project once, and exit")
    p.add_argument("--tick", type=float, default=1.0, metavar="SECONDS")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--log-format", choices=("text", "json"), default="text")

    p = sub.add_parser("status", help="per project and flow: last run, next run, counts, failures, worker")
    common(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--connectors", type=Path, action="append", default=[], metavar="DIR")
    p.add_argument("--listen", metavar="HOST:PORT", help="serve the status as a web page (/) and JSON (/status.json) "
                   "on HOST:PORT (PORT alone: 127.0.0.1), behind the dashboard token ($PASSERELLE_DASHBOARD_TOKEN)")

    p = sub.add_parser("jobs", help="create the job tables (procrastinate's schema) in the jobs database")
    p.add_argument("action", choices=("upgrade",))
    common(p, projects=False)


def database_url(args) -> str:
    from engine.util.urls import mask_userinfo

    url = args.database or os.environ.get(DATABASE_ENV, "")
    if not url:
        raise OperatorError(f"name the jobs database: --database postgresql://... or ${DATABASE_ENV}")
    if not url.startswith(("postgresql://", "postgres://")):
        raise OperatorError(f"the jobs database must be a postgresql:// URL, not {mask_userinfo(url)}")
    return url


def _masked(url: str) -> str:
    from engine.util.urls import mask_userinfo

    return mask_userinfo(url)


def _projects(args) -> Path:
    if not args.projects.is_dir():
        raise OperatorError(f"--projects {args.projects}: no such folder")
    return args.projects


def _reachable(url: str) -> None:
    """Connect once, so that a wrong URL or a database down is one clear line (the pools would retry
    for 30 s, logging each attempt)."""
    try:
        import psycopg
    except ImportError:
        raise OperatorError("the cluster commands need the `cluster` extra: pip install 'passerelle[cluster]' "
                            "(procrastinate and psycopg)") from None
    try:
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.Error as exc:
        reason = str(exc).replace(url, _masked(url)).strip().splitlines()[0]
        raise OperatorError(f"{_masked(url)}: cannot connect to the jobs database: {_masked(reason)}") from None


def _app(args, run_flow=None, pool: int = 2):
    from engine.runtime.flow_jobs import make_app

    url = database_url(args)
    _reachable(url)
    return make_app(url, run_flow, pool)


def cmd_jobs(args) -> int:
    from engine.runtime.flow_jobs import install_schema

    app = _app(args)
    with app.open():
        made = install_schema(app)
    print(f"{_masked(database_url(args))}: job tables " + ("created" if made else "already there (nothing done)"),
          file=sys.stderr)
    return EXIT_OK


def cmd_worker(args) -> int:
    from engine.runtime.flow_jobs import STALLED_AFTER, require_schema, run_worker
    from engine.runtime.flow_worker import FlowWorker
    from engine.runtime.logs import RunLog

    log = RunLog(args.log_format, progress=False)
    worker = FlowWorker(_projects(args), log, args.connectors)
    app = _app(args, worker.run_flow, pool=max(1, args.concurrency) + 2)
    with app.open():
        require_schema(app, _masked(database_url(args)))
    name = f"{os.uname().nodename}:{os.getpid()}"
    log("worker_started", worker=name, projects=str(args.projects), concurrency=args.concurrency)
    run_worker(app, max(1, args.concurrency), args.stalled_after or STALLED_AFTER, log, name=name,
               on_stop=worker.stop_all)
    log("worker_stopped", worker=name)
    return EXIT_OK


def cmd_schedule(args) -> int:
    import signal
    import threading

    from engine.runtime.flow_jobs import require_schema
    from engine.runtime.flow_schedule import Scheduler
    from engine.runtime.logs import RunLog
    from engine.runtime.project_pool import ProjectPool

    log = RunLog(args.log_format, progress=False)
    app = _app(args)
    with app.open():
        require_schema(app, _masked(database_url(args)))
        scheduler = Scheduler(app, ProjectPool(_projects(args), log, args.connectors), log)
        if args.once:
            queued = scheduler.tick()
            scheduler.close()
            print(f"{len(queued)} flow run(s) queued", file=sys.stderr)
            return EXIT_OK

        def handler(signum, frame):
            threading.Thread(target=scheduler.stop.set, daemon=True).start()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handler)
        scheduler.run(args.tick)
    return EXIT_OK


def _status_rows(pool, url: str):
    import psycopg

    from engine.runtime.cluster_status import collect

    try:
        with psycopg.connect(url, connect_timeout=10) as connection:
            return collect(pool, connection)
    except psycopg.Error as exc:
        raise OperatorError(f"{_masked(url)}: {exc}".replace(url, _masked(url))) from None


def status_server(projects: Path, url: str, listen: str, connectors=(), environ=None):
    """The started server of ``status --listen`` (:mod:`engine.web.cluster_dashboard`); the caller stops it.
    No usable token (:mod:`engine.web.auth`'s rules): nothing listens, a clear error."""
    import psycopg

    from engine.runtime.project_pool import ProjectPool
    from engine.web.auth import Guard, dashboard_token
    from engine.web.cluster_dashboard import cluster_routes, database_health
    from engine.web.server import Server, build_app, parse_listen

    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise OperatorError(str(exc)) from None
    guard = Guard(dashboard_token(os.environ if environ is None else environ, None))
    pool = ProjectPool(projects, lambda event, **f: None, list(connectors))
    routes = cluster_routes(lambda: _status_rows(pool, url), database_health(
        lambda: psycopg.connect(url, connect_timeout=5)), guard)
    server = Server(build_app(routes), host, port)
    try:
        server.start()
    except OSError as exc:
        raise OperatorError(str(exc)) from None
    return server


def _serve_status(args, url: str) -> int:
    import signal
    import threading

    from engine.web.server import exposed

    server = status_server(_projects(args), url, args.listen, args.connectors)
    print(f"status of {args.projects} on {server.url}/ (JSON: {server.url}/status.json); Ctrl-C stops",
          file=sys.stderr)
    if exposed(server.host):
        print(f"warning: {server.url} is reachable from other machines, behind the dashboard token but over plain "
              "HTTP; put an HTTPS reverse proxy in front, or listen on 127.0.0.1 behind one", file=sys.stderr)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: done.set())
    while not done.wait(1.0):
        pass
    server.stop()
    return EXIT_OK


def cmd_status(args) -> int:
    from engine.runtime.cluster_status import table
    from engine.runtime.project_pool import ProjectPool
    from engine.util.jsonout import dumps

    url = database_url(args)
    _reachable(url)
    if args.listen:
        return _serve_status(args, url)
    pool = ProjectPool(_projects(args), lambda event, **f: None, args.connectors)
    rows = _status_rows(pool, url)
    if args.format == "json":
        print(dumps([r.as_json() for r in rows], indent=2))
    else:
        print(table(rows))
    return EXIT_OK


COMMANDS = {"worker": cmd_worker, "schedule": cmd_schedule, "status": cmd_status, "jobs": cmd_jobs}
