"""The reference example (PrestaShop -> Sage 100) against the WHOLE shared data set (issue 13's hard
cases, as ``passerelle sandbox`` serves it): a guest's order on the generic client CLIENT-WEB, gift
wrapping as an EMBALLAGE line, an order in GBP and an order with a reference longer than Sage's 19
characters set aside with their reasons; every other eligible order created once. What is expected is
computed from the shop's data, never written down."""
from __future__ import annotations

from engine.runtime.state import ACKED, FAILED
from runtime_support import copy_project, documents_by_reference, run_once, sent_orders, set_aside_orders, \
    simulators

FLOW = "orders_to_sage"


def test_the_reference_flow_maps_or_sets_aside_every_hard_case(tmp_path):
    project = copy_project(tmp_path)
    with simulators(orders=20, cases=True) as (sb, env):
        shop = sb.sim("prestashop")
        sent, aside = sent_orders(sb), set_aside_orders(sb)
        guests = {oid for oid in sent if int(shop.tables["customers"][int(shop.orders[oid]["id_customer"])]
                                            .get("is_guest") or 0)}
        wrapped = {oid for oid in sent if shop.orders[oid]["total_wrapping_tax_excl"] > 0}
        other_currency = {oid for oid in aside if int(shop.orders[oid]["id_currency"]) != 1}
        assert guests and wrapped and other_currency and aside - other_currency, "the data set lost a case"

        summary, store = run_once(project, env, tmp_path / "state")
        assert summary.created == len(sent) and summary.failed == len(aside), summary
        assert documents_by_reference(sb) == {f"PS_{i}": 1 for i in sent}
        assert {e.key for e in store.entries(FLOW, ACKED)} == {str(i) for i in sent}
        reasons = {e.key: e.reason for e in store.entries(FLOW, FAILED)}
        assert set(reasons) == {str(i) for i in aside}
        for oid in other_currency:
            assert f"order {oid}: paid in currency 2" in reasons[str(oid)]
            assert "Sage's document would be in EUR" in reasons[str(oid)]
        for oid in aside - other_currency:
            assert "characters, Sage accepts 19" in reasons[str(oid)]

        documents = {d["Reference"]: d for d in sb.sim("sage100").documents}
        for oid in guests:
            assert documents[f"PS_{oid}"]["NumeroTiers"] == "CLIENT-WEB"
        for oid in sent - guests:
            assert documents[f"PS_{oid}"]["NumeroTiers"] == f"WEB{int(shop.orders[oid]['id_customer']):06d}"
        for oid in wrapped:
            (wrap,) = [ln for ln in documents[f"PS_{oid}"]["Lignes"] if ln["RefArticle"] == "EMBALLAGE"]
            assert str(wrap["PrixUnitaire"]) in (str(shop.orders[oid]["total_wrapping_tax_excl"]), "2.5")
        store.close()

        again, store = run_once(project, env, tmp_path / "state")
        store.close()
        assert again.created == 0 and len(sb.sim("sage100").documents) == len(sent)
