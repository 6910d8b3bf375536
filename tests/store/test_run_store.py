"""The run history (runtime/run_store.py): what a run that ended leaves in the state store, newest first,
bounded per flow, its error scrubbed of secrets. On both stores (tests/store/conftest.py)."""
from __future__ import annotations

from engine.runtime.run_store import KEEP, RunRecord, from_summary
from engine.runtime.runner import Summary
from engine.spec.env import Secret, secrets_scope


def _run(flow: str, ended: float, **fields) -> RunRecord:
    return RunRecord(flow, fields.pop("kind", "run"), ended - 1, ended, "v1", fields.pop("outcome", "ok"), None, fields)


def test_runs_are_listed_newest_first_and_bounded_per_flow(store):
    for i in range(KEEP + 5):
        store.record_run(_run("orders", 1000.0 + i, created=i))
    store.record_run(_run("stock", 5.0, kind="replay"))
    orders = store.runs("orders", limit=10_000)
    assert len(orders) == KEEP  # the oldest five are gone
    assert [r.ended for r in orders] == sorted((r.ended for r in orders), reverse=True)
    assert orders[0].count("created") == KEEP + 4 and orders[-1].count("created") == 5
    assert [r.kind for r in store.runs("stock")] == ["replay"]  # another flow keeps its own
    assert [r.ended for r in store.runs(since=1000.0 + KEEP + 2)] == [1000.0 + KEEP + 4, 1000.0 + KEEP + 3]
    assert store.runs(limit=1)[0].flow == "orders"


def test_a_summary_becomes_a_run_with_its_outcome_and_a_scrubbed_error(store):
    with secrets_scope():
        token = Secret("s3cret-token-value-987")
        ok = Summary("orders", read=3, created=3, acked=3, duration=2.5)
        records = Summary("orders", read=3, created=2, failed=1, duration=1.0)
        stopped = Summary("orders", error=f"HTTP 401: token {token.reveal()} refused", duration=0.1)
        for summary, ended in ((ok, 10.0), (records, 20.0), (stopped, 30.0)):
            store.record_run(from_summary(summary, "run", "v9", ended=ended))
        runs = {r.ended: r for r in store.runs("orders")}
    assert runs[10.0].outcome == "ok" and runs[10.0].started == 7.5 and runs[10.0].counts["acked"] == 3
    assert runs[20.0].outcome == "records" and runs[20.0].count("failed") == 1
    assert runs[30.0].outcome == "error" and runs[30.0].error == "HTTP 401: token *** refused"
    assert runs[30.0].plan_version == "v9"
