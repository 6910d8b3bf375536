"""The webhook queue (:class:`engine.runtime.event_store.EventRows`) in a PostgreSQL state: the events
accepted by any ``serve`` front end of the project, processed by any worker of it.

Its tables are migration 4 of :mod:`engine.runtime.pg_schema` (``project`` leading every key, row-level
security as every table); every statement names the project too. The queue keeps a connection of its
own (the intake answers shops while the ledger's connection writes records).

A worker processes a flow's events under the flow's lease; taking them is safe without it too: the
events are taken with ``FOR UPDATE SKIP LOCKED`` and marked with the taker's server process id
(``taken_by``), so two workers taking at once never get the same event, and an event stays with its
taker until settled, given back (``release``, ``retry_later``) or the taker's connection ends (a killed
worker: its events go to the next taker at once). ``settle`` changes only an event still queued and
not taken by another live worker.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from engine.runtime.event_store import EVENT_COLUMNS, RETENTION, Event, new_id
from engine.runtime.pg_schema import connect, execute

FREE = ("(taken_by IS NULL OR taken_by = pg_backend_pid() OR NOT EXISTS "
        "(SELECT 1 FROM pg_stat_activity WHERE pid = taken_by))")  # not taken by another live connection
TAKE = (f"WITH taken AS (SELECT id FROM passerelle.webhook_events WHERE project = %s AND flow = %s AND "
        f"status = 'queued' AND {FREE} ORDER BY received_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"UPDATE passerelle.webhook_events AS e SET taken_by = pg_backend_pid() FROM taken "
        f"WHERE e.project = %s AND e.id = taken.id RETURNING {', '.join('e.' + c for c in EVENT_COLUMNS.split(', '))}")


class PgEvents:
    """One project's webhook queue in a migrated PostgreSQL state database."""

    def __init__(self, url: str, project: str):
        self.url, self.project = url, project
        self._lock = threading.Lock()
        self.db = connect(url, project)

    def run(self, sql: str, args: tuple = ()) -> list:
        return execute(self.db, self._lock, self.url, sql, args)

    def enqueue(self, flow: str, delivery: str, topic: str, body: str, sent_at: float | None) -> str | None:
        now = time.time()
        rows = self.run("INSERT INTO passerelle.webhook_events (project, id, flow, delivery, topic, body, sent_at, "
                        "received_at, status, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'queued', %s) "
                        "ON CONFLICT (project, flow, delivery) DO NOTHING RETURNING id",
                        (self.project, new_id(), flow, delivery, topic, body, sent_at, now, now))
        return rows[0][0] if rows else None

    def queued(self, flow: str, limit: int = 500) -> list[Event]:
        taken = [Event(*row) for row in self.run(TAKE, (self.project, flow, limit, self.project))]
        return sorted(taken, key=lambda event: (event.received_at, event.id))

    def flows_waiting(self) -> list[str]:
        return [row[0] for row in self.run("SELECT DISTINCT flow FROM passerelle.webhook_events WHERE project = %s "
                                           "AND status = 'queued'", (self.project,))]

    def settle(self, event_id: str, status: str, reason: str | None = None) -> bool:
        return bool(self.run("UPDATE passerelle.webhook_events SET status = %s, reason = %s, body = NULL, "
                             "attempts = attempts + 1, updated_at = %s, taken_by = NULL WHERE project = %s AND id = %s "
                             f"AND status = 'queued' AND {FREE} RETURNING 1",
                             (status, reason, time.time(), self.project, event_id)))

    def retry_later(self, event_id: str, reason: str) -> None:
        self.run("UPDATE passerelle.webhook_events SET reason = %s, attempts = attempts + 1, updated_at = %s, "
                 "taken_by = NULL WHERE project = %s AND id = %s AND taken_by = pg_backend_pid()",
                 (reason, time.time(), self.project, event_id))

    def release(self, flow: str) -> None:
        self.run("UPDATE passerelle.webhook_events SET taken_by = NULL WHERE project = %s AND flow = %s "
                 "AND status = 'queued' AND taken_by = pg_backend_pid()", (self.project, flow))

    def last_changed(self, flow: str, key: str) -> float | None:
        rows = self.run("SELECT changed FROM passerelle.webhook_keys WHERE project = %s AND flow = %s AND key = %s",
                        (self.project, flow, key))
        return rows[0][0] if rows else None

    def processed(self, flow: str, key: str, changed: float) -> None:
        self.run("INSERT INTO passerelle.webhook_keys (project, flow, key, changed) VALUES (%s, %s, %s, %s) "
                 "ON CONFLICT (project, flow, key) DO UPDATE SET changed = excluded.changed "
                 "WHERE excluded.changed > webhook_keys.changed", (self.project, flow, key, changed))

    def depth(self, flow: str | None = None) -> tuple[int, float | None]:
        sql = "SELECT COUNT(*), MIN(received_at) FROM passerelle.webhook_events WHERE project = %s AND status = 'queued'"
        args: tuple[Any, ...] = (self.project,)
        rows = self.run(sql + " AND flow = %s", args + (flow,)) if flow is not None else self.run(sql, args)
        return int(rows[0][0]), rows[0][1]

    def prune(self, now: float | None = None) -> None:
        self.run("DELETE FROM passerelle.webhook_events WHERE project = %s AND status <> 'queued' AND updated_at < %s",
                 (self.project, (now or time.time()) - RETENTION))

    def close(self) -> None:
        with self._lock:
            self.db.close()


__all__ = ["PgEvents"]
