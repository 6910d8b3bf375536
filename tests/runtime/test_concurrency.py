"""`concurrency: N` on the target endpoint: records written N at a time, each on its own exactly-once path.

A real FlowRunner over fake endpoints that record what was in flight together; a record can be held
at its write (an event) to check the order rules: the cursor passes a record only when every record
before it is final, a record's acknowledgement follows its own document, the dead letter and the
pending state stay per record, two records for one document never run at once."""
from __future__ import annotations

import threading

import pytest

from concurrency_support import Sage, Shop, orders, plan_for, run
from engine.connectors.errors import EndpointError
from engine.runtime import parallel
from engine.runtime.runner import FlowRunner
from engine.runtime.state import ACKED, FAILED, PENDING, SqliteStore

def test_records_are_written_n_at_a_time_each_once_with_its_own_acknowledgement(tmp_path):
    plan = plan_for(tmp_path, 4)
    shop, sage, store = Shop(orders(24)), Sage(pause=0.03), SqliteStore(tmp_path / "state.db")
    summary = run(plan, shop, sage, store)
    assert summary.error is None and summary.read == summary.created == summary.acked == 24
    assert sorted(sage.documents) == sorted(f"R{i}" for i in range(1, 25))  # each once
    assert 2 <= sage.most <= 4 and not sage.overlaps  # really in parallel, never more than declared
    assert sorted(shop.notes) == [(i, f"BCR{i}") for i in range(1, 25)]  # each ack names its own document
    assert {e.status for e in store.entries("f")} == {ACKED}
    assert {e.key: e.target_id for e in store.entries("f")} == {str(i): f"BCR{i}" for i in range(1, 25)}
    assert store.get_cursor("f") == "2026-01-01T00:00:24"
    again = run(plan, shop, sage, store)  # nothing new past the cursor
    assert again.read == 0 and len(sage.documents) == 24


def test_concurrency_1_writes_one_at_a_time(tmp_path):
    plan = plan_for(tmp_path, 1)
    sage = Sage(pause=0.005)
    summary = run(plan, Shop(orders(10)), sage, SqliteStore(tmp_path / "state.db"))
    assert summary.created == 10 and sage.most == 1
    assert sage.order == [f"R{i}" for i in range(1, 11)]


def test_the_cursor_waits_for_a_slow_record_in_the_middle(tmp_path):
    """Record 3 is held at its write while 4..10 finish: the records after it are done, but the cursor
    can only pass what is final *in record order* — here everything, once record 3 ends."""
    plan = plan_for(tmp_path, 4)
    gate = threading.Event()
    sage = Sage(gates={"R3": gate})
    seen: list = []

    def log(event, **fields):
        if event == "record_created":
            seen.append(fields["key"])
            if len(seen) == 9:  # every other record is written: let record 3 end
                gate.set()

    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, Shop(orders(10)), sage, store, log=log)
    assert summary.created == 10 and seen[-1] == "3"  # record 3 really ended last
    assert store.get_cursor("f") == "2026-01-01T00:00:10"


def test_a_record_left_pending_in_the_middle_holds_the_cursor_before_it(tmp_path):
    """Record 3's target stays down (pending, outcome not final) while the records around it are
    written in parallel: the cursor stops at record 2, and the next run resolves record 3 only (looked
    up by reference first: not there, so created)."""
    plan = plan_for(tmp_path, 4, reference=True)
    sage = Sage(down={"R3"})
    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, Shop(orders(10)), sage, store)
    assert summary.created == 9 and summary.pending == 1 and summary.acked == 9
    assert store.entry("f", "3").status == PENDING
    assert store.get_cursor("f") == "2026-01-01T00:00:02"
    sage.down.clear()
    again = run(plan, Shop(orders(10)), sage, store)
    assert again.created == 1 and sorted(sage.documents) == sorted(f"R{i}" for i in range(1, 11))
    assert store.get_cursor("f") == "2026-01-01T00:00:10"


def test_rejected_records_go_to_the_dead_letter_and_the_others_on(tmp_path):
    plan = plan_for(tmp_path, 4)
    sage = Sage(reject={"R2", "R7"})
    shop = Shop(orders(12))
    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, shop, sage, store)
    assert summary.failed == 2 and summary.created == summary.acked == 10
    failed = {e.key: e for e in store.entries("f", FAILED)}
    assert set(failed) == {"2", "7"} and all("refused" in e.reason for e in failed.values())
    assert failed["2"].payload and '"R2"' in failed["2"].payload  # the exact payload, for replay
    assert {i for i, _ in shop.notes} == set(range(1, 13)) - {2, 7}  # no ack for a rejected record
    assert store.get_cursor("f") == "2026-01-01T00:00:12"  # a dead letter is final


def test_two_records_for_one_document_are_never_in_flight_together(tmp_path):
    """Orders 1..8 share two references: the look-up before create of the later ones must see the
    earlier one's document, as one at a time: two documents in all, the others found."""
    plan = plan_for(tmp_path, 4, reference=True)
    sage = Sage(pause=0.03)
    summary = run(plan, Shop(orders(8, ref=lambda i: f"R{i % 2}")), sage, SqliteStore(tmp_path / "state.db"))
    assert sorted(sage.documents) == ["R0", "R1"] and not sage.overlaps
    # the first record of each document creates it; the others find it by reference before sending
    assert summary.error is None and (summary.created, summary.found) == (2, 6)


def test_same_key_twice_in_a_page_is_written_once(tmp_path):
    plan = plan_for(tmp_path, 4)
    twice = orders(6) + [{"id": 3, "ref": "R3", "date_modified": "2026-01-01T00:00:07"}]
    sage = Sage(pause=0.02)
    summary = run(plan, Shop(twice), sage, SqliteStore(tmp_path / "state.db"))
    assert sorted(sage.documents) == sorted(f"R{i}" for i in range(1, 7)) and not sage.overlaps
    assert summary.read == 7 and summary.created == 6 and summary.skipped == 1


def test_a_stop_lets_the_records_in_flight_finish_and_starts_no_other(tmp_path):
    plan = plan_for(tmp_path, 4)
    stop = threading.Event()
    sage = Sage(pause=0.02)

    def log(event, **fields):
        if event == "record_created":
            stop.set()

    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, Shop(orders(40)), sage, store, log=log, stop=stop)
    assert 1 <= summary.created <= 4 + 1 and summary.read == summary.created  # at most those in flight
    assert all(e.status == ACKED for e in store.entries("f"))  # none left half-way
    rest = run(plan, Shop(orders(40)), sage, store)
    assert rest.created == 40 - summary.created and len(sage.documents) == 40 == len(set(sage.documents))


def test_an_unreachable_target_stops_the_flow_after_the_records_in_flight(tmp_path):
    plan = plan_for(tmp_path, 4)

    class Gone(Sage):
        def write(self, operation, payload, values):
            if payload["doc"]["Reference"] == "R5":
                raise EndpointError("connection refused", unreachable=True, transient=True)
            return super().write(operation, payload, values)

    sage = Gone(pause=0.01)
    store = SqliteStore(tmp_path / "state.db")
    summary = run(plan, Shop(orders(20)), sage, store)
    assert summary.error == "connection refused"
    assert store.get_cursor("f") is None  # nothing passed: as one at a time
    assert store.entry("f", "5").status == PENDING and "not sent" in store.entry("f", "5").reason
    assert all(e.status in (ACKED, PENDING) for e in store.entries("f"))  # every started record settled
    assert len(sage.documents) == len(set(sage.documents))


def test_a_target_taking_one_request_at_a_time_is_written_one_at_a_time(tmp_path):
    plan = plan_for(tmp_path, 4)
    sage = Sage(pause=0.005)
    sage.concurrent = False  # e.g. an ODBC endpoint
    events: list = []
    summary = run(plan, Shop(orders(6)), sage, SqliteStore(tmp_path / "state.db"),
                  log=lambda event, **fields: events.append((event, fields)))
    assert summary.created == 6 and sage.most == 1
    assert [f["endpoints"] for e, f in events if e == "concurrency_off"] == [["sage"]]


@pytest.mark.parametrize("width", [1, 4, 32])
def test_the_plan_carries_the_declared_concurrency(tmp_path, width):
    plan = plan_for(tmp_path, width)
    assert plan.endpoints["sage"].concurrency == width and plan.endpoints["shop"].concurrency == 1
    runner = FlowRunner(plan, plan.flows["f"], {"shop": Shop([]), "sage": Sage()}, SqliteStore(":memory:"))
    assert parallel.width(runner) == width
