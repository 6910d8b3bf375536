"""A record set aside before its intent was written (a mapping error, a `reject` rule, a strict `xref`
with no pair yet) keeps its source record in the dead letter, so `replay` can map it again when the
source cannot be read back by key (Shopify's GraphQL orders). Found by the Sage 100 <-> Shopify example:
`replay` read 1 of 4 failed orders and left the other 3 in the dead letter without a word. On both
stores (tests/store/conftest.py)."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from engine.errors import RecordError
from engine.runtime.replay import _pages
from engine.runtime.runner import FlowRunner, Summary
from engine.runtime.state import FAILED, StateStore, from_json

RECORD = {"id": "gid://shopify/Order/1", "tags": ["b2b"], "total": Decimal("12.50")}


def _dead_letter(store: StateStore, record, payload_json=None) -> None:
    runner = SimpleNamespace(store=store, flow=SimpleNamespace(name="orders_to_sage"),
                             summary=Summary("orders_to_sage"), log=lambda *a, **k: None)
    FlowRunner.dead_letter(runner, RECORD["id"], RecordError("field doc.NumeroTiers: no pair yet"), record,
                           payload_json)


def test_a_record_failed_before_its_intent_keeps_its_source_record(store):
    _dead_letter(store, RECORD)
    (entry,) = store.entries("orders_to_sage", FAILED)
    assert entry.reason == "field doc.NumeroTiers: no pair yet"
    assert from_json(entry.record) == RECORD  # Decimal kept exact


def test_a_failure_without_record_keeps_the_one_stored_before(store):
    _dead_letter(store, RECORD)
    _dead_letter(store, None, '{"doc": {}}')  # e.g. the target refused the payload on a later attempt
    (entry,) = store.entries("orders_to_sage", FAILED)
    assert from_json(entry.record) == RECORD and entry.payload == '{"doc": {}}' and entry.attempts == 2


def test_replay_of_a_source_without_key_look_up_maps_the_stored_record_again(store):
    _dead_letter(store, RECORD)
    flow = SimpleNamespace(fan_out=None, group=None, key_path=("id",),
                           source=SimpleNamespace(key_support=lambda: None))  # no `keys` query
    pages = list(_pages(flow, source=None, entries=store.entries("orders_to_sage", FAILED)))
    assert pages == [[RECORD]]
