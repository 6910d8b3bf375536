"""Running one flow once: read → type → join → map → create exactly once → acknowledge.

Exactly one target document per source record:

1. before a create, the intent (payload) is committed to the ledger as ``pending``;
2. the write is sent once; on a rejection (4xx) the record goes to the dead letter with the reason;
   on a transient fault or an unknown outcome (timeout, connection reset, 5xx) the target is searched
   by the document's reference *before* any new attempt — if it is there, it was created;
3. on confirmation the ledger holds ``done`` with the target id, then each acknowledgement is written
   back to the source, once (``acked`` when all are); a failed one is retried later on its own, never
   the create (:mod:`engine.runtime.acks`);
4. a record left ``pending`` (crash, or faults outlasting the attempts) is resolved at the start of
   the next run the same way: look up by reference, create only when absent, from the stored intent.

The incremental cursor only moves past records whose outcome is final (done, acked or dead letter).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import Any, Callable

from engine.connectors.base import Endpoint
from engine.connectors.errors import EncodeError, EndpointError
from engine.errors import RecordError, TransformError
from engine.lang.xref import bound
from engine.plan.model import FlowPlan, Plan
from engine.plan.related import RelatedSpec
from engine.runtime import acks, files, inbox_positions, parallel, reserve
from engine.runtime.finder import find_first, pair, search_again
from engine.runtime.heap import frozen_heap, paused_collector
from engine.runtime.lookups import CANNOT_SEARCH, Unknown, search, search_ahead
from engine.runtime.expansion import whole
from engine.runtime.pipeline import Joiner, Outcome, evaluate, prepare
from engine.runtime.removals import REMOVING, Removals, returned
from engine.runtime.lookback import lookback as _lookback
from engine.runtime.spool import SinceTally, Spool, spool_folder
from engine.runtime.state import ACKED, DONE, FAILED, PENDING, RESERVING, REFUSED, REFUSING, Entry, RecordClaimed, \
    StateStore, from_json, to_json
from engine.runtime.updates import already_done

NOT_SENT = "not sent"  # the reason of a pending record known not to be in the target: no search before resending


def _in_doubt(entry: Entry) -> bool:
    """A pending record whose send may have reached the target (a crash, a lost reply): searched first."""
    return not (entry.reason or "").startswith(NOT_SENT)
from engine.runtime.xref_store import flows_by_type


@dataclass
class Summary:
    flow: str
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    acked: int = 0
    ack_failed: int = 0
    pending: int = 0
    found: int = 0  # find-or-create: records found in the target (not created)
    removed: int = 0  # target.remove: documents removed because their record left the source
    refused: int = 0  # reserve: records whose reservation the target refused (runtime/reserve.py)
    error: str | None = None  # the flow could not run to its end
    not_found: list[str] = field(default_factory=list)  # replay: keys the source no longer gives
    started: float = field(default_factory=time.monotonic)
    duration: float = 0.0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("flow", "read", "created", "updated", "skipped", "failed",
                                              "acked", "ack_failed", "pending", "found", "removed", "refused", "error")} | \
            {"duration_s": round(self.duration, 3)}

    def line(self) -> str:
        text = (f"{self.flow}: {self.read} read, {self.created} created, {self.updated} updated, "
                f"{self.skipped} skipped, {self.failed} failed, {self.acked} acknowledged")
        if self.found:
            text += f", {self.found} found"
        text += (f", {self.removed} removed" if self.removed else "") + (f", {self.refused} refused" if self.refused else "")
        if self.ack_failed:
            text += f", {self.ack_failed} acknowledgements to retry"
        if self.pending:
            text += f", {self.pending} pending (resolved next run)"
        text += f" in {self.duration:.2f}s"
        return text + (f" — stopped: {self.error}" if self.error else "")


class FlowRunner:
    def __init__(self, plan: Plan, flow: FlowPlan, endpoints: dict[str, Endpoint], store: StateStore, *,
                 log: Callable[..., None] = lambda event, **fields: None,
                 stop: threading.Event | None = None, create_attempts: int = 10,
                 backoff: float = 0.2, sleep: Callable[[float], None] = time.sleep,
                 plan_source: Callable[[], FlowPlan] | None = None, max_records: int | None = None,
                 resend: frozenset[str] = frozenset(), spool_dir: Path | None = None,
                 live_plan: Callable[[], Plan] | None = None):
        self.plan, self.flow, self.endpoints, self.store = plan, flow, endpoints, store
        self.log, self.stop = log, stop or threading.Event()
        self.create_attempts, self.backoff, self.sleep = create_attempts, backoff, sleep
        self.plan_source = plan_source  # hot reload: the freshest flow plan, taken between records
        self.live_plan = live_plan  # hot reload: the freshest whole plan (an endpoint's `concurrency`)
        self.max_records = max_records  # None: every record the source gives (pages spooled to disk)
        self.spool_dir = spool_dir or spool_folder(store)  # the state folder: the spool is private data
        self.open_at: set[int] = set()  # read positions of the records left open (an inbox keeps their files)
        self.resend = resend  # pending keys the operator asked to send again (replay --key)
        self.ahead: dict[str, Any] = {}  # this page's searches by reference, made together beforehand
        self.summary = Summary(flow.name)
        self.joiner = Joiner(self.read_all, self.fetch_keys)
        self.cut, self.processed, self.open_outcomes = False, 0, 0  # did the run process all it read, all final?
        self.removals = Removals(self)  # target.remove: what the read gives, what left the source

    # -- reading through the endpoints ----------------------------------------------------------------
    def read_all(self, spec: RelatedSpec) -> Iterable[list]:
        return self.endpoints[spec.endpoint].read(spec.resource)

    def fetch_keys(self, spec: RelatedSpec, values: list) -> Iterable[list]:
        return self.endpoints[spec.endpoint].read(spec.resource, keys=(spec.fields[0], values))

    def unique_keys(self, spec: RelatedSpec) -> bool:
        resource = self.plan.connectors[spec.endpoint].resources.get(spec.resource)
        return resource is not None and bool(spec.fields) and resource.key == spec.fields[0]

    def current(self) -> FlowPlan:
        if self.plan_source is not None:
            self.flow = self.plan_source()  # between records only
        return self.flow

    def xref_bound(self):
        """While records are mapped, the `xref` transform translates ids through this state's pairs."""
        return bound(self.store.xref_resolver(flows_by_type(self.plan)))

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> Summary:
        try:
            with frozen_heap(), self.xref_bound():  # what existed before the run is not walked by the GC
                self.resume()
                if not self.stop.is_set():
                    self.read_and_process()
        except (EndpointError, TransformError, RecordClaimed) as exc:  # claimed: another writer has the record
            self.summary.error = str(exc)
            self.log("flow_error", flow=self.flow.name, error=str(exc))
        self.summary.duration = time.monotonic() - self.summary.started
        return self.summary

    def resume(self) -> None:
        """Finish what an earlier run left open: unknown outcomes first, then acknowledgements."""
        for entry in self._each(PENDING):  # one entry in memory at a time (keys first)
            if self.stop.is_set():
                return
            intent = entry.payload or "null"  # a pending entry always holds its intent
            record = self.stored_record(entry.record)
            values = from_json(entry.target_with) if entry.target_with else {}
            self.create(entry.key, from_json(intent), intent, record, values, resumed=_in_doubt(entry))
        for entry in self._each(DONE):
            if self.stop.is_set():
                return
            if self.flow.acks and entry.record:  # only the acknowledgements still missing
                acks.finish(self, entry.key, self.stored_record(entry.record), entry.target_id)
        reserve.resume(self)  # reservations without an answer, refusals still to write (runtime/reserve.py)

    def stored_record(self, text: str | None) -> Any:
        """A record kept in the state, typed again with the plan of the day: it was typed with the fields
        its plan read then (plan/usage.py), and an acknowledgement added since may read others."""
        record = from_json(text) if text else None
        coerce = self.flow.types.get(self.flow.source_resource)
        try:
            return coerce(record) if coerce is not None and isinstance(record, dict) else record
        except TransformError:
            return record  # a value the connector's type refuses: the acknowledgement reading it says so

    def _each(self, status: str) -> Iterable[Entry]:
        for key in self.store.keys(self.flow.name, status):
            entry = self.store.entry(self.flow.name, key)
            if entry is not None and entry.status == status:
                yield entry

    def batch(self) -> Spool:
        """The pages of this run. Read before writing anything: acknowledgements move records out of
        the source's filter, and an offset-paged read running meanwhile would skip a page per page.
        The pages go to a private file on disk as they are read (:mod:`engine.runtime.spool`), so a
        run of any size holds one page in memory; ``max_records`` (None: no limit) cuts a batch."""
        flow = self.flow
        cursor = self.store.get_cursor(flow.name)
        since = (flow.since, _lookback(cursor, flow.lookback)) if flow.since and cursor else None
        spool = Spool(self.spool_dir, held=flow.group is not None)  # groups are mapped from the whole read
        try:
            for page in self.endpoints[flow.source_endpoint].read(flow.source_resource, where=dict(flow.where) or None,
                                                                  since=since, page_size=flow.page_size):
                spool.add(page)
                if (self.max_records is not None and spool.records >= self.max_records and flow.group is None) \
                        or self.stop.is_set():  # groups stay whole
                    self.cut = True
                    break  # the rest comes next run: the cursor only covers what was processed
        except BaseException:
            spool.close()
            raise
        return spool

    def read_and_process(self) -> None:
        flow = self.flow
        cursor = self.store.get_cursor(flow.name)
        with self.batch() as spooled, SinceTally(self.spool_dir) as tally:  # closed (gone) however it ends
            self.process_pages(spooled, tally)
            best = tally.best()  # the largest final value before every open one
            complete = not self.cut and not self.stop.is_set() and spooled.records == self.processed
        inbox_positions.settle(self, complete)  # an inbox moves each file whose records are all final
        self.removals.sweep(complete)  # what left the source is removed from the target (removals.py)
        if best is not None and (cursor is None or best > cursor):
            self.store.set_cursor(flow.name, best)

    def process_pages(self, pages: Iterable[list], tally: SinceTally) -> None:
        flow = self.flow
        for page in whole(flow, pages):  # one page in memory at a time (a grouping flow: all at once)
            if self.stop.is_set():
                break
            current = self.current()  # hot reload: a new plan applies from the next page on
            if (current.group is None) != (flow.group is None):  # pages were cut for the other plan:
                break  # a group from one page would lack members; the rest next run, read whole
            with paused_collector(flow.group is not None):  # the whole read: no GC walks meanwhile (heap.py)
                prepared = self.removals.expand(current, prepare(current, page, self.joiner, self.unique_keys))
                outcomes = [evaluate(current, outcome) for outcome in prepared]  # items, groups
            self.ahead = search_ahead(current, self.target(), self.store, outcomes)
            left: list = []  # the raw records whose outcome is not final
            for outcome, finished in self.each(outcomes):
                record = outcome.raw
                self.open_outcomes += not finished
                left += [] if finished else record if isinstance(record, list) else [record]  # a group: its members
                if flow.since and isinstance(record, dict) and record.get(flow.since) is not None:
                    tally.add(str(record[flow.since]), finished)
            self.open_at.update(inbox_positions.positions(page, left, self.processed))  # the records read then left open
            self.processed += len(page)
            self.log("progress", **self.summary.as_dict())

    def each(self, outcomes: list[Outcome]) -> Iterable[tuple[Outcome, bool]]:
        """Each record of a page processed, in record order with whether its outcome is final; N at
        a time when the target endpoint declares ``concurrency: N`` (:mod:`engine.runtime.parallel`)."""
        n = parallel.width(self)
        if n > 1:
            yield from parallel.process(self, outcomes, n)
            return
        for outcome in outcomes:
            if self.stop.is_set():
                break
            self.summary.read += 1
            yield outcome, self.process(outcome)

    # -- one record ---------------------------------------------------------------------------------
    def process(self, outcome: Outcome) -> bool:
        """Returns True when the record's outcome is final (so the cursor may pass it)."""
        flow, key = self.flow, outcome.key
        if outcome.error is not None:
            self.dead_letter(key, outcome.error, outcome.record)
            return True
        if outcome.skipped:
            self.summary.skipped += 1
            return True
        unsendable = files.attach(self, outcome)  # declared files read once, their hashes in payload_json
        if unsendable is not None:
            self.dead_letter(key, unsendable, outcome.record)
            return True
        entry = self.store.entry(flow.name, key)
        payload, payload_json, record, values = outcome.payload, outcome.payload_json or "", outcome.record, \
            outcome.values or {}
        if entry is not None and entry.status in (DONE, ACKED):
            return already_done(self, entry, payload, payload_json, record, values)
        if entry is not None and entry.status in (RESERVING, REFUSING, REFUSED):  # reserve: where it stopped
            return reserve.again(self, entry)
        if entry is not None and entry.status == REMOVING:  # back in the source before its removal is settled
            return returned(self, entry)
        if entry is not None and entry.status == PENDING:  # unknown outcome earlier: resend the stored intent
            stored = from_json(entry.target_with) if entry.target_with else values
            intent = entry.payload or "null"  # ... searched for first unless it is known it never arrived
            return self.create(key, from_json(intent), intent, record, stored, resumed=_in_doubt(entry))
        if flow.find is not None:  # find-or-create: search the target first (finder.py)
            found = find_first(self, outcome, entry)
            if found is not None:
                return found
        if flow.reserve is not None:  # the goods held in the target first, then the document
            return reserve.first(self, key, payload, payload_json, record, values)
        return self.create(key, payload, payload_json, record, values)

    def target(self):
        return self.endpoints[self.flow.target_endpoint]

    def create(self, key: str, payload: Any, payload_json: str, record: dict | None, values: dict,
               resumed: bool = False) -> bool:
        """Create the target document once. ``resumed``: an earlier send's outcome is unknown. The target
        is searched first when in doubt, and always when the flow says so; "cannot tell" holds the
        record pending (next run tries again, the cursor waits) — a document is never sent blind."""
        flow = self.flow
        record_json = to_json(record) if record is not None else None
        with_json = to_json(values) if values else None
        if resumed or flow.lookup_first:
            found = self.lookup(payload, None if resumed else key, record)
            if found is CANNOT_SEARCH and resumed and not flow.target_op.idempotent and not self.resend_ok(key):
                return self.hold(key, payload_json, record_json, with_json, "the outcome of an earlier send is "
                                 "unknown and the target cannot be searched by reference: check the target, "
                                 f"then `passerelle replay --key {key}` to send it again")
            if isinstance(found, Unknown):
                return self.hold(key, payload_json, record_json, with_json, found.reason)
            if found is not None and found is not CANNOT_SEARCH:
                if not resumed:  # there before this record was ever sent: found, not created
                    self.summary.found += 1
                    self.log("record_found", flow=flow.name, key=key, target_id=found)
                self.confirmed(key, found, record, created=resumed, how="created" if resumed else "found")
                return True
        self.store.intend(flow.name, key, payload_json, record_json, with_json, creating=True)
        last = ""
        for attempt in range(self.create_attempts):
            if self.stop.is_set() and attempt:
                break
            try:
                target_id = self.target().write(flow.target_operation, payload, values).result  # read (decoded) here
            except EndpointError as exc:
                if not exc.transient and not exc.outcome_unknown:
                    why = "cannot be sent" if isinstance(exc, EncodeError) else "rejected by the target"
                    self.dead_letter(key, RecordError(f"{why}: {exc.message}", flow.name, key, "",
                                                      flow.item.loc("target")), record, payload_json)
                    return True
                if exc.unreachable:  # nothing answers: every other record would wait the same
                    self.store.note(flow.name, key, f"{NOT_SENT}: {exc.message}")
                    self.summary.pending += 1  # its intent is in the ledger: resolved next run
                    raise
                last = exc.message
                if exc.outcome_unknown:  # the target may hold it now: look before anything else
                    try:
                        found = self.lookup(payload, None, record)
                    except EndpointError as gone:  # the target died with the write in flight
                        self.hold(key, None, None, None, f"{last}; then the search: {gone.message}")
                        raise
                    if isinstance(found, Unknown):
                        return self.hold(key, None, None, None, f"{last}; then {found.reason}")
                    if found is CANNOT_SEARCH and not flow.target_op.idempotent:
                        return self.hold(key, None, None, None, f"{last}; the outcome is unknown and the target "
                                         f"cannot be searched by reference: check it, then `passerelle replay "
                                         f"--key {key}`")
                    if found is not None and found is not CANNOT_SEARCH:
                        self.confirmed(key, found, record, created=True)
                        return True
                self.sleep(min(5.0, self.backoff * (2 ** attempt)))
                continue
            self.confirmed(key, target_id, record, created=True)
            return True
        # every attempt failed before reaching the target, or was looked for and is not there
        return self.hold(key, None, None, None, f"{NOT_SENT} after {self.create_attempts} attempts: {last}")

    def resend_ok(self, key: str) -> bool:
        """The operator checked the target and asked for this record to be sent again (replay --key)."""
        return key in self.resend

    def hold(self, key: str, payload_json: str | None, record_json: str | None, with_json: str | None,
             reason: str) -> bool:
        """Leave the record pending with why; the next run resolves it (look-up first). Returns False:
        the record's outcome is not final, so the incremental cursor stays before it."""
        if payload_json is not None:
            self.store.intend(self.flow.name, key, payload_json, record_json, with_json)
        self.store.note(self.flow.name, key, reason)
        self.summary.pending += 1
        self.log("record_pending", flow=self.flow.name, key=key, reason=reason)
        return False

    def lookup(self, payload: Any, key: str | None = None, record: Any = None) -> Any:
        """The id of the document already created for ``payload``; None if absent; CANNOT_SEARCH when
        the flow declares no way to search; an Unknown (with why) when the search could not answer.
        With ``key``, an answer fetched for this page ahead of time is taken when there is one."""
        if key is not None and key in self.ahead:
            return self.ahead.pop(key)
        found = search(self.flow, self.target(), payload)
        if found is CANNOT_SEARCH and self.flow.find is not None:  # the find's match answers instead
            return search_again(self.flow, self.target(), record, key)
        return found

    def confirmed(self, key: str, target_id: Any, record: dict | None, created: bool, how: str = "created") -> None:
        """The target has the document: record it with its cross-reference pair (one commit), then
        acknowledge (:mod:`engine.runtime.acks`)."""
        if created:
            self.summary.created += 1
            self.log("record_created", flow=self.flow.name, key=key, target_id=target_id)
        kept = pair(self.flow, key, how)  # the cross-reference, in the same commit as the settle
        if not self.flow.acks:
            self.store.settle(self.flow.name, key, target_id, ACKED, pair=kept)
        elif record is None:
            self.store.settle(self.flow.name, key, target_id, DONE, pair=kept)
        else:
            acks.confirmed(self, key, record, target_id, pair=kept)

    def dead_letter(self, key: Any, error: RecordError, record: dict | None, payload_json: str | None = None):
        loc = str(error.loc) if error.loc else None
        reason = error.detail
        self.store.failed(self.flow.name, str(key), reason, loc, payload_json,
                          to_json(record) if record is not None else None)  # replay maps it again
        self.summary.failed += 1
        self.log("record_failed", flow=self.flow.name, key=str(key), reason=reason, loc=loc)


__all__ = ["FAILED", "FlowRunner", "Summary"]
