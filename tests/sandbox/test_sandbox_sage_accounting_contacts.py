"""Sage Business Cloud Accounting v3.1 simulator: ``POST /contacts`` (sbca_contacts) — 201 with the contact
(found afterwards by ``GET /contacts?email=``), 422 with the documented error array, 415 for a non-JSON body."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox

SYSTEM = "sage-accounting"
BODY = {"contact": {"name": "Claire Martin", "contact_type_ids": ["CUSTOMER"], "reference": "SHOP701",
                    "main_address": {"address_line_1": "12 Lime Street", "city": "London", "postal_code": "EC3M 7AA",
                                     "country_id": "GB"},
                    "main_contact_person": {"name": "Claire Martin", "email": "claire.martin.uk@example.test",
                                            "telephone": "+44 20 7946 0018"}}}


def _api(sb: Sandbox) -> httpx.Client:
    token = sb.sim(SYSTEM).issue_access_token()
    return httpx.Client(base_url=sb.url(SYSTEM), headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_a_created_contact_is_answered_201_and_found_by_email() -> None:
    with Sandbox(systems=(SYSTEM,), orders=5) as sb, _api(sb) as api:
        sim = sb.sim(SYSTEM)
        before = len(sim.tables["contacts"].items)
        answer = api.post("/contacts", json=BODY)
        assert answer.status_code == 201
        contact = answer.json()
        assert len(contact["id"]) == 32 and contact["reference"] == "SHOP701"
        assert [t["id"] for t in contact["contact_types"]] == ["CUSTOMER"]
        assert contact["email"] == "claire.martin.uk@example.test" and contact["main_address"]["country"]["id"] == "GB"
        assert len(sim.tables["contacts"].items) == before + 1 and sim.created_contacts == [contact]
        found = api.get("/contacts", params={"email": "Claire.Martin.UK@example.test", "attributes": "all"}).json()
        assert [c["id"] for c in found["$items"]] == [contact["id"]]
        assert api.get(f"/contacts/{contact['id']}").json()["name"] == "Claire Martin"
        # an invoice can be made out to it
        line = {"description": "Mug", "quantity": "1", "unit_price": "8.00",
                "ledger_account_id": sim.ledger_account_id(707000), "tax_rate_id": sim.tax_rate_ids["S_20"]}
        invoice = api.post("/sales_invoices", json={"sales_invoice": {
            "contact_id": contact["id"], "date": "2024-05-14", "invoice_lines": [line]}})
        assert invoice.status_code == 201, invoice.text


def test_a_refused_contact_gets_every_problem_at_once() -> None:
    with Sandbox(systems=(SYSTEM,), orders=5) as sb, _api(sb) as api:
        sim = sb.sim(SYSTEM)
        taken = sim.tables["contacts"].items[0]["reference"]
        answer = api.post("/contacts", json={"contact": {"name": " ", "contact_type_ids": ["CLIENT"],
                                                         "reference": taken}})
        assert answer.status_code == 422
        assert {e["$source"] for e in answer.json()} == {"name", "contact_type_ids", "reference"}
        assert all(e["$severity"] == "error" and e["$dataCode"] == "RecordInvalid" for e in answer.json())
        assert api.post("/contacts", json={"name": "x"}).json()[0]["$source"] == "contact"
        assert api.post("/contacts", content=b"{", headers={"Content-Type": "application/json"}).status_code == 422
        assert api.post("/contacts", content=b"name=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
        assert sim.created_contacts == []


def test_unknown_properties_are_refused_when_asked() -> None:
    with Sandbox(systems=(SYSTEM,), orders=5, options={SYSTEM: {"reject_unknown_properties": True}}) as sb, \
            _api(sb) as api:
        body = {"contact": {**BODY["contact"], "emial": "typo@example.test"}}
        answer = api.post("/contacts", json=body)
        assert answer.status_code == 422 and answer.json()[0]["$source"] == "emial"
