"""The reference example (PrestaShop -> Sage 100) run against the simulators on a data set holding
tax-exempt lines: PrestaShop gives a gift card's order detail an empty ``taxes`` association, and the
flow must send that line with Sage's exempt code ``EXO`` instead of setting the whole order aside."""
from __future__ import annotations

from runtime_support import copy_project, documents_by_reference, eligible_orders, run_once, simulators


def _exempt_orders(sb) -> set[int]:
    """Eligible orders the PrestaShop simulator serves with at least one detail without taxes."""
    shop = sb.sim("prestashop")
    found = set()
    for order in shop.dataset.orders:
        if order.id in eligible_orders(sb) and any(line.tax_rate == 0 for line in order.lines):
            found.add(order.id)
    return found


def test_tax_exempt_lines_reach_sage_as_exo_and_no_order_is_set_aside(tmp_path):
    project = copy_project(tmp_path)
    with simulators(orders=20) as (sb, env):
        exempt = _exempt_orders(sb)
        assert exempt, "the seeded data set must hold an eligible order with a tax-exempt line"
        summary, store = run_once(project, env, tmp_path / "state")
        store.close()
        assert summary.failed == 0, summary
        documents = {d["Reference"]: d for d in sb.sim("sage100").documents}
        for order_id in exempt:
            lines = documents[f"PS_{order_id}"]["Lignes"]
            codes = {line["RefArticle"]: line["CodeTaxe"] for line in lines}
            gift = [ref for ref in codes if ref.startswith("CARTE-CADEAU")]
            assert gift and all(codes[ref] == "EXO" for ref in gift), codes
            assert any(code != "EXO" for ref, code in codes.items() if ref not in gift), codes
        again, store = run_once(project, env, tmp_path / "state")
        store.close()
        assert again.created == 0
        assert set(documents_by_reference(sb).values()) == {1}
