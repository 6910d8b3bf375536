"""Tax-exempt lines in the PrestaShop simulator (issue 13): a gift card has no tax rules group, so its
order detail has ``id_tax_rules_group`` 0 and an EMPTY ``taxes`` association, as PrestaShop's
``OrderDetail::getWsTaxes`` gives it (no ``order_detail_tax`` row). Order 1007 always holds one (the data
set is seeded per order id), so every run of ten orders or more meets the case."""
from __future__ import annotations

import httpx
from lxml import etree

from passerelle_sandbox import Sandbox
from sandbox_helpers import ps_client


def _details(ps: httpx.Client, order: int, **extra: str) -> httpx.Response:
    return ps.get("order_details", params={"filter[id_order]": f"[{order}]", "display": "full", **extra})


def test_a_gift_card_line_has_no_taxes(fresh: Sandbox) -> None:
    with ps_client(fresh) as ps:
        rows = _details(ps, 1007, output_format="JSON").json()["order_details"]
        exempt = [r for r in rows if r["product_reference"].startswith("CARTE-CADEAU")]
        taxed = [r for r in rows if not r["product_reference"].startswith("CARTE-CADEAU")]
        assert exempt and taxed
        assert all(r["associations"]["taxes"] == [] and r["id_tax_rules_group"] == 0 for r in exempt)
        assert all(len(r["associations"]["taxes"]) == 1 for r in taxed)
        assert exempt[0]["unit_price_tax_incl"] == exempt[0]["unit_price_tax_excl"]
        product = ps.get(f"products/{exempt[0]['product_id']}", params={"output_format": "JSON"}).json()["product"]
        assert product["id_tax_rules_group"] == 0
        root = etree.fromstring(_details(ps, 1007).content)  # XML: an empty association element
        holders = [d.find("associations/taxes") for d in root.iter("order_detail")
                   if d.findtext("product_reference").startswith("CARTE-CADEAU")]
        assert holders and all(h is not None and len(h) == 0 and h.get("nodeType") == "tax" for h in holders)


def test_only_gift_cards_are_exempt(fresh: Sandbox) -> None:
    with ps_client(fresh) as ps:
        rows = ps.get("order_details", params={"display": "full", "output_format": "JSON"}).json()["order_details"]
        exempt = {r["id_order"] for r in rows if not r["associations"]["taxes"]}
        # the 20-order data set of seed 1; 1014 carries the seeded tax-exempt case (issue 13); 1013's last
        # line is its long SKU
        assert exempt == {1007, 1014, 1019}
        assert all(r["product_reference"].startswith("CARTE-CADEAU") for r in rows if not r["associations"]["taxes"])
