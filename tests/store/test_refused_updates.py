"""``refused_updates``: the created records whose last update the target refused, found by the ledger's
reason prefix in SQL (the dashboard and ``replay`` no longer read every created record to find them).
On both stores (tests/store/conftest.py)."""
from __future__ import annotations

from engine.runtime.state import ACKED, DONE, UPDATE_FAILED, update_refused


def test_only_created_records_whose_reason_starts_with_the_prefix(store):
    for key, status, reason in (("1", DONE, UPDATE_FAILED + "HTTP 400"), ("2", ACKED, UPDATE_FAILED + "no"),
                                ("3", ACKED, None), ("4", DONE, "ack 'state' failed: " + UPDATE_FAILED),
                                ("5", ACKED, UPDATE_FAILED.upper() + "x"), ("6", DONE, UPDATE_FAILED[:-1])):
        store.intend("f", key, "{}")
        store.settle("f", key, f"BC{key}", status, reason)
    store.intend("other", "1", "{}")
    store.settle("other", "1", "BC9", DONE, UPDATE_FAILED + "x")
    store.failed("f", "7", UPDATE_FAILED + "as a failure", None, None)
    found = store.refused_updates("f")
    by_scan = [e for status in (DONE, ACKED) for e in store.entries("f", status) if update_refused(e)]
    assert sorted(e.key for e in found) == ["1", "2"] == sorted(e.key for e in by_scan)
    assert {e.key: e.target_id for e in found} == {"1": "BC1", "2": "BC2"}
