"""Processing the queued webhook events of a flow: the SAME record path and ledger as a polled record
(:class:`engine.runtime.runner.FlowRunner`), under the flow's lease — an order that arrives by webhook
and again by the safety-net poll is created once, whichever comes first.

Per record key, events go in the order of the source's own change time (the topic's ``changed``
field); an event older than a state already processed for its key — by a webhook, or by the poll as
the ledger holds it — is discarded (``stale``, logged), and a flow that declares ``coalesce: true`` (stock levels) sends only the latest event of a burst per key
(the others ``superseded``). An event is settled only once its record is final in the ledger
(created, updated, found, skipped or set aside in the dead letter with its reason, which ``failures``
lists and ``replay`` sends again); a record left pending (the target unreachable, an unknown outcome)
keeps its event queued, tried again a little later. Records the flow's ``source.where`` would not
read (another status) are ignored, as the poll would not have read them.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from engine.connectors.errors import EndpointError
from engine.errors import TransformError
from engine.plan.model import FlowPlan
from engine.runtime import event_store as events
from engine.runtime.endpoints import ConfigError
from engine.runtime.lease import Busy
from engine.runtime.lookups import search_ahead
from engine.runtime.pipeline import evaluate, prepare, record_key
from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.state import ACKED, DONE, FAILED, from_json
from engine.runtime.webhook_intake import body_value, instant, parse_body

KEEP = 60.0  # seconds a flow's endpoints and reference lists serve successive batches of events


@dataclass
class Item:
    event: events.Event
    record: dict
    key: str
    changed: float


def selected(flow: FlowPlan, record: dict) -> bool:
    """Would the flow's ``source.where`` have read this record (each field equal to, or one of, its values)?"""
    for field, wanted in flow.where.items():
        values = wanted if isinstance(wanted, (list, tuple)) else [wanted]
        if str(record.get(field)) not in {str(v) for v in values}:
            return False
    return True


class EventProcessor:
    """Works off the queue in a thread of ``serve``: woken by the intake, and every second for events
    left from before (a restart) or held back (a busy lease, an unreachable target)."""

    def __init__(self, session: Any, queue: Any, wake: threading.Event | None = None, *, retry: float = 2.0,
                 lease_wait: float = 1.0, batch: int = 500, flows: Collection[str] | None = None):
        self.session, self.queue = session, queue
        self.wake = wake or threading.Event()
        self.retry, self.lease_wait, self.batch = retry, lease_wait, batch
        self.flows = frozenset(flows) if flows else None  # `serve --flow`: only these flows' events
        self.not_before: dict[str, float] = {}
        self.log: Callable[..., None] = session.log
        self._pruned = 0.0
        self.kept: dict[str, tuple] = {}  # flow -> (plan, endpoints, joiner, opened at): engine.runtime.webhook_run.opened

    def run_forever(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.wake.wait(1.0)
                self.wake.clear()
                try:
                    self.work_off(stop)
                except Exception as exc:  # keep serving whatever one pass met (its events stay queued)
                    self.log("webhook_error", error=f"{type(exc).__name__}: {exc}")
                    stop.wait(self.retry)
        finally:
            self.close()

    def work_off(self, stop: threading.Event | None = None) -> None:
        """Process every flow with queued events once (a flow held back waits for its time)."""
        now = time.monotonic()
        for name in self.queue.flows_waiting():
            if (stop is not None and stop.is_set()) or self.not_before.get(name, 0.0) > now \
                    or (self.flows is not None and name not in self.flows):
                continue
            self.process_flow(name)
        if time.time() - self._pruned > 3600:
            self.queue.prune()
            self._pruned = time.time()

    def process_flow(self, name: str) -> Summary | None:
        session, queue = self.session, self.queue
        plan = session.live.current()
        flow = plan.flows.get(name)
        if flow is None or flow.webhooks is None:  # a reload took its webhooks away: the poll brings them
            why = "the flow takes no webhooks any more" if flow is not None else "the flow is no longer in the plan"
            for event in queue.queued(name, self.batch):
                queue.settle(event.id, events.IGNORED, why)
                self.log("webhook_ignored", flow=name, topic=event.topic, delivery=event.delivery, reason=why)
            return None
        try:
            lease = session.flow_lease(name, self.lease_wait)
        except Busy:  # a poll of this flow is running: its turn comes right after
            self.not_before[name] = time.monotonic() + 0.2
            return None
        with lease:
            try:
                rounds = self.ordered(flow, queue.queued(name, self.batch))
                if not rounds:
                    return None
                try:
                    endpoints, joiner = self.opened(plan, flow)
                except ConfigError as exc:
                    self.log("flow_error", flow=name, error=str(exc))
                    self.not_before[name] = time.monotonic() + self.retry
                    return None
                runner = FlowRunner(plan, flow, endpoints, session.state, log=self.log, stop=session.stop,
                                    plan_source=lambda: session.live.current().flows.get(name, flow),
                                    live_plan=session.live.current, **session.runner_options)
                if joiner is not None:
                    runner.joiner = joiner  # the reference lists read for the events before
                kept = self.kept[name]
                self.kept[name] = (kept[0], kept[1], runner.joiner, kept[3])
                try:
                    with runner.xref_bound():
                        for items in rounds:
                            self.process_round(runner, items)
                except (EndpointError, TransformError) as exc:
                    runner.summary.error = str(exc)
                    self.log("flow_error", flow=name, error=str(exc))
                    self.drop(name)
            finally:
                queue.release(name)  # the events taken and not settled: back to any worker
        summary = runner.summary
        summary.duration = time.monotonic() - summary.started
        if summary.error or summary.pending:
            self.not_before[name] = time.monotonic() + self.retry
        self.log("webhook_summary", **summary.as_dict())
        return summary

    def opened(self, plan: Any, flow: FlowPlan) -> tuple[dict, Any]:
        """The flow's endpoints (and the joiner holding its reference lists), kept open from one batch of
        events to the next for ``KEEP`` seconds while the plan stays the same — then opened afresh."""
        kept = self.kept.get(flow.name)
        if kept is not None and kept[0] is plan and time.monotonic() - kept[3] < KEEP:
            return kept[1], kept[2]
        self.drop(flow.name)
        endpoints = self.session.open_endpoints(plan, flow)
        self.kept[flow.name] = (plan, endpoints, None, time.monotonic())
        return endpoints, None

    def drop(self, name: str) -> None:
        kept = self.kept.pop(name, None)
        for endpoint in (kept[1].values() if kept else ()):
            endpoint.close()

    def close(self) -> None:
        for name in list(self.kept):
            self.drop(name)

    def ordered(self, flow: FlowPlan, queued: list[events.Event]) -> list[list[Item]]:
        """The events as rounds of at most one per key, each key's in its source's change order; the
        ones that are not to be processed settled here with why."""
        hooks = flow.webhooks
        assert hooks is not None
        by_key: dict[str, list[Item]] = {}
        for event in queued:
            topic = hooks.decl.topics.get(event.topic) if event.topic in hooks.topics else None
            if topic is None:
                self.set_aside(flow, event, events.IGNORED, f"topic '{event.topic}' is not taken by the flow any more")
                continue
            try:
                record = parse_body(event.body or "")
            except ValueError:
                record = None
            if not isinstance(record, dict):
                self.set_aside(flow, event, events.FAILED, "the body is not a JSON record")
                continue
            key = record_key(flow, record)
            if key in ("None", ""):
                self.set_aside(flow, event, events.FAILED, "the record has no key")
                continue
            changed = instant(body_value(record, topic.changed))
            by_key.setdefault(key, []).append(Item(event, record, key, event.received_at if changed is None
                                                   else changed))
        lanes = []
        for key, items in by_key.items():
            items.sort(key=lambda item: (item.changed, item.event.received_at))
            path = hooks.decl.topics[items[0].event.topic].changed
            known = [self.queue.last_changed(flow.name, key), self.ledger_changed(flow, key, path)]
            last = max((moment for moment in known if moment is not None), default=None)
            for item in items:
                if last is not None and item.changed < last:
                    self.set_aside(flow, item.event, events.STALE, "older than a state of this record already "
                                   "processed", key=key)
            items = [item for item in items if last is None or item.changed >= last]
            if hooks.coalesce and len(items) > 1:
                for item in items[:-1]:
                    self.set_aside(flow, item.event, events.SUPERSEDED, "a later event of this record came in the "
                                   "same burst", key=key)
                items = items[-1:]
            lanes.append([self.taken(flow, item) for item in items])
        rounds = ([item for item in lane if item is not None] for lane in itertools.zip_longest(*lanes))
        return [items for items in rounds if items]

    def ledger_changed(self, flow: FlowPlan, key: str, path: tuple[str, ...]) -> float | None:
        """The change time of the record as the ledger last settled it (a poll's too): an event older than
        that is stale whichever way the newer state came."""
        entry = self.session.state.entry(flow.name, key)
        if entry is None or entry.status not in (DONE, ACKED, FAILED) or not entry.record:
            return None
        try:
            return instant(body_value(from_json(entry.record), path))
        except ValueError:
            return None

    def taken(self, flow: FlowPlan, item: Item) -> Item | None:
        """``item``, or None when its record is one the flow's ``source.where`` would not read (another
        status): ignored, as the poll would, and counted as this record's latest state seen."""
        if selected(flow, item.record):
            return item
        self.queue.processed(flow.name, item.key, item.changed)
        self.set_aside(flow, item.event, events.IGNORED, "a record the flow's source.where does not read", item.key)
        return None

    def set_aside(self, flow: FlowPlan, event: events.Event, status: str, reason: str, key: str | None = None) -> None:
        self.queue.settle(event.id, status, reason)
        self.log("webhook_" + status, flow=flow.name, topic=event.topic, delivery=event.delivery, key=key,
                 reason=reason)

    def process_round(self, runner: FlowRunner, items: list[Item]) -> None:
        flow, queue = runner.current(), self.queue
        by_key = {item.key: item for item in items}
        prepared = prepare(flow, [item.record for item in items], runner.joiner, runner.unique_keys)
        outcomes = [evaluate(flow, outcome) for outcome in prepared]
        runner.ahead = search_ahead(flow, runner.target(), runner.store, outcomes)
        for outcome, finished in runner.each(outcomes):
            item = by_key.get(outcome.key)
            if item is None:
                continue
            if finished:
                queue.processed(flow.name, item.key, item.changed)
                queue.settle(item.event.id, events.DONE)
                self.log("webhook_done", flow=flow.name, key=item.key, delivery=item.event.delivery,
                         latency_s=round(time.time() - item.event.received_at, 3))
            else:
                entry = runner.store.entry(flow.name, item.key)
                queue.retry_later(item.event.id, (entry.reason if entry else None) or "not final yet")


__all__ = ["EventProcessor", "selected"]
