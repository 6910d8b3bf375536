"""`acknowledge`: one mapping or a list, compiled once (identities, `when`), and the per-acknowledgement
ledger logic of engine.runtime.acks with an in-memory store and a fake endpoint."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.connectors.errors import EndpointError
from engine.runtime import acks
from engine.runtime.runner import Summary
from engine.runtime.state import ACKED, DONE, SqliteStore
from helpers import compile_text

HEAD = """
endpoints:
  shop: { use: woocommerce, settings: { base_url: "http://s.test", consumer_key: "${env:K}", consumer_secret: "${env:S}" }, override: { operations: { add_order_note: { accepts: null }, update_order: { accepts: null } } } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:T}" }, override: { operations: { insert_document: { accepts: null } } } }
flows:
  f:
    source: { endpoint: shop, read: orders }
    target: { endpoint: sage, write: insert_document }
    map: { doc: { Reference: { from: id } } }
"""

TWO = """
    acknowledge:
      - name: sage_number
        endpoint: shop
        write: update_order
        with: { id: id }
        map: { meta_data: [{ map: { key: { value: _sage_number }, value: { from: _target.id } } }] }
      - endpoint: shop
        write: add_order_note
        when: "b2b"
        with: { id: id }
        map: { note: { from: _target.id, transform: [{ prefix: "Sage " }] } }
"""


def compile_acks(tmp_path, text):
    return compile_text(tmp_path, HEAD + text)


def test_a_single_mapping_is_a_list_of_one_named_endpoint_write(tmp_path):
    plan, diags = compile_acks(tmp_path, """
    acknowledge: { endpoint: shop, write: add_order_note, with: { id: id }, map: { note: { value: x } } }
""")
    assert plan is not None, [d.format_text() for d in diags]
    (only,) = plan.flows["f"].acks
    assert only.name == "shop.add_order_note" and only.when is None
    assert only.map(acks.scope_of({"id": 7}, "BC1")) == {"note": "x"}
    assert only.write_values({"id": 7}) == {"id": 7}


def test_a_list_keeps_order_names_and_conditions(tmp_path):
    plan, diags = compile_acks(tmp_path, TWO)
    assert plan is not None, [d.format_text() for d in diags]
    first, second = plan.flows["f"].acks
    assert (first.name, second.name) == ("sage_number", "shop.add_order_note")
    scope = acks.scope_of({"id": 7, "b2b": True}, "BC00042")
    assert first.map(scope) == {"meta_data": [{"key": "_sage_number", "value": "BC00042"}]}
    assert second.map(scope) == {"note": "Sage BC00042"}
    assert second.when(scope) is True and second.when({"id": 7, "b2b": False}) is False
    assert plan.flows["f"].endpoint_names() == ["sage", "shop"]


def test_no_acknowledge_means_no_acks(tmp_path):
    plan, diags = compile_acks(tmp_path, "")
    assert plan is not None and plan.flows["f"].acks == ()


@pytest.mark.parametrize("text, code, line, path", [
    ("""
    acknowledge:
      - { endpoint: shop, write: add_order_note, with: { id: id } }
      - { endpoint: shop, write: add_order_note, with: { id: id } }
""", "duplicate-name", 13, "flows.f.acknowledge[1]"),
    ("""
    acknowledge:
      - { name: a, endpoint: shop, write: add_order_note, with: { id: id } }
      - { name: a, endpoint: shop, write: update_order, with: { id: id } }
""", "duplicate-name", 13, "flows.f.acknowledge[1].name"),
    ("""
    acknowledge:
      - { name: a, endpoint: shop, write: add_order_note, with: { id: id } }
      - { name: b, endpoint: shop, write: update_order }
""", "missing-value", 13, "flows.f.acknowledge[1].write"),
    ("""
    acknowledge:
      - { name: b, endpoint: shop, write: add_ordr_note, with: { id: id } }
""", "unknown-operation", 12, "flows.f.acknowledge[0].write"),
    ("""
    acknowledge:
      - { name: b, endpoint: shop, write: add_order_note, with: { id: id }, when: "total >" }
""", "bad-expression", 12, "flows.f.acknowledge[0].when"),
])
def test_mistakes_are_located_at_their_list_item(tmp_path, text, code, line, path):
    plan, diags = compile_acks(tmp_path, text)
    errors = [d for d in diags if d.is_error]
    assert plan is None and [d.code for d in errors] == [code], [d.format_text() for d in errors]
    assert errors[0].loc.line == line and errors[0].path == path


# -- runtime: engine.runtime.acks with an in-memory store ----------------------------------------------
class FakeShop:
    def __init__(self, failing=()):
        self.failing, self.sent = set(failing), []

    def write(self, operation, payload, values):
        if operation in self.failing:
            raise EndpointError(f"{operation}: 503 Service Unavailable", status=503)
        self.sent.append((operation, payload, values))
        return SimpleNamespace(result=1)


def runner_for(tmp_path, shop):
    plan, diags = compile_acks(tmp_path, TWO)
    assert plan is not None
    return SimpleNamespace(flow=plan.flows["f"], store=SqliteStore(":memory:"), endpoints={"shop": shop},
                           summary=Summary("f"), log=lambda *a, **k: None, sleep=lambda s: None, backoff=0)


def test_each_acknowledgement_once_and_a_failed_one_alone_later(tmp_path):
    shop = FakeShop(failing={"add_order_note"})
    runner = runner_for(tmp_path, shop)
    runner.store.intend("f", "7", "{}")
    acks.confirmed(runner, "7", {"id": 7, "b2b": True}, "BC1")
    entry = runner.store.entry("f", "7")
    assert entry.status == DONE and entry.reason.startswith("acknowledgement 'shop.add_order_note' failed: ")
    assert [op for op, _, _ in shop.sent] == ["update_order"] and runner.summary.ack_failed == 1
    shop.failing.clear()
    acks.finish(runner, "7", {"id": 7, "b2b": True}, "BC1")
    assert [op for op, _, _ in shop.sent] == ["update_order", "add_order_note"]  # only the missing one
    assert runner.store.entry("f", "7").status == ACKED and runner.store.entry("f", "7").reason is None
    acks.finish(runner, "7", {"id": 7, "b2b": True}, "BC1")
    assert len(shop.sent) == 2  # nothing is sent twice


def test_a_false_when_is_not_due_and_does_not_hold_the_record(tmp_path):
    shop = FakeShop()
    runner = runner_for(tmp_path, shop)
    runner.store.intend("f", "8", "{}")
    acks.confirmed(runner, "8", {"id": 8, "b2b": False}, "BC2")
    assert [op for op, _, _ in shop.sent] == ["update_order"]
    assert runner.store.entry("f", "8").status == ACKED and set(runner.store.ack_states("f", "8")) == {"sage_number"}


def test_a_new_document_id_makes_acknowledgements_due_again(tmp_path):
    shop = FakeShop()
    runner = runner_for(tmp_path, shop)
    runner.store.intend("f", "9", "{}")
    acks.confirmed(runner, "9", {"id": 9, "b2b": True}, "BC3")
    acks.finish(runner, "9", {"id": 9, "b2b": True}, "BC4")  # the document was created anew
    assert [p for op, p, _ in shop.sent if op == "add_order_note"] == [{"note": "Sage BC3"}, {"note": "Sage BC4"}]


def test_an_acknowledgement_that_cannot_be_mapped_waits_with_why(tmp_path):
    shop = FakeShop()
    runner = runner_for(tmp_path, shop)
    runner.store.intend("f", "10", "{}")
    acks.confirmed(runner, "10", {"id": 10, "b2b": "yes"}, {"not": "text"})  # prefix of a mapping
    entry = runner.store.entry("f", "10")
    state = runner.store.ack_states("f", "10")["shop.add_order_note"]
    assert entry.status == DONE and not state.confirmed and "could not be mapped" in state.reason


def test_a_reload_diff_names_the_acknowledgements_added_and_removed(tmp_path):
    from engine.runtime.reload_policy import plan_diff

    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old, _ = compile_text(tmp_path / "old", HEAD + """
    acknowledge: { endpoint: shop, write: add_order_note, with: { id: id } }
""")
    new, _ = compile_text(tmp_path / "new", HEAD + TWO)
    change = plan_diff(old, new).flows_changed["f"]
    assert (change.acks_added, change.acks_removed) == (["sage_number"], [])
    assert change.text() == "acknowledge (+sage_number)"
    assert plan_diff(new, old).flows_changed["f"].text() == "acknowledge (-sage_number)"
