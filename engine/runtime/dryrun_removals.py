"""What a run would remove (``target.remove``), as a live dry-run shows it: nothing sent, the state untouched.

The run's own removal logic (:class:`engine.runtime.removals.Removals`) works on a throwaway copy of the
project's state (the state itself is only read, :func:`engine.runtime.state_read.connect_read_only`, or
the flow's rows of a PostgreSQL state; the copy lives in a private temporary folder, deleted at the end), fed by the dry-run's read of the
WHOLE source — what is gone is told by a complete read, so a flow with ``target.remove`` is read to its
end, ``--limit`` bounding only the writes shown. It gives:

* the removals an earlier run left open (a crash, a lost reply), which a run sends again first;
* the created records the read no longer gives, with the delete request each would send;
* the safety limit's verdict: sent, or held (``max_percent`` / ``always_up_to``), with the run's reason.

Each removal is described by the target endpoint's ``describe_write`` (every credential masked); no
write is ever asked of an endpoint.
"""
from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.connectors.errors import EndpointError
from engine.plan.model import FlowPlan
from engine.runtime.expansion import whole
from engine.runtime.pipeline import Outcome, evaluate, prepare
from engine.runtime.removal_store import REMOVE_FAILED
from engine.runtime.removals import held_reason
from engine.runtime.state import SqliteStore, from_json
from engine.runtime.state_read import connect_read_only


OPEN = "left open by an earlier run"  # a removal whose outcome is unknown: a run sends it again first
GONE = "no longer in the source"


@dataclass
class RemovalPreview:
    """The removals a run would send now, and the safety limit's verdict on them."""

    requests: list = field(default_factory=list)  # (key, why, request dict or None, error text or None)
    verdict: str = ""
    held: bool = False
    created: int = 0  # the flow's created records in the state (the limit's base)


@contextmanager
def state_copy(state: Any, flow: str) -> Iterator[SqliteStore]:
    """A store on a private copy of the project's state (``state``: a store_open.StateLocation, None: an
    empty one): the SQLite file copied whole; from a PostgreSQL state, the flow's ledger and items."""
    with tempfile.TemporaryDirectory(prefix="passerelle-dry-run-") as folder:
        path = Path(folder) / "state.db"
        if state is not None and state.url is None and state.database.exists():
            source = connect_read_only(state.database)
            try:
                copy = sqlite3.connect(path)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
            finally:
                source.close()
        store = SqliteStore(path)
        try:
            if state is not None and state.url is not None:
                _copy_flow(state, flow, store)
            yield store
        finally:
            store.close()


def _copy_flow(state: Any, flow: str, copy: SqliteStore) -> None:
    """The flow's ledger entries and items, read from the PostgreSQL state into the private copy."""
    from engine.runtime.state import ENTRY_COLUMNS
    from engine.runtime.store_open import open_store

    source = open_store(state)
    try:
        marks = ", ".join("?" * len(ENTRY_COLUMNS))
        copy.db.executemany(f"INSERT INTO ledger ({', '.join(ENTRY_COLUMNS)}) VALUES ({marks})",
                            [tuple(getattr(entry, name) for name in ENTRY_COLUMNS) for entry in source.entries(flow)])
        copy.db.executemany("INSERT INTO items (flow, key, parent) VALUES (?, ?, ?)",
                            [(flow, key, parent) for key, parent in source.removals().items(flow)])
    finally:
        source.close()


def tracked(reader: Any, flow: FlowPlan, pages: Iterable[list]) -> Iterator[Outcome]:
    """Each record's outcome, as :func:`engine.runtime.pipeline.records`, the keys the read gives noted
    for the removals (never resumed here: an open removal is shown, not sent)."""
    reader.removals.resumed = True
    for page in whole(flow, pages):
        for outcome in reader.removals.expand(flow, prepare(flow, page, reader.joiner, reader.unique_keys)):
            yield evaluate(flow, outcome)


def preview(reader: Any, flow: FlowPlan, target: Any) -> RemovalPreview:
    """What the read tracked by :func:`tracked` would remove, described (the read was complete)."""
    plan = flow.remove
    assert plan is not None
    out = RemovalPreview()
    for entry in reader.removals.open():
        if not (entry.reason or "").startswith(REMOVE_FAILED):  # a refused one waits for `replay`
            values = from_json(entry.target_with) if entry.target_with else {}
            out.requests.append(_described(target, plan.operation, entry.key, OPEN, values))
    entries, out.created = reader.removals.due(True)
    out.held = bool(entries) and plan.held(len(entries), out.created)
    for entry in entries:
        values = plan.write_values(entry.target_id, from_json(entry.payload) if entry.payload else None, entry.key)
        out.requests.append(_described(target, plan.operation, entry.key, GONE, values))
    if out.held:
        out.verdict = held_reason(plan, len(entries), out.created)
    elif entries:
        out.verdict = (f"{len(entries)} of the flow's {out.created} created records would be removed: within the "
                       f"safety limit (up to {plan.always_up_to}, or at most {plan.max_percent} %)")
    else:
        out.verdict = f"nothing to remove (the flow's {out.created} created records are all still in the source)"
    return out


def _described(target: Any, operation: str, key: str, why: str, values: dict) -> tuple:
    try:
        return key, why, target.describe_write(operation, None, values), None
    except EndpointError as exc:
        return key, why, None, str(exc)


__all__ = ["GONE", "OPEN", "RemovalPreview", "preview", "state_copy", "tracked"]
