"""A record another writer created between this run's look at the ledger and its intent (two processes on
one flow: a lease bypassed, a state shared wrongly) is not sent a second time: the intent of a creation
is refused by the store (RecordClaimed), the flow stops with the reason, and nothing reaches the target."""
from __future__ import annotations

from engine.runtime.runner import FlowRunner
from engine.runtime.state import DONE, SqliteStore
from test_expand_runtime import Memory, _plan
from test_xref_state_error import ORDERS


class StaleRead(SqliteStore):
    """The ledger as read just before another writer settled the record."""

    def entry(self, flow, key):
        return None


def test_a_record_created_meanwhile_by_another_writer_is_not_sent_again(tmp_path):
    plan = _plan(tmp_path, ORDERS.replace("transform: { xref: { from: sage, type: articles } }", "transform: trim"))
    other = SqliteStore(tmp_path / "state.db")
    other.intend("orders", "A-1", "{}", creating=True)
    other.settle("orders", "A-1", "P-9", DONE)
    store, target = StaleRead(tmp_path / "state.db"), Memory()
    summary = FlowRunner(plan, plan.flows["orders"], {"sage": Memory([{"Reference": "A-1"}]), "shopify": target},
                         store, backoff=0, sleep=lambda s: None).run()
    assert target.writes == [] and summary.created == 0
    assert "flow orders record A-1 was created by another writer meanwhile" in summary.error
    assert other.entry("orders", "A-1").target_id == "P-9" and other.entry("orders", "A-1").attempts == 1
