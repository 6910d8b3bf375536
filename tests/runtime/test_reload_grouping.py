"""A hot reload that makes a running flow a grouping flow (or no longer one) takes effect at the next
run, never on the pages the run already read for the old plan: a group built from one page would lack
the members of the other pages, and a productSet sent with them would delete the missing variants."""
from __future__ import annotations

from engine.runtime.runner import FlowRunner
from engine.runtime.state import SqliteStore
from test_expand_runtime import Memory, _plan
from test_expand import ENDPOINTS, GROUP

BY_ARTICLE = ENDPOINTS + """
flows:
  ranges:
    source: { endpoint: sage, read: articles }
    key: Reference
    target: { endpoint: shopify, write: set_product }
    map:
      title: { from: Designation }
      skus: { from: "[Reference]" }
"""

ROWS = [{"Reference": f"TEE-{size}", "Gamme": "TEE", "Designation": "Tee", "PrixVente": "9"} for size in "SML"]


def test_grouping_added_by_a_reload_mid_run_waits_for_the_next_run(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old, new = _plan(tmp_path / "old", BY_ARTICLE), _plan(tmp_path / "new", GROUP)
    store = SqliteStore(tmp_path / "state.db")
    source, target = Memory(ROWS), Memory()  # one record per page
    plans = iter([old.flows["ranges"]])

    def live():  # the reload lands after the first page
        return next(plans, new.flows["ranges"])

    first = FlowRunner(old, old.flows["ranges"], {"sage": source, "shopify": target}, store, backoff=0,
                       sleep=lambda s: None, plan_source=live).run()
    assert first.error is None and first.created == 1
    assert [w[1]["skus"] for w in target.writes] == [["TEE-S"]]  # no one-page group
    second = FlowRunner(new, new.flows["ranges"], {"sage": source, "shopify": target}, store, backoff=0,
                        sleep=lambda s: None).run()
    assert second.created == 1
    assert target.writes[-1][1]["skus"] == ["TEE-L", "TEE-M", "TEE-S"]  # the whole range, at once
