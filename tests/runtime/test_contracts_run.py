"""Runs against the simulators with target contracts on: a payload breaking its contract goes to the
dead letter with the field and the rule, and nothing is sent; an acknowledgement breaking its
contract is a failed acknowledgement (retried later), never a second document."""
from __future__ import annotations

from engine.runtime.state import ACKED, DONE, FAILED
from runtime_support import copy_project, documents_by_reference, eligible_orders, exported_orders, simulators
from test_runner import FLOW, run_once


def _posts(sb, system: str) -> list:
    return [r for r in sb.sim(system).requests if r[0] == "POST"]


def test_a_too_long_reference_goes_to_the_dead_letter_and_nothing_is_sent(tmp_path):
    project = copy_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    flow.write_text(flow.read_text().replace(
        "RefArticle: { from: product_reference }",
        'RefArticle: { from: product_reference, transform: [{ prefix: "BOUGIE-PARFUMEE-" }] }'))
    with simulators(orders=12) as (sb, env):
        wanted = eligible_orders(sb)
        summary, store = run_once(project, env, tmp_path / "state.db")
        failed = store.entries(FLOW, FAILED)
        assert summary.failed == len(failed) == len(wanted) > 0 and summary.created == 0
        assert not sb.sim("sage100").documents and not _posts(sb, "sage100")
        assert not exported_orders(sb)
        for entry in failed:
            assert "RefArticle: 'BOUGIE-PARFUMEE-" in entry.reason and "characters, Sage 100 accepts 19" in entry.reason
            assert entry.reason.startswith("field lignes[")
            assert entry.payload is None or "BOUGIE-PARFUMEE-" in entry.payload
        again, _ = run_once(project, env, tmp_path / "state.db")  # the dead letter is not retried blindly
        assert again.created == 0 and not sb.sim("sage100").documents


def test_an_acknowledgement_breaking_its_contract_fails_without_recreating(tmp_path):
    project = copy_project(tmp_path)
    flow = project / "orders_to_sage.yaml"
    text = flow.read_text()
    assert "id_order_state: { value: 14 }" in text
    # a state number made from the record: valid for validate, refused by the contract at run time
    flow.write_text(text.replace("id_order_state: { value: 14 }",
                                 'id_order_state: { from: id, transform: [{ prefix: "S" }] }'))
    with simulators(orders=10) as (sb, env):
        wanted = eligible_orders(sb)
        summary, store = run_once(project, env, tmp_path / "state.db")
        assert summary.created == len(wanted) and summary.acked == 0 and summary.ack_failed == len(wanted)
        assert {e.status for e in store.entries(FLOW)} == {DONE}
        reasons = {e.reason for e in store.entries(FLOW)}
        assert all(r and r.startswith("acknowledgement 'shop.add_order_history' breaks its contract: id_order_state: 'S") and
                   "is not in the form PrestaShop accepts" in r for r in reasons), reasons
        assert not _posts(sb, "prestashop")  # nothing was sent to the shop
        flow.write_text(text)  # fixed: the acknowledgements go out, no document twice
        again, store = run_once(project, env, tmp_path / "state.db")
        assert again.created == 0 and again.acked == len(wanted)
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in wanted}
        assert {e.status for e in store.entries(FLOW)} == {ACKED}
