"""Acknowledgements of a confirmed record: each sent once, retried on its own, recorded in the ledger.

Once the target holds a record's document, the record is settled ``done`` with the document's id
(committed first: whatever happens to the acknowledgements, the document is never created again),
then every acknowledgement of the flow that is not yet confirmed *for that document* is sent, in the
order written, and its result recorded under its identity (:mod:`engine.runtime.ack_store`). The
record becomes ``acked`` when all are confirmed; otherwise it stays ``done`` with the reason of each
one that failed (``passerelle failures`` shows them), and the next run sends only the missing ones.

An acknowledgement whose ``when`` is false for the record is not due (it is not sent, not recorded).
A crash between two acknowledgements leaves the record ``done`` with the first one confirmed: the
next run sends the second only. (A crash between an acknowledgement's write and its record re-sends
that one acknowledgement: an acknowledgement may repeat, a document never does.) Each result is
committed before the next acknowledgement is sent; the last one's in the same commit as the final settle.

Hot reload and edits between runs: the acknowledgements due are those of the flow's *current* plan.
One added applies to every record confirmed from then on and to records still ``done``; a record
already ``acked`` is final and never receives it. One removed is no longer awaited. Renaming one (its
``name``, or its endpoint/write when it has no name) makes it a new acknowledgement.
"""
from __future__ import annotations

from typing import Any

from engine.connectors.errors import EndpointError
from engine.errors import RecordError, TransformError
from engine.lang.names import TARGET
from engine.plan.model import WritePlan
from engine.runtime.state import ACKED, DONE

ATTEMPTS = 3  # per acknowledgement and run, on transient faults


def scope_of(record: dict, target_id: Any) -> dict:
    """What an acknowledgement's ``when``, ``map`` and ``with`` see: the record plus ``_target.id``."""
    scope = dict(record)
    scope[TARGET] = {"id": target_id}
    return scope


def confirmed(runner: Any, key: str, record: dict, target_id: Any, pair: Any = None) -> None:
    """The target has just confirmed the record's document: settle it (with its cross-reference
    ``pair``, in the same commit), then acknowledge."""
    runner.store.settle(runner.flow.name, key, target_id, DONE, pair=pair)
    finish(runner, key, record, target_id)


def finish(runner: Any, key: str, record: dict, target_id: Any) -> None:
    """Send the acknowledgements still missing for document ``target_id`` and settle the record:
    ``acked`` when none is missing, else ``done`` with why."""
    flow, store = runner.flow, runner.store
    problems, last = send_missing(runner, key, flow.acks, scope_of(record, target_id), target_id)
    if problems:
        runner.summary.ack_failed += 1
        store.settle(flow.name, key, target_id, DONE, "; ".join(problems), ack=last)
    else:
        runner.summary.acked += 1
        store.settle(flow.name, key, target_id, ACKED, ack=last)


def send_missing(runner: Any, key: str, writes: tuple, scope: dict, target_id: Any, prefix: str = ""
                 ) -> tuple[list[str], tuple[str, str | None] | None]:
    """Send each of ``writes`` not yet confirmed for ``target_id``, in order, each result committed
    before the next one is sent; (the problems, the last result — for the caller's settle). ``prefix``:
    put before each write's name in the ledger (a refusal's writes: ``refused:``)."""
    flow, store = runner.flow, runner.store
    known = store.ack_states(flow.name, key)
    problems = []
    last: tuple[str, str | None] | None = None  # the latest result, recorded with the next send or the settle
    for ack in writes:
        name = prefix + ack.name
        state = known.get(name)
        if state is not None and state.done_for(target_id):
            continue  # confirmed earlier for this document: never sent twice
        problem: str | None = None
        try:
            if ack.when is not None and not ack.when(scope):
                continue  # not due for this record
        except (RecordError, TransformError) as exc:
            problem = f"acknowledgement '{ack.name}' could not be mapped: {exc}"
        if last is not None:  # committed before the next one is sent: a crash resends that one only
            store.ack_result(flow.name, key, last[0], target_id, last[1])
        if problem is None:
            problem = send(runner, ack, scope)
        last = (name, problem)
        if problem is not None:
            problems.append(problem)
            runner.log("ack_failed", flow=flow.name, key=key, ack=name, reason=problem)
    return problems, last


def send(runner: Any, ack: WritePlan, scope: dict) -> str | None:
    """Write one acknowledgement: None when confirmed, else why it failed."""
    label = f"acknowledgement '{ack.name}'"
    try:
        payload = ack.map(scope)
        values = ack.write_values(scope)
    except (RecordError, TransformError) as exc:
        return f"{label} could not be mapped: {exc}"
    broken = ack.op.contract.check(payload) if ack.op.contract else None
    if broken is not None:  # never sent; retried like any failed acknowledgement, never a re-create
        return f"{label} breaks its contract: {broken[0]}: {broken[1]}"
    for attempt in range(ATTEMPTS):
        try:
            runner.endpoints[ack.endpoint].write(ack.operation, payload, values)
        except EndpointError as exc:
            if exc.transient and attempt < ATTEMPTS - 1:
                runner.sleep(runner.backoff * (2 ** attempt))
                continue
            return f"{label} failed: {exc.message}"
        return None
    return None  # pragma: no cover - the loop always returns


def describe(endpoints: dict, flow: Any, record: dict) -> list:
    """The requests of the acknowledgements due for ``record`` (live dry-run: nothing is sent)."""
    scope = scope_of(record, "<id given by the target>")
    return [endpoints[ack.endpoint].describe_write(ack.operation, ack.map(scope), ack.write_values(scope))
            for ack in flow.acks if ack.when is None or ack.when(scope)]


__all__ = ["confirmed", "describe", "finish", "scope_of", "send", "send_missing"]
