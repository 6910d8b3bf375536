"""A flow's ``reserve`` at run time: the goods held in the target before the document is created.

For a record not yet in the ledger (or set aside and replayed), in this order:

1. the document's intent is committed as ``reserving`` (payload, record and ``with`` values, as
   ``pending`` holds them for a create);
2. the reservation is sent, mapped from the source record (retried on transient faults; the
   operation is idempotent by reference, see :mod:`engine.plan.reserve`);
3. *reserved*: the record goes on exactly as a record without ``reserve`` — its intent becomes
   ``pending``, the document is created once, the acknowledgements confirm the order;
   *refused* (an answer the connector declares a refusal): the record is settled ``refusing`` with
   the reason (committed first: it is final, never reserved again and never a document), then each
   ``on_refused`` write is sent once (recorded like acknowledgements, under ``refused:<name>``) and
   the record becomes ``refused``; a write that failed is sent again by the next run;
   *rejected* (any other error answer: an unknown article): set aside in the dead letter with why,
   nothing reserved — ``replay`` reserves again once it is fixed;
   *no answer* (a fault outlasting the attempts, a crash): the record stays ``reserving``, its
   cursor waits, and the next run (or the same record read again) sends the reservation again — the
   system answers the same reservation for the same reference, so goods are never held twice.

A refusal is a business outcome, not a failure: ``failures`` does not list it (only a refusal
whose ``on_refused`` writes are still to be sent), and the run's summary counts it as ``refused``.
"""
from __future__ import annotations

from typing import Any

from engine.connectors.errors import EndpointError
from engine.errors import RecordError, TransformError
from engine.lang.names import REFUSED as REFUSAL
from engine.runtime import acks
from engine.runtime.state import REFUSED, REFUSING, RESERVING, Entry, from_json, to_json

ATTEMPTS = 2  # per reservation and run, on transient faults (an HTTP endpoint retries within each one too)
PREFIX = "refused:"  # a refusal's writes in the acknowledgements' ledger


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def first(runner: Any, key: str, payload: Any, payload_json: str, record: dict | None, values: dict) -> bool:
    """A record of a flow with ``reserve`` that has no reservation yet: commit the intent, reserve, go on."""
    flow = runner.flow
    runner.store.intend(flow.name, key, payload_json, to_json(record) if record is not None else None,
                        to_json(values) if values else None, creating=True, status=RESERVING)
    return _reserve_then_create(runner, key, payload, payload_json, record, values)


def again(runner: Any, entry: Entry) -> bool:
    """A record whose reservation is unresolved (``reserving``) or refused: its stored intent and record
    go on where they stopped. Returns whether the record's outcome is final."""
    record = runner.stored_record(entry.record)
    if entry.status == REFUSED:
        return True  # final: never reserved again, never a document
    if entry.status == REFUSING:
        finish_refusal(runner, entry.key, record, entry.reason or "")
        return True
    intent = entry.payload or "null"
    values = from_json(entry.target_with) if entry.target_with else {}
    return _reserve_then_create(runner, entry.key, from_json(intent), intent, record, values)


def resume(runner: Any) -> None:
    """At the start of a run: the reservations left without an answer, the refusals left unwritten."""
    for status in (RESERVING, REFUSING):
        for key in runner.store.keys(runner.flow.name, status):
            if runner.stop.is_set():
                return
            entry = runner.store.entry(runner.flow.name, key)
            if entry is not None and entry.status == status:
                again(runner, entry)


def _reserve_then_create(runner: Any, key: str, payload: Any, payload_json: str, record: dict | None,
                         values: dict) -> bool:
    flow = runner.flow
    write = flow.reserve.write
    try:
        scope = dict(record or {})
        body, with_values = write.map(scope), write.write_values(scope)
    except (RecordError, TransformError) as exc:
        runner.dead_letter(key, _located(runner, key, exc, "reserve.map"), record, payload_json)
        return True
    try:
        _send(runner, key, body, with_values)
    except _Refused as refusal:
        runner.store.settle(flow.name, key, None, REFUSING, refusal.reason)  # final before anything is written
        runner.summary.refused += 1
        runner.log("record_refused", flow=flow.name, key=key, reason=refusal.reason)
        finish_refusal(runner, key, record, refusal.reason)
        return True
    except EndpointError as exc:
        if not exc.transient and not exc.outcome_unknown:  # rejected: nothing is held, the reason is kept
            error = RecordError(f"reservation rejected: {exc.message}", flow.name, key, "reserve", write.loc)
            runner.dead_letter(key, error, record, payload_json)
            return True
        why = f"reservation without an answer: {exc.message}"
        runner.store.note(flow.name, key, why)
        runner.summary.pending += 1  # still `reserving`: sent again (same reference) by the next run
        runner.log("record_pending", flow=flow.name, key=key, reason=why)
        if exc.unreachable:
            raise
        return False
    runner.log("record_reserved", flow=flow.name, key=key)
    return runner.create(key, payload, payload_json, record, values)


def _send(runner: Any, key: str, body: Any, values: dict) -> None:
    """Send the reservation; raises _Refused on a refusal, EndpointError when it could not be made."""
    write = runner.flow.reserve.write
    endpoint = runner.endpoints[write.endpoint]
    for attempt in range(ATTEMPTS):
        try:
            endpoint.write(write.operation, body, values)
            return
        except EndpointError as exc:
            if exc.refused or (exc.status is not None and exc.status in write.op.refused):
                raise _Refused(exc.vendor or exc.message) from None  # the system's words: the customer may read them
            if not (exc.transient or exc.outcome_unknown) or exc.unreachable or attempt == ATTEMPTS - 1:
                raise
            runner.sleep(min(5.0, runner.backoff * (2 ** attempt)))  # idempotent by reference: safe to resend


def finish_refusal(runner: Any, key: str, record: dict | None, reason: str) -> None:
    """Send the ``on_refused`` writes still missing and settle: ``refused``, or ``refusing`` with the
    refusal's reason kept (the next run sends the missing writes, with the same reason)."""
    flow = runner.flow
    scope = dict(record or {})
    scope[REFUSAL] = {"reason": reason}
    problems, last = acks.send_missing(runner, key, flow.reserve.on_refused, scope, None, PREFIX)
    runner.store.settle(flow.name, key, None, REFUSING if problems else REFUSED, reason, ack=last)


def _located(runner: Any, key: str, exc: Exception, field: str) -> RecordError:
    if isinstance(exc, RecordError):
        exc.flow, exc.key = runner.flow.name, key
        return exc
    return RecordError(str(exc), runner.flow.name, key, field, runner.flow.item.loc("reserve", "map"))


def describe(endpoints: dict, flow: Any, record: dict) -> list:
    """The reservation's request (live dry-run: nothing is sent)."""
    if flow.reserve is None:
        return []
    write = flow.reserve.write
    scope = dict(record)
    return [endpoints[write.endpoint].describe_write(write.operation, write.map(scope), write.write_values(scope))]


__all__ = ["again", "describe", "finish_refusal", "first", "resume"]
