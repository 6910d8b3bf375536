"""The durable webhook queue, in the state store: each accepted delivery is committed here before the
shop gets its 2xx, so an accepted webhook survives anything that happens to ``serve`` after it.

Every store gives its queue as ``store.events()`` (:class:`EventRows`): :class:`SqliteEvents` here for
the embedded SQLite state, :class:`engine.runtime.pg_events.PgEvents` for a PostgreSQL state — where
an event accepted by one ``serve`` front end is processed by whichever worker takes its flow next.
Two tables:

* ``webhook_events``: one row per delivery, unique per (flow, delivery id) — a replay of an id already
  here is refused by the insert itself. ``status`` is ``queued`` until the event's record is final in
  the ledger (``done``), or the event is set aside: ``stale`` (older than a state already processed for
  its record), ``superseded`` (a later event of the same record in a coalesced burst), ``ignored``
  (not for this flow) or ``failed`` (a body that is no record). The body is dropped once the event is
  settled; the row stays for ``RETENTION`` so that a late replay of its id is still recognised.
* ``webhook_keys``: per (flow, record key), the source's change time of the last state processed, so
  that an older event arriving after a newer one is discarded.

Each method commits before it returns. The queue keeps a database connection of its own (the intake
answers shops while the ledger's connection writes records), shared by the intake and the processing
thread, each call under its lock.
"""
from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

QUEUED, DONE, STALE, SUPERSEDED, IGNORED, FAILED = "queued", "done", "stale", "superseded", "ignored", "failed"
RETENTION = 7 * 86400.0  # settled rows (their delivery ids) are kept this long: longer than any retry window

SCHEMA = """
    CREATE TABLE IF NOT EXISTS webhook_events (
        id TEXT PRIMARY KEY, flow TEXT NOT NULL, delivery TEXT NOT NULL, topic TEXT NOT NULL, body TEXT,
        sent_at REAL, received_at REAL NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT, updated_at REAL NOT NULL, UNIQUE (flow, delivery));
    CREATE INDEX IF NOT EXISTS webhook_events_queue ON webhook_events (status, flow, received_at);
    CREATE TABLE IF NOT EXISTS webhook_keys (
        flow TEXT NOT NULL, key TEXT NOT NULL, changed REAL NOT NULL, PRIMARY KEY (flow, key));
"""
EVENT_COLUMNS = "id, flow, delivery, topic, body, sent_at, received_at, attempts"  # an Event's fields, in order


@dataclass
class Event:
    id: str
    flow: str
    delivery: str
    topic: str
    body: str | None
    sent_at: float | None
    received_at: float
    attempts: int


def new_id() -> str:
    return uuid.uuid4().hex


class EventRows(Protocol):
    """The queue of a state store (``store.events()``)."""

    def enqueue(self, flow: str, delivery: str, topic: str, body: str, sent_at: float | None) -> str | None:
        """Commit one delivery; its id, or None when this delivery id is already in the queue (a replay)."""
        ...
    def queued(self, flow: str, limit: int = 500) -> list[Event]:
        """Take the oldest queued events of a flow, in arrival order: the caller holds the flow's lease;
        a store shared by many workers also skips the events another live worker has taken."""
        ...
    def flows_waiting(self) -> list[str]: ...
    def settle(self, event_id: str, status: str, reason: str | None = None) -> bool:
        """The event is over (its record final in the ledger, or set aside with ``reason``): body dropped.
        False when it was not queued any more (settled by another worker)."""
        ...
    def retry_later(self, event_id: str, reason: str) -> None:
        """The event's record is not final yet (pending in the ledger): it stays queued, with why."""
        ...
    def release(self, flow: str) -> None:
        """The events of ``flow`` taken by this worker and not settled go back to any worker."""
        ...
    def last_changed(self, flow: str, key: str) -> float | None: ...
    def processed(self, flow: str, key: str, changed: float) -> None:
        """The state of ``key`` changed at ``changed`` is final: older events for it are discarded."""
        ...
    def depth(self, flow: str | None = None) -> tuple[int, float | None]:
        """How many events wait, and since when the oldest (received_at), for a flow or all."""
        ...
    def prune(self, now: float | None = None) -> None:
        """Forget the settled events older than ``RETENTION``."""
        ...
    def close(self) -> None: ...


class SqliteEvents:
    """The queue in a SQLite state database (WAL, synchronous=NORMAL: a commit survives the process
    being killed). One machine: the flow's lease (a file lock) is the only claim needed."""

    def __init__(self, path: Path, busy_timeout: float = 10.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None,
                                  timeout=busy_timeout)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def run(self, sql: str, args: tuple = ()) -> list:
        with self._lock:
            return self.db.execute(sql, args).fetchall()

    def enqueue(self, flow: str, delivery: str, topic: str, body: str, sent_at: float | None) -> str | None:
        now = time.time()
        rows = self.run("INSERT INTO webhook_events (id, flow, delivery, topic, body, sent_at, received_at, status, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?) ON CONFLICT (flow, delivery) DO NOTHING "
                        "RETURNING id", (new_id(), flow, delivery, topic, body, sent_at, now, now))
        return rows[0][0] if rows else None

    def queued(self, flow: str, limit: int = 500) -> list[Event]:
        rows = self.run(f"SELECT {EVENT_COLUMNS} FROM webhook_events WHERE status = 'queued' AND flow = ? "
                        "ORDER BY received_at, id LIMIT ?", (flow, limit))
        return [Event(*row) for row in rows]

    def flows_waiting(self) -> list[str]:
        return [row[0] for row in self.run("SELECT DISTINCT flow FROM webhook_events WHERE status = 'queued'")]

    def settle(self, event_id: str, status: str, reason: str | None = None) -> bool:
        return bool(self.run("UPDATE webhook_events SET status = ?, reason = ?, body = NULL, attempts = attempts + 1, "
                             "updated_at = ? WHERE id = ? AND status = 'queued' RETURNING 1",
                             (status, reason, time.time(), event_id)))

    def retry_later(self, event_id: str, reason: str) -> None:
        self.run("UPDATE webhook_events SET reason = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?",
                 (reason, time.time(), event_id))

    def release(self, flow: str) -> None:
        """Nothing to do: the flow's lease on this machine was the claim."""

    def last_changed(self, flow: str, key: str) -> float | None:
        rows = self.run("SELECT changed FROM webhook_keys WHERE flow = ? AND key = ?", (flow, key))
        return rows[0][0] if rows else None

    def processed(self, flow: str, key: str, changed: float) -> None:
        self.run("INSERT INTO webhook_keys (flow, key, changed) VALUES (?, ?, ?) ON CONFLICT (flow, key) DO UPDATE "
                 "SET changed = excluded.changed WHERE excluded.changed > webhook_keys.changed", (flow, key, changed))

    def depth(self, flow: str | None = None) -> tuple[int, float | None]:
        sql = "SELECT COUNT(*), MIN(received_at) FROM webhook_events WHERE status = 'queued'"
        rows = self.run(sql + " AND flow = ?", (flow,)) if flow is not None else self.run(sql)
        return int(rows[0][0]), rows[0][1]

    def prune(self, now: float | None = None) -> None:
        self.run("DELETE FROM webhook_events WHERE status <> 'queued' AND updated_at < ?",
                 ((now or time.time()) - RETENTION,))

    def close(self) -> None:
        with self._lock:
            self.db.close()


__all__ = ["DONE", "EVENT_COLUMNS", "Event", "EventRows", "FAILED", "IGNORED", "QUEUED", "RETENTION", "SCHEMA",
           "STALE", "SUPERSEDED", "SqliteEvents", "new_id"]
