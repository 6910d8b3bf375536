"""The ledger of one created and acknowledged record takes three commits (issue 10): the intent before
the write, ``done`` with its cross-reference before any acknowledgement, then the last acknowledgement's
result with the final state, in one transaction (both or neither). SQLite-only (commits traced, a
trigger refusing): what every store does is in tests/store (the conformance suite)."""
from __future__ import annotations

import sqlite3

import pytest

from engine.runtime.state import ACKED, DONE, PENDING, SqliteStore, StateError
from engine.runtime.xref_store import Pair


def commits(store: SqliteStore) -> list[str]:
    seen: list[str] = []
    store.db.set_trace_callback(lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None)
    return seen


def test_a_record_with_one_acknowledgement_takes_three_commits(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    seen = commits(store)
    store.intend("f", "1", '{"a": 1}', '{"id": 1}')
    store.settle("f", "1", "BC1", DONE, pair=Pair("shop", "orders", "1", "sage", "f"))
    store.settle("f", "1", "BC1", ACKED, ack=("shop.add_order_history", None))
    # the intent commits on its own (autocommit); the two settles are explicit transactions
    assert len(seen) == 2
    assert store.entry("f", "1").status == ACKED
    state = store.ack_states("f", "1")["shop.add_order_history"]
    assert state.done_for("BC1") and state.attempts == 1
    assert [row.target_id for row in store.xrefs()] == ["BC1"]
    store.close()


def test_the_acknowledgement_and_the_state_commit_together_or_not_at_all(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    store.intend("f", "1", "{}")
    store.settle("f", "1", "BC1", DONE)
    store.db.execute("CREATE TRIGGER refuse BEFORE UPDATE OF status ON ledger WHEN NEW.status = 'acked' "
                     "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with pytest.raises(StateError):
        store.settle("f", "1", "BC1", ACKED, ack=("a", None))
    assert store.entry("f", "1").status == DONE
    assert store.ack_states("f", "1") == {}  # rolled back with the state
    assert store.entry("f", "1").status != PENDING
    store.close()
    assert sqlite3.connect(tmp_path / "state.db").execute("SELECT COUNT(*) FROM acks").fetchone() == (0,)


def test_the_log_is_copied_into_the_database_every_ten_thousand_pages_and_a_commit_survives_a_kill(tmp_path):
    """SQLite copies its write-ahead log into the database (with two fsyncs) every 1,000 pages by default:
    ~15 times per 1,000 orders, each time the same ledger and index pages again. The store does it every
    10,000 pages; a commit is durable when it returns either way (WAL, synchronous=NORMAL): a process that
    opens the file after a writer died without closing sees every committed record."""
    import subprocess
    import sys
    import textwrap

    store = SqliteStore(tmp_path / "state.db")
    assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    assert store.db.execute("PRAGMA journal_size_limit").fetchone()[0] == 64 * 1024 * 1024
    store.close()
    script = textwrap.dedent(f"""
        import os
        from engine.runtime.state import SqliteStore, DONE
        store = SqliteStore({str(tmp_path / "state.db")!r})
        for n in range(300):
            store.intend("f", str(n), '{{"a": "' + "x" * 3000 + '"}}')
            store.settle("f", str(n), "BC" + str(n), DONE)
        os._exit(0)  # no close, no checkpoint: what was committed is in the log only
    """)
    subprocess.run([sys.executable, "-c", script], check=True, cwd=str(tmp_path),
                   env={"PYTHONPATH": ":".join(sys.path)})
    raw = sqlite3.connect(tmp_path / "state.db")
    _, frames, _ = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    raw.close()
    assert 1_000 < frames < 10_000  # the writer's whole life in the log: not copied every 1,000 pages
    store = SqliteStore(tmp_path / "state.db")
    assert [store.entry("f", str(n)).status for n in (0, 150, 299)] == [DONE] * 3
    assert store.counts("f").get(DONE) == 300
    store.close()
