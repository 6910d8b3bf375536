"""Removals (``target.remove``): a document this flow created whose record is no longer in the source
is removed from the target, exactly once.

What disappeared is told two ways, both only when the flow declares ``target.remove``:

* **per source record** (a fan-out flow, with or without ``since``/``where``): a record read this run
  gives its items; the item keys it gave when last read and does not give any more are gone (an
  article read again with one quantity tier fewer). A record that failed as a whole (its list is
  wrong, a join failed) removes nothing. Which record gave which item is kept in the state
  (:mod:`engine.runtime.removal_store`);
* **whole read** (a flow without ``since`` and ``where``): a key created earlier (``done`` or
  ``acked``) and not given by this run's read is gone — only when the run read and processed its
  whole source (no error, no stop, no record bound, no page failure). The items of a fan-out record
  that failed this run are kept.

A run that would remove more than ``max_percent`` % of the flow's created records (and more than
``always_up_to``) removes nothing and says why: an empty read from a misconfigured filter must not
wipe a shop. Otherwise, for each key:

1. the intent — status ``removing`` with the operation's values (from the ledger entry: the target
   id, the last payload, the key) — is committed before the delete is sent;
2. the delete is sent; a 2xx, a 404 or a 410 (already gone) is confirmed as ``removed``;
3. a refusal (another 4xx) stays ``removing`` with the reason ``remove failed: …`` (``failures`` lists
   it, ``replay`` sends it again); a transient fault or an unknown outcome stays ``removing`` and the
   next run sends it again first (a delete is idempotent: a second one answers 404 = done).

A removed key that comes back in the source is created again (its entry is no longer ``done``). A key
still ``removing`` that comes back is held (not final): the next run settles the removal first.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.connectors.errors import EndpointError
from engine.plan.model import FlowPlan
from engine.runtime.expansion import expand
from engine.runtime.removal_store import REMOVE_FAILED, REMOVED, REMOVING
from engine.runtime.state import ACKED, DONE, Entry, from_json, to_json

GONE = (404, 410)  # the document is not there: removed already


class Removals:
    """One run's view of what its read gave, and the removals it sends (see the module)."""

    def __init__(self, runner: Any):
        self.runner = runner
        self.seen: set[str] = set()  # every key this run's read gave (items, groups, records, failed or not)
        self.given: dict[str, set[str]] = {}  # fan-out: source record key -> the item keys it gives now
        self.failed: set[str] = set()  # fan-out: source records that failed as a whole (nothing removed)
        self.resumed = False

    @property
    def flow(self) -> FlowPlan:
        return self.runner.flow

    # -- while reading --------------------------------------------------------------------------------
    def expand(self, flow: FlowPlan, prepared: list) -> list:
        """:func:`engine.runtime.expansion.expand`, noting which keys the read gives (and per record)."""
        out = expand(flow, prepared)
        if flow.remove is None:
            return out
        self.resume()  # removals left open are settled before any record is written
        if flow.fan_out is not None:
            whole = {id(outcome): outcome.key for outcome in prepared}  # records kept as they are
            parent_of = {id(outcome.raw): outcome.key for outcome in prepared}
            for outcome in out:
                if id(outcome) in whole and outcome.error is not None:  # the record failed as a whole
                    self.failed.add(outcome.key)
                elif id(outcome) in whole:  # the record gives no item now (its list is empty)
                    self.given.setdefault(outcome.key, set())
                else:
                    self.given.setdefault(parent_of.get(id(outcome.raw), ""), set()).add(outcome.key)
        self.seen.update(str(outcome.key) for outcome in out)
        return out

    # -- after the read ---------------------------------------------------------------------------------
    def sweep(self, complete: bool) -> None:
        """The removals this run can tell, sent (or held by the safety limit)."""
        flow, runner = self.flow, self.runner
        plan = flow.remove
        if plan is None or runner.stop.is_set():
            return
        self.resume()
        entries, total = self.due(complete)
        if flow.fan_out is not None:  # which record gives which item, as read now
            runner.store.removals().keep_children(flow.name, self.given, [])
        if not entries:
            return
        if plan.held(len(entries), total):
            why = held_reason(plan, len(entries), total)
            runner.summary.error = why
            runner.log("removals_held", flow=flow.name, count=len(entries), total=total, reason=why)
            return
        run = runner.store.removals()
        for entry in entries:
            if runner.stop.is_set():
                return
            values = plan.write_values(entry.target_id, from_json(entry.payload) if entry.payload else None,
                                       entry.key)
            run.intend(flow.name, entry.key, to_json(values))
            self.send(entry.key, entry.target_id, values)

    def due(self, complete: bool) -> tuple[list[Entry], int]:
        """The created entries whose records this read no longer gives (``complete``: the whole source
        was read and processed), and how many records the flow has created; reads the state only."""
        flow, runner = self.flow, self.runner
        run = runner.store.removals()
        gone: set[str] = set()
        protected: set[str] = set()
        if flow.fan_out is not None:
            before = run.children(flow.name, set(self.given) | self.failed)
            for parent, now in self.given.items():
                gone.update(before.get(parent, set()) - now)
            protected = {key for parent in self.failed for key in before.get(parent, ())}
        if flow.remove is not None and flow.remove.whole_read and complete:
            created = [key for status in (DONE, ACKED) for key in runner.store.keys(flow.name, status)]
            gone.update(key for key in created if key not in self.seen)
        gone -= protected
        gone -= self.seen  # given by another record this run
        entries = [entry for entry in (runner.store.entry(flow.name, key) for key in sorted(gone))
                   if entry is not None and entry.status in (DONE, ACKED)]
        counts = runner.store.counts(flow.name)
        return entries, counts.get(DONE, 0) + counts.get(ACKED, 0)

    # -- open removals --------------------------------------------------------------------------------
    def resume(self) -> None:
        """Removals whose outcome is unknown (a crash, a lost reply, a fault) sent again, once per run;
        refused ones wait for ``replay``."""
        if self.resumed or self.flow.remove is None:
            return
        self.resumed = True
        self.send_again(entry for entry in self.open() if not (entry.reason or "").startswith(REMOVE_FAILED))

    def open(self) -> Iterable[Entry]:
        store, flow = self.runner.store, self.flow
        for key in store.keys(flow.name, REMOVING):
            entry = store.entry(flow.name, key)
            if entry is not None and entry.status == REMOVING:
                yield entry

    def send_again(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if self.runner.stop.is_set():
                return
            values = from_json(entry.target_with) if entry.target_with else {}
            self.send(entry.key, entry.target_id, values)

    def send(self, key: str, target_id: Any, values: dict) -> bool:
        """One delete; True when the document is confirmed gone."""
        flow, runner = self.flow, self.runner
        assert flow.remove is not None
        try:
            runner.target().write(flow.remove.operation, None, values)
        except EndpointError as exc:
            if exc.status not in GONE or exc.transient:
                final = not exc.transient and not exc.outcome_unknown and not exc.unreachable
                reason = (REMOVE_FAILED if final else "remove pending: ") + exc.message
                runner.store.note(flow.name, key, reason)
                if final:
                    runner.summary.failed += 1
                else:
                    runner.summary.pending += 1
                runner.log("remove_failed" if final else "remove_pending", flow=flow.name, key=key, reason=exc.message)
                if exc.unreachable:
                    raise
                return False
        runner.store.settle(flow.name, key, target_id, REMOVED)
        runner.summary.removed += 1
        runner.log("record_removed", flow=flow.name, key=key, target_id=target_id)
        return True


def held_reason(plan: Any, count: int, total: int) -> str:
    """Why the safety limit holds ``count`` removals of the flow's ``total`` created records."""
    return (f"removal held: this run would remove {count} of the flow's {total} created records, more "
            f"than `target.remove.max_percent` ({plan.max_percent} %): nothing removed. If the source "
            "really lost them, raise max_percent for one run; else check the source's read "
            "(`where`, `filter`, the connection)")


def returned(runner: Any, entry: Entry) -> bool:
    """A key whose removal is not confirmed is in the source again: held (not final). A refused removal
    left the document in place: the entry is created again (``done``), so the next run updates it."""
    if (entry.reason or "").startswith(REMOVE_FAILED):
        runner.store.settle(runner.flow.name, entry.key, entry.target_id, DONE)
    runner.summary.pending += 1
    runner.log("record_pending", flow=runner.flow.name, key=entry.key,
               reason="its removal is not confirmed yet: settled by the next run")
    return False


def replay(runner: Any, keys: list[str] | None) -> list[str]:
    """``passerelle replay``: the refused or pending removals (those named, or all) sent again."""
    tracker = Removals(runner)
    entries = [entry for entry in tracker.open() if not keys or entry.key in keys]
    tracker.send_again(entries)
    return [entry.key for entry in entries]


__all__ = ["REMOVED", "REMOVING", "Removals", "held_reason", "replay", "returned"]
