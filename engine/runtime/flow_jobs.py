"""Flow runs as jobs of procrastinate (https://procrastinate.readthedocs.io), on PostgreSQL.

A job is one run of one flow of one project: task :data:`TASK` with ``{"project", "flow"}``. Every
job of a project's flow carries the same procrastinate ``lock`` — the database never hands two of
them out at once, so a flow never runs on two workers at once — and the same ``queueing_lock``, so
a flow is never queued twice (a second enqueue while one waits is refused, and skipped). The flow's
lease in its state store stays the safety net under it: a job finding the lease held (a ``run``
started by hand, a ``serve`` on the project) is retried a little later.

A worker killed outright stops sending heartbeats; after ``stalled_after`` seconds every worker's
recovery sweep puts its jobs back in the queue (procrastinate's stalled-job detection) and another
worker runs the flow again. What the killed run already created is in the ledger (claimed before
the write, recorded after it): the takeover finds it there, or in the target by its reference, and
creates nothing twice.

procrastinate and psycopg (the ``cluster`` extra) are imported only here, when a worker, the
scheduler or ``status`` start.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from engine.errors import OperatorError

TASK = "passerelle.run_flow"
QUEUE = "flows"
STALLED_AFTER = 30.0  # seconds without a heartbeat before a worker's jobs are taken over
BUSY_RETRY = 2  # seconds before a job whose flow lease was held is tried again
BUSY_ATTEMPTS = 150


class FlowBusy(Exception):
    """The flow's lease is held by a process outside the queue: the job is retried later."""


def job_lock(project: str, flow: str) -> str:
    """The lock (and queueing lock) of every job of one flow of one project."""
    return f"{project}/{flow}"


def _procrastinate() -> Any:
    try:
        import procrastinate
    except ImportError:
        raise OperatorError("workers need the `cluster` extra: pip install 'passerelle[cluster]' "
                            "(procrastinate and psycopg)") from None
    return procrastinate


def make_app(url: str, run_flow: Callable[[str, str], Any] | None = None, pool: int = 4) -> Any:
    """The procrastinate app on the jobs database ``url``, with the flow task (``run_flow(project,
    flow)`` runs it; a scheduler or ``status`` that only enqueue or read pass None). ``pool``: the
    most connections its pool opens (one is held for LISTEN; fetching, heartbeats, the sweep and
    finishing jobs share the others); it starts with one."""
    procrastinate = _procrastinate()
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=pool))

    def task(project: str, flow: str) -> Any:
        if run_flow is None:
            raise RuntimeError("this process enqueues flows, it does not run them")
        return run_flow(project, flow)

    retry = procrastinate.RetryStrategy(max_attempts=BUSY_ATTEMPTS, wait=BUSY_RETRY, retry_exceptions={FlowBusy})
    app.task(name=TASK, queue=QUEUE, retry=retry)(task)
    return app


def schema_installed(app: Any) -> bool:
    rows = app.connector.get_sync_connector().execute_query_one(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present")
    return bool(rows["present"])


def install_schema(app: Any) -> bool:
    """procrastinate's tables, when the database lacks them; True when they were created."""
    if schema_installed(app):
        return False
    app.schema_manager.apply_schema()
    return True


def require_schema(app: Any, masked_url: str) -> None:
    if not schema_installed(app):
        raise OperatorError(f"{masked_url} has no job tables: run `passerelle jobs upgrade --database URL` "
                            "once (it creates procrastinate's schema)")


def enqueue(app: Any, project: str, flow: str) -> bool:
    """Queue one run of ``flow`` of ``project``; False when one is queued already (queueing lock)."""
    procrastinate = _procrastinate()
    lock = job_lock(project, flow)
    try:
        app.tasks[TASK].configure(lock=lock, queueing_lock=lock).defer(project=project, flow=flow)
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


async def recover_stalled(app: Any, stalled_after: float, log: Callable[..., None]) -> int:
    """Take over the jobs of workers silent for ``stalled_after`` seconds; how many. A stalled job goes
    back to the queue; when a run of its flow is queued already (the scheduler's next turn: the
    queueing lock allows one), the stalled job is ended as failed instead and the queued run does the
    work — either way its lock is free again and the ledger makes the new run create nothing twice."""
    procrastinate = _procrastinate()
    taken = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after, task_name=TASK):
        try:
            await app.job_manager.retry_job(job)
            how = "queued again"
        except procrastinate.exceptions.UniqueViolation:  # a run of the flow is queued: that one takes over
            try:
                await app.job_manager.finish_job(job, procrastinate.jobs.Status.FAILED, delete_job=False)
            except procrastinate.exceptions.ProcrastinateException:
                continue
            how = "ended: the run queued after it takes over"
        except procrastinate.exceptions.ProcrastinateException:  # another worker's sweep took it first
            continue
        taken += 1
        log("job_taken_over", job=job.id, lock=job.lock, attempts=job.attempts, worker=job.worker_id, how=how)
    return taken


async def _sweep(app: Any, stalled_after: float, log: Callable[..., None]) -> None:
    while True:
        await asyncio.sleep(max(0.2, stalled_after / 3))
        try:
            await recover_stalled(app, stalled_after, log)
        except Exception as exc:  # the database restarting: the next sweep tries again
            log("sweep_failed", reason=f"{type(exc).__name__}: {exc}")


class _ToRunLog(logging.Handler):
    """procrastinate's warnings and errors (a job failed, the database lost) as one log event each, the
    exception's message without its traceback (a project's spec errors are located already)."""

    def __init__(self, log: Callable[..., None]):
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.log("queue_" + record.levelname.lower(), message=record.getMessage(),
                 **({"error": f"{type(error).__name__}: {error}"} if error is not None else {}))


def loop_errors(log: Callable[..., None]) -> Callable[[Any, dict], None]:
    """The event loop's handler of errors nobody awaited, as one log event without a traceback. One case
    a worker meets: a job taken over while its worker, slowed past ``stalled_after``, still ran it; that
    worker's "job finished" is then refused ("Job was not found or not in 'doing' or 'todo' status")
    inside a task procrastinate shields, and asyncio would print the traceback when the worker stops."""
    def handler(loop: Any, context: dict) -> None:
        error = context.get("exception")
        cause = error
        while cause is not None and cause.__cause__ is not None:  # the database's own words
            cause = cause.__cause__
        log("queue_error", message=str(context.get("message", "")).strip(),
            **({"error": f"{type(cause).__name__}: {str(cause).strip()}"} if cause is not None else {}))
    return handler


def run_worker(app: Any, concurrency: int, stalled_after: float, log: Callable[..., None],
               name: str | None = None, on_stop: Callable[[], None] | None = None) -> None:
    """Run a procrastinate worker until SIGTERM/SIGINT, sweeping for stalled jobs beside it. On a signal
    ``on_stop`` tells the flows in hand to stop at the next record (their state saved), the worker
    takes no new job and ends once they have."""
    import signal

    from procrastinate.worker import Worker

    logger = logging.getLogger("procrastinate")
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(_ToRunLog(log))

    async def main() -> None:
        async with app.open_async():
            worker = Worker(app, queues=[QUEUE], concurrency=concurrency, name=name, install_signal_handlers=False,
                            update_heartbeat_interval=max(0.2, stalled_after / 6),
                            stalled_worker_timeout=stalled_after, fetch_job_polling_interval=1.0,
                            delete_jobs="never")

            def stopping(signum: int) -> None:
                log("stopping", signal=signal.Signals(signum).name)
                if on_stop is not None:
                    on_stop()
                worker.stop()

            loop = asyncio.get_running_loop()
            loop.set_exception_handler(loop_errors(log))
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stopping, sig)
            sweep = asyncio.create_task(_sweep(app, stalled_after, log))
            try:
                await worker.run()
            finally:
                sweep.cancel()

    asyncio.run(main())


__all__ = ["FlowBusy", "QUEUE", "STALLED_AFTER", "TASK", "enqueue", "install_schema", "job_lock", "make_app",
           "loop_errors", "recover_stalled", "require_schema", "run_worker", "schema_installed"]
