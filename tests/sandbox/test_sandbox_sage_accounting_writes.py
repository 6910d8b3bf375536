"""Sage Business Cloud Accounting simulator (issue 13, gap 6): `PUT sales_invoices/{id}` updates an editable
invoice (DRAFT, PRO_FORMA, UNPAID; not a paid, part-paid or void one) and `DELETE contacts/{id}` removes a
contact without transactions (204) but refuses one with transactions. Both answered 405 before."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from passerelle_sandbox import Sandbox
from passerelle_sandbox.sbca_updates import record_payment

SYSTEM = "sage-accounting"


@pytest.fixture()
def sim_api() -> Iterator[tuple[Any, httpx.Client]]:
    with Sandbox(systems=(SYSTEM,), orders=20) as sb:
        sim = sb.sim(SYSTEM)
        token = sim.issue_access_token()
        with httpx.Client(base_url=sb.api_url(SYSTEM), headers={"Authorization": f"Bearer {token}"},
                          timeout=10) as client:
            yield sim, client


def _new(sim: Any, client: httpx.Client, **header: Any) -> dict[str, Any]:
    body = {"contact_id": sim.contact_for("WEB000056")["id"], "date": "2024-05-14", "reference": "PS_1042",
            "invoice_lines": [{"description": "Classic mug", "ledger_account_id": sim.ledger_account_id(707000),
                               "quantity": "3", "unit_price": "8.00", "tax_rate_id": "FR_STANDARD",
                               "discount_amount": "2.00"}], **header}
    answer = client.post("sales_invoices", json={"sales_invoice": body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_put_changes_what_is_sent_keeps_the_rest_and_computes_the_totals_again(sim_api) -> None:
    sim, client = sim_api
    invoice = _new(sim, client)
    before = client.get("sales_invoices", params={"updated_or_created_since": "2000-01-01"}).json()["$total"]
    answer = client.put(f"sales_invoices/{invoice['id']}", json={"sales_invoice": {
        "reference": "PS_1042-B", "notes": "corrected", "invoice_lines": [
            {"description": "Classic mug", "ledger_account_id": sim.ledger_account_id(707000), "quantity": "4",
             "unit_price": "8.00", "tax_rate_id": "FR_STANDARD"}]}})
    assert answer.status_code == 200, answer.text
    updated = answer.json()
    assert (updated["id"], updated["invoice_number"], updated["created_at"], updated["date"]) == (
        invoice["id"], invoice["invoice_number"], invoice["created_at"], "2024-05-14")
    assert (updated["reference"], updated["notes"], updated["net_amount"], updated["tax_amount"],
            updated["total_amount"], updated["outstanding_amount"]) == (
        "PS_1042-B", "corrected", "32.00", "6.40", "38.40", "38.40")
    assert sim.invoice(invoice["id"]) == updated and sim.updated_invoices == [updated]
    assert client.get(f"sales_invoices/{invoice['id']}").json()["reference"] == "PS_1042-B"
    assert client.get("sales_invoices", params={"updated_or_created_since": "2000-01-01"}).json()["$total"] == before
    seeded = sim.invoices[0]      # an UNPAID invoice of the data set: the contact may change too
    other = sim.contact_for("WEB000001")["id"]
    moved = client.put(f"sales_invoices/{seeded['id']}", json={"sales_invoice": {"contact_id": other}})
    assert moved.status_code == 200 and moved.json()["contact"]["id"] == other


def test_put_checks_like_a_create(sim_api) -> None:
    sim, client = sim_api
    invoice = _new(sim, client)
    taken = sim.invoices[0]["invoice_number"]
    answer = client.put(f"sales_invoices/{invoice['id']}", json={"sales_invoice": {
        "contact_id": "nope", "invoice_number": taken, "due_date": "2024-01-01"}})
    assert answer.status_code == 422
    assert [e["$source"] for e in answer.json()] == ["contact_id", "due_date", "invoice_number"]
    same = client.put(f"sales_invoices/{invoice['id']}", json={"sales_invoice": {
        "invoice_number": invoice["invoice_number"]}})
    assert same.status_code == 200                       # its own number is not taken by another invoice
    assert client.put(f"sales_invoices/{invoice['id']}", json={"invoice": {}}).status_code == 422
    assert client.put("sales_invoices/ffff", json={"sales_invoice": {}}).status_code == 404
    assert client.put("sales_invoices", json={"sales_invoice": {}}).status_code == 405


def test_a_paid_part_paid_or_void_invoice_cannot_be_edited(sim_api) -> None:
    sim, client = sim_api
    part, paid, void = (_new(sim, client) for _ in range(3))
    draft = _new(sim, client, status_id="DRAFT")
    with sim.lock:
        record_payment(sim.invoice(part["id"]), "5.00")
        record_payment(sim.invoice(paid["id"]), part["total_amount"])
        sim.invoice(void["id"])["status"] = {"id": "VOID", "displayed_as": "Void"}
    for invoice, words in ((part, "part paid"), (paid, "paid"), (void, "void")):
        refused = client.put(f"sales_invoices/{invoice['id']}", json={"sales_invoice": {"notes": "x"}})
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()
        assert problem["$dataCode"] == "RecordInvalid" and problem["$source"] == "status"
        assert words in problem["$message"].lower()
    edited = client.put(f"sales_invoices/{draft['id']}", json={"sales_invoice": {"notes": "still a draft"}})
    assert edited.status_code == 200 and edited.json()["status"]["id"] == "DRAFT"
    release = client.put(f"sales_invoices/{draft['id']}", json={"sales_invoice": {"status_id": "UNPAID"}})
    assert release.status_code == 501 and "not simulated" in release.json()["message"]


def test_delete_contact_without_transactions_204_with_transactions_refused(sim_api) -> None:
    sim, client = sim_api
    vendor = sim.contact_for("FOURN01")["id"]            # no invoice, no quote
    gone = client.delete(f"contacts/{vendor}")
    assert gone.status_code == 204 and gone.content == b""
    assert client.get(f"contacts/{vendor}").status_code == 404
    assert client.delete(f"contacts/{vendor}").status_code == 404
    assert all(c["id"] != vendor for c in client.get("contacts", params={"items_per_page": 200}).json()["$items"])
    customer = sim.contact_for("WEB000056")["id"]         # order 1042's customer: it has invoices
    refused = client.delete(f"contacts/{customer}")
    assert refused.status_code == 422
    [problem] = refused.json()
    assert (problem["$dataCode"], problem["$source"]) == ("RecordInvalid", "id")
    assert "transactions" in problem["$message"] and "inactive" in problem["$message"]
    assert client.get(f"contacts/{customer}").status_code == 200
    assert client.delete("contacts").status_code == 405
