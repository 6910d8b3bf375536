"""Searching the target for a document already created for a record (exactly once).

``search`` answers for one payload: the target id, None (absent), CANNOT_SEARCH (the flow declares no
reference or the operation no ``find``), or an Unknown with why (the search could not answer: wait,
never resend). ``search_ahead`` makes the searches a page of first-time creates needs at once, a few
at a time over the endpoint's connection pool, so looking before every create costs little wall time.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.connectors.base import Endpoint
from engine.connectors.errors import EndpointError
from engine.errors import TransformError
from engine.plan.model import FlowPlan
from engine.runtime.pipeline import Outcome
from engine.runtime.state import StateStore

AHEAD_THREADS = 4


class Unknown:
    """A search that could not answer: wait, never resend."""

    def __init__(self, reason: str):
        self.reason = reason


CANNOT_SEARCH = object()


def search(flow: FlowPlan, target: Endpoint, payload: Any) -> Any:
    op = flow.target_op
    if not op.find or flow.reference is None:
        return CANNOT_SEARCH
    try:
        reference = flow.reference(payload)
        found = target.find(op.find, {"reference": reference})
    except EndpointError as exc:
        if exc.unreachable:  # nothing answers: stop the flow, every record would wait the same
            raise
        return Unknown(f"the look-up by reference could not answer: {exc.message}")
    except TransformError as exc:
        return Unknown(f"the document reference could not be computed: {exc}")
    if op.find_key:  # servers that search by substring: keep exact matches only
        found = [f for f in found if isinstance(f, dict) and str(f.get(op.find_key)) == str(reference)]
    if not found:
        return None
    return op.find_id.search(found[0]) if op.find_id is not None else True


def search_ahead(flow: FlowPlan, target: Endpoint, store: StateStore, outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The searches the page's first-time creates will need (records without a ledger entry), made
    together when the flow looks before every create and the endpoint takes concurrent requests.
    A search that raises (the endpoint unreachable) is left out: the create searches again itself."""
    if not flow.lookup_first or not getattr(target, "concurrent", False):
        return {}
    wanted = [o for o in outcomes if o.ok and store.entry(flow.name, o.key) is None]
    if len(wanted) < 2:
        return {}
    answers: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=AHEAD_THREADS, thread_name_prefix="passerelle-search") as pool:
        futures = {o.key: pool.submit(search, flow, target, o.payload) for o in wanted}
        for key, future in futures.items():
            try:
                answers[key] = future.result()
            except EndpointError:
                continue
    return answers
