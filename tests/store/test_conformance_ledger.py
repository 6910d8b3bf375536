"""The state store's conformance suite, part 1: cursors and the per-record ledger, the same on the
embedded SQLite store and on the PostgreSQL store (``store`` runs each test on both)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.runtime.state import ACKED, DONE, FAILED, PENDING, RecordClaimed, from_json, payload_hash, to_json
from engine.spec.env import Secret, secrets_scope


def test_cursors_are_kept_per_flow_and_overwritten(store):
    assert store.get_cursor("orders") is None
    store.set_cursor("orders", "2024-01-01T00:00:00Z")
    store.set_cursor("stock", "7")
    store.set_cursor("orders", "2024-02-01T00:00:00Z")
    assert store.get_cursor("orders") == "2024-02-01T00:00:00Z" and store.get_cursor("stock") == "7"


def test_an_intent_is_pending_with_its_payload_record_and_values(store):
    assert store.entry("f", "1") is None
    store.intend("f", "1", '{"a": 1}', '{"id": 1}', '{"id": "X"}')
    entry = store.entry("f", "1")
    assert (entry.flow, entry.key, entry.status, entry.attempts) == ("f", "1", PENDING, 1)
    assert (entry.payload, entry.record, entry.target_with) == ('{"a": 1}', '{"id": 1}', '{"id": "X"}')
    assert entry.payload_hash == payload_hash('{"a": 1}' + '{"id": "X"}') and entry.updated_at > 0


def test_a_second_intent_counts_the_attempt_keeps_the_record_and_clears_the_reason(store):
    store.intend("f", "1", '{"a": 1}', '{"id": 1}')
    store.note("f", "1", "HTTP 503")
    store.intend("f", "1", '{"a": 2}')  # no record this time: the one kept stays
    entry = store.entry("f", "1")
    assert entry.attempts == 2 and entry.payload == '{"a": 2}' and entry.record == '{"id": 1}'
    assert entry.reason is None and entry.status == PENDING


def test_settle_records_the_target_id_and_where_the_record_ends(store):
    store.intend("f", "1", "{}")
    store.settle("f", "1", 4711, DONE)
    assert (store.entry("f", "1").status, store.entry("f", "1").target_id) == (DONE, "4711")
    store.settle("f", "1", 4711, ACKED)
    assert store.entry("f", "1").status == ACKED


def test_a_creation_of_a_record_created_meanwhile_is_refused(store):
    store.intend("f", "1", "{}", creating=True)
    store.settle("f", "1", "BC1", DONE)
    with pytest.raises(RecordClaimed, match="flow f record 1 was created by another writer"):
        store.intend("f", "1", "{}", creating=True)
    assert store.entry("f", "1").status == DONE and store.entry("f", "1").attempts == 1
    store.intend("f", "1", '{"update": 1}')  # an update of a created record is no creation
    assert store.entry("f", "1").status == PENDING


def test_a_creation_may_follow_a_failure_or_resume_a_pending_intent(store):
    store.failed("f", "1", "mapping failed", "orders.yaml:3:5", None)
    store.intend("f", "1", "{}", creating=True)
    store.intend("f", "1", "{}", creating=True)  # resumed after an unknown outcome
    assert store.entry("f", "1").status == PENDING and store.entry("f", "1").attempts == 3


def test_the_dead_letter_keeps_reason_location_payload_and_record(store):
    store.failed("f", "1", "no entry for 5.5", "orders.yaml:12:7", '{"doc": 1}', '{"id": 1}')
    store.failed("f", "1", "rejected: HTTP 400", None, None)  # no payload, no record: the kept ones stay
    entry = store.entry("f", "1")
    assert (entry.status, entry.reason, entry.loc, entry.attempts) == (FAILED, "rejected: HTTP 400", None, 2)
    assert entry.payload == '{"doc": 1}' and entry.record == '{"id": 1}'


def test_reasons_are_kept_without_any_secret(store):
    with secrets_scope():
        token = Secret("tok-7f3a9c1e55")
        store.failed("f", "1", f"refused with token {token.reveal()}", None, None)
        store.intend("f", "2", "{}")
        store.note("f", "2", f"HTTP 401 for https://bob:{token.reveal()}@sage.example/x")
        store.settle("f", "3", "X", DONE, f"ack failed: {token.reveal()}")
    assert all("tok-7f3a9c1e55" not in (e.reason or "") for e in store.entries("f"))
    assert "***" in store.entry("f", "1").reason


def test_note_keeps_the_reason_and_the_record_as_read_now(store):
    store.intend("f", "1", "{}", '{"v": 1}')
    store.settle("f", "1", "BC1", DONE)
    store.note("f", "1", "update failed: HTTP 409", '{"v": 2}')
    entry = store.entry("f", "1")
    assert entry.status == DONE and entry.reason == "update failed: HTTP 409" and entry.record == '{"v": 2}'
    store.note("f", "1", "again")
    assert store.entry("f", "1").record == '{"v": 2}'


def test_entries_keys_and_counts_by_flow_and_status(store):
    for key in ("1", "2", "3"):
        store.intend("orders", key, "{}")
    store.settle("orders", "1", "A", DONE)
    store.failed("orders", "2", "bad", None, None)
    store.intend("stock", "9", "{}")
    assert {e.key for e in store.entries()} == {"1", "2", "3", "9"}
    assert [e.key for e in store.entries("orders", PENDING)] == ["3"]
    assert {(e.flow, e.key) for e in store.entries(status=PENDING)} == {("orders", "3"), ("stock", "9")}
    assert store.keys("orders", DONE) == ["1"] and store.keys("orders", ACKED) == []
    assert store.counts("orders") == {DONE: 1, FAILED: 1, PENDING: 1} and store.counts("nothing") == {}


def test_entries_come_oldest_first_within_a_flow(store):
    for key in ("b", "a", "c"):
        store.intend("f", key, "{}")
    store.note("f", "b", "touched last")
    keys = store.keys("f", PENDING)
    assert keys[-1] == "b" and sorted(keys[:2]) == ["a", "c"] and keys == [e.key for e in store.entries("f")]


def test_keys_are_text_and_records_round_trip_exactly(store):
    record = {"id": 7, "total": Decimal("12.50"), "name": "Crème brûlée ✓"}
    store.intend("f", 7, to_json({"x": 1}), to_json(record))
    (entry,) = store.entries("f")
    assert entry.key == "7" and store.entry("f", "7") is not None
    assert from_json(entry.record) == record and isinstance(from_json(entry.record)["total"], Decimal)


def test_a_second_store_on_the_same_state_sees_every_commit(backend, store):
    store.intend("f", "1", "{}")
    store.set_cursor("f", "5")
    other = backend.open()
    assert other.entry("f", "1").status == PENDING and other.get_cursor("f") == "5"
    other.settle("f", "1", "BC1", DONE)
    assert store.entry("f", "1").target_id == "BC1"
