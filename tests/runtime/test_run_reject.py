"""A run against the simulators with `let` and `reject`: the rejected order goes to the dead letter
with its rendered reason and nothing is sent for it; every other order is created once."""
from __future__ import annotations

from engine.runtime.state import ACKED, FAILED
from runtime_support import copy_project, documents_by_reference, eligible_orders, simulators
from test_runner import FLOW, run_once

LONG = "BOUGIE-PARFUMEE-VANILLE-XL"


def test_a_rejected_order_goes_to_the_dead_letter_with_its_reason(tmp_path):
    project = copy_project(tmp_path)  # the reference flow's own `let` long_sku and `reject` rule
    with simulators(orders=12) as (sb, env):
        wanted = sorted(eligible_orders(sb))
        bad = wanted[1]
        sb.sim("prestashop").orders[bad]["associations"]["order_rows"][0]["product_reference"] = LONG
        summary, store = run_once(project, env, tmp_path / "state.db")
        assert summary.failed == 1 and summary.created == len(wanted) - 1
        (entry,) = store.entries(FLOW, FAILED)
        assert entry.key == str(bad)
        assert entry.reason == f"field reject[0]: rejected: order {bad}: reference {LONG} is 26 characters, Sage accepts 19"
        assert "orders_to_sage.yaml" in entry.loc
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted if i != bad}  # nothing sent for it
        assert {e.key for e in store.entries(FLOW, ACKED)} == {str(i) for i in wanted if i != bad}
        again, _ = run_once(project, env, tmp_path / "state.db")
        assert again.created == 0
        assert len(sb.sim("sage100").documents) == len(wanted) - 1
