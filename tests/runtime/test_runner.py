"""Runs against the simulators: exactly one Sage document per order, acknowledgements, dead letter."""
from __future__ import annotations

import pytest

from engine.runtime.state import ACKED, DONE, FAILED
from runtime_support import Faults, copy_project, documents_by_reference, eligible_orders, exported_orders, \
    run_once, simulators

FLOW = "orders_to_sage"


def test_each_order_once_then_nothing_to_do(tmp_path):
    project = copy_project(tmp_path)
    with simulators(orders=40) as (sb, env):
        wanted = eligible_orders(sb)
        first, store = run_once(project, env, tmp_path / "state.db")
        assert first.error is None and first.created == len(wanted) == first.acked
        refs = documents_by_reference(sb)
        assert refs == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted
        assert {e.status for e in store.entries(FLOW)} == {ACKED}
        assert all(e.target_id.startswith("BC") for e in store.entries(FLOW))
        second, _ = run_once(project, env, tmp_path / "state.db")
        assert second.created == 0 and second.failed == 0
        assert len(sb.sim("sage100").documents) == len(wanted)


@pytest.mark.slow
def test_faults_every_order_created_exactly_once_and_acknowledged(tmp_path):
    """20 % of Sage writes answer 503 and 5 % are stored but the reply is lost."""
    project = copy_project(tmp_path)
    faults = {"sage100": Faults(error_rate=0.20, statuses=(503,), stored_but_lost_rate=0.05, seed=11,
                                methods=("POST",))}
    with simulators(orders=1000, faults=faults) as (sb, env):
        wanted = eligible_orders(sb)
        summary, store = run_once(project, env, tmp_path / "state.db")
        injected = sb.sim("sage100").faults.injected
        assert injected["error"] > 100 and injected["stored_but_lost"] > 20, injected  # they happened
        assert summary.error is None and summary.pending == 0 and summary.failed == 0
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert exported_orders(sb) == wanted
        assert summary.created == len(wanted) == summary.acked


def test_mapping_failure_is_set_aside_and_the_flow_goes_on(tmp_path):
    project = copy_project(tmp_path)
    lookups = project / "lookups.yaml"
    lookups.write_text(lookups.read_text().replace("      5.5: S_5\n", ""))  # 5.5 % now unknown
    with simulators(orders=30) as (sb, env):
        summary, store = run_once(project, env, tmp_path / "state.db")
        failed = store.entries(FLOW, FAILED)
        assert summary.failed == len(failed) > 0 and summary.created > 0
        assert all("no entry for 5.5" in e.reason and "lookup 'tax_codes'" in e.reason for e in failed)
        assert all(e.loc.startswith(str(project / "orders_to_sage.yaml")) or "orders_to_sage.yaml" in e.loc
                   for e in failed)
        created = set(documents_by_reference(sb))
        assert not created & {f"PS_{e.key}" for e in failed}


def test_rejection_by_the_target_keeps_the_vendor_reason(tmp_path):
    project = copy_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    flow.write_text(flow.read_text().replace("prefix: WEB", "prefix: NOPE"))  # unknown Sage customers
    with simulators(orders=10) as (sb, env):
        summary, store = run_once(project, env, tmp_path / "state.db")
        failed = store.entries(FLOW, FAILED)
        assert summary.failed == len(failed) == len(eligible_orders(sb)) and not sb.sim("sage100").documents
        assert all("rejected by the target" in e.reason and "does not exist" in e.reason for e in failed)
        assert all(e.payload and '"NumeroTiers":"NOPE' in e.payload for e in failed)


def test_failed_acknowledgement_is_retried_without_recreating(tmp_path):
    project = copy_project(tmp_path)
    shop_down = {"prestashop": Faults(error_rate=1.0, statuses=(503,), methods=("POST",), seed=2)}
    with simulators(orders=15, faults=shop_down) as (sb, env):
        wanted = eligible_orders(sb)
        summary, store = run_once(project, env, tmp_path / "state.db")
        assert summary.created == len(wanted) and summary.acked == 0 and summary.ack_failed == len(wanted)
        assert {e.status for e in store.entries(FLOW)} == {DONE}
        sb.sim("prestashop").faults = Faults()  # the shop is back
        again, store = run_once(project, env, tmp_path / "state.db")
        assert again.created == 0 and again.acked == len(wanted)
        assert len(sb.sim("sage100").documents) == len(wanted)
        assert exported_orders(sb) == wanted


def test_pending_outcome_is_resolved_by_lookup_before_creating(tmp_path):
    """A crash right after the write reached Sage: the ledger says pending; the next run finds the
    document by its reference instead of creating it again."""
    project = copy_project(tmp_path)
    with simulators(orders=5) as (sb, env):
        summary, store = run_once(project, env, tmp_path / "state.db")
        entry = store.entries(FLOW)[0]
        store.intend(FLOW, entry.key, entry.payload, entry.record)  # as if the confirmation was lost
        before = len(sb.sim("sage100").documents)
        again, _ = run_once(project, env, tmp_path / "state.db")
        assert len(sb.sim("sage100").documents) == before and again.created == 1
        assert store.entry(FLOW, entry.key).status == ACKED


def test_stop_finishes_the_record_in_hand(tmp_path):
    import threading

    project = copy_project(tmp_path)
    with simulators(orders=60) as (sb, env):
        wanted = eligible_orders(sb)
        stop = threading.Event()
        calls = {"n": 0}

        def log(event, **fields):
            if event == "record_created":
                calls["n"] += 1
                if calls["n"] == 5:
                    stop.set()

        summary, store = run_once(project, env, tmp_path / "state.db", stop=stop, log=log)
        assert summary.created == 5 and len(sb.sim("sage100").documents) == 5
        assert all(e.status == ACKED for e in store.entries(FLOW))
        rest, _ = run_once(project, env, tmp_path / "state.db")
        assert rest.created == len(wanted) - 5
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
