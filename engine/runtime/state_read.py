"""A project's run state opened read-only, for the commands that only look (``failures``, ``xref``, a
dry-run's cross-references): never created, never changed, never migrated.

The state is a WAL-mode SQLite file. Read-only access to a WAL database still needs its ``-shm`` file,
which SQLite creates beside the database — impossible in a folder this process cannot write: the
operator logged in as themselves reading the service user's state, a backup mounted read-only. When
there is no ``-wal`` file beside it (the last writer closed cleanly: every commit is in the database
file itself), the file is then read as it is (SQLite's ``immutable``); with a ``-wal`` file, a writer
may be running or commits may wait in it, and the state cannot be read from here (:class:`StateError`,
with a hint).

A state written by an earlier version may lack tables or columns added since: the tables read as
empty, the columns as null.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from engine.runtime.state import ENTRY_COLUMNS, Entry, StateError, entries_query
from engine.runtime.xref_store import StoreXref, XrefRow, flows_by_type, rows, select


def connect_read_only(db: Path) -> sqlite3.Connection:
    """A read-only connection to an existing state database; StateError when it cannot be read."""
    uri = db.resolve().as_uri()
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return connection
    except sqlite3.Error as exc:
        connection.close()
        if Path(f"{db}-wal").exists() or "unable to open" not in str(exc):
            raise StateError(db, exc) from None
    connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        connection.close()
        raise StateError(db, exc) from None
    return connection


def columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def read_entries(connection: sqlite3.Connection, flow: str | None = None, status: str | None = None) -> list[Entry]:
    """The ledger's entries (of ``flow``, with ``status``), as :meth:`SqliteStore.entries` gives them."""
    have = columns(connection, "ledger")
    if not have:
        return []
    select = ", ".join(name if name in have else "NULL" for name in ENTRY_COLUMNS)
    return [Entry(*row) for row in connection.execute(*entries_query(select, flow, status))]


def read_only_xref(db: Path, plan: Any) -> StoreXref | None:
    """The ``xref`` transform's resolver on the project's state (dry-runs); None when there is none."""
    if not db.exists():
        return None
    connection = connect_read_only(db)

    def query(sql: str, args: tuple) -> list:
        return connection.execute(sql, args).fetchall()

    return StoreXref(query, flows_by_type(plan), connection.close)


class ReadOnlyState:
    """A SQLite state opened read-only, read as a store is (``entries``, ``xrefs``): what ``failures`` and
    ``xref`` list, whichever store holds the state (:func:`engine.runtime.store_open.reading`)."""

    def __init__(self, db: Path):
        self.db = db
        self.connection = connect_read_only(db)

    def entries(self, flow: str | None = None, status: str | None = None) -> list[Entry]:
        try:
            return read_entries(self.connection, flow, status)
        except sqlite3.Error as exc:
            raise StateError(self.db, exc) from None

    def xrefs(self, type_: str | None = None, source_system: str | None = None) -> list[XrefRow]:
        try:
            return rows(self.connection.execute(*select(type_, source_system)).fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # a state from before the store: no pair yet
                return []
            raise StateError(self.db, exc) from None

    def counts(self, flow: str) -> dict[str, int]:
        """The flow's ledger records by status (``status``)."""
        try:
            return dict(self.connection.execute("SELECT status, COUNT(*) FROM ledger WHERE flow = ? GROUP BY status",
                                                (flow,)).fetchall())
        except sqlite3.Error as exc:
            raise StateError(self.db, exc) from None

    def runs(self, flow: str | None = None, limit: int = 50) -> list:
        """The run history, newest first (none in a state from before it)."""
        from engine.runtime import run_store

        try:
            return run_store.recent(lambda sql, args: self.connection.execute(sql, args).fetchall(), flow, limit)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise StateError(self.db, exc) from None

    def close(self) -> None:
        self.connection.close()


__all__ = ["ReadOnlyState", "connect_read_only", "read_entries", "read_only_xref"]
