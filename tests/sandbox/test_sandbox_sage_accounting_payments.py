"""Sage Business Cloud Accounting simulator (issue 13): customer receipts (`POST /contact_payments`, allocated
to invoices, over-allocation refused, a paid invoice PAID) and sales credit notes (`POST /sales_credit_notes`,
lines and tax as an invoice's, the original invoice's date), each read back with GET."""
from __future__ import annotations

from typing import Any

import httpx

from test_sandbox_sage_accounting_writes import sim_api  # noqa: F401  (the simulator and a client with a token)


def _invoice(sim: Any, client: httpx.Client, contact: str = "WEB000056") -> dict[str, Any]:
    body = {"contact_id": sim.contact_for(contact)["id"], "date": "2024-05-14", "reference": "#1042",
            "invoice_lines": [{"description": "Classic mug", "ledger_account_id": sim.ledger_account_id(707000),
                               "quantity": "3", "unit_price": "10.00", "tax_rate_id": "FR_STANDARD"}]}
    answer = client.post("sales_invoices", json={"sales_invoice": body})
    assert answer.status_code == 201, answer.text
    return answer.json()   # 30.00 + 6.00 VAT = 36.00


def _receipt(sim: Any, invoice: dict[str, Any], amount: str, **extra: Any) -> dict[str, Any]:
    return {"contact_payment": {
        "transaction_type_id": "CUSTOMER_RECEIPT", "contact_id": invoice["contact"]["id"],
        "bank_account_id": sim.tables["bank_accounts"].items[0]["id"], "date": "2024-05-15",
        "total_amount": amount, "payment_method_id": "CREDIT_DEBIT", "reference": "6123",
        "allocated_artefacts": [{"artefact_id": invoice["id"], "amount": amount}], **extra}}


def test_a_receipt_reduces_the_outstanding_amount_and_a_full_one_pays_the_invoice(sim_api) -> None:
    sim, client = sim_api
    invoice = _invoice(sim, client)
    assert (invoice["total_amount"], invoice["outstanding_amount"], invoice["status"]["id"]) == ("36.00", "36.00", "UNPAID")
    first = client.post("contact_payments", json=_receipt(sim, invoice, "10.00"))
    assert first.status_code == 201, first.text
    payment = first.json()
    assert (payment["transaction_type"]["id"], payment["total_amount"], payment["payment_method"]["id"],
            payment["reference"], payment["contact"]["id"]) == (
        "CUSTOMER_RECEIPT", "10.00", "CREDIT_DEBIT", "6123", invoice["contact"]["id"])
    assert [(a["artefact"]["id"], a["amount"]) for a in payment["allocated_artefacts"]] == [(invoice["id"], "10.00")]
    again = client.get(f"sales_invoices/{invoice['id']}").json()
    assert (again["outstanding_amount"], again["status"]["id"]) == ("26.00", "PART_PAID")
    assert client.post("contact_payments", json=_receipt(sim, invoice, "26.00")).status_code == 201
    paid = client.get(f"sales_invoices/{invoice['id']}").json()
    assert (paid["outstanding_amount"], paid["status"]["id"]) == ("0.00", "PAID")
    # read back: one by id, the list filtered by contact and type
    assert client.get(f"contact_payments/{payment['id']}").json() == payment
    listed = client.get("contact_payments", params={"contact_id": invoice["contact"]["id"], "attributes": "all",
                                                     "transaction_type_id": "CUSTOMER_RECEIPT"}).json()
    assert [p["total_amount"] for p in listed["$items"]] == ["10.00", "26.00"]
    assert len(sim.created_payments) == 2


def test_over_allocation_and_bad_receipts_are_refused_all_problems_at_once(sim_api) -> None:
    sim, client = sim_api
    invoice = _invoice(sim, client)
    over = client.post("contact_payments", json=_receipt(sim, invoice, "36.01"))
    assert over.status_code == 422
    assert [e["$source"] for e in over.json()] == ["allocated_artefacts.amount"]
    assert "more than the 36.00 outstanding" in over.json()[0]["$message"]
    # allocations adding up to more than the payment; another contact's invoice; no bank account
    other = _invoice(sim, client, "WEB000001")
    body = _receipt(sim, invoice, "5.00")
    body["contact_payment"]["allocated_artefacts"] = [{"artefact_id": invoice["id"], "amount": "6.00"},
                                                      {"artefact_id": other["id"], "amount": "1.00"}]
    del body["contact_payment"]["bank_account_id"]
    bad = client.post("contact_payments", json=body)
    assert bad.status_code == 422
    assert sorted(e["$source"] for e in bad.json()) == ["allocated_artefacts", "allocated_artefacts.artefact_id",
                                                         "bank_account_id"]
    refused = client.post("contact_payments", json=_receipt(sim, invoice, "1.00", transaction_type_id="SALE"))
    assert refused.status_code == 422 and refused.json()[0]["$source"] == "transaction_type_id"
    vendor = client.post("contact_payments", json=_receipt(sim, invoice, "1.00", transaction_type_id="VENDOR_PAYMENT"))
    assert vendor.status_code == 501 and "not simulated" in vendor.text
    assert sim.invoice(invoice["id"])["outstanding_amount"] == "36.00" and sim.created_payments == []
    # two allocations to one invoice count together
    twice = _receipt(sim, invoice, "40.00")
    twice["contact_payment"]["allocated_artefacts"] = [{"artefact_id": invoice["id"], "amount": "20.00"}] * 2
    assert client.post("contact_payments", json=twice).status_code == 422


def _credit_note(sim: Any, invoice: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"sales_credit_note": {
        "contact_id": invoice["contact"]["id"], "date": "2024-05-20", "original_invoice_date": invoice["date"],
        "reference": "SR-9123", "notes": f"Refund of {invoice['invoice_number']}",
        "credit_note_lines": [
            {"description": "Classic mug", "ledger_account_id": sim.ledger_account_id(707000), "quantity": "1",
             "unit_price": "10.00", "tax_rate_id": "FR_STANDARD"},
            {"description": "Book", "ledger_account_id": sim.ledger_account_id(707000), "quantity": "2",
             "unit_price": "7.50", "tax_rate_id": "FR_ZERO"}],
        "shipping_net_amount": "5.00", "shipping_tax_rate_id": "FR_STANDARD", **extra}}


def test_a_credit_note_computes_its_lines_and_tax_as_an_invoice_and_is_read_back(sim_api) -> None:
    sim, client = sim_api
    invoice = _invoice(sim, client)
    answer = client.post("sales_credit_notes", json=_credit_note(sim, invoice))
    assert answer.status_code == 201, answer.text
    note = answer.json()
    assert note["credit_note_number"].startswith("SCN-") and note["transaction_type"]["id"] == "SALES_CREDIT_NOTE"
    assert (note["contact"]["id"], note["original_invoice_date"], note["reference"], note["notes"]) == (
        invoice["contact"]["id"], "2024-05-14", "SR-9123", f"Refund of {invoice['invoice_number']}")
    assert [(x["net_amount"], x["tax_rate"]["id"], x["tax_amount"]) for x in note["credit_note_lines"]] == [
        ("10.00", "FR_STANDARD", "2.00"), ("15.00", "FR_ZERO", "0.00")]
    assert (note["shipping_tax_amount"], note["net_amount"], note["tax_amount"], note["total_amount"],
            note["outstanding_amount"], note["status"]["id"]) == ("1.00", "30.00", "3.00", "33.00", "33.00", "UNPAID")
    assert client.get(f"sales_credit_notes/{note['id']}").json() == note
    found = client.get("sales_credit_notes", params={"search": "SR-9123", "attributes": "all"}).json()["$items"]
    assert [n["id"] for n in found] == [note["id"]] and sim.created_credit_notes == [note]
    # the money given back: a customer refund allocated to the credit note
    refund = {"contact_payment": {
        "transaction_type_id": "CUSTOMER_REFUND", "contact_id": invoice["contact"]["id"],
        "bank_account_id": sim.tables["bank_accounts"].items[0]["id"], "date": "2024-05-20", "total_amount": "33.00",
        "allocated_artefacts": [{"artefact_id": note["id"], "amount": "33.00"}]}}
    assert client.post("contact_payments", json=refund).status_code == 201
    assert client.get(f"sales_credit_notes/{note['id']}").json()["status"]["id"] == "PAID"
    # a refund cannot be allocated to an invoice, a receipt not to a credit note
    refund["contact_payment"]["allocated_artefacts"] = [{"artefact_id": invoice["id"], "amount": "1.00"}]
    assert client.post("contact_payments", json=refund).status_code == 422


def test_a_credit_note_is_checked_like_an_invoice(sim_api) -> None:
    sim, client = sim_api
    invoice = _invoice(sim, client)
    body = _credit_note(sim, invoice, original_invoice_date="2024-06-01")
    body["sales_credit_note"]["credit_note_lines"][0]["tax_rate_id"] = "GB_NOPE"
    body["sales_credit_note"]["credit_note_lines"][1]["unit_price"] = "-7.50"
    bad = client.post("sales_credit_notes", json=body)
    assert bad.status_code == 422
    assert sorted(e["$source"] for e in bad.json()) == [
        "credit_note_lines.tax_rate_id", "credit_note_lines.unit_price", "original_invoice_date"]
    assert all("invoice_lines" not in e["$message"] for e in bad.json())
    empty = client.post("sales_credit_notes", json={"sales_credit_note": {"contact_id": invoice["contact"]["id"],
                                                                          "date": "2024-05-20"}})
    assert empty.status_code == 422 and empty.json()[0]["$source"] == "credit_note_lines"
    assert client.post("sales_credit_notes", json={"credit_note": {}}).status_code == 422
    assert sim.created_credit_notes == []
    # setting a credit note against its invoice is an allocation, which the simulator does not hold
    allocation = client.post("contact_allocations", json={"contact_allocation": {}})
    assert allocation.status_code == 501 and "not simulated" in allocation.text
