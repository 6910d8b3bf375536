"""The acknowledgements of each record in the run state: one row per (flow, record key, acknowledgement).

A row says that acknowledgement ``ack`` of record ``key`` was sent for target document ``target_id``
and either confirmed (``confirmed = 1``) or failed with ``reason`` (the last error, kept for
``failures``). An acknowledgement counts as confirmed only for the document it names: if the record's
document is ever created anew (another id), its acknowledgements are due again.

State files written before this table existed hold no rows: a ``done`` record then has no
acknowledgement confirmed yet (a ``done`` record of that time was exactly one whose single
acknowledgement was still missing), and an ``acked`` record is final — nothing is sent to it again.

The functions take the store's ``run(sql, args) -> rows`` (one committed statement each), so that
:class:`engine.runtime.state.SqliteStore` keeps a single connection and lock.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Run = Callable[[str, tuple], list]

SCHEMA = """
    CREATE TABLE IF NOT EXISTS acks (
        flow TEXT NOT NULL, key TEXT NOT NULL, ack TEXT NOT NULL, target_id TEXT,
        confirmed INTEGER NOT NULL DEFAULT 0, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL, PRIMARY KEY (flow, key, ack));
"""


@dataclass(frozen=True)
class AckState:
    """Where one acknowledgement of one record stands."""

    ack: str
    target_id: str | None
    confirmed: bool
    reason: str | None
    attempts: int
    updated_at: float

    def done_for(self, target_id: Any) -> bool:
        """Confirmed for this very document."""
        return self.confirmed and self.target_id == (None if target_id is None else str(target_id))


def states(run: Run, flow: str, key: str) -> dict[str, AckState]:
    rows = run("SELECT ack, target_id, confirmed, reason, attempts, updated_at FROM acks "
               "WHERE flow = ? AND key = ?", (flow, str(key)))
    return {row[0]: AckState(row[0], row[1], bool(row[2]), row[3], row[4], row[5]) for row in rows}


def record(run: Run, flow: str, key: str, ack: str, target_id: Any, reason: str | None) -> None:
    """Record one attempt: confirmed when ``reason`` is None, else failed with ``reason``."""
    run(*statement(flow, key, ack, target_id, reason))


def statement(flow: str, key: str, ack: str, target_id: Any, reason: str | None) -> tuple[str, tuple]:
    """The statement that records one attempt (a store may run it in a larger transaction)."""
    return ("INSERT INTO acks (flow, key, ack, target_id, confirmed, reason, attempts, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT(flow, key, ack) DO UPDATE SET "
            "target_id = excluded.target_id, confirmed = excluded.confirmed, reason = excluded.reason, "
            "attempts = attempts + 1, updated_at = excluded.updated_at",
            (flow, str(key), ack, None if target_id is None else str(target_id), int(reason is None), reason,
             time.time()))


__all__ = ["AckState", "SCHEMA", "record", "statement", "states"]
