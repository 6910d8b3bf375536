"""Writing a page's records N at a time: the target endpoint's ``concurrency: N``.

A real Sage 100 web service answers in tens to hundreds of milliseconds per document; one at a time,
a backlog of thousands of orders takes half an hour. With ``concurrency: N`` on the target endpoint,
up to N records of a page are in flight at once, each on the whole write path of one record as the
runner has it (:meth:`FlowRunner.process`: ledger, look-up before create, find-or-create, create,
dead letter, acknowledgements of its own), so every exactly-once rule holds per record:

* a record's intent is committed to the ledger before its write (the store is thread-safe: one
  connection behind a lock, each change committed before the call returns);
* two records that could stand for one document are never in flight together: the same key, the
  same reference (the look-up before create would not see the other's document yet) or, with
  ``target.find``, the same match values (both would find nothing and create two clients) — the
  later one waits for the earlier one to finish, then sees its outcome (its search made ahead of the
  page, from before that write, is dropped: it searches again);
* the results come back in record order, so the incremental cursor passes a record only when every
  record before it is final, as in :meth:`FlowRunner.read_and_process`;
* a stop (SIGTERM) lets the records in flight finish and starts no other; a hot reload applies from
  the next page (every record of a page is finished before the next page is prepared);
* an error that stops the flow (the target unreachable, the state unusable) is raised once the
  records in flight are finished (their ledger entries settled), as it would be one at a time.

Each record runs on a shallow copy of the runner with a counter of its own (:class:`Summary`),
added to the run's in the calling thread; the copy runs in a copy of the caller's context (the
``xref`` transform's resolver is a context variable). Concurrency is used only when the target and
every endpoint an acknowledgement writes to take concurrent requests (``concurrent``: the pooled
HTTP client); otherwise the flow writes one record at a time, as with ``concurrency: 1``.
"""
from __future__ import annotations

import contextvars
import copy
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Iterator

from engine.errors import RecordError, TransformError
from engine.runtime.pipeline import Outcome

COUNTERS = ("created", "updated", "skipped", "failed", "acked", "ack_failed", "pending", "found", "refused")


def width(runner: Any) -> int:
    """How many records of this flow may be in flight at once (1: one at a time, as always)."""
    flow = runner.flow
    plan = runner.live_plan() if getattr(runner, "live_plan", None) is not None else runner.plan  # hot reload
    declared = plan.endpoints.get(flow.target_endpoint)
    wanted = getattr(declared, "concurrency", 1) if declared is not None else 1
    if wanted <= 1:
        return 1
    names = {flow.target_endpoint, *(ack.endpoint for ack in flow.acks)}
    if flow.reserve is not None:
        names.update(w.endpoint for w in (flow.reserve.write, *flow.reserve.on_refused))
    serial = sorted(n for n in names if not getattr(runner.endpoints.get(n), "concurrent", False))
    if serial:
        if not getattr(runner, "_told_serial", False):
            runner._told_serial = True
            runner.log("concurrency_off", flow=flow.name, endpoints=serial,
                       reason=f"endpoint {', '.join(serial)} takes one request at a time: records are "
                              f"written one at a time")
        return 1
    return wanted


def conflicts(flow: Any, outcome: Outcome) -> set[tuple]:
    """What this record's write could share with another's: its key, its document reference, the
    values its ``target.find`` searches by. Records sharing any of them never run at once."""
    marks: set[tuple] = {("key", str(outcome.key))}
    if not outcome.ok:
        return marks
    if flow.reference is not None:
        try:
            marks.add(("reference", str(flow.reference(outcome.payload)).casefold()))
        except (RecordError, TransformError):
            pass  # the create says so for this record
    if flow.find is not None:
        try:
            marks.add(("find", tuple((field, str(get(outcome.enriched)).casefold()) for field, get in flow.find.match)))
        except (RecordError, TransformError):
            pass
    return marks


class _Locked:
    """The run's log, one line at a time from several threads."""

    def __init__(self, log: Any):
        self.log, self.lock = log, threading.Lock()

    def __call__(self, event: str, **fields: Any) -> None:
        with self.lock:
            self.log(event, **fields)


def process(runner: Any, outcomes: list[Outcome], n: int) -> Iterator[tuple[Outcome, bool]]:
    """Each record processed (up to ``n`` at once); yields (outcome, final?) in record order, for
    the records started before a stop. An error that stops the flow is raised after the others end."""
    log = _Locked(runner.log)
    flow = runner.flow
    results: dict[int, bool] = {}
    running: dict[Future, tuple[int, set[tuple], Any]] = {}
    busy: dict[tuple, Future] = {}
    failure: list[BaseException] = []

    def collect(done: set[Future]) -> None:
        for future in done:
            index, marks, worker = running.pop(future)
            for mark in marks:
                if busy.get(mark) is future:
                    del busy[mark]
            for name in COUNTERS:  # the record's counts, added in this thread only
                setattr(runner.summary, name, getattr(runner.summary, name) + getattr(worker.summary, name))
            error = future.exception()
            if error is not None:
                failure.append(error)
            else:
                results[index] = future.result()

    started = 0
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="passerelle-write") as pool:
        try:
            for index, outcome in enumerate(outcomes):
                if runner.stop.is_set() or failure:
                    break
                marks = conflicts(flow, outcome)
                while not failure:
                    blocking = {busy[m] for m in marks if m in busy}
                    if blocking:  # its search made ahead predates the other's write: search again
                        runner.ahead.pop(outcome.key, None)
                    elif len(running) < n:
                        break
                    done, _ = wait(blocking or set(running), return_when=FIRST_COMPLETED)
                    collect(done)
                if failure or runner.stop.is_set():
                    break
                worker = copy.copy(runner)
                worker.summary = type(runner.summary)(flow.name)
                worker.log = log
                runner.summary.read += 1
                future = pool.submit(contextvars.copy_context().run, worker.process, outcome)
                running[future] = (index, marks, worker)
                for mark in marks:
                    busy[mark] = future
                started = index + 1
        finally:
            while running:  # the records in flight finish and settle, whatever happens
                done, _ = wait(set(running), return_when=FIRST_COMPLETED)
                collect(done)
    if failure:
        raise failure[0]
    for index in range(started):
        yield outcomes[index], results[index]


__all__ = ["conflicts", "process", "width"]
