"""The run state failing under the `xref` transform (locked by another program past the busy timeout,
the disk gone) stops the flow with error[state], as anywhere else in a run: the record is not set aside
as an "internal error" of its mapping (it is not the record's fault, and nothing is written for it)."""
from __future__ import annotations

import pytest

from engine.runtime.runner import FlowRunner
from engine.runtime.state import SqliteStore, StateError
from engine.runtime.xref_store import StoreXref
from test_expand_runtime import Memory, _plan
from test_expand import ENDPOINTS

ORDERS = ENDPOINTS + """
flows:
  orders:
    source: { endpoint: sage, read: articles }
    key: Reference
    target: { endpoint: shopify, write: set_product }
    map:
      title: { from: Reference, transform: { xref: { from: sage, type: articles } } }  # pairs this flow keeps
"""


class LockedXref(SqliteStore):
    def xref_resolver(self, flows_for):
        def query(sql, args):
            raise StateError(self.path, Exception("database is locked"))
        return StoreXref(query, flows_for)


def test_a_state_error_in_the_xref_transform_stops_the_flow(tmp_path):
    plan = _plan(tmp_path, ORDERS)
    store = LockedXref(tmp_path / "state.db")
    target = Memory()
    with pytest.raises(StateError, match="database is locked"):
        FlowRunner(plan, plan.flows["orders"], {"sage": Memory([{"Reference": "A-1"}]), "shopify": target}, store,
                   backoff=0, sleep=lambda s: None).run()
    assert target.writes == [] and store.entries("orders") == []  # nothing sent, nothing set aside
