"""An operator's review of issue 10 (concurrency, spool, streaming dry-run): what a headless operator
can provoke must end in a clear message, never an internal error, and the docs must say what happens."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace

from concurrency_support import Sage, orders, plan_for, run
from engine.runtime import relspill
from engine.runtime.spool import SpoolError
from engine.runtime.state import SqliteStore
from support import ROOT, run_cli

EXAMPLE = ROOT / "specs" / "examples" / "prestashop-sage100"
SAMPLES = EXAMPLE / "samples"


def _cramped(monkeypatch, pages: int) -> None:
    """The dry-run's temporary database on a disk with room for ``pages`` pages only (a full /tmp)."""
    real = sqlite3.connect

    def connect(*args, **kwargs):
        db = real(*args, **kwargs)
        db.execute(f"PRAGMA max_page_count={pages}")
        return db

    monkeypatch.setattr(relspill, "sqlite3", SimpleNamespace(connect=connect, Error=sqlite3.Error))


def _dry_run(*extra: str):
    files = [f"--input={SAMPLES / name}.xml" for name in ("orders", "order_details", "carriers", "customers", "taxes")]
    return run_cli(["dry-run", str(EXAMPLE), "--flow", "orders_to_sage", *files, *extra], ROOT)


def test_a_full_temporary_folder_during_a_file_dry_run_is_an_operator_error_not_an_internal_one(monkeypatch, tmp_path):
    """`TMPDIR` on a full disk: the related records cannot be held on disk. Before: `internal error in
    passerelle dry-run: OperationalError: database or disk is full` and "this is a bug in Passerelle"."""
    _cramped(monkeypatch, 4)
    monkeypatch.setenv("SQLITE_TMPDIR", str(tmp_path))
    code, out, err = _dry_run("--format", "json", "--related-memory", "0")  # on disk however small
    assert f"on disk in {tmp_path}:" in err, err  # the folder that is full
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err
    assert "error[disk]" in err and "TMPDIR" in err, err
    assert out == "" or isinstance(json.loads(out), list)  # nothing, or one JSON array


def test_no_room_even_to_start_the_temporary_database(monkeypatch):
    _cramped(monkeypatch, 1)
    code, out, err = _dry_run("--related-memory", "0")
    assert code == 1 and "internal error" not in err and "error[disk]" in err, err


def test_the_spool_hint_does_not_send_the_operator_to_an_empty_ledger(tmp_path):
    """A disk too full for the spool said "choose another folder with --state": a new state folder is
    an empty ledger and no cursor, so the next run would read and send everything again. The hint must
    say to move the whole state folder (its state.db) instead."""
    message = str(SpoolError(tmp_path, OSError(28, "No space left on device")))
    assert "No space left on device" in message and str(tmp_path) in message
    assert "choose another folder" not in message
    assert "state.db" in message


class _PagedShop:
    """Orders in pages of 4; the test changes the live plan after the first page is read."""

    concurrent = True

    def __init__(self, n: int, after_first_page):
        self.orders, self.after_first_page, self.notes = orders(n), after_first_page, []
        self.lock = threading.Lock()

    def read(self, resource, *, where=None, since=None, keys=None, page_size=None):
        for start in range(0, len(self.orders), 4):
            yield [dict(order) for order in self.orders[start:start + 4]]

    def write(self, operation, payload, values):
        with self.lock:
            self.notes.append(values["id"])
        return SimpleNamespace(result=None)

    def close(self):
        pass


class _Watching(Sage):
    """Sage recording how many writes were in flight together, for the writes of page 2 on."""

    def __init__(self):
        super().__init__(pause=0.03)
        self.late_most = 0

    def write(self, operation, payload, values):
        number = int(payload["doc"]["Reference"][1:])
        if number > 4:
            with self.lock:
                self.late_most = max(self.late_most, len(self.active) + 1)
        return super().write(operation, payload, values)


def test_a_hot_reload_lowering_concurrency_applies_from_the_next_page(tmp_path):
    """docs/runtime.md: "a hot reload applies from the next page". An operator whose Sage locks up under
    parallel writes sets `concurrency: 1` while `serve` runs: before, the running flow kept writing 4 at
    a time until its batch ended (the width was taken from the plan the flow started with)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    four, one = plan_for(tmp_path / "a", 4), plan_for(tmp_path / "b", 1)
    live = {"plan": four}
    shop = _PagedShop(16, None)
    sage = _Watching()
    store = SqliteStore(tmp_path / "state.db")
    pages = {"n": 0}

    def flow_source():
        pages["n"] += 1
        if pages["n"] == 2:  # the operator saved `concurrency: 1` while page 1 was written
            live["plan"] = one
        return live["plan"].flows["f"]

    summary = run(four, shop, sage, store, plan_source=flow_source, live_plan=lambda: live["plan"])
    assert summary.created == 16 and sorted(sage.documents) == sorted(f"R{i}" for i in range(1, 17))
    assert sage.late_most == 1  # pages 2.. one record at a time


def test_records_left_pending_when_the_target_dies_mid_write_are_counted_and_say_why(tmp_path):
    """Sage killed with 4 writes in flight: each was received (the documents exist), the connection
    dropped before the answer, and the search after that doubt found nothing listening. The records
    are rightly pending (resolved by a look-up next run), but the summary said "0 pending" and their
    ledger entries gave no reason: `passerelle failures` showed pending records without why."""
    (tmp_path / "p").mkdir()
    plan = plan_for(tmp_path / "p", 4, reference=True)
    dead = threading.Event()

    class Dying(Sage):
        def write(self, operation, payload, values):
            result = super().write(operation, payload, values)
            if int(payload["doc"]["Reference"][1:]) >= 7:
                dead.set()
                from engine.connectors.errors import EndpointError
                raise EndpointError("connection reset by peer", transient=True, outcome_unknown=True)
            return result

        def find(self, operation, values):
            if dead.is_set():
                from engine.connectors.errors import EndpointError
                raise EndpointError("cannot connect: connection refused", transient=True, unreachable=True)
            return super().find(operation, values)

    from concurrency_support import Shop
    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, Shop(orders(20)), Dying(pause=0.01), store)
    assert summary.error is not None and "connection refused" in summary.error
    pending = [e for e in store.entries("f") if e.status == "pending"]
    assert pending  # the writes in flight when Sage died
    assert summary.pending == len(pending), (summary.pending, [e.key for e in pending])
    assert all(e.reason for e in pending), [(e.key, e.reason) for e in pending]
    assert "pending" in summary.line()
