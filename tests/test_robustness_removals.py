"""Robustness of `target.remove` (issue 14), property-based (Hypothesis):

1. random and mutated ``target.remove`` blocks, on flows with or without ``fan_out``, ``since`` and
   ``where``, never give a traceback nor an ``internal-error`` from ``validate``: exit 0 or 1, and every
   error line is located in the file written (line and column within it);
2. whatever a source gives from one run to the next (items added, removed, duplicated, lists broken,
   reads failing), a run ends with a summary: nothing but a removal the rules allow is sent, a key is
   removed at most once, and only keys the ledger had as created are removed.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.connectors.base import WriteResult
from engine.connectors.errors import EndpointError
from engine.plan.compile import compile_project
from engine.project.load import load_project
from engine.runtime.removal_store import REMOVED
from engine.runtime.runner import FlowRunner
from engine.runtime.state import SqliteStore
from test_robustness_find import _validate  # validate in-process: exit 0/1, every line located

ENDPOINTS = {
    "shop": {"use": "prestashop", "settings": {"base_url": "${env:PS_URL}", "key": "${env:PS_KEY}"},
             "override": {"operations": {"add_specific_price": {"accepts": None}}}},
    "sage": {"use": "sage100-ws", "settings": {"base_url": "${env:SAGE_URL}", "token": "${env:SAGE_TOKEN}"}},
}
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.text(max_size=8),
                    st.sampled_from([0.5, 1e300, -1.0]))
anything = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                        max_leaves=6)
expressions = st.one_of(st.sampled_from(["_target.id", "_payload.id_product", "_key", "_targets.id", "_index",
                                         "Reference", "[", "_payload | [0]", "`1`", "", "_target.id ||"]),
                        st.text(max_size=10))
remove_blocks = st.one_of(
    st.fixed_dictionaries({"write": st.sampled_from(["delete_specific_price", "delete_specific_prise",
                                                     "add_specific_price", "", "update_product"])},
                          optional={"with": st.one_of(st.dictionaries(st.sampled_from(["id", "ident", "", "x y"]),
                                                                      expressions, max_size=3), anything),
                                    "max_percent": scalars, "always_up_to": scalars, "extra": anything}),
    anything)


def _flow(remove, fan_out: bool, since: bool, where: bool) -> dict:
    source = {"endpoint": "sage", "read": "deliveries" if since else "articles"}
    if since:
        source["since"] = "DateModification"
    if where:
        source["where"] = {"Reference" if since else "TypeArticle": 0}
    flow = {"source": source, "target": {"endpoint": "shop", "write": "add_specific_price", "remove": remove},
            "map": {"id_product": {"from": "IdBoutique"}}}
    if fan_out:
        flow["fan_out"] = {"each": "TarifsQuantite", "as": "tier", "key": "{Reference}/{tier.QteMin}"}
    return {"endpoints": ENDPOINTS, "flows": {"f": flow}}


@SETTINGS
@given(remove_blocks, st.booleans(), st.booleans(), st.booleans())
def test_random_remove_blocks_give_located_diagnostics(remove, fan_out, since, where):
    code, output = _validate(_flow(remove, fan_out, since, where))
    if code == 0:
        assert fan_out or not (since or where)  # a partial read without fan-out is always refused


class Memory:
    def __init__(self):
        self.rows: list = []
        self.fail_read = False
        self.docs: dict[str, object] = {}
        self.deleted: list[str] = []
        self.next_id = 0

    def read(self, resource, *, where=None, since=None, page_size=None, keys=None):
        for n, row in enumerate(self.rows):
            if self.fail_read and n == len(self.rows) // 2:
                raise EndpointError("page lost", transient=True)
            yield [copy.deepcopy(row)]

    def write(self, operation, payload, values=None):
        if operation == "delete_specific_price":
            ident = str((values or {})["id"])
            if ident not in self.docs:
                raise EndpointError("404", status=404)
            del self.docs[ident]
            self.deleted.append(ident)
            return WriteResult(200, None, None)
        if operation == "update_specific_price":
            return WriteResult(200, None, None)
        self.next_id += 1
        self.docs[str(self.next_id)] = payload
        return WriteResult(201, None, self.next_id)

    def find(self, operation, values):  # pragma: no cover
        return []

    def close(self):
        pass


FLOW = {"endpoints": ENDPOINTS, "flows": {"tiers": {
    "source": {"endpoint": "sage", "read": "articles"},
    "fan_out": {"each": "TarifsQuantite", "as": "tier", "key": "{Reference}/{tier.QteMin}"},
    "target": {"endpoint": "shop", "write": "add_specific_price", "update": "update_specific_price",
               "remove": {"write": "delete_specific_price", "with": {"id": "_target.id"}, "max_percent": 100}},
    "map": {"id_product": {"from": "Reference"}, "from_quantity": {"from": "tier.QteMin"}}}}}
FLOW["endpoints"]["shop"] = {**ENDPOINTS["shop"], "override": {"operations": {
    "add_specific_price": {"accepts": None}, "update_specific_price": {"accepts": None}}}}

tiers = st.one_of(st.lists(st.integers(1, 6), max_size=4).map(lambda qs: [{"QteMin": q} for q in qs]),
                  st.sampled_from([None, "broken", [{"QteMin": None}]]))
catalogues = st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), tiers, max_size=4)


@SETTINGS
@given(st.lists(st.tuples(catalogues, st.booleans()), min_size=1, max_size=5))
def test_removals_follow_the_source_and_never_remove_twice(runs):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spec.yaml").write_text(yaml.safe_dump(FLOW), encoding="utf-8")
        plan, diags = compile_project(load_project(Path(folder)))
        assert plan is not None, diags
        store, source, target = SqliteStore(Path(folder) / "state.db"), Memory(), Memory()
        try:
            for catalogue, fail in runs:
                source.rows = [{"Reference": ref, "TarifsQuantite": items} for ref, items in catalogue.items()]
                source.fail_read = fail
                summary = FlowRunner(plan, plan.flows["tiers"], {"sage": source, "shop": target}, store,
                                     backoff=0, sleep=lambda s: None).run()
                assert summary.line()
                assert len(target.deleted) == len(set(target.deleted))  # each document removed once
                live = {e.target_id for e in store.entries("tiers") if e.status in ("done", "acked")}
                assert live <= set(target.docs)  # what the ledger holds as created is in the target
                if not fail:  # a complete read: the target holds exactly what the source gives
                    wanted = {f"{r['Reference']}/{t['QteMin']}" for r in source.rows
                              if isinstance(r["TarifsQuantite"], list) for t in r["TarifsQuantite"]
                              if isinstance(t, dict) and t.get("QteMin") is not None}
                    created = {e.key for e in store.entries("tiers") if e.status in ("done", "acked")}
                    broken = {r["Reference"] for r in source.rows if r["TarifsQuantite"] == "broken"
                              or r["TarifsQuantite"] == [{"QteMin": None}]
                              or (isinstance(r["TarifsQuantite"], list) and len({t["QteMin"] for t in
                                                                                  r["TarifsQuantite"]})
                                  != len(r["TarifsQuantite"]))}
                    assert {k for k in created if k.split("/")[0] not in broken} == \
                        {k for k in wanted if k.split("/")[0] not in broken}
            removed = {e.key for e in store.entries("tiers", REMOVED)}
            assert all("/" in key for key in removed)
        finally:
            store.close()
