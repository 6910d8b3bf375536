"""`failures`, `xref` and a dry-run's cross-references only look at the run state: they read it where this
process cannot write (the service user's state read by the operator, a backup mounted read-only), and
never change or migrate it — also a state written before the acks and xref tables existed.

A folder this process cannot write: ``chmod 555``, or for root (whom permissions do not stop) the
folder and the database made immutable (``chattr +i``); skipped where neither can be done."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from engine.runtime.state import SqliteStore, StateError
from engine.runtime.state_read import connect_read_only, read_only_xref
from engine.runtime.xref_store import Pair
from runtime_support import copy_project
from support import ROOT, run_cli


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def _read_only(folder):
    """``folder`` (and its files) cannot be written by this process while the block runs."""
    paths = [folder, *folder.iterdir()]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    try:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot make a folder read-only for root here (no chattr)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@pytest.fixture()
def state(tmp_path):
    folder = tmp_path / "state"
    store = SqliteStore(folder / "state.db")
    store.failed("orders_to_sage", "1042", "rejected by the target: unknown article", "orders.yaml:3:5", "{}")
    store.intend("orders_to_sage", "1043", "{}", '{"id": 1043}')
    store.settle("orders_to_sage", "1043", "BC00007", "done", "acknowledgement 'note' failed: 503",
                 pair=Pair("shop", "orders", "1043", "sage", "orders_to_sage"))
    store.close()  # the last connection closes cleanly: the WAL is checkpointed and removed
    assert not (folder / "state.db-wal").exists()
    return folder


def test_failures_and_xref_read_a_state_in_a_folder_they_cannot_write(tmp_path, state):
    project = copy_project(tmp_path)
    db = state / "state.db"
    before = _digest(db)
    with _read_only(state):
        code, out, err = run_cli(["failures", str(project), "--state", str(state)], ROOT)
        assert code == 0, err
        assert "orders.yaml:3:5: error[record] flow orders_to_sage record 1042: rejected by the target" in out
        assert "warning[ack] flow orders_to_sage record 1043 (created as BC00007)" in out
        code, out, err = run_cli(["xref", str(project), "--state", str(state), "--format", "csv"], ROOT)
        assert code == 0, err
        assert "shop,orders,1043,sage,BC00007,orders_to_sage,created" in out
        resolver = read_only_xref(db, SimpleNamespace(flows={}))  # a dry-run's xref transform
        try:
            assert resolver is not None and resolver.translate("shop", "orders", "1043", None, False) == "BC00007"
        finally:
            if resolver is not None:
                resolver.close()
    assert _digest(db) == before


def test_a_state_with_commits_waiting_in_its_wal_is_refused_with_a_hint(tmp_path, state):
    db = state / "state.db"
    (state / "state.db-wal").write_bytes(b"")  # a writer may be running: its commits would be missed
    project = copy_project(tmp_path)
    with _read_only(state):
        with pytest.raises(StateError, match="unable to open database file"):
            connect_read_only(db)
        code, _, err = run_cli(["failures", str(project), "--state", str(state)], ROOT)
    assert code == 1 and err.startswith("error[state] state database") and "internal error" not in err


def test_failures_on_a_state_from_before_acks_and_xref_lists_it_and_leaves_it_as_it_was(tmp_path):
    """No acks, no xref table, no target_with column: listed as it is; the next run migrates it."""
    folder = tmp_path / "old"
    folder.mkdir()
    db = folder / "state.db"
    connection = sqlite3.connect(db)
    connection.executescript("""
        CREATE TABLE cursors (flow TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE ledger (flow TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, payload_hash TEXT,
            target_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, loc TEXT, payload TEXT,
            updated_at REAL NOT NULL, record TEXT, PRIMARY KEY (flow, key));
        INSERT INTO ledger VALUES ('orders_to_sage', '7', 'failed', NULL, NULL, 1, 'boom', 'o.yaml:1:1', '{}', 1.0, NULL);
        INSERT INTO ledger VALUES ('orders_to_sage', '8', 'done', 'h', 'BC1', 1, 'ack failed', NULL, '{}', 1.0, '{}');
    """)
    connection.close()
    before = _digest(db)
    project = copy_project(tmp_path)
    code, out, err = run_cli(["failures", str(project), "--state", str(folder), "--format", "json"], ROOT)
    assert code == 0, err
    assert '"key": "7"' in out and '"target_id": "BC1"' in out
    code, out, err = run_cli(["xref", str(project), "--state", str(folder)], ROOT)
    assert code == 0 and "0 cross-reference(s)" in err
    assert _digest(db) == before  # not migrated: the next run does that
    tables = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "acks" not in tables and "xref" not in tables
