"""What the run state keeps for removals (``target.remove``, :mod:`engine.runtime.removals`).

* the ledger's statuses ``removing`` (the intent to remove, with the operation's values in
  ``target_with``, committed *before* the delete is sent) and ``removed`` (the target confirmed, or
  answered 404: already gone); a removed key that comes back in the source is created again;
* the ``items`` table: for a fan-out flow, which source record gave each item key (one row per flow and
  item key), so that a record read again can tell which of its items it no longer gives.

State files written before this table existed hold no rows: the first run of a fan-out flow with
``remove`` fills it and removes nothing of the records it had not seen yet.

The functions take the store's ``run(sql, args) -> rows`` (one committed statement each), as
:mod:`engine.runtime.ack_store` does; a store hands them out as :class:`RemovalRows` (the PostgreSQL
store has its own, scoped to its project: :mod:`engine.runtime.pg_rows`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

Run = Callable[[str, tuple], list]

REMOVING, REMOVED = "removing", "removed"
REMOVE_FAILED = "remove failed: "  # the reason of a removal the target refused (`failures`, `replay`)

SCHEMA = """
    CREATE TABLE IF NOT EXISTS items (
        flow TEXT NOT NULL, key TEXT NOT NULL, parent TEXT NOT NULL, PRIMARY KEY (flow, key));
    CREATE INDEX IF NOT EXISTS items_parent ON items (flow, parent);
"""

CHUNK = 500  # parents per query (SQLite's variable limit)


def intend(run: Run, flow: str, key: str, with_json: str) -> None:
    """The removal's intent, committed before the delete: its values, the entry ``removing``."""
    run("UPDATE ledger SET status = ?, target_with = ?, reason = NULL, updated_at = ? WHERE flow = ? AND key = ?",
        (REMOVING, with_json, time.time(), flow, str(key)))


def children(run: Run, flow: str, parents: Iterable[str]) -> dict[str, set[str]]:
    """The item keys each of ``parents`` gave when it was last read."""
    wanted, out = list(parents), {}  # type: tuple[list[str], dict[str, set[str]]]
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start:start + CHUNK]
        marks = ", ".join("?" * len(part))
        for key, parent in run(f"SELECT key, parent FROM items WHERE flow = ? AND parent IN ({marks})",
                               (flow, *part)):
            out.setdefault(parent, set()).add(key)
    return out


def keep_children(run: Run, flow: str, given: dict[str, set[str]], gone: Iterable[str]) -> None:
    """Each parent's items as read now (``given``); ``gone``: item keys no parent gives any more."""
    for parent, keys in given.items():
        for key in keys:
            run("INSERT INTO items (flow, key, parent) VALUES (?, ?, ?) ON CONFLICT(flow, key) DO UPDATE SET "
                "parent = excluded.parent", (flow, key, parent))
    for key in gone:
        run("DELETE FROM items WHERE flow = ? AND key = ?", (flow, key))


class RemovalRows(Protocol):
    """What :mod:`engine.runtime.removals` asks of a store (``StateStore.removals()``); each call commits."""

    def intend(self, flow: str, key: str, with_json: str) -> None: ...
    def children(self, flow: str, parents: Iterable[str]) -> dict[str, set[str]]: ...
    def keep_children(self, flow: str, given: dict[str, set[str]], gone: Iterable[str]) -> None: ...
    def items(self, flow: str) -> list[tuple[str, str]]:
        """Every (item key, parent) of the flow (a dry-run's private copy of the state)."""
        ...


class SqlRemovals:
    """:class:`RemovalRows` on a store's ``run(sql, args) -> rows`` (the SQLite store's)."""

    def __init__(self, run: Run):
        self.run = run

    def intend(self, flow: str, key: str, with_json: str) -> None:
        intend(self.run, flow, key, with_json)

    def children(self, flow: str, parents: Iterable[str]) -> dict[str, set[str]]:
        return children(self.run, flow, parents)

    def keep_children(self, flow: str, given: dict[str, set[str]], gone: Iterable[str]) -> None:
        keep_children(self.run, flow, given, gone)

    def items(self, flow: str) -> list[tuple[str, str]]:
        return [(key, parent) for key, parent in self.run("SELECT key, parent FROM items WHERE flow = ?", (flow,))]


__all__ = ["REMOVED", "REMOVE_FAILED", "REMOVING", "RemovalRows", "SCHEMA", "SqlRemovals", "children", "intend",
           "keep_children"]
