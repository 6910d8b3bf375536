"""The WooCommerce <-> Sage 100 example (specs/examples/woocommerce-sage100/) run end to end against both
simulators with ``passerelle run``: delivery addresses found or created under the generic client, orders
(PORT, FRAIS, coupons, EXO lines, payment method and carrier mapped) with two acknowledgements, settlements,
refunds as credit notes linked to their order, deliveries back as `completed` with Shipment Tracking meta
and a customer note. Every flow run twice creates nothing twice (counted in the simulators)."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.woo_create import coupon_table, create_order
from passerelle_sandbox.woo_refunds import create_refund
from passerelle_sandbox.templates import prepare
from runtime_support import SUMMARY, cli
from support import ROOT

EXAMPLE = ROOT / "specs" / "examples" / "woocommerce-sage100"
TO_SAGE = ("addresses_to_sage", "orders_to_sage", "payments_to_sage")  # in this order


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    dataset = generate(seed=1, orders=15)
    # line_price "total": WooCommerce's line `price` is total / quantity (coupons deducted), as in
    # WC_REST_Orders_V2_Controller::get_order_item_data
    with Sandbox(systems=("woocommerce", "sage100"), dataset=dataset,
                 options={"woocommerce": {"line_price": "total"},
                          "sage100": {"special_articles": ("PORT", "REMISE", "FRAIS")}}) as sb:
        prepare(sb)  # the generic accounts the consultant creates in Sage (CLIENT-WEB)
        creds = sb.credentials("woocommerce")
        env = {"ACME_WC_URL": sb.url("woocommerce"), "ACME_WC_KEY": creds["consumer_key"],
               "ACME_WC_SECRET": creds["consumer_secret"],
               "ACME_SAGE_URL": sb.url("sage100"), "ACME_SAGE_TOKEN": sb.credentials("sage100")["token"]}
        yield sb, project, str(tmp_path / "state"), env


# the data set's hard cases (issue 13) this template cannot map: set aside with why, on every run
REJECTED = {1013: "order 1013: SKU BOUGIE-PARFUMEE-VANILLE-XL is 26 characters, Sage accepts 19",
            1014: "order 1014: paid in GBP, this template sends EUR documents only"}


def _run(project: Path, state: str, env: dict, monkeypatch, flow: str, code: int = 0) -> dict:
    got, _, err = cli(["run", "--flow", flow, str(project), "--state", state], env, monkeypatch)
    (match,) = [m for m in SUMMARY.finditer(err) if m["flow"] == flow]
    summary = {k: int(v or 0) for k, v in match.groupdict().items() if k != "flow"}
    if flow == "orders_to_sage" and summary["failed"]:  # the rejected orders fail with why (exit 3)
        assert summary["failed"] == len(REJECTED) and code == 0, err
        code = 3
        for oid, reason in REJECTED.items():
            assert f"key={oid} reason=\"field reject" in err and reason in err, err
    assert got == code, err
    return summary


def _guest_order(shop) -> dict:
    """A guest checkout with a fee, two coupons, a tax-exempt gift card and a book at 5.5 %."""
    codes = sorted(coupon_table(shop.dataset))[:2]
    body = {"customer_id": 0, "payment_method": "bacs", "payment_method_title": "Virement", "set_paid": True,
            "transaction_id": "",
            "billing": {"first_name": "Inès", "last_name": "Guest", "address_1": "5 quai des Chartrons",
                        "city": "Bordeaux", "postcode": "33000", "country": "FR", "email": "ines@example.test",
                        "phone": "0556000000"},
            "shipping": {"first_name": "Inès", "last_name": "Guest", "address_1": "5 quai des Chartrons",
                         "city": "Bordeaux", "postcode": "33000", "country": "FR"},
            "line_items": [{"sku": "LIVRE-003", "quantity": 2}, {"sku": "CARTE-CADEAU-008", "quantity": 1},
                           {"sku": "POSTER-009", "quantity": 1}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Colissimo", "total": "4.90"}],
            "fee_lines": [{"name": "Gift wrap", "total": "2.50"}],
            "coupon_lines": [{"code": c} for c in codes]}
    with shop.lock:
        order = create_order(shop, body, shop.clock())
    assert order["status"] == "processing" and len(order["coupon_lines"]) == 2
    return order


def _counts(sb) -> dict:
    shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
    return {"documents": len(sage.documents), "addresses": len(sage.addresses),
            "settlements": len(sage.settlements),
            "notes": {oid: len(n) for oid, n in shop.notes.items()},
            "meta": {oid: [(m["key"], repr(m["value"])) for m in o["meta_data"]] for oid, o in shop.orders.items()},
            "status": {oid: o["status"] for oid, o in shop.orders.items()}}


def test_every_flow_twice_creates_nothing_twice(running, monkeypatch):
    sb, project, state, env = running
    shop, sage = sb.sim("woocommerce"), sb.sim("sage100")
    guest = _guest_order(shop)
    orders = list(shop.orders.values())

    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in TO_SAGE}
    assert first["addresses_to_sage"]["created"] == len(orders) == 16
    sent = 16 - len(REJECTED)
    assert (first["orders_to_sage"]["created"], first["orders_to_sage"]["failed"]) == (sent, len(REJECTED))
    assert first["orders_to_sage"]["acked"] == sent
    assert first["payments_to_sage"]["created"] == sent, first

    docs = {d["Reference"]: d for d in sage.documents}
    doc = docs[f"WC-{guest['id']}"]
    assert doc["NumeroTiers"] == "CLIENT-WEB" and doc["TypeDocument"] == 1
    assert doc["IdModeExpedition"] == 2 and doc["ModeReglement"] == "Virement"
    lines = [(li.get("RefArticle"), li.get("CodeTaxe")) for li in doc["Lignes"]]
    assert ("LIVRE-003", "S_5") in lines and ("CARTE-CADEAU-008", "EXO") in lines and ("POSTER-009", "S_20") in lines
    assert ("PORT", "S_20") in lines and ("FRAIS", "S_20") in lines
    # each coupon a REMISE article line of its amount excluding tax; the goods at their price before coupons
    vouchers = [li for li in doc["Lignes"] if li.get("RefArticle") == "REMISE"]
    assert sorted(li["Designation"] for li in vouchers) == [f"Coupon {c['code']}" for c in
                                                             sorted(guest["coupon_lines"], key=lambda c: c["code"])]
    assert sorted(Decimal(str(li["PrixUnitaire"])) for li in vouchers) == \
        sorted(-Decimal(c["discount"]) for c in guest["coupon_lines"])
    for item in guest["line_items"]:
        (line,) = [li for li in doc["Lignes"] if li.get("RefArticle") == item["sku"]]
        assert Decimal(str(line["PrixUnitaire"])) * item["quantity"] == Decimal(item["subtotal"])
    # the delivery address created for the order under CLIENT-WEB, named by the order
    (address,) = [a for a in sage.addresses.values()
                  if a["NumeroTiers"] == "CLIENT-WEB" and a["Intitule"] == f"WC-{guest['id']}"]
    assert address["Id"] == doc["IdAdresseLivraison"]
    # back to the shop: the piece as `_sage_piece`, and a private note
    assert [m["value"] for m in guest["meta_data"] if m["key"] == "_sage_piece"] == [doc["NumeroDocument"]]
    assert any(n["note"] == f"Exported to Sage 100 as {doc['NumeroDocument']}" and not n["customer_note"]
               for n in shop.notes[guest["id"]])
    # settlements: the whole order, the mode mapped (bacs -> 2 Virement)
    assert Decimal(str(doc["MontantRegle"])) == Decimal(str(doc["TotalTTC"])) > 0
    (settled,) = [r for r in sage.settlements if r["NumeroDocument"] == doc["NumeroDocument"]]
    assert settled["IdModeReglement"] == 2 and settled["Libelle"].startswith(f"WC-{guest['id']}")

    # a refund of one book and the shipping becomes a credit note linked to the order
    book = next(li for li in guest["line_items"] if li["sku"] == "LIVRE-003")
    ship = guest["shipping_lines"][0]
    with shop.lock:
        refund = create_refund(shop, guest["id"], {"api_refund": False, "reason": "Damaged", "line_items": [
            {"id": book["id"], "quantity": 1, "refund_total": "10.00",
             "refund_tax": [{"id": book["taxes"][0]["id"], "refund_total": "0.55"}]},
            {"id": ship["id"], "refund_total": ship["total"],
             "refund_tax": [{"id": ship["taxes"][0]["id"], "refund_total": "0.98"}]}]}, shop.clock())
    refunds = _run(project, state, env, monkeypatch, "refunds_to_sage")
    seeded = [o for o in shop.dataset.orders if o.refunds]  # the data set's partial refunds (issue 13)
    assert [o.id for o in seeded] == [1005, 1010]
    assert (refunds["created"], refunds["failed"]) == (1 + len(seeded), 0)
    for order in seeded:  # each a credit note of its one unit (and shipping) linked to its order
        (wr,) = [r["id"] for r in shop.orders[order.id]["refunds"]]
        seeded_note = next(d for d in sage.documents if d["Reference"] == f"WR-{wr}")
        assert seeded_note["NumeroDocumentOrigine"] == docs[f"WC-{order.id}"]["NumeroDocument"]
        assert [li["RefArticle"] for li in seeded_note["Lignes"]] == [order.lines[0].reference] + \
            ["PORT"] * order.refunds[0].shipping
    note = next(d for d in sage.documents if d["Reference"] == f"WR-{refund['id']}")
    assert note["TypeDocument"] == 5 and note["NumeroDocumentOrigine"] == doc["NumeroDocument"]
    assert note["NumeroTiers"] == "CLIENT-WEB"
    assert [(li["RefArticle"], li["Quantite"], li["CodeTaxe"]) for li in note["Lignes"]] == [
        ("LIVRE-003", 1, "S_5"), ("PORT", 1, "S_20")]

    # Sage delivers the order with a tracking number: the shop order is completed, with the tracking
    sage.deliver(doc["NumeroDocument"], tracking="1Z999AA10123456784", carrier=3)
    deliveries = _run(project, state, env, monkeypatch, "deliveries_to_shop")
    assert deliveries["created"] + deliveries["updated"] == 1 and deliveries["failed"] == 0
    assert guest["status"] == "completed"
    (items,) = [m["value"] for m in guest["meta_data"] if m["key"] == "_wc_shipment_tracking_items"]
    assert items[0]["tracking_number"] == "1Z999AA10123456784" and items[0]["tracking_provider"] == "ups"
    assert isinstance(items[0]["date_shipped"], int)
    assert [n["note"] for n in shop.notes[guest["id"]] if n["customer_note"]] == [
        "Your order has shipped: tracking number 1Z999AA10123456784"]

    # the second run of every flow sends nothing: both simulators are unchanged
    after_first = _counts(sb)
    for flow in (*TO_SAGE, "refunds_to_sage", "deliveries_to_shop"):
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"], again["acked"]) == (0, 0, 0, 0), (flow, again)
    assert _counts(sb) == after_first
