"""``passerelle replay``: failed records mapped again with the current spec and sent again.

The source record is read again by key when the flow's key is a plain field the resource can be
fetched by (the data may have been fixed in the shop since); otherwise the record kept in the ledger
is used. The usual exactly-once rules apply: a record whose document turns out to exist is not
created twice. A created record whose update the target refused is replayed too: mapped again, its
update is sent again (never a second create). A removal the target refused (or left unknown) is sent
again (``target.remove``, :mod:`engine.runtime.removals`). A pending record named with ``--key`` is sent again even when the target cannot be
searched: the operator has checked that it is not there. A fan-out or grouping flow reads its source
again whole (an item's or a group's key is not a source key) and sends only the items or groups named.
"""
from __future__ import annotations

import time

from engine.connectors.errors import EndpointError
from engine.errors import TransformError
from engine.plan.model import FlowPlan
from engine.runtime.pipeline import records
from engine.runtime import removals
from engine.runtime.removals import REMOVING
from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.state import FAILED, PENDING, Entry, from_json


def replay(session, flow_name: str | None, keys: list[str] | None) -> tuple[list[Summary], list[str]]:
    """The summaries of the flows replayed, and the ``keys`` asked for that no flow has set aside or
    pending (a mistyped key must not pass for a replay done)."""
    plan = session.live.current()
    summaries = []
    seen: set[str] = set()
    for name in plan.run_order():  # the categories set aside before the products filed in them
        flow = plan.flows[name]
        if flow_name and name != flow_name:
            continue
        entries = [e for e in session.state.entries(name, FAILED) if not keys or e.key in keys]
        # created, but the target refused an update: mapped again and the update sent again
        entries += [e for e in session.state.refused_updates(name) if not keys or e.key in keys]
        # a pending record whose outcome nobody can check is sent again only when named: the operator
        # looked at the target and says it is not there
        resend = [e for e in session.state.entries(name, PENDING) if keys and e.key in keys]
        # a removal the target refused, or whose outcome is unknown: the delete sent again (removals.py)
        removing = [e.key for e in session.state.entries(name, REMOVING) if flow.remove and (not keys or e.key in keys)]
        seen.update([e.key for e in entries + resend] + removing)
        if not entries and not resend and not removing:
            continue
        with session.flow_lease(name):
            summaries.append(_replay_flow(session, plan, flow, entries + resend, frozenset(e.key for e in resend),
                                          removing))
        keep = getattr(session, "record_run", None)  # a Session keeps its run history (run_store.py)
        if keep is not None:
            keep(summaries[-1], "replay")
    return summaries, [k for k in dict.fromkeys(keys or ()) if k not in seen]


def _replay_flow(session, plan, flow: FlowPlan, entries: list[Entry], resend: frozenset[str],
                 removing: list[str] | None = None) -> Summary:
    endpoints = session.open_endpoints(plan, flow)
    try:
        runner = FlowRunner(plan, flow, endpoints, session.state, log=session.log, stop=session.stop,
                            resend=resend, **session.runner_options)
        wanted = {e.key for e in entries}
        found: set[str] = set()
        try:
            with runner.xref_bound():
                if removing:
                    removals.replay(runner, removing)
                pages = _pages(flow, endpoints[flow.source_endpoint], entries) if entries else iter(())
                for outcome in records(flow, pages, runner.joiner, runner.unique_keys):
                    if (flow.fan_out or flow.group) and outcome.key not in wanted:
                        continue  # another item of the record, another group: not asked for
                    found.add(outcome.key)
                    runner.summary.read += 1
                    runner.process(outcome)
            runner.summary.not_found = sorted(wanted - found)  # read again by key: the source gave nothing
            for key in runner.summary.not_found:
                session.log("replay_not_found", flow=flow.name, key=key,
                            reason="the source no longer gives this record (deleted, or its flow's source.where "
                                   "does not read it any more): it stays set aside")
        except (EndpointError, TransformError) as exc:  # as a run reports it: the flow stops, the rest goes on
            runner.summary.error = str(exc)
            session.log("flow_error", flow=flow.name, error=str(exc))
        runner.summary.duration = time.monotonic() - runner.summary.started
        return runner.summary
    finally:
        for endpoint in endpoints.values():
            endpoint.close()


def _pages(flow: FlowPlan, source, entries: list[Entry]):
    if flow.fan_out is not None or flow.group is not None:  # an item's or a group's key is not the source's:
        yield from source.read(flow.source_resource, where=dict(flow.where) or None)  # read it again whole
        return
    path = flow.key_path
    support = flow.source.key_support()
    if path is not None and len(path) == 1 and support is not None and support.accepts(path[0]):
        yield from source.read(flow.source_resource, keys=(path[0], [e.key for e in entries]))
        return
    yield [from_json(e.record) for e in entries if e.record]
