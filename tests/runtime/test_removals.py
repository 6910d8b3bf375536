"""`target.remove` through FlowRunner against in-memory endpoints: what left the source is removed from
the target exactly once, per fan-out record or after a complete read, never after an incomplete one,
never beyond the safety limit; a 404 means removed; a refused removal waits for `replay`."""
from __future__ import annotations

import copy
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from engine.connectors.base import WriteResult
from engine.connectors.errors import EndpointError
from engine.runtime.removal_store import REMOVE_FAILED, REMOVED, REMOVING
from engine.runtime.replay import replay
from engine.runtime.runner import FlowRunner
from engine.runtime.state import ACKED, SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from helpers import compile_text  # noqa: E402
from support import ROOT, run_cli  # noqa: E402

ENDPOINTS = """
endpoints:
  shop: { use: prestashop, settings: { base_url: "http://shop.test", key: "${env:PS_KEY}" }, override: { operations: { add_specific_price: { accepts: null }, update_specific_price: { accepts: null } } } }
  sage: { use: sage100-ws, settings: { base_url: "http://sage.test", token: "${env:SAGE_TOKEN}" } }
"""  # made-up payloads: the PrestaShop contract is dropped (the simulator test sends real ones)

TIERS = ENDPOINTS + """
flows:
  tiers:
    source: { endpoint: sage, read: articles SINCE }
    fan_out: { each: TarifsQuantite, as: tier, key: "{Reference}/{tier.Seuil}" }
    target:
      endpoint: shop
      write: add_specific_price
      update: update_specific_price
      remove: { write: delete_specific_price, with: { id: _target.id } LIMIT }
    map:
      ref: { from: Reference }
      qty: { from: tier.Seuil }
"""
ARTICLES = ENDPOINTS + """
flows:
  articles:
    source: { endpoint: sage, read: articles }
    target:
      endpoint: shop
      write: add_specific_price
      remove: { write: delete_specific_price, with: { id: _target.id }, always_up_to: 1 }
    map:
      ref: { from: Reference }
"""


class Memory:
    """A source (``rows``, one per page) and a target holding documents by id; deletes of an id it does
    not hold answer 404, as PrestaShop does."""

    def __init__(self, rows=(), fail_delete=None, fail_after=None):
        self.rows, self.fail_delete, self.fail_after = list(rows), fail_delete, fail_after
        self.docs: dict[str, dict] = {}
        self.writes: list = []
        self.next_id = 100

    def read(self, resource, *, where=None, since=None, page_size=None, keys=None):
        for n, row in enumerate(self.rows):
            if self.fail_after is not None and n >= self.fail_after:
                raise EndpointError("page 2: connection reset", transient=True)
            yield [copy.deepcopy(row)]

    def write(self, operation, payload, values=None):
        values = dict(values or {})
        self.writes.append((operation, payload, values))
        if operation == "delete_specific_price":
            if self.fail_delete is not None:
                raise self.fail_delete
            if str(values["id"]) not in self.docs:
                raise EndpointError("DELETE /specific_prices: 404 Id(s) not exists", status=404)
            del self.docs[str(values["id"])]
            return WriteResult(200, None, None)
        if operation == "update_specific_price":
            self.docs[str(values["target_id"])] = payload
            return WriteResult(200, None, None)
        self.next_id += 1
        self.docs[str(self.next_id)] = payload
        return WriteResult(201, None, self.next_id)

    def find(self, operation, values):  # pragma: no cover - no find in these flows
        return []

    def close(self):
        pass


def _plan(tmp_path, text, since="", limit=""):
    plan, diags = compile_text(tmp_path, text.replace(" SINCE", since).replace(" LIMIT", limit))
    assert plan is not None, "\n".join(d.format_text() for d in diags)
    return plan


def _run(plan, name, source, target, store, **options):
    endpoints = {"sage": source, "shop": target}
    return FlowRunner(plan, plan.flows[name], endpoints, store, backoff=0, sleep=lambda s: None, **options).run()


def _article(ref, *seuils):
    return {"Reference": ref, "TarifsQuantite": [{"Seuil": s} for s in seuils], "date_upd": "2024-01-01 00:00:00"}


def _deletes(target):
    return [values["id"] for operation, _, values in target.writes if operation == "delete_specific_price"]


def test_a_tier_removed_in_the_source_is_removed_in_the_target_once(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50, 100), _article("ART-2", 1)]), Memory()
    assert _run(plan, "tiers", source, target, store).created == 4
    source.rows[0] = _article("ART-1", 10, 100)  # the 50-piece tier is gone
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.removed, summary.created, summary.skipped, summary.error) == (1, 0, 3, None)
    assert _deletes(target) == ["102"] and "102" not in target.docs
    assert store.entry("tiers", "ART-1/50").status == REMOVED
    assert "1 removed" in summary.line()
    again = _run(plan, "tiers", source, target, store)
    assert (again.removed, again.created) == (0, 0) and _deletes(target) == ["102"]  # exactly once


def test_a_removed_tier_that_comes_back_is_created_again(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10)
    assert _run(plan, "tiers", source, target, store).removed == 1
    source.rows[0] = _article("ART-1", 10, 50)
    back = _run(plan, "tiers", source, target, store)
    assert (back.created, back.removed) == (1, 0)
    assert store.entry("tiers", "ART-1/50").status == ACKED and store.entry("tiers", "ART-1/50").target_id == "103"


def test_a_partial_read_removes_only_items_of_the_records_it_read(tmp_path):
    plan, store = _plan(tmp_path, TIERS, since=", where: { CodeFamille: VIS }"), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50), _article("ART-2", 1, 5)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows = [_article("ART-2", 1)]  # ART-1 left the filter: not read, it keeps its tiers
    summary = _run(plan, "tiers", source, target, store)
    assert summary.removed == 1 and _deletes(target) == ["104"]
    assert store.entry("tiers", "ART-1/10").status == ACKED and store.entry("tiers", "ART-1/50").status == ACKED


def test_an_article_whose_tiers_all_went_loses_them_all(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)] + [_article(f"X-{n}", 1) for n in range(10)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1")  # an empty list: skipped, and its items are gone
    assert _run(plan, "tiers", source, target, store).removed == 2


def test_a_record_that_fails_as_a_whole_removes_nothing(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = {"Reference": "ART-1", "TarifsQuantite": "not a list", "date_upd": "x"}
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.failed, summary.removed) == (1, 0) and _deletes(target) == []


def test_a_record_gone_from_a_complete_read_is_removed_not_after_an_incomplete_one(tmp_path):
    plan, store = _plan(tmp_path, ARTICLES), SqliteStore(tmp_path / "state.db")
    rows = [{"Reference": f"A{n}", "date_upd": "x"} for n in range(10)]
    source, target = Memory(rows), Memory()
    _run(plan, "articles", source, target, store)
    source.rows = rows[1:]
    source.fail_after = 5  # the read fails after 5 pages: nothing can be told
    broken = _run(plan, "articles", source, target, store)
    assert broken.error and broken.removed == 0 and _deletes(target) == []
    cut = _run(plan, "articles", Memory(rows[1:]), target, store, max_records=3)  # a bounded batch: incomplete
    assert cut.removed == 0 and _deletes(target) == []
    source.fail_after = None
    summary = _run(plan, "articles", source, target, store)
    assert summary.removed == 1 and _deletes(target) == ["101"]
    assert store.entry("articles", "A0").status == REMOVED


def test_a_run_that_would_remove_too_much_removes_nothing_and_says_why(tmp_path):
    plan, store = _plan(tmp_path, ARTICLES), SqliteStore(tmp_path / "state.db")
    rows = [{"Reference": f"A{n}", "date_upd": "x"} for n in range(10)]
    source, target = Memory(rows), Memory()
    _run(plan, "articles", source, target, store)
    source.rows = []  # a misconfigured filter: the read is empty
    summary = _run(plan, "articles", source, target, store)
    assert summary.removed == 0 and _deletes(target) == []
    assert "removal held: this run would remove 10 of the flow's 10 created records" in summary.error
    assert len(store.entries("articles", ACKED)) == 10
    source.rows = rows[2:]  # 2 of 10 = 20 %: allowed (not more than max_percent)
    assert _run(plan, "articles", source, target, store).removed == 2


def test_a_404_on_delete_means_already_removed(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    del target.docs["102"]  # removed by hand in the back office
    source.rows[0] = _article("ART-1", 10)
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.removed, summary.failed) == (1, 0) and store.entry("tiers", "ART-1/50").status == REMOVED


def test_a_refused_removal_waits_for_replay(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state" / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10)
    target.fail_delete = EndpointError("DELETE /specific_prices/102: 403 forbidden", status=403)
    summary = _run(plan, "tiers", source, target, store)
    entry = store.entry("tiers", "ART-1/50")
    assert (summary.failed, summary.removed) == (1, 0)
    assert entry.status == REMOVING and entry.reason.startswith(REMOVE_FAILED) and "403" in entry.reason
    _run(plan, "tiers", source, target, store)
    assert len(_deletes(target)) == 1  # a refusal is not sent again by each run
    code, out, err = run_cli(["failures", str(tmp_path / "project"), "--state", str(tmp_path / "state")], ROOT)
    assert code == 0 and "error[remove] flow tiers record ART-1/50 (created as 102): remove failed: " in out
    assert "1 removal(s) to send again (`replay`)" in err
    target.fail_delete = None

    @contextmanager
    def lease(name):
        yield

    session = SimpleNamespace(live=SimpleNamespace(current=lambda: plan), state=store, flow_lease=lease,
                              open_endpoints=lambda plan, flow: {"sage": source, "shop": target},
                              log=lambda *a, **k: None, stop=None, runner_options={"backoff": 0})
    (replayed,), unknown = replay(session, "tiers", ["ART-1/50"])
    assert unknown == [] and replayed.removed == 1 and replayed.created == 0
    assert store.entry("tiers", "ART-1/50").status == REMOVED


def test_a_removal_whose_outcome_is_unknown_is_sent_again_by_the_next_run(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10)
    target.fail_delete = EndpointError("timeout", transient=True, outcome_unknown=True)
    summary = _run(plan, "tiers", source, target, store)
    assert (summary.pending, summary.removed) == (1, 0)
    assert store.entry("tiers", "ART-1/50").status == REMOVING
    target.fail_delete = None
    again = _run(plan, "tiers", source, target, store)
    assert again.removed == 1 and store.entry("tiers", "ART-1/50").status == REMOVED


def test_a_key_back_while_its_removal_is_unsettled_is_held_then_created(tmp_path):
    plan, store = _plan(tmp_path, TIERS), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10)
    target.fail_delete = EndpointError("503", status=503, transient=True)
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10, 50)  # back, while the delete still fails
    held = _run(plan, "tiers", source, target, store)
    assert held.created == 0 and held.pending >= 1 and store.entry("tiers", "ART-1/50").status == REMOVING
    target.fail_delete = None
    settled = _run(plan, "tiers", source, target, store)  # the removal first, then the tier anew
    assert (settled.removed, settled.created) == (1, 1)
    assert store.entry("tiers", "ART-1/50").status == ACKED


def test_the_delete_gets_its_values_from_the_ledger_entry(tmp_path):
    text = TIERS.replace("with: { id: _target.id }", "with: { id: _target.id, ref: _payload.ref, key: _key }")
    plan, store = _plan(tmp_path, text), SqliteStore(tmp_path / "state.db")
    source, target = Memory([_article("ART-1", 10, 50)]), Memory()
    _run(plan, "tiers", source, target, store)
    source.rows[0] = _article("ART-1", 10)
    _run(plan, "tiers", source, target, store)
    (operation, payload, values), = [w for w in target.writes if w[0] == "delete_specific_price"]
    assert payload is None and values == {"id": "102", "ref": "ART-1", "key": "ART-1/50"}
