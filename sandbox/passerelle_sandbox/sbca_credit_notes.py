"""Sage Business Cloud Accounting v3.1 simulator: ``POST /sales_credit_notes``.

Body, as the API reference's ``postSalesCreditNotes`` defines it (developer.sage.com/accounting/reference/
invoicing-sales; the generated public clients' ``PostSalesCreditNotesSalesCreditNote`` model):
``{"sales_credit_note": {contact_id, date, original_invoice_date, reference, notes, credit_note_number,
credit_note_lines: [{description, ledger_account_id, quantity, unit_price, tax_rate_id, tax_amount,
discount_amount, product_id}], shipping_net_amount, shipping_tax_rate_id, shipping_tax_amount}}``;
``contact_id``, ``date`` and ``credit_note_lines`` are required. Lines are checked and computed exactly as an
invoice's (:mod:`.sbca_invoices`: ledger account visible in sales, the business's tax rates, net = quantity ×
unit price − discount, tax from the rate unless sent) with positive amounts: the type makes it a credit.
Answers 201 with the credit note (``credit_note_number`` ``SCN-n``, status UNPAID, ``outstanding_amount`` =
total: what a customer refund may then be allocated, :mod:`.sbca_payments`).

The link to the invoice: the API has no ``original_invoice_id``; a credit note names its invoice through
``original_invoice_date`` (and, by the consultant's convention, its reference or notes), and is set against
it by an allocation (``contact_allocations``, not simulated: 501). Problems: 422 with the error array.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.sbca_data import money, sage_id
from passerelle_sandbox.sbca_invoices import _Checker, _line, error, line_list, shipping
from passerelle_sandbox.sbca_updates import read_body

__all__ = ["CREDIT_NOTE_FIELDS", "post_credit_note"]

CREDIT_NOTE_FIELDS = frozenset({
    "contact_id", "date", "original_invoice_date", "reference", "notes", "credit_note_number", "credit_note_lines",
    "shipping_net_amount", "shipping_tax_rate_id", "shipping_tax_amount", "currency_id", "contact_name",
    "contact_reference", "terms_and_conditions", "main_address", "delivery_address", "status_id",
})


def post_credit_note(sim: Any, request: Request) -> Response:
    body = read_body(sim, request)
    if isinstance(body, Response):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("sales_credit_note"), dict):
        return sim._respond(422, [error("param is missing or the value is empty: sales_credit_note",
                                        "sales_credit_note")])
    note = body["sales_credit_note"]
    tables, notes = sim.tables, sim.tables["sales_credit_notes"]
    check = _Checker(sim.strict_decimal_strings)
    if sim.reject_unknown_properties:
        for key in note:
            if key not in CREDIT_NOTE_FIELDS:
                check.fail(key, f"unknown attribute '{key}' for sales_credit_note")
    contact = check.ref(tables["contacts"], note, "contact_id", "contact_id", "", required=True)
    if contact is not None and "CUSTOMER" not in {t["id"] for t in contact["contact_types"]}:
        check.fail("contact_id", f"contact_id '{contact['id']}' is not a customer")
    day = check.day(note, "date", required=True)
    original = check.day(note, "original_invoice_date", required=False)
    if day and original and original > day:
        check.fail("original_invoice_date", "original_invoice_date must be on or before date")
    for name in ("reference", "notes", "credit_note_number"):
        if note.get(name) is not None and not isinstance(note[name], str):
            check.fail(name, f"{name} must be a string")
    number = note.get("credit_note_number") if isinstance(note.get("credit_note_number"), str) else None
    if number and any(n.get("credit_note_number") == number for n in notes.items):
        check.fail("credit_note_number", f"credit_note_number '{number}' has already been taken")
    if note.get("status_id") not in (None, "DRAFT"):
        check.fail("status_id", f"status_id '{note['status_id']}' is not valid (DRAFT)")
    ship_net, ship_tax, ship_rate = shipping(check, tables, note, minimum=Decimal(0))
    raw = line_list(check, note, "credit_note_lines")
    serial = len(notes.items) + 1
    lines = []
    for index, line in enumerate(raw):
        before = len(check.errors)
        built = _line(check, tables, sim._builder, line, index,
                      sage_id(sim.dataset.seed, "new-credit-line", f"{serial}:{index}"), sim.reject_unknown_properties)
        for item in check.errors[before:]:  # the invoice line checks, named as credit note lines
            item["$message"] = item["$message"].replace("invoice_lines", "credit_note_lines")
            item["$source"] = item.get("$source", "").replace("invoice_lines", "credit_note_lines")
        if built is not None:
            if Decimal(built["net_amount"]) < 0:
                check.fail("credit_note_lines.unit_price", f"credit_note_lines[{index}]: the net amount must not be "
                           "negative (the credit note's type makes it a credit)")
            lines.append(built)
    if check.errors:
        return sim._respond(422, check.errors)
    assert contact is not None and day is not None
    now = sim.clock()
    number = number or f"SCN-{serial}"
    record = sim._builder.artefact(
        sage_id(sim.dataset.seed, "new-credit-note", serial), "credit_note", number, contact=contact,
        day=day.isoformat(), due=day.isoformat(), reference=note.get("reference"), lines=lines,
        shipping=(ship_net, Decimal(money(ship_tax)), ship_rate), status="UNPAID", created=now, updated=now,
        notes=note.get("notes") or "")
    record.pop("expiry_date", None)
    record["transaction_type"] = {"id": "SALES_CREDIT_NOTE", "displayed_as": "Sales Credit Note"}
    record["original_invoice_date"] = original.isoformat() if original else None
    record["outstanding_amount"] = record["total_amount"]
    record = notes.add(record)
    sim.created_credit_notes.append(record)
    return sim._respond(201, record)
