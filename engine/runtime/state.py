"""Run state: incremental cursors and the per-record ledger (exactly-once bookkeeping).

The ledger holds, per flow and source record key, where the record stands:

* ``pending``  the intent to create was committed *before* the write; the outcome is unknown until the
               write is confirmed (after a crash or a lost reply, the target is searched by reference
               before anything is created again);
* ``done``     the target confirmed; ``target_id`` holds its id (e.g. the Sage piece number);
* ``acked``    every acknowledgement back to the source was confirmed too (each one's own state is kept
               per acknowledgement: :mod:`engine.runtime.ack_store`);
* ``failed``   dead letter: mapping failed or the target rejected the record; ``reason``, ``loc`` and the
               exact ``payload`` are kept for ``failures`` and ``replay``.

``StateStore`` is the interface flows and the runner use; ``SqliteStore`` is the default (a file in
the project's state folder, WAL mode, each change committed before the call returns). A store for
PostgreSQL with many workers implements the same methods.

The ``runs`` table keeps each flow's last runs and counts (:mod:`engine.runtime.run_store`) for the dashboard.

A reason is stored scrubbed of every registered secret (``failures`` prints it later, when no
secret is known any more). The ``tokens`` table holds the refresh tokens a server rotated (its own
new tokens, needed by the next run) under a digest key, never a configured secret, encrypted with the
key in ``PASSERELLE_STATE_KEY`` (:mod:`engine.runtime.vault`).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from engine.connectors.base import TokenStore
from engine.errors import OperatorError
from engine.runtime import ack_store, removal_store, run_store, vault
from engine.runtime.ack_store import AckState
from engine.runtime.event_store import EventRows, SqliteEvents
from engine.runtime.lease import Held, Lease, acquire
from engine.runtime.removal_store import RemovalRows
from engine.runtime.run_store import RunRecord
from engine.runtime import xref_store
from engine.runtime.xref_store import Pair, StoreXref, XrefRow
from engine.spec.env import scrub
from engine.util.jsonout import dumps
from engine.util.sqlwhere import filtered

PENDING, DONE, ACKED, FAILED = "pending", "done", "acked", "failed"
RESERVING, REFUSING, REFUSED = "reserving", "refusing", "refused"  # a flow's `reserve` (runtime/reserve.py)


@dataclass
class Entry:
    flow: str
    key: str
    status: str
    payload_hash: str | None = None
    target_id: str | None = None
    attempts: int = 0
    reason: str | None = None
    loc: str | None = None
    payload: str | None = None
    updated_at: float = 0.0
    record: str | None = None  # the typed source record, so acks and replays need no re-read
    target_with: str | None = None  # the write's placeholder values (JSON), resent as they were


UPDATE_FAILED = "update failed: "  # the reason of a created record whose update the target refused


def update_refused(entry: Entry) -> bool:
    """A created record (done or acked) whose last update the target refused: listed by ``failures``,
    sent again by the next run when its data changes or by ``replay``."""
    return entry.status in (DONE, ACKED) and (entry.reason or "").startswith(UPDATE_FAILED)


ENTRY_COLUMNS = ("flow", "key", "status", "payload_hash", "target_id", "attempts", "reason", "loc", "payload",
                 "updated_at", "record", "target_with")  # an Entry's fields, in order


def entries_query(select: str, flow: str | None = None, status: str | None = None,
                  reason_prefix: str | None = None) -> tuple[str, tuple]:
    """The ledger's entries (of ``flow``, with ``status``, whose reason starts with ``reason_prefix``) in
    the order ``entries`` gives them."""
    sql, args = filtered(f"SELECT {select} FROM ledger WHERE 1 = 1", [], {"flow": flow, "status": status})
    if reason_prefix:
        sql += " AND reason IS NOT NULL AND substr(reason, 1, ?) = ?"  # the index of rows with a reason
        args += [len(reason_prefix), reason_prefix]
    return sql + " ORDER BY flow, updated_at", tuple(args)


INTEND = ("INSERT INTO ledger (flow, key, status, payload_hash, attempts, payload, record, target_with, updated_at) "
          "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT(flow, key) DO UPDATE SET "
          "status = excluded.status, payload_hash = excluded.payload_hash, attempts = ledger.attempts + 1, "
          "payload = excluded.payload, record = COALESCE(excluded.record, ledger.record), "
          "target_with = excluded.target_with, reason = NULL, loc = NULL, updated_at = excluded.updated_at")
NOT_CREATED = " WHERE ledger.status NOT IN ('done', 'acked') RETURNING 1"  # intend(creating=True)
WAL_PAGES = 10_000  # checkpoint interval in pages of 4 KB (40 MB of log): 1,000 orders in 2 checkpoints, not 15
WAL_LIMIT = 64 * 1024 * 1024  # bytes the log file keeps after a checkpoint (it is reused from its start)


class RecordClaimed(OperatorError):
    """Another writer holds the record: it created it meanwhile, or (PostgreSQL) is writing it now."""

    code = "claimed"

    def __init__(self, flow: str, key: str, live: bool = False):
        doing = "is being written by another worker right now" if live else "was created by another writer meanwhile"
        super().__init__(f"flow {flow} record {key} {doing}: nothing sent for it here (the next run finds it "
                         "in the ledger)\n  hint: two processes ran the same flow at once; each flow takes its "
                         "lease in the state, check that every worker uses the same `state:`")
        self.flow, self.key = flow, key


def payload_hash(payload_json: str) -> str:
    return hashlib.sha256(payload_json.encode()).hexdigest()[:32]


class StateStore(TokenStore, Protocol):
    """What the runtime needs of a run state: cursors, the per-record ledger, rotated credentials.
    ``SqliteStore`` is the default; a store shared by many workers implements the same methods."""

    def get_cursor(self, flow: str) -> str | None: ...
    def set_cursor(self, flow: str, value: str) -> None: ...
    def entry(self, flow: str, key: str) -> Entry | None: ...
    def intend(self, flow: str, key: str, payload_json: str, record_json: str | None = None,
               with_json: str | None = None, creating: bool = False, status: str = PENDING) -> None:
        """The intent, committed before the write. ``creating``: the write creates the document, so a
        record the ledger holds created already (another writer, meanwhile) raises RecordClaimed; the
        PostgreSQL store also refuses a key another live writer has intended and not yet settled.
        ``status``: ``reserving`` before a flow's reservation (runtime/reserve.py), else ``pending``."""
        ...
    def settle(self, flow: str, key: str, target_id: Any, status: str, reason: str | None = None,
               pair: Pair | None = None, ack: tuple[str, str | None] | None = None) -> None:
        """``pair``: kept in the cross-reference store in the same commit (xref_store.py); ``ack``:
        (name, reason) the result of the record's last acknowledgement, in the same commit too."""
        ...
    def xrefs(self, type_: str | None = None, source_system: str | None = None) -> list[XrefRow]: ...
    def xref_resolver(self, flows_for: dict[tuple[str, str], list[str]]) -> StoreXref: ...
    def note(self, flow: str, key: str, reason: str, record_json: str | None = None) -> None: ...
    def failed(self, flow: str, key: str, reason: str, loc: str | None, payload_json: str | None,
               record_json: str | None = None) -> None: ...
    def entries(self, flow: str | None = None, status: str | None = None) -> list[Entry]: ...
    def keys(self, flow: str, status: str) -> list[str]: ...
    def refused_updates(self, flow: str) -> list[Entry]: ...  # created, last update refused (update_refused)
    def counts(self, flow: str) -> dict[str, int]: ...
    def ack_states(self, flow: str, key: str) -> dict[str, AckState]:
        """The acknowledgements of one record, by identity (see :mod:`engine.runtime.ack_store`)."""
        ...
    def ack_result(self, flow: str, key: str, ack: str, target_id: Any, reason: str | None) -> None:
        """One acknowledgement sent for document ``target_id``: confirmed (no reason) or failed."""
        ...
    def removals(self) -> RemovalRows:
        """The removals' rows: intents, and which record gave which item (runtime/removal_store.py)."""
        ...
    def events(self) -> EventRows: ...  # the webhook queue (event_store.py), on a connection of its own
    def record_run(self, entry: RunRecord) -> None: ...  # a run that ended, kept in the history (run_store.py)
    def runs(self, flow: str | None = None, limit: int = 50, since: float | None = None) -> list[RunRecord]: ...
    def lease(self, name: str, what: str, wait: float = 0.0) -> Held:
        """An exclusive lease (a flow's, the serve's) that a killed holder cannot leave behind;
        raises Busy naming the holder when it is not free within ``wait`` seconds."""
        ...
    def close(self) -> None: ...


class StateError(OperatorError):
    """The state database cannot be used: damaged, read-only, locked by another program, not ours."""

    code = "state"

    def __init__(self, path: Path, exc: BaseException):
        text = str(exc) or type(exc).__name__
        if "not a database" in text or "malformed" in text:
            hint = ("it is damaged or not a Passerelle state: move it aside (keep it for the record); the next "
                    "run starts a new state and searches the target by reference before creating anything")
        elif "readonly" in text or isinstance(exc, PermissionError):
            hint = "the process cannot write there: check the folder's owner and permissions"
        elif "locked" in text:
            hint = "another program holds it locked (an open sqlite3 session?): close it and run again"
        else:
            hint = "check the disk and the file"
        super().__init__(f"state database {path}: {text}\n  hint: {hint}")
        self.path = path


class SqliteStore:
    """The default store. Thread-safe; every method commits before returning."""

    def __init__(self, path: str | Path, busy_timeout: float = 10.0):
        self.path, self._events = Path(path), None  # type: Path, SqliteEvents | None
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None,
                                      timeout=busy_timeout)
            deadline = time.monotonic() + busy_timeout
            while True:  # two runs creating one state at once: the switch to WAL does not wait for the lock
                try:
                    self._schema()
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        except (sqlite3.Error, OSError) as exc:
            raise StateError(self.path, exc) from None

    def _schema(self) -> None:
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        # the log is copied into the database (with two fsyncs) every WAL_PAGES pages rather than SQLite's
        # 1,000: a run's records update the same ledger and index pages again and again, copied once per
        # checkpoint; durability is the commit's (above), whatever the interval
        self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        self.db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")  # the log file cut back to this after one
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS cursors (
                flow TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS ledger (
                flow TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, payload_hash TEXT,
                target_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, loc TEXT,
                payload TEXT, updated_at REAL NOT NULL, record TEXT, target_with TEXT,
                PRIMARY KEY (flow, key));
            CREATE INDEX IF NOT EXISTS ledger_status ON ledger (flow, status);
            CREATE INDEX IF NOT EXISTS ledger_reasons ON ledger (flow, status) WHERE reason IS NOT NULL;
            CREATE TABLE IF NOT EXISTS tokens (
                name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
        """ + ack_store.SCHEMA + xref_store.SCHEMA + removal_store.SCHEMA + run_store.SCHEMA)
        for table, column, alter in (("ledger", "target_with", "ALTER TABLE ledger ADD COLUMN target_with TEXT"),
                                     *run_store.ADDED):  # state files written before these columns existed
            if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(alter)

    def _exec(self, sql: str, args: tuple = ()) -> list:
        with self._lock:
            try:
                return self.db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StateError(self.path, exc) from None

    def get_cursor(self, flow: str) -> str | None:
        rows = self._exec("SELECT value FROM cursors WHERE flow = ?", (flow,))
        return rows[0][0] if rows else None

    def set_cursor(self, flow: str, value: str) -> None:
        self._exec("INSERT INTO cursors (flow, value, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(flow) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                   (flow, str(value), time.time()))

    def entry(self, flow: str, key: str) -> Entry | None:
        rows = self._exec("SELECT flow, key, status, payload_hash, target_id, attempts, reason, loc, payload, "
                          "updated_at, record, target_with FROM ledger WHERE flow = ? AND key = ?", (flow, str(key)))
        return Entry(*rows[0]) if rows else None

    def intend(self, flow: str, key: str, payload_json: str, record_json: str | None = None,
               with_json: str | None = None, creating: bool = False, status: str = PENDING) -> None:
        now = time.time()
        digest = payload_hash(payload_json + (with_json or ""))
        done = self._exec(INTEND + (NOT_CREATED if creating else ""),
                          (flow, str(key), status, digest, payload_json, record_json, with_json, now))
        if creating and not done:
            raise RecordClaimed(flow, key)

    def settle(self, flow: str, key: str, target_id: Any, status: str, reason: str | None = None,
               pair: Pair | None = None, ack: tuple[str, str | None] | None = None) -> None:
        """One commit for a confirmed record: its target id, where it ends (done or acked), its pair
        and the result of its last acknowledgement (one commit fewer per record: issue 10)."""
        statements = [("UPDATE ledger SET status = ?, target_id = ?, reason = ?, updated_at = ? "
                       "WHERE flow = ? AND key = ?",
                       (status, None if target_id is None else str(target_id), _clean(reason), time.time(), flow,
                        str(key)))]
        if ack is not None:
            statements.insert(0, ack_store.statement(flow, key, ack[0], target_id, _clean(ack[1])))
        if pair is not None and target_id is not None and not isinstance(target_id, bool):  # found: True has no id
            statements.append(xref_store.upsert(pair, target_id))
        if len(statements) == 1:
            self._exec(*statements[0])
            return
        with self._lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    for sql, args in statements:
                        self.db.execute(sql, args)
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StateError(self.path, exc) from None

    def xrefs(self, type_: str | None = None, source_system: str | None = None) -> list[XrefRow]:
        return xref_store.rows(self._exec(*xref_store.select(type_, source_system)))

    def xref_resolver(self, flows_for: dict[tuple[str, str], list[str]]) -> StoreXref:
        return StoreXref(self._exec, flows_for)

    def note(self, flow: str, key: str, reason: str, record_json: str | None = None) -> None:
        """Record the last error of a record that stays where it is (e.g. an ack to retry later);
        ``record_json``: the source record as now read (a refused update: what ``replay`` maps again)."""
        self._exec("UPDATE ledger SET reason = ?, record = COALESCE(?, record), updated_at = ? "
                   "WHERE flow = ? AND key = ?", (_clean(reason), record_json, time.time(), flow, str(key)))

    def failed(self, flow: str, key: str, reason: str, loc: str | None, payload_json: str | None,
               record_json: str | None = None) -> None:
        """``record_json``: the source record, so ``replay`` can map it again when the source cannot be
        read by key (a record that failed before its intent was written has no other copy)."""
        now = time.time()
        self._exec("INSERT INTO ledger (flow, key, status, reason, loc, payload, record, attempts, updated_at) "
                   "VALUES (?, ?, 'failed', ?, ?, ?, ?, 1, ?) ON CONFLICT(flow, key) DO UPDATE SET "
                   "status = 'failed', reason = excluded.reason, loc = excluded.loc, "
                   "payload = COALESCE(excluded.payload, payload), record = COALESCE(excluded.record, record), "
                   "attempts = attempts + 1, updated_at = excluded.updated_at",
                   (flow, str(key), _clean(reason), loc, payload_json, record_json, now))

    def entries(self, flow: str | None = None, status: str | None = None) -> list[Entry]:
        return [Entry(*row) for row in self._exec(*entries_query(", ".join(ENTRY_COLUMNS), flow, status))]

    def refused_updates(self, flow: str) -> list[Entry]:
        select = ", ".join(ENTRY_COLUMNS)
        return [entry for status in (DONE, ACKED)
                for entry in (Entry(*row) for row in self._exec(*entries_query(select, flow, status, UPDATE_FAILED)))
                if update_refused(entry)]

    def keys(self, flow: str, status: str) -> list[str]:
        """The keys of ``entries`` alone (in their order): a run resumes any number of them one at a time."""
        return [row[0] for row in self._exec(*entries_query("key", flow, status))]

    def counts(self, flow: str) -> dict[str, int]:
        return dict(self._exec("SELECT status, COUNT(*) FROM ledger WHERE flow = ? GROUP BY status", (flow,)))

    def ack_states(self, flow: str, key: str) -> dict[str, AckState]:
        return ack_store.states(self._exec, flow, key)

    def ack_result(self, flow: str, key: str, ack: str, target_id: Any, reason: str | None) -> None:
        ack_store.record(self._exec, flow, key, ack, target_id, _clean(reason))

    def removals(self) -> RemovalRows:
        """The removals' rows through this store's connection (one commit each)."""
        return removal_store.SqlRemovals(self._exec)

    def events(self) -> SqliteEvents:
        if self._events is None:  # its own connection: the intake does not wait for the ledger's writes
            self._events = SqliteEvents(self.path)
        return self._events

    def record_run(self, entry: RunRecord) -> None:
        run_store.record(self._exec, replace(entry, error=_clean(entry.error)))

    def runs(self, flow: str | None = None, limit: int = 50, since: float | None = None) -> list[RunRecord]:
        return run_store.recent(self._exec, flow, limit, since)

    # -- rotated credentials (refresh tokens that a server spends on use), encrypted: vault.py ------
    def get(self, name: str) -> str | None:
        """The kept token; needs the key even when none is kept yet (one will be, on the first
        renewal: better stop before the server spends the old one)."""
        fernet = vault.cipher()
        rows = self._exec("SELECT value FROM tokens WHERE name = ?", (name,))
        if not rows:
            return None
        value, sealed = vault.unseal(fernet, rows[0][0], str(self.path))
        if not sealed:  # kept in clear by an earlier version: encrypted from now on
            self._exec("PRAGMA secure_delete = ON")
            self.set(name, value)
            self._exec("PRAGMA secure_delete = OFF")
        return value

    def set(self, name: str, value: str) -> None:
        sealed = vault.seal(vault.cipher(), value)
        self._exec("INSERT INTO tokens (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO "
                   "UPDATE SET value = excluded.value, updated_at = excluded.updated_at", (name, sealed, time.time()))

    def lease(self, name: str, what: str, wait: float = 0.0) -> Lease:
        if str(self.path) == ":memory:":  # a scratch store (live dry-run) shares nothing
            return Lease(self.path, None)
        return acquire(self.path.parent / "locks", name, what, wait)

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
        with self._lock:
            self.db.close()


def _clean(reason: str | None) -> str | None:
    return scrub(reason) if reason else reason


def to_json(payload: Any) -> str:
    return dumps(payload)


def from_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)
