"""A record the ledger already has as created (``done`` or ``acked``) read again.

Unchanged (the same payload and ``with`` values as the last one sent): skipped. Changed, and the flow
has ``target.update``: the update is sent on the document's id, then the new payload is the ledger's; an
update operation that ``creates`` (the document is replaced by a new one) gives the record the new id and
its cross-reference.
A refused update is not lost: the entry stays created (its document exists; it is never created
again) with the reason ``update failed: …`` and the record as read now, so ``passerelle failures``
lists it and ``replay`` maps it again and sends the update; the run counts it ``failed``. A transient
fault holds the cursor (the next run reads it again).
"""
from __future__ import annotations

from engine.connectors.errors import EndpointError
from engine.runtime import acks
from engine.runtime.finder import pair
from engine.runtime.state import DONE, UPDATE_FAILED, Entry, payload_hash, to_json


def already_done(runner, entry: Entry, payload, payload_json: str, record: dict, values: dict) -> bool:
    """Returns True when the record's outcome is final (so the cursor may pass it)."""
    flow, store = runner.flow, runner.store
    with_json = to_json(values) if values else None
    if flow.update_operation and entry.payload_hash != payload_hash(payload_json + (with_json or "")):
        try:
            answer = runner.target().write(flow.update_operation, payload, {**values, "target_id": entry.target_id})
            target_id = replaced_id(runner, answer, entry.target_id)
        except EndpointError as exc:
            store.note(flow.name, entry.key, UPDATE_FAILED + exc.message, to_json(record))
            runner.summary.failed += 1  # counted: a refused update shows in the summary and the exit code
            runner.log("update_failed", flow=flow.name, key=entry.key, reason=exc.message)
            return not exc.transient
        store.intend(flow.name, entry.key, payload_json, to_json(record), with_json)
        if target_id == entry.target_id:
            store.settle(flow.name, entry.key, entry.target_id, entry.status)  # as it was
        else:  # replaced by a new document: the record and its cross-reference now name it
            store.settle(flow.name, entry.key, target_id, entry.status, pair=pair(flow, entry.key, "created"))
            runner.log("record_replaced", flow=flow.name, key=entry.key, target_id=target_id,
                       replaced=entry.target_id)
        runner.summary.updated += 1
    else:
        runner.summary.skipped += 1
    if entry.status == DONE and flow.acks:
        acks.finish(runner, entry.key, record, entry.target_id)
    return True


def replaced_id(runner, answer, target_id):
    """The record's id after its update: the same, unless the update operation `creates` (a document that
    cannot be changed in place is replaced by a new one, e.g. a WordPress media file) and answered the
    new document's id."""
    operations = getattr(getattr(runner.target(), "plan", None), "operations", None) or {}
    decl = operations.get(runner.flow.update_operation)
    if decl is None or not getattr(decl, "creates", False):
        return target_id
    new = getattr(answer, "result", None)
    return target_id if new is None or isinstance(new, bool) or str(new) == str(target_id) else str(new)
