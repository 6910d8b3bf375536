"""Find-or-create (``target.find``): before creating a record the ledger does not know, read the target
resource filtered by the flow's ``match`` and decide.

* one item found: the record is *found* — its id is settled in the ledger as done (with its pair in the
  cross-reference store), counted ``found``; with ``target.update`` the item is updated first (the
  ledger knows no payload for it yet);
* none: the record is created as any other (intent before write, look-up after doubt);
* several: dead letter, "2 clients match Email='…': cannot tell which" (nothing written);
* the search cannot answer (network, 5xx, an unreadable answer): the record stays pending for the next
  run — never created blind (as :mod:`engine.runtime.lookups`);
* a ``match`` value that is null (a customer without e-mail cannot be found by e-mail): no search, the
  record is created, and the log says why (``find_skipped``).

The same search answers the look-up after doubt (a lost reply, a crash between intent and settle) of a
flow whose operation has no ``find`` by reference (:func:`search_again`).
"""
from __future__ import annotations

from typing import Any

from engine.connectors.errors import EndpointError
from engine.errors import RecordError, TransformError
from engine.plan.find import FindPlan
from engine.plan.model import FlowPlan
from engine.runtime.lookups import CANNOT_SEARCH, Unknown
from engine.runtime.state import to_json
from engine.runtime.xref_store import Pair

ABSENT = object()  # searched: nothing there
SKIPPED = object()  # not searched: a match value is null


class Found:
    def __init__(self, target_id: Any):
        self.target_id = target_id


def _same(theirs: Any, ours: Any) -> bool:
    return str(theirs).casefold() == str(ours).casefold()


def search_match(flow: FlowPlan, find: FindPlan, endpoint: Any, scope: Any, key: str) -> Any:
    """Found, ABSENT, SKIPPED, an Unknown (cannot answer), or a RecordError (several, no id, bad value)."""
    values: dict[str, Any] = {}
    try:
        for field, get in find.match:
            values[field] = get(scope)
    except TransformError as exc:
        return RecordError(str(exc), flow.name, key, "target.find", find.loc)
    if any(value is None for value in values.values()):
        return SKIPPED
    if any(isinstance(value, (list, dict)) for value in values.values()):
        return RecordError(f"a match value must be one value, got {find.describe(values)}",
                           flow.name, key, "target.find", find.loc)
    found: list = []
    try:
        for page in endpoint.read(find.resource, where=values):
            # a server may filter loosely (substring, accents): keep the items whose fields are ours
            found += [item for item in page if isinstance(item, dict) and all(
                field not in item or _same(item[field], value) for field, value in values.items())]
            if len(found) > 1:
                break
    except EndpointError as exc:
        if exc.unreachable:
            raise
        return Unknown(f"the find by {find.describe(values)} could not answer: {exc.message}")
    if not found:
        return ABSENT
    if len(found) > 1:
        return RecordError(f"{len(found)} {find.resource} match {find.describe(values)}: cannot tell which",
                           flow.name, key, "target.find", find.loc)
    try:
        target_id = find.id(found[0])
    except TransformError as exc:
        target_id, why = None, str(exc)
    else:
        why = f"its `{find.id_text}` is null"
    if target_id is None or isinstance(target_id, (list, dict)):
        return RecordError(f"the {find.resource} item matching {find.describe(values)} has no id: {why}",
                           flow.name, key, "target.find", find.loc)
    return Found(target_id)


def pair(flow: FlowPlan, key: str, how: str) -> Pair:
    return Pair(flow.source_endpoint, flow.xref_type or flow.source_resource, str(key), flow.target_endpoint,
                flow.name, how)


def find_first(runner: Any, outcome: Any, entry: Any) -> bool | None:
    """Search before a first create. None: create it; else whether the record's outcome is final."""
    flow, key = runner.flow, outcome.key
    answer = search_match(flow, flow.find, runner.target(), outcome.enriched, key)
    if answer is ABSENT:
        return None
    if answer is SKIPPED:
        runner.log("find_skipped", flow=flow.name, key=key,
                   reason="a match value is null: created without searching")
        return None
    if isinstance(answer, RecordError):
        runner.dead_letter(key, answer, outcome.record, outcome.payload_json)
        return True
    if isinstance(answer, Unknown):  # no entry written: the next run searches again, never creates blind
        if entry is not None:
            runner.store.note(flow.name, key, answer.reason)
        runner.summary.pending += 1
        runner.log("record_pending", flow=flow.name, key=key, reason=answer.reason)
        return False
    target_id = answer.target_id
    values = outcome.values or {}
    if flow.update_operation:
        try:
            runner.target().write(flow.update_operation, outcome.payload, {**values, "target_id": target_id})
        except EndpointError as exc:
            reason = f"found as {target_id}, but the update failed: {exc.message}"
            if exc.transient or exc.outcome_unknown:
                runner.summary.pending += 1
                runner.log("record_pending", flow=flow.name, key=key, reason=reason)
                return False
            runner.dead_letter(key, RecordError(reason, flow.name, key, "target.update", flow.item.loc("target")),
                               outcome.record, outcome.payload_json)
            return True
        runner.summary.updated += 1
    runner.store.intend(flow.name, key, outcome.payload_json or "null", to_json(outcome.record),
                        to_json(values) if values else None)
    runner.summary.found += 1
    runner.log("record_found", flow=flow.name, key=key, target_id=target_id)
    runner.confirmed(key, target_id, outcome.record, created=False, how="found")
    return True


def search_again(flow: FlowPlan, endpoint: Any, record: Any, key: str | None) -> Any:
    """The look-up after doubt by the find's match (the record as stored): the id, None, an Unknown, or
    CANNOT_SEARCH (a null match value: the runner then asks the operator, as for any flow)."""
    if flow.find is None or record is None:
        return CANNOT_SEARCH
    if flow.lets is not None and isinstance(record, dict):  # the match may name a let, as at the first search
        try:
            record = flow.lets(record)
        except (RecordError, TransformError):
            return CANNOT_SEARCH
    answer = search_match(flow, flow.find, endpoint, record, str(key))
    if answer is SKIPPED:
        return CANNOT_SEARCH
    if isinstance(answer, Found):
        return answer.target_id
    if answer is ABSENT:
        return None
    if isinstance(answer, Unknown):
        return answer
    return Unknown(f"the find cannot tell whether it was created: {answer.reason}")


__all__ = ["find_first", "pair", "search_again", "search_match"]
