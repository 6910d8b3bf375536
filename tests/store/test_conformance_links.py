"""The state store's conformance suite, part 2: acknowledgements, cross-references, removals, rotated
tokens and leases, the same on SQLite and on PostgreSQL (``store`` runs each test on both)."""
from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet

from engine.lang.xref import XrefMissing
from engine.runtime import vault
from engine.runtime.lease import Busy
from engine.runtime.removal_store import REMOVING
from engine.runtime.state import ACKED, DONE
from engine.runtime.xref_store import Pair


def test_the_last_acknowledgement_commits_with_the_state(store):
    store.intend("f", "1", "{}")
    store.settle("f", "1", "BC1", DONE, pair=Pair("shop", "orders", "1", "sage", "f"))
    store.settle("f", "1", "BC1", ACKED, ack=("shop.add_order_history", None))
    assert store.entry("f", "1").status == ACKED
    state = store.ack_states("f", "1")["shop.add_order_history"]
    assert state.done_for("BC1") and not state.done_for("BC2") and state.attempts == 1
    assert [row.target_id for row in store.xrefs()] == ["BC1"]


def test_a_failed_last_acknowledgement_is_kept_with_the_done_state(store):
    store.intend("f", "1", "{}")
    store.settle("f", "1", "BC1", DONE)
    store.settle("f", "1", "BC1", DONE, "acknowledgement 'a' failed: HTTP 500", ack=("a", "failed: HTTP 500"))
    entry, state = store.entry("f", "1"), store.ack_states("f", "1")["a"]
    assert entry.status == DONE and "HTTP 500" in entry.reason
    assert not state.confirmed and state.reason == "failed: HTTP 500"


def test_each_acknowledgement_is_kept_by_name_with_its_attempts(store):
    store.ack_result("f", "1", "a", "BC1", "HTTP 502")
    store.ack_result("f", "1", "a", "BC1", None)
    store.ack_result("f", "1", "b", 17, None)
    states = store.ack_states("f", "1")
    assert states["a"].confirmed and states["a"].attempts == 2 and states["a"].reason is None
    assert states["b"].done_for(17) and store.ack_states("f", "2") == {}


def test_cross_references_are_listed_filtered_and_translated_both_ways(store):
    store.settle("customers", "C1", "CLI001", DONE, pair=Pair("shop", "customers", "C1", "sage", "customers"))
    store.settle("customers", "C2", "CLI002", DONE, pair=Pair("shop", "customers", "C2", "sage", "customers", "found"))
    store.settle("orders", "O1", "BC1", DONE, pair=Pair("shop", "orders", "O1", "sage", "orders"))
    store.settle("orders", "O2", True, DONE, pair=Pair("shop", "orders", "O2", "sage", "orders"))  # found, no id
    assert [(r.source_id, r.target_id, r.how) for r in store.xrefs("customers")] == \
        [("C1", "CLI001", "created"), ("C2", "CLI002", "found")]
    assert [r.source_id for r in store.xrefs(source_system="shop")] == ["C1", "C2", "O1"]
    resolver = store.xref_resolver({("shop", "customers"): ["customers"]})
    assert resolver.translate("shop", "customers", "C2", None, False) == "CLI002"
    assert resolver.translate("shop", "customers", "CLI001", "sage", True) == "C1"
    with pytest.raises(XrefMissing) as missing:
        resolver.translate("shop", "customers", "C9", None, False)
    assert missing.value.flows == ["customers"] and missing.value.others  # its flow ran: C9 may be gone
    resolver = store.xref_resolver({("shop", "carts"): ["carts"]})
    with pytest.raises(XrefMissing) as missing:
        resolver.translate("shop", "carts", "K1", None, False)
    assert missing.value.flows == ["carts"] and not missing.value.others  # never ran: run it first


def test_the_latest_pair_wins_and_two_targets_are_ambiguous_without_to(store):
    store.settle("a", "C1", "OLD", DONE, pair=Pair("shop", "customers", "C1", "sage", "a"))
    store.settle("a", "C1", "NEW", DONE, pair=Pair("shop", "customers", "C1", "sage", "a"))
    store.settle("b", "C1", "X9", DONE, pair=Pair("shop", "customers", "C1", "x3", "b"))
    assert {(r.target_system, r.target_id) for r in store.xrefs()} == {("sage", "NEW"), ("x3", "X9")}
    resolver = store.xref_resolver({})
    assert resolver.translate("shop", "customers", "C1", "x3", False) == "X9"
    with pytest.raises(XrefMissing, match="has 2 cross-references"):
        resolver.translate("shop", "customers", "C1", None, False)


def test_removal_intents_and_the_items_each_record_gave(store):
    store.intend("f", "1", "{}")
    store.settle("f", "1", "P1", DONE)
    rows = store.removals()
    rows.intend("f", "1", '{"id": "P1"}')
    entry = store.entry("f", "1")
    assert entry.status == REMOVING and entry.target_with == '{"id": "P1"}'
    rows.keep_children("f", {"A": {"A-1", "A-2"}, "B": {"B-1"}}, [])
    assert rows.children("f", ["A", "B", "C"]) == {"A": {"A-1", "A-2"}, "B": {"B-1"}}
    rows.keep_children("f", {"B": {"A-2"}}, ["A-1"])  # an item moved to another record, one gone
    assert rows.children("f", ["A", "B"]) == {"B": {"B-1", "A-2"}}
    assert rows.children("g", ["A", "B"]) == {}
    many = [f"P{i}" for i in range(1200)]  # more parents than one query takes
    rows.keep_children("g", {parent: {parent + "-x"} for parent in many}, [])
    assert len(rows.children("g", many)) == 1200


def test_rotated_tokens_are_kept_encrypted_under_the_state_key(store, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(vault.KEY_VARIABLE, key)
    assert store.get("sbca") is None
    store.set("sbca", "rt-123")
    store.set("sbca", "rt-456")
    assert store.get("sbca") == "rt-456"
    monkeypatch.setenv(vault.KEY_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(vault.VaultError, match="cannot be decrypted"):
        store.get("sbca")
    monkeypatch.delenv(vault.KEY_VARIABLE)
    with pytest.raises(vault.VaultError, match="is not set"):
        store.get("sbca")


def test_a_lease_is_exclusive_across_stores_and_names_its_holder(backend, store):
    other = backend.open()
    with store.lease("flow-orders", "flow 'orders'"):
        with pytest.raises(Busy) as busy:
            other.lease("flow-orders", "flow 'orders'")
        assert "flow 'orders' is in use by `passerelle" in str(busy.value) and busy.value.holder.get("pid")
        with other.lease("flow-stock", "flow 'stock'"):  # another flow is free
            pass
    with other.lease("flow-orders", "flow 'orders'"):  # released: the other store takes it
        with pytest.raises(Busy):
            store.lease("flow-orders", "flow 'orders'")


def test_one_store_holds_a_lease_once(store):
    with store.lease("serve", "serving"):
        with pytest.raises(Busy):
            store.lease("serve", "serving")
    store.lease("serve", "serving").release()


def test_a_waiting_lease_is_taken_when_the_holder_lets_go(backend, store):
    other = backend.open()
    held = store.lease("flow-orders", "flow 'orders'")
    threading.Timer(0.3, held.release).start()
    with other.lease("flow-orders", "flow 'orders'", wait=60):  # waits (polls) instead of Busy
        assert not held.__dict__.get("held", False) and getattr(held, "fd", None) is None


def test_a_token_kept_under_another_key_says_how_to_forget_it_on_this_store(backend, store, monkeypatch):
    monkeypatch.setenv(vault.KEY_VARIABLE, Fernet.generate_key().decode())
    store.set("sbca", "rt-123")
    monkeypatch.setenv(vault.KEY_VARIABLE, Fernet.generate_key().decode())
    with pytest.raises(vault.VaultError) as refused:
        store.get("sbca")
    wanted = "sqlite3 " if backend.kind == "sqlite" else "psql "
    assert wanted in str(refused.value) and "DELETE FROM" in str(refused.value)
    assert (backend.kind == "sqlite") == ("passerelle.tokens" not in str(refused.value))


def test_every_item_of_a_flow_is_listed_with_its_parent(store):
    store.removals().keep_children("f", {"A": {"A-1", "A-2"}}, [])
    store.removals().keep_children("g", {"B": {"B-1"}}, [])
    assert sorted(store.removals().items("f")) == [("A-1", "A"), ("A-2", "A")]
