"""Sage Business Cloud Accounting v3.1 simulator: ``PUT /sales_invoices/{id}`` and ``DELETE /contacts/{id}``.

``PUT /sales_invoices/{id}`` with ``{"sales_invoice": {…}}`` (``putSalesInvoicesKey``) → 200 and the whole
invoice. The rules Sage states for editing an invoice (help.sbc.sage.com …/invoicing/edit-sales-invoice.html;
gb-kb.sage.com solution 222001000100968, "You can only edit or delete invoices when they are not paid and are
not included on a VAT Return"): a DRAFT, PRO_FORMA or UNPAID invoice can be edited; a paid or part-paid one
(``outstanding_amount`` below ``total_amount``) must have its payments or credit notes unallocated first; a
VOID one cannot change. Refusals are 422 ``RecordInvalid`` with ``$source`` ``status`` [assumption: the
documented validation answer; the exact text is not public]. What may change: every field a create takes
(contact, dates, reference, notes, number, shipping, lines); fields not sent keep their value; sent
``invoice_lines`` replace the lines [assumption]; the same checks as a create apply, and the totals are
computed again. VAT returns are not simulated (no invoice is ever on one); changing ``status_id`` by an
update is not simulated (501; Sage has ``/release`` for DRAFT/PRO_FORMA).

``DELETE /contacts/{id}`` (``deleteContactsKey``) → 204 without a body. Sage refuses a contact with
transactions entered against it, such as an invoice or a payment (ie-kb.sage.com solution 222001000100837;
make it inactive instead): any sales invoice or quote of the contact blocks it here [quotes: assumption],
answered 422 ``RecordInvalid`` with ``$source`` ``id`` [status: assumption, as above].
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox import _json
from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.sbca_invoices import create_invoice, error

__all__ = ["UPDATES", "read_body", "record_payment"]

EDITABLE = ("DRAFT", "PRO_FORMA", "UNPAID")


def _current(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as a create body: what an update that leaves a field out keeps."""
    def line(x: dict[str, Any]) -> dict[str, Any]:
        return {"description": x["description"], "ledger_account_id": x["ledger_account"]["id"],
                "quantity": x["quantity"], "unit_price": x["unit_price"], "discount_amount": x["discount_amount"],
                "tax_rate_id": (x.get("tax_rate") or {}).get("id"), "tax_amount": x["tax_amount"],
                "product_id": (x.get("product") or {}).get("id")}

    body = {"contact_id": invoice["contact"]["id"], "date": invoice["date"], "due_date": invoice["due_date"],
            "reference": invoice["reference"], "notes": invoice["notes"], "invoice_number": invoice["invoice_number"],
            "shipping_net_amount": invoice["shipping_net_amount"],
            "shipping_tax_rate_id": (invoice.get("shipping_tax_rate") or {}).get("id"),
            "shipping_tax_amount": invoice["shipping_tax_amount"],
            "invoice_lines": [line(x) for x in invoice["invoice_lines"]]}
    if invoice["status"]["id"] in ("DRAFT", "PRO_FORMA"):
        body["status_id"] = invoice["status"]["id"]
    return body


def _locked(invoice: dict[str, Any]) -> str | None:
    status = invoice["status"]["id"]
    if status == "VOID":
        return "A void invoice cannot be edited"
    part_paid = status == "UNPAID" and Decimal(invoice["outstanding_amount"]) < Decimal(invoice["total_amount"])
    if status not in EDITABLE or part_paid:
        return (f"The invoice is {invoice['status']['displayed_as'].lower()}: unallocate its payments or credit "
                "notes before editing it")
    return None


def read_body(sim: Any, request: Request) -> Any:
    """The JSON body of a write (Decimal numbers), or the answer refusing it: 415 without
    ``application/json`` (``require_json_content_type``), 422 when it is not JSON."""
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if sim.require_json_content_type and content_type != "application/json":
        return sim._respond(415, [error(f"Content-Type must be application/json (got {content_type or 'nothing'})",
                                        "Content-Type", "UnsupportedMediaType")])
    try:
        return _json.loads_strict(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        return sim._respond(422, [error(f"The request body is not valid JSON: {exc}")])


def put_invoice(sim: Any, ident: str, request: Request) -> Response:
    invoice = sim.tables["sales_invoices"].by_id.get(ident)
    if invoice is None:
        return sim._respond(404, [error(f"sales_invoice '{ident}' was not found", "id", "RecordNotFound")])
    body = read_body(sim, request)
    if isinstance(body, Response):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("sales_invoice"), dict):
        return sim._respond(422, [error("param is missing or the value is empty: sales_invoice", "sales_invoice")])
    locked = _locked(invoice)
    if locked:
        return sim._respond(422, [error(locked, "status")])
    sent = body["sales_invoice"]
    current = _current(invoice)
    if "status_id" in sent and sent["status_id"] != current.get("status_id"):
        return sim._respond(501, {"message": "not simulated: changing status_id by an update (Sage Accounting "
                                             "simulator; DRAFT/PRO_FORMA are released by POST …/release)"})
    merged = {**body, "sales_invoice": {**current, **sent}}
    problems, record = create_invoice(
        merged, sim.tables, sim._builder, seed=sim.dataset.seed, now=sim.clock(),
        strict_decimals=sim.strict_decimal_strings, reject_unknown=sim.reject_unknown_properties,
        payment_days=sim.payment_days, replacing=invoice)
    if problems:
        return sim._respond(422, problems)
    sim.updated_invoices.append(record)
    return sim._respond(200, record)


def delete_contact(sim: Any, ident: str, request: Request) -> Response:
    contacts = sim.tables["contacts"]
    contact = contacts.by_id.get(ident)
    if contact is None:
        return sim._respond(404, [error(f"contact '{ident}' was not found", "id", "RecordNotFound")])
    used = [a["displayed_as"] for name in ("sales_invoices", "sales_quotes") for a in sim.tables[name].items
            if a["contact"]["id"] == ident]
    if used:
        return sim._respond(422, [error(
            f"{contact['displayed_as']} cannot be deleted: transactions are entered against it ({', '.join(used[:3])}"
            f"{', …' if len(used) > 3 else ''}); make it inactive instead", "id")])
    contacts.remove(ident)
    return Response(204, b"", [])


def record_payment(invoice: dict[str, Any], amount: str) -> None:
    """Sandbox helper: a customer receipt of ``amount`` allocated to the invoice (PART_PAID or PAID)."""
    outstanding = Decimal(invoice["outstanding_amount"]) - Decimal(amount)
    invoice["outstanding_amount"] = format(max(outstanding, Decimal(0)).quantize(Decimal("0.01")), "f")
    paid = outstanding <= 0
    invoice["status"] = {"id": "PAID" if paid else "PART_PAID", "displayed_as": "Paid" if paid else "Part Paid"}


UPDATES = {("sales_invoices", "PUT"): put_invoice, ("contacts", "DELETE"): delete_contact}
