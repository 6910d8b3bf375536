"""The run state in PostgreSQL, shared by many workers: the same :class:`engine.runtime.state.StateStore`
as the SQLite default, for one project of a database that holds many (``state: postgresql://...``).

* **Isolation.** Every row carries the project's identity and every statement names it; the
  connection also sets ``passerelle.project``, which the tables' row-level security policies
  compare with each row (schema version 2), so even a query written without the project sees only
  its own project's rows — unless the role bypasses row-level security (a superuser does).
* **Leases** are session advisory locks on the store's connection: PostgreSQL drops them when the
  connection ends, however the holder ends (SIGKILL, a lost machine once the server notices the dead
  connection), so a killed worker leaves none behind. ``passerelle.leases`` says who took each one.
* **Exactly once with many writers.** ``intend`` takes an advisory lock on the record's key (held
  until the record is settled, set aside or noted, or its flow's lease released): a second writer
  intending the same key while the first is writing it is refused (:class:`RecordClaimed`); a
  creation intended for a record the ledger holds created already is refused too (row lock of the
  upsert). Both on top of the flow lease, which already keeps two workers off one flow.

Each method commits before it returns (autocommit; ``settle`` is one transaction). The schema is
created and upgraded only by ``passerelle db upgrade`` (:mod:`engine.runtime.pg_schema`).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from dataclasses import replace
from typing import Any

from engine.runtime import pg_rows, vault
from engine.runtime.ack_store import AckState
from engine.runtime.lease import Busy, command_line
from engine.runtime.pg_events import PgEvents
from engine.runtime.pg_schema import StoreError, check, connect, execute, masked
from engine.runtime.removal_store import RemovalRows
from engine.runtime.run_store import RunRecord
from engine.runtime.state import ACKED, DONE, ENTRY_COLUMNS, PENDING, UPDATE_FAILED, Entry, RecordClaimed, payload_hash, \
    update_refused
from engine.runtime.xref_store import Pair, StoreXref, XrefRow, rows
from engine.spec.env import scrub
from engine.util.sqlwhere import filtered

ENTRY_SELECT = "SELECT " + ", ".join(ENTRY_COLUMNS) + " FROM passerelle.ledger WHERE project = %s"
INTEND = ("WITH claim AS (SELECT {claim} AS ok), written AS ("
          "INSERT INTO passerelle.ledger (project, flow, key, status, payload_hash, attempts, payload, record, "
          "target_with, updated_at) SELECT %s, %s, %s, %s, %s, 1, %s, %s, %s, %s FROM claim WHERE claim.ok "
          "ON CONFLICT (project, flow, key) DO UPDATE SET status = excluded.status, payload_hash = excluded.payload_hash, "
          "attempts = ledger.attempts + 1, payload = excluded.payload, record = COALESCE(excluded.record, "
          "ledger.record), target_with = excluded.target_with, reason = NULL, loc = NULL, "
          "updated_at = excluded.updated_at{only_new} RETURNING 1) "
          "SELECT claim.ok, (SELECT count(*) FROM written) FROM claim")  # the key's claim and the intent: one trip
SET_ASIDE = ("INSERT INTO passerelle.ledger (project, flow, key, status, reason, loc, payload, record, attempts, "
             "updated_at) VALUES (%s, %s, %s, 'failed', %s, %s, %s, %s, 1, %s) ON CONFLICT (project, flow, key) "
             "DO UPDATE SET status = 'failed', reason = excluded.reason, loc = excluded.loc, "
             "payload = COALESCE(excluded.payload, ledger.payload), record = COALESCE(excluded.record, ledger.record), "
             "attempts = ledger.attempts + 1, updated_at = excluded.updated_at")
POLL = 0.2  # seconds between two tries of a busy lease


def lock_id(*parts: str) -> int:
    """A 64-bit advisory lock number for ``parts`` (project, kind, name): collisions are negligible."""
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgLease:
    """A lease held on the store's connection (an advisory lock); ``release`` or the ``with`` form."""

    def __init__(self, store: "PostgresStore", name: str):
        self.store, self.name, self.held = store, name, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.store._let_go(self.name)

    def __enter__(self) -> "PgLease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class PostgresStore:
    """One project's run state in a PostgreSQL database migrated by ``passerelle db upgrade``."""

    def __init__(self, url: str, project: str):
        import psycopg

        self.url, self.project = url, project
        self._error = psycopg.Error
        self._lock = threading.Lock()
        self._claims: dict[str, set[str]] = {}  # flow -> keys intended and not settled (advisory locks held)
        self._leases: set[str] = set()
        self._events: PgEvents | None = None
        self.db = connect(url, project)
        try:
            check(self.db, url)
        except BaseException:
            self.db.close()
            raise

    def _exec(self, sql: str, args: tuple = ()) -> list:
        return execute(self.db, self._lock, self.url, sql, args)

    def _together(self, statements: list[tuple[str, tuple]], then: list[tuple[str, tuple]] | None = None) -> None:
        """``statements`` as one statement (the first ones as data-modifying ``WITH`` parts of the last: all
        or nothing, one commit), then ``then``; sent in one pipeline, one round trip to the server."""
        *parts, (sql, args) = statements
        if parts:
            sql = "WITH " + ", ".join(f"s{n} AS ({part})" for n, (part, _) in enumerate(parts)) + " " + sql
            args = tuple(value for _, part_args in parts for value in part_args) + args
        with self._lock:
            try:
                if not then:
                    self.db.execute(sql, args)
                    return
                with self.db.pipeline():
                    self.db.execute(sql, args)
                    for more in then:
                        self.db.execute(*more)
            except self._error as exc:
                raise StoreError(self.url, exc) from None

    # -- cursors and the ledger ----------------------------------------------------------------------
    def get_cursor(self, flow: str) -> str | None:
        found = self._exec("SELECT value FROM passerelle.cursors WHERE project = %s AND flow = %s", (self.project, flow))
        return found[0][0] if found else None

    def set_cursor(self, flow: str, value: str) -> None:
        self._exec("INSERT INTO passerelle.cursors (project, flow, value, updated_at) VALUES (%s, %s, %s, %s) "
                   "ON CONFLICT (project, flow) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   (self.project, flow, str(value), time.time()))

    def entry(self, flow: str, key: str) -> Entry | None:
        found = self._exec(ENTRY_SELECT + " AND flow = %s AND key = %s", (self.project, flow, str(key)))
        return Entry(*found[0]) if found else None

    def intend(self, flow: str, key: str, payload_json: str, record_json: str | None = None,
               with_json: str | None = None, creating: bool = False, status: str = PENDING) -> None:
        key = str(key)
        held = self._claims.setdefault(flow, set())
        lock = lock_id(self.project, "record", flow, key)
        claim = ("%s::boolean", (True,)) if key in held else ("pg_try_advisory_lock(%s)", (lock,))
        sql = INTEND.format(claim=claim[0], only_new=" WHERE ledger.status NOT IN ('done', 'acked')" if creating else "")
        digest = payload_hash(payload_json + (with_json or ""))
        ((claimed, written),) = self._exec(sql, claim[1] + (self.project, flow, key, status, digest, payload_json,
                                                            record_json, with_json, time.time()))
        if not claimed:  # another connection holds the key: a writer between its intent and its settle
            raise RecordClaimed(flow, key, live=True)
        held.add(key)
        if not written:  # created meanwhile by another writer
            self._unclaim(flow, key)
            raise RecordClaimed(flow, key)

    def _unclaim(self, flow: str, key: str) -> None:
        for statement in self._unclaiming(flow, key):
            self._exec(*statement)

    def _unclaiming(self, flow: str, key: str) -> list[tuple[str, tuple]]:
        """The statement letting go of the key's claim, when this connection holds it."""
        if key not in self._claims.get(flow, ()):
            return []
        self._claims[flow].discard(key)
        return [("SELECT pg_advisory_unlock(%s)", (lock_id(self.project, "record", flow, key),))]

    def settle(self, flow: str, key: str, target_id: Any, status: str, reason: str | None = None,
               pair: Pair | None = None, ack: tuple[str, str | None] | None = None) -> None:
        statements = [("UPDATE passerelle.ledger SET status = %s, target_id = %s, reason = %s, updated_at = %s "
                       "WHERE project = %s AND flow = %s AND key = %s",
                       (status, None if target_id is None else str(target_id), _clean(reason), time.time(),
                        self.project, flow, str(key)))]
        if ack is not None:
            statements.insert(0, pg_rows.ack_statement(self.project, flow, key, ack[0], target_id, _clean(ack[1])))
        if pair is not None and target_id is not None and not isinstance(target_id, bool):
            statements.append(pg_rows.xref_upsert(self.project, pair, target_id))
        self._together(statements, self._unclaiming(flow, str(key)))

    def note(self, flow: str, key: str, reason: str, record_json: str | None = None) -> None:
        self._together([("UPDATE passerelle.ledger SET reason = %s, record = COALESCE(%s, record), updated_at = %s "
                         "WHERE project = %s AND flow = %s AND key = %s",
                         (_clean(reason), record_json, time.time(), self.project, flow, str(key)))],
                       self._unclaiming(flow, str(key)))

    def failed(self, flow: str, key: str, reason: str, loc: str | None, payload_json: str | None,
               record_json: str | None = None) -> None:
        self._together([(SET_ASIDE, (self.project, flow, str(key), _clean(reason), loc, payload_json, record_json,
                                     time.time()))], self._unclaiming(flow, str(key)))

    def _entries(self, select: str, flow: str | None, status: str | None) -> list:
        sql, args = filtered(select, [self.project], {"flow": flow, "status": status}, "%s")
        return self._exec(sql + " ORDER BY flow, updated_at, key", tuple(args))

    def entries(self, flow: str | None = None, status: str | None = None) -> list[Entry]:
        return [Entry(*row) for row in self._entries(ENTRY_SELECT, flow, status)]

    def refused_updates(self, flow: str) -> list[Entry]:
        """Created records whose last update the target refused (``update_refused``)."""
        found = self._exec(ENTRY_SELECT + " AND flow = %s AND status IN (%s, %s) AND reason IS NOT NULL AND "
                           "starts_with(reason, %s) ORDER BY flow, updated_at, key",
                           (self.project, flow, DONE, ACKED, UPDATE_FAILED))
        return [entry for entry in (Entry(*row) for row in found) if update_refused(entry)]

    def keys(self, flow: str, status: str) -> list[str]:
        return [row[0] for row in self._entries("SELECT key FROM passerelle.ledger WHERE project = %s", flow, status)]

    def counts(self, flow: str) -> dict[str, int]:
        return dict(self._exec("SELECT status, COUNT(*) FROM passerelle.ledger WHERE project = %s AND flow = %s "
                               "GROUP BY status", (self.project, flow)))

    # -- acknowledgements, cross-references, removals ------------------------------------------------
    def ack_states(self, flow: str, key: str) -> dict[str, AckState]:
        return pg_rows.ack_states(self._exec, self.project, flow, key)

    def ack_result(self, flow: str, key: str, ack: str, target_id: Any, reason: str | None) -> None:
        self._exec(*pg_rows.ack_statement(self.project, flow, key, ack, target_id, _clean(reason)))

    def xrefs(self, type_: str | None = None, source_system: str | None = None) -> list[XrefRow]:
        return rows(self._exec(*pg_rows.xref_select(self.project, type_, source_system)))

    def xref_resolver(self, flows_for: dict[tuple[str, str], list[str]]) -> StoreXref:
        return StoreXref(self._exec, flows_for, sql=pg_rows.xref_translate(self.project),
                         any_sql=pg_rows.xref_recorded(self.project))

    def removals(self) -> RemovalRows:
        return pg_rows.PgRemovals(self._exec, self.project)

    def events(self) -> PgEvents:
        """The webhook queue of the project (pg_events.py), on a connection of its own."""
        if self._events is None:
            self._events = PgEvents(self.url, self.project)
        return self._events

    def record_run(self, entry: RunRecord) -> None:
        for statement in pg_rows.run_statements(self.project, replace(entry, error=_clean(entry.error))):
            self._exec(*statement)  # the trim sees the new row: the last KEEP runs, exactly

    def runs(self, flow: str | None = None, limit: int = 50, since: float | None = None) -> list[RunRecord]:
        return pg_rows.recent_runs(self._exec, self.project, flow, limit, since)

    # -- rotated credentials, encrypted (vault.py) ---------------------------------------------------
    def get(self, name: str) -> str | None:
        fernet = vault.cipher()
        found = self._exec("SELECT value FROM passerelle.tokens WHERE project = %s AND name = %s", (self.project, name))
        if not found:
            return None
        value, sealed = vault.unseal(fernet, found[0][0], f"{masked(self.url)} (project {self.project})",
                                     f"psql \"$PASSERELLE_STATE\" -c \"DELETE FROM passerelle.tokens WHERE project = "
                                     f"'{self.project}'\"")
        if not sealed:
            self.set(name, value)
        return value

    def set(self, name: str, value: str) -> None:
        sealed = vault.seal(vault.cipher(), value)
        self._exec("INSERT INTO passerelle.tokens (project, name, value, updated_at) VALUES (%s, %s, %s, %s) "
                   "ON CONFLICT (project, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   (self.project, name, sealed, time.time()))

    # -- leases ----------------------------------------------------------------------------------------
    def lease(self, name: str, what: str, wait: float = 0.0) -> PgLease:
        """The lease ``name`` of this project: an advisory lock on this connection, gone with it."""
        deadline = time.monotonic() + max(0.0, wait)
        while not self._try_lease(name):
            if time.monotonic() >= deadline:
                raise Busy(what, masked(self.url), self._holder(name), place="lease held in")
            time.sleep(POLL)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command_line(),
                  "since": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        self._exec("INSERT INTO passerelle.leases (project, name, holder, backend) VALUES (%s, %s, %s, "
                   "pg_backend_pid()) ON CONFLICT (project, name) DO UPDATE SET holder = excluded.holder, "
                   "backend = excluded.backend, since = now()", (self.project, name, json.dumps(holder)))
        return PgLease(self, name)

    def _try_lease(self, name: str) -> bool:
        if name in self._leases:  # advisory locks nest within a session: one holder per store, as a file lock
            return False
        if self._exec("SELECT pg_try_advisory_lock(%s)", (lock_id(self.project, "lease", name),))[0][0]:
            self._leases.add(name)
            return True
        return False

    def _holder(self, name: str) -> dict:
        found = self._exec("SELECT holder FROM passerelle.leases WHERE project = %s AND name = %s", (self.project, name))
        try:
            holder = json.loads(found[0][0]) if found else {}
        except ValueError:
            return {}
        return holder if isinstance(holder, dict) else {}

    def _let_go(self, name: str) -> None:
        """A lease released; a flow's lease lets go of the record keys its run left claimed too."""
        if name.startswith("flow-"):
            for key in list(self._claims.get(name[len("flow-"):], ())):
                self._unclaim(name[len("flow-"):], key)
        self._leases.discard(name)
        if not self.db.closed:
            self._exec("SELECT pg_advisory_unlock(%s)", (lock_id(self.project, "lease", name),))

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
        with self._lock:
            self.db.close()  # every advisory lock (leases, claims) goes with the connection


def _clean(reason: str | None) -> str | None:
    return scrub(reason) if reason else reason


__all__ = ["PgLease", "PostgresStore", "lock_id"]
