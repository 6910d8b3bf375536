"""Fan-out and grouping through FlowRunner against an in-process endpoint: each item and each group is
written exactly once, updated when its payload changes, dead-lettered on its own, and replayed alone."""
from __future__ import annotations

import copy
import sys
from decimal import Decimal
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from engine.connectors.base import WriteResult
from engine.connectors.errors import EndpointError
from engine.runtime.replay import replay
from engine.runtime.runner import FlowRunner
from engine.runtime.state import ACKED, FAILED, SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from helpers import compile_text  # noqa: E402
from test_expand import FAN_OUT, GROUP  # noqa: E402


class Memory:
    """A source and a target in memory: reads ``rows`` one per page, records every write."""

    def __init__(self, rows=(), refuse=lambda payload: False):
        self.rows, self.refuse = list(rows), refuse
        self.writes: list = []
        self.next_id = 100

    def read(self, resource, *, where=None, since=None, page_size=None, keys=None):
        for row in self.rows:
            yield [copy.deepcopy(row)]

    def write(self, operation, payload, values=None):
        if self.refuse(payload):
            raise EndpointError("price must be positive", status=400)
        self.writes.append((operation, payload, dict(values or {})))
        self.next_id += 1
        return WriteResult(200, None, self.next_id)

    def find(self, operation, values):  # pragma: no cover - the example operations have no find
        return []

    def close(self):
        pass


def _plan(tmp_path, text):
    plan, diags = compile_text(tmp_path, text)
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    return plan


def _run(plan, name, source, target, store, **options):
    flow = plan.flows[name]
    endpoints = {"sage": source, "shop": target, "shopify": target}
    return FlowRunner(plan, flow, endpoints, store, backoff=0, sleep=lambda s: None, **options).run()


TIERS = [{"Reference": "ART-1", "TarifsQuantite": [{"Seuil": 10}, {"Seuil": 50}, {"Seuil": 100}]},
         {"Reference": "ART-2", "TarifsQuantite": [{"Seuil": 1}]}]


def test_each_item_is_created_once_then_nothing_twice(tmp_path):
    plan, store = _plan(tmp_path, FAN_OUT), SqliteStore(tmp_path / "state.db")
    source, target = Memory(TIERS), Memory()
    first = _run(plan, "tiers", source, target, store)
    assert (first.created, first.failed) == (4, 0)
    assert sorted(e.key for e in store.entries("tiers", ACKED)) == ["ART-1/10", "ART-1/100", "ART-1/50", "ART-2/1"]
    second = _run(plan, "tiers", source, target, store)
    assert (second.created, second.updated, second.skipped) == (0, 0, 4)
    assert len(target.writes) == 4


def test_one_bad_tier_goes_to_the_dead_letter_the_others_are_created_then_replayed_alone(tmp_path):
    plan, store = _plan(tmp_path, FAN_OUT), SqliteStore(tmp_path / "state.db")
    source = Memory(TIERS)
    target = Memory(refuse=lambda payload: payload["qty"] == 50)
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.created, summary.failed) == (3, 1)
    (failed,) = store.entries("tiers", FAILED)
    assert failed.key == "ART-1/50" and "price must be positive" in failed.reason
    target.refuse = lambda payload: False  # fixed at the target

    @contextmanager
    def lease(name):
        yield

    session = SimpleNamespace(live=SimpleNamespace(current=lambda: plan), state=store, flow_lease=lease,
                              open_endpoints=lambda plan, flow: {"sage": source, "shop": target},
                              log=lambda *a, **k: None, stop=None, runner_options={"backoff": 0})
    (replayed,), unknown = replay(session, "tiers", ["ART-1/50"])
    assert unknown == []
    assert (replayed.read, replayed.created) == (1, 1)
    assert [w[1]["qty"] for w in target.writes] == [10, 100, 1, 50]  # only the named item was sent
    assert not store.entries("tiers", FAILED)


def test_a_changed_item_is_updated_alone(tmp_path):
    plan, store = _plan(tmp_path, FAN_OUT.replace("qty: { from: tier.Seuil }",
                                                  "qty: { from: tier.Seuil }\n      price: { from: tier.Prix }")), \
        SqliteStore(tmp_path / "state.db")
    rows = [{"Reference": "ART-1", "TarifsQuantite": [{"Seuil": 10, "Prix": "9"}, {"Seuil": 50, "Prix": "8"}]}]
    source, target = Memory(rows), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0]["TarifsQuantite"][1]["Prix"] = "7.5"
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.created, summary.updated, summary.skipped) == (0, 1, 1)
    operation, payload, values = target.writes[-1]
    assert operation == "update_specific_price" and payload["qty"] == 50 and values["target_id"] == "102"


ARTICLES = [
    {"Reference": "TSHIRT-BLU-M", "Gamme": "TSHIRT-BLU", "Designation": "T-shirt bleu", "PrixVente": "19.90"},
    {"Reference": "TSHIRT-BLU-L", "Gamme": "TSHIRT-BLU", "Designation": "T-shirt bleu", "PrixVente": "21.90"},
    {"Reference": "CAP-1", "Gamme": "CAP", "Designation": "Cap", "PrixVente": "9"},
]
GROUP_UPDATE = GROUP.replace("write: set_product }", "write: set_product, update: set_product }")


def test_a_group_is_written_once_and_updated_when_a_member_changes(tmp_path):
    plan, store = _plan(tmp_path, GROUP_UPDATE), SqliteStore(tmp_path / "state.db")
    source, target = Memory(ARTICLES), Memory()
    first = _run(plan, "ranges", source, target, store, max_records=1)  # never cut a group at the bound
    assert (first.created, first.failed) == (2, 0)
    assert target.writes[0][1]["skus"] == ["TSHIRT-BLU-L", "TSHIRT-BLU-M"]
    again = _run(plan, "ranges", source, target, store)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)
    source.rows[0]["PrixVente"] = "17.90"  # one member of the range changes
    changed = _run(plan, "ranges", source, target, store)
    assert (changed.created, changed.updated, changed.skipped) == (0, 1, 1)
    assert target.writes[-1][1]["prices"] == [Decimal("21.90"), Decimal("17.90")]
    assert target.writes[-1][2]["target_id"] == "101"


def test_the_cursor_passes_a_record_only_when_all_its_items_are_final(tmp_path):
    text = FAN_OUT.split("flows:")[0] + """flows:
  rows:
    source: { endpoint: shop, read: orders, since: date_upd }
    fan_out: { each: rows, as: row, key: "{id}/{row.n}" }
    target: { endpoint: sage, write: insert_document }
    map: { qty: { from: row.n } }
"""
    plan, store = _plan(tmp_path, text), SqliteStore(tmp_path / "state.db")
    rows = [{"id": 1, "date_upd": "2026-01-01 10:00:00", "rows": [{"n": 1}, {"n": 100}]},
            {"id": 2, "date_upd": "2026-01-02 10:00:00", "rows": [{"n": 3}]}]
    source = Memory(rows)

    class Flaky(Memory):
        def write(self, operation, payload, values=None):
            if payload["qty"] == 100:  # one item of the first record: the target does not answer
                raise EndpointError("timeout", transient=True)
            return super().write(operation, payload, values)

    def run(target, **options):
        return FlowRunner(plan, plan.flows["rows"], {"shop": source, "sage": target}, store, backoff=0,
                          sleep=lambda s: None, **options).run()

    summary = run(Flaky(), create_attempts=1)
    assert (summary.created, summary.pending) == (2, 1)
    assert store.get_cursor("rows") is None  # order 1 has an item open, and order 2 comes after it
    run(Memory(), resend=frozenset({"1/100"}))  # the operator checked the target: send that item again
    assert store.get_cursor("rows") == "2026-01-02 10:00:00"
