"""``passerelle replay``: failed records mapped again with the current spec and sent again.

The source record is read again by key when the flow's key is a plain field (the data may have
been fixed in the shop since); otherwise the record kept in the ledger is used. The usual
exactly-once rules apply: a record whose document turns out to exist is not created twice.
"""
from __future__ import annotations

from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.state import FAILED, from_json


def replay(session, flow_name: str | None, keys: list[str] | None) -> list[Summary]:
    plan = session.live.current()
    summaries = []
    for name, flow in plan.flows.items():
        if flow_name and name != flow_name:
            continue
        entries = [e for e in session.state.entries(name, FAILED) if not keys or e.key in keys]
        if not entries:
            continue
        endpoints = session.open_endpoints(plan, flow)
        try:
            runner = FlowRunner(plan, flow, endpoints, session.state, log=session.log, stop=session.stop,
                                **session.runner_options)
            records = _records(flow, endpoints[flow.source_endpoint], entries)
            for record in records:
                prepared = runner.prepare([record])
                for typed_or_raw, enriched in prepared:
                    runner.process(typed_or_raw, enriched)
            summaries.append(runner.summary)
        finally:
            for endpoint in endpoints.values():
                endpoint.close()
    return summaries


def _records(flow, source, entries) -> list:
    from engine.lang.expr import compile_expression

    path = compile_expression(flow.item.data.get("key") or "id").simple_path
    if path is not None and len(path) == 1:
        wanted = [e.key for e in entries]
        found = [r for page in source.read(flow.source_resource, keys=(path[0], wanted)) for r in page]
        return found
    return [from_json(e.record) for e in entries if e.record]
