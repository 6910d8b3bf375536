"""The run history in the run state: one row per flow run (or replay) that ended, a bounded number per flow.

``serve`` only logged each flow's summary; the operator dashboard and ``/metrics`` read this table
instead: when the run started and ended, its counts, the plan version it ran with, and its outcome
(``ok``; ``records`` when records were set aside or left pending; ``error`` when the flow stopped, with
the reason, scrubbed of every secret as the ledger's reasons are). ``kind`` says whether it was a
scheduled/manual ``run`` or a ``replay``. Only the last :data:`KEEP` rows of each flow are kept.

The SQL is plain (no SQLite-only syntax, ``?`` placeholders as the other stores write them), and the
functions take the store's ``run(sql, args) -> rows`` (one committed statement each), as
:mod:`engine.runtime.ack_store` does, so a store for another database runs the same statements.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Run = Callable[[str, tuple], list]

KEEP = 200  # runs kept per flow

COUNTS = ("read", "created", "updated", "skipped", "failed", "acked", "ack_failed", "pending", "found", "removed")

SCHEMA = """
    CREATE TABLE IF NOT EXISTS runs (
        flow TEXT NOT NULL, kind TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL,
        plan_version TEXT, outcome TEXT NOT NULL, error TEXT,
        read INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, acked INTEGER NOT NULL DEFAULT 0,
        ack_failed INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0, found INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS runs_flow ON runs (flow, ended);
"""

_COLUMNS = ("flow", "kind", "started", "ended", "plan_version", "outcome", "error") + COUNTS


@dataclass(frozen=True)
class RunRecord:
    """One flow run that ended."""

    flow: str
    kind: str  # "run" or "replay"
    started: float  # wall-clock seconds (time.time())
    ended: float
    plan_version: str | None
    outcome: str  # "ok", "records" (some set aside or pending), "error" (the flow stopped)
    error: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)  # by name of COUNTS (read, created, ...)

    @property
    def duration(self) -> float:
        return max(0.0, self.ended - self.started)

    def count(self, name: str) -> int:
        return int(self.counts.get(name, 0))


def from_summary(summary: Any, kind: str, plan_version: str | None, ended: float | None = None) -> RunRecord:
    """The record of a runner's :class:`~engine.runtime.runner.Summary` that just ended."""
    ended = time.time() if ended is None else ended
    if summary.error:
        outcome = "error"
    elif summary.failed or summary.pending or summary.ack_failed:
        outcome = "records"
    else:
        outcome = "ok"
    return RunRecord(summary.flow, kind, ended - summary.duration, ended, plan_version, outcome, summary.error,
                     {name: int(getattr(summary, name)) for name in COUNTS})


def record(run: Run, entry: RunRecord, keep: int = KEEP) -> None:
    """Keep ``entry`` and forget the flow's runs beyond the last ``keep``."""
    values = tuple(getattr(entry, name) for name in _COLUMNS[:-len(COUNTS)]) + tuple(entry.count(n) for n in COUNTS)
    run(f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})", values)
    run("DELETE FROM runs WHERE flow = ? AND ended < (SELECT MIN(ended) FROM (SELECT ended FROM runs WHERE flow = ? "
        "ORDER BY ended DESC LIMIT ?) kept)", (entry.flow, entry.flow, keep))


def recent(run: Run, flow: str | None = None, limit: int = 50, since: float | None = None) -> list[RunRecord]:
    """The last ``limit`` runs (of ``flow``; ended after ``since``), the newest first."""
    sql = f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE 1 = 1"
    args: list[Any] = []
    if flow is not None:
        sql += " AND flow = ?"
        args.append(flow)
    if since is not None:
        sql += " AND ended > ?"
        args.append(since)
    return [from_row(row) for row in run(sql + " ORDER BY ended DESC LIMIT ?", (*args, limit))]


def from_row(row: tuple) -> RunRecord:
    """A ``runs`` row (its columns in the order of ``_COLUMNS``) as a record."""
    return RunRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], dict(zip(COUNTS, row[7:])))


__all__ = ["COUNTS", "KEEP", "RunRecord", "SCHEMA", "from_row", "from_summary", "recent", "record"]
