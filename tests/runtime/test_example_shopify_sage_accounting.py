"""The Shopify -> Sage Business Cloud Accounting example (specs/examples/shopify-sage-accounting/) run end
to end against both simulators with ``passerelle run``: contacts found by e-mail or created (the
cross-reference store), sales invoices with goods, carriage and discount lines, the UK VAT table (S_20,
S_5, EXO -> GB_STANDARD, GB_LOWER, GB_ZERO), a guest order on the generic contact, the invoice number and
a tag back on the Shopify order. Every flow run twice creates nothing twice, counted in the simulators."""
from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from passerelle_sandbox import Sandbox, generate
from passerelle_sandbox.sbca_data import sage_id
from runtime_support import shopify_sage_accounting_env
from support import ROOT
from test_example_sage100_shopify import _cli, _run  # passerelle run --flow F: its summary as numbers

EXAMPLE = ROOT / "specs" / "examples" / "shopify-sage-accounting"
FLOWS = ("customers_to_sage", "orders_to_sage")
SHOP_ONLY = 5  # customers unknown to Sage: created by customers_to_sage, found on the second run
SEED = 1
LONDON = ZoneInfo("Europe/London")
GENERIC = "5a0fe8d3c7b44d3a9c2f6e1b7a4d0c11"  # the generic contact WEBSHOP, its id in orders_to_sage.yaml
# a UK business's chart (Sage 50 nominal codes): sales 4000, carriage 4905 — their ids are in lookups.yaml
UK_LEDGERS = ((4000, "Sales Type A", "SALES"), (4905, "Distribution and carriage", "SALES"),
              (1100, "Debtors Control Account", "CURRENT_ASSETS"), (1200, "Bank Current Account", "BANK"),
              (2200, "Sales Tax Control Account", "CURRENT_LIABILITY"))
# the shared data set's tax codes -> a UK business's tax_rate ids (S_10/S_2 are not used by a UK shop)
UK_TAX_IDS = {"S_20": "GB_STANDARD", "S_5": "GB_LOWER", "EXO": "GB_ZERO", "S_10": "GB_UNUSED_10", "S_2": "GB_UNUSED_2"}
UK_RATE = {0.2: 0.2, 0.1: 0.2, 0.055: 0.05, 0.021: 0.05, 0.0: 0.0}  # the French sample rates -> UK rates
CARRIAGE = {"UPS Ground": "Carriage - UPS Ground", "DHL Express": "Carriage - DHL Express",
            "Colissimo": "Carriage - La Poste Colissimo"}
TAX_ID = {0.2: "GB_STANDARD", 0.05: "GB_LOWER", 0.0: "GB_ZERO"}


def _uk_shop(shop) -> None:
    """The sample orders at UK VAT rates (20 %, 5 %, 0 %): a UK shop's."""
    for order in shop.orders:
        for line in order["line_items"] + order["shipping_lines"]:
            for tax in line["tax_lines"]:
                tax["rate"] = UK_RATE[tax["rate"]]


@pytest.fixture()
def running(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".passerelle"))
    dataset = generate(seed=SEED, orders=15, shop_only_customers=SHOP_ONLY)
    options = {"shopify": {"graphql_bucket": 200000.0, "restore_rate": 1000.0},
               "sage-accounting": {"country": "GB", "currency": "GBP", "ledger_accounts": UK_LEDGERS,
                                   "tax_rate_ids": UK_TAX_IDS, "timezone_name": "Europe/London"}}
    with Sandbox(systems=("shopify", "sage-accounting"), dataset=dataset, options=options) as sb:
        _uk_shop(sb.sim("shopify"))
        sage = sb.sim("sage-accounting")
        # the generic contact the consultant creates in Sage for guest orders
        sage.tables["contacts"].add({
            "id": GENERIC, "displayed_as": "Web shop customers (WEBSHOP)", "name": "Web shop customers",
            "reference": "WEBSHOP", "contact_types": [{"id": "CUSTOMER", "displayed_as": "Customer"}], "email": "",
            "created_at": "2023-01-01T00:00:00Z", "updated_at": "2023-01-01T00:00:00Z"})
        env = shopify_sage_accounting_env(sb)
        yield sb, project, str(tmp_path / "state"), env


def _snapshot(sb) -> dict:
    shop, sage = sb.sim("shopify"), sb.sim("sage-accounting")
    return {"contacts": len(sage.tables["contacts"].items), "created_contacts": len(sage.created_contacts),
            "invoices": len(sage.invoices), "created_invoices": len(sage.created_invoices),
            "metafields": {o["id"]: list(o["_metafields"]) for o in shop.orders},
            "tags": {o["id"]: o["tags"] for o in shop.orders}}


def test_every_flow_twice_creates_nothing_twice(running, monkeypatch):
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage-accounting")
    guest = shop.orders[1]
    guest["customer"] = None  # a guest checkout: no customer account
    customers_before = {c["id"] for c in sage.tables["contacts"].items}

    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in FLOWS}
    after_first = _snapshot(sb)

    # customers: the shop-only ones created once (reference SHOP + Shopify id), the others found by e-mail
    assert first["customers_to_sage"] == {"read": 80, "created": SHOP_ONLY, "updated": 0, "skipped": 0,
                                          "failed": 0, "acked": 0, "found": 80 - SHOP_ONLY}
    created = [c for c in sage.tables["contacts"].items if c["id"] not in customers_before]
    assert len(created) == len(sage.created_contacts) == SHOP_ONLY
    by_email = {c["email"]: c for c in shop.customers}
    for contact in created:
        customer = by_email[contact["email"]]
        assert contact["reference"] == f"SHOP{customer['id']}"
        assert [t["id"] for t in contact["contact_types"]] == ["CUSTOMER"]
        assert contact["main_address"]["postal_code"] and contact["main_address"]["country"]["id"]
    emails = [c["email"] for c in sage.tables["contacts"].items if c.get("email")]
    assert len(emails) == len(set(emails))

    # orders: one sales invoice per order, referenced by the order name, on the contact of the xref store
    orders = first["orders_to_sage"]
    assert (orders["read"], orders["created"], orders["failed"], orders["acked"]) == (15, 15, 0, 15)
    invoices = {i["reference"]: i for i in sage.created_invoices}
    assert len(invoices) == len(sage.created_invoices) == 15
    contact_of = {c["email"]: c["id"] for c in sage.tables["contacts"].items if c.get("email")}
    sales, carriage = sage.ledger_account_id(4000), sage.ledger_account_id(4905)
    assert (sales, carriage) == (sage_id(SEED, "ledger", 4000), sage_id(SEED, "ledger", 4905))
    rates_seen = set()
    for order in shop.orders:
        invoice = invoices[order["name"]]
        # ours and the data set's guest checkout 1005 (issue 13: no customer) on the generic contact
        assert invoice["contact"]["id"] == (GENERIC if order["customer"] is None else contact_of[order["email"]])
        assert invoice["date"] == order["_created"].astimezone(LONDON).date().isoformat()  # the UK day
        lines = invoice["invoice_lines"]
        goods, extra = lines[:len(order["line_items"])], lines[len(order["line_items"]):]
        for line, item in zip(goods, order["line_items"]):
            rate = item["tax_lines"][0]["rate"]
            rates_seen.add(rate)
            assert line["description"] == f"{item['sku']} {item['name']}"
            assert (line["quantity"], line["unit_price"]) == (f"{item['quantity']}.00", item["price"])
            assert (line["tax_rate"]["id"], line["ledger_account"]["id"]) == (TAX_ID[rate], sales)
        shipping = Decimal(order["total_shipping_price_set"]["shop_money"]["amount"])
        expected_extra = []
        if shipping:
            title = order["shipping_lines"][0]["title"]
            expected_extra.append((CARRIAGE.get(title, "Carriage"),  # carriers lookup (default: Carriage)
                                   f"{shipping:.2f}", "GB_STANDARD", carriage))
        if Decimal(order["total_discounts"]):
            codes = ", ".join(c["code"] for c in order["discount_codes"])  # several on 1012 (issue 13)
            expected_extra.append((f"Discount {codes}", f"-{order['total_discounts']}",
                                   TAX_ID[order["line_items"][0]["tax_lines"][0]["rate"]], sales))
        assert [(x["description"], x["unit_price"], x["tax_rate"]["id"], x["ledger_account"]["id"])
                for x in extra] == expected_extra
        # the net total is the shop's: goods - discount + carriage
        assert Decimal(invoice["net_amount"]) == Decimal(order["subtotal_price"]) + shipping
        gateway = order["payment_gateway_names"][0]
        method = {"ps_wirepayment": "BANK_TRANSFER", "ps_checkpayment": "CHEQUE"}.get(gateway, "CREDIT_DEBIT")
        assert invoice["notes"] == f"Payment method: {method}"
        # back to the shop: the invoice number in a metafield, then the tag
        assert [(m["namespace"], m["key"], m["value"]) for m in order["_metafields"]] == [
            ("sage", "invoice_number", invoice["invoice_number"])]
        assert "sage-invoiced" in [t.strip() for t in order["tags"].split(",")]
    assert rates_seen == {0.2, 0.05, 0.0}  # several rates and tax-exempt lines went through

    # the second run sends nothing: every summary says so, and both simulators are unchanged
    for flow in FLOWS:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["updated"], again["failed"], again["acked"], again["found"]) == \
            (0, 0, 0, 0, 0), (flow, again)
    assert _snapshot(sb) == after_first

    out, _ = _cli(project, state, env, monkeypatch, "xref", "--type", "customers", "--format", "json")
    pairs = json.loads(out)
    assert len(pairs) == 80 and sorted(p["how"] for p in pairs).count("created") == SHOP_ONLY



def _paying(order) -> list:
    """The order's transactions payments_to_sage settles: successful SALEs and CAPTUREs."""
    return [t for t in order["_transactions"] if t["status"] == "SUCCESS" and t["kind"] in ("SALE", "CAPTURE")]


def test_payments_and_refunds_twice_create_nothing_twice(running, monkeypatch):
    """payments_to_sage: one customer receipt per successful SALE/CAPTURE, allocated to the order's invoice
    (PAID when it covers it); refunds_to_sage: one credit note per Shopify refund (the seeded partial refunds
    and a refund of a zero-rated line with the shipping, at UK rates), then a customer refund allocated to it."""
    sb, project, state, env = running
    shop, sage = sb.sim("shopify"), sb.sim("sage-accounting")
    zero_rated = next(o for o in shop.orders if o["order_number"] % 5 and any(
        not li["tax_lines"] or li["tax_lines"][0]["rate"] == 0.0 for li in o["line_items"]))
    book = next(li for li in zero_rated["line_items"] if not li["tax_lines"] or li["tax_lines"][0]["rate"] == 0.0)
    shop.refund(zero_rated, {book["sku"]: 1}, shipping=True, note="Returned")
    flows = FLOWS + ("payments_to_sage", "refunds_to_sage")
    first = {flow: _run(project, state, env, monkeypatch, flow) for flow in flows}
    invoices = {i["reference"]: i for i in sage.created_invoices}
    bank = sage.tables["bank_accounts"].items[0]["id"]

    # payments: a receipt per successful SALE or CAPTURE (never the authorisation or the declined attempt)
    paying = {t["id"]: order for order in shop.orders for t in _paying(order)}
    assert len(paying) == 15
    pay = first["payments_to_sage"]
    assert (pay["created"], pay["failed"], pay["skipped"]) == (15, 0, 0), pay
    assert len(sage.created_payments) == 15 + len(sage.created_credit_notes)  # receipts + the refunds' payments
    receipts = {p["reference"]: p for p in sage.created_payments if p["transaction_type"]["id"] == "CUSTOMER_RECEIPT"}
    for tid, order in paying.items():
        receipt = receipts[f"SHOP-{tid.rsplit('/', 1)[1]}"]
        invoice = invoices[order["name"]]
        total = min(Decimal(order["total_price"]), Decimal(invoice["total_amount"]))
        assert (receipt["contact"]["id"], receipt["bank_account"]["id"], receipt["total_amount"]) == (
            invoice["contact"]["id"], bank, f"{total:.2f}")
        gateway = order["payment_gateway_names"][0]   # payment_methods: the gateway's Sage method
        method = {"ps_wirepayment": "BANK_TRANSFER", "ps_checkpayment": "CHEQUE"}.get(gateway, "CREDIT_DEBIT")
        assert receipt["payment_method"]["id"] == method
        assert [(a["artefact"]["id"], a["amount"]) for a in receipt["allocated_artefacts"]] == [
            (invoice["id"], f"{total:.2f}")]
        assert Decimal(invoice["outstanding_amount"]) == Decimal(invoice["total_amount"]) - total
        assert invoice["status"]["id"] == ("PAID" if total == Decimal(invoice["total_amount"]) else "PART_PAID")

    # refunds: a credit note per Shopify refund, for the invoice's contact, with the refunded VAT; then paid back
    refunds = [(order, r) for order in shop.orders for r in order["_refunds"]]
    assert len(refunds) >= 3 and any(r["shipping"] for _, r in refunds)   # partial ones, one with its shipping
    assert (first["refunds_to_sage"]["created"], first["refunds_to_sage"]["acked"]) == (len(refunds), len(refunds))
    notes = {n["reference"]: n for n in sage.created_credit_notes}
    assert len(notes) == len(sage.created_credit_notes) == len(refunds)
    for order, refund in refunds:
        note, invoice = notes[f"SR-{refund['legacyResourceId']}"], invoices[order["name"]]
        assert (note["contact"]["id"], note["original_invoice_date"], note["notes"]) == (
            invoice["contact"]["id"], invoice["date"], f"Refund of invoice {invoice['invoice_number']} (order {order['name']})")
        assert note["total_amount"] == refund["total_set"]["shop_money"]["amount"]  # Sage's total is Shopify's
        goods = [x for x in note["credit_note_lines"] if x["ledger_account"]["id"] == sage.ledger_account_id(4000)]
        assert [(x["description"].split(" ")[0], x["quantity"]) for x in goods] == [
            (item["line"]["sku"], f"{item['quantity']}.00") for item in refund["items"]]
        carriage = [x for x in note["credit_note_lines"] if x["ledger_account"]["id"] == sage.ledger_account_id(4905)]
        assert len(carriage) == len(refund["shipping"])
        assert note["status"]["id"] == "PAID"    # the customer refund allocated to it
    book_note = notes[f"SR-{zero_rated['_refunds'][-1]['legacyResourceId']}"]
    assert [x["tax_rate"]["id"] for x in book_note["credit_note_lines"]] == ["GB_ZERO", "GB_STANDARD"]
    money_back = [p for p in sage.created_payments if p["transaction_type"]["id"] == "CUSTOMER_REFUND"]
    assert sorted(p["allocated_artefacts"][0]["artefact"]["id"] for p in money_back) == sorted(
        n["id"] for n in sage.created_credit_notes)

    # the second run creates nothing, counted in the simulator
    counts = (len(sage.created_invoices), len(sage.created_payments), len(sage.created_credit_notes))
    for flow in flows:
        again = _run(project, state, env, monkeypatch, flow)
        assert (again["created"], again["failed"], again["acked"]) == (0, 0, 0), (flow, again)
    assert (len(sage.created_invoices), len(sage.created_payments), len(sage.created_credit_notes)) == counts
