"""Sage Business Cloud Accounting v3.1 simulator: ``POST /contact_payments`` (customer receipts and refunds).

Body, as the API reference's ``postContactPayments`` defines it (developer.sage.com/accounting/reference/payments;
the generated public clients' ``PostContactPaymentsContactPayment`` model): ``{"contact_payment":
{transaction_type_id, contact_id, bank_account_id, date, total_amount, payment_method_id, reference,
currency_id, allocated_artefacts: [{artefact_id, amount, discount}]}}``; the first five are required.
``transaction_type_id`` is ``CUSTOMER_RECEIPT`` or ``CUSTOMER_REFUND`` here (``VENDOR_PAYMENT`` and
``VENDOR_REFUND`` exist: purchases are not simulated, 501). Answers 201 with the payment, every attribute.

Allocation (developer.sage.com/accounting/guides/concepts/payments: a contact payment "may be allocated to
any number of invoices or credit notes, and may be unallocated (payment on account)"): a receipt allocates
to the contact's sales invoices, a refund to its sales credit notes; each allocation reduces the artefact's
``outstanding_amount``, whose status becomes ``PART_PAID`` then ``PAID``. Refused with 422 ``RecordInvalid``
[assumption: the status and the wording; the rule is Sage's, which never lets an artefact be allocated more
than it owes]: an artefact unknown, of another contact or of the wrong kind; an amount not above 0; an
amount above the artefact's outstanding amount (over-allocation); allocations adding up to more than
``total_amount``. What is not allocated stays on the contact's account [assumption]. Every problem at once.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.sbca_data import Table, iso, link, money, sage_id
from passerelle_sandbox.sbca_invoices import _Checker, error
from passerelle_sandbox.sbca_updates import read_body

__all__ = ["PAYMENT_FIELDS", "PAYMENT_METHODS", "allocate", "bank_account", "post_payment"]

PAYMENT_FIELDS = frozenset({
    "transaction_type_id", "contact_id", "bank_account_id", "date", "total_amount", "payment_method_id",
    "net_amount", "tax_amount", "currency_id", "exchange_rate", "reference", "tax_rate_id",
    "allocated_artefacts", "payment_on_account", "base_currency_net_amount", "base_currency_tax_amount",
    "base_currency_total_amount", "base_currency_currency_charge",
})
# GET /payment_methods of a UK business [assumption: the ids of the methods a UK business offers]
PAYMENT_METHODS = {"BANK_TRANSFER": "Bank Transfer", "CASH": "Cash", "CHEQUE": "Cheque",
                   "CREDIT_DEBIT": "Credit/Debit Card", "ALTERNATIVE_PAYMENT": "Alternative Payment"}
# receipt -> what it may be allocated to
KINDS = {"CUSTOMER_RECEIPT": ("sales_invoices", "Customer Receipt"),
         "CUSTOMER_REFUND": ("sales_credit_notes", "Customer Refund")}
D0 = Decimal(0)


def bank_account(seed: int, currency: str, ledger: dict[str, Any] | None, created: str) -> dict[str, Any]:
    """The business's current account (``GET /bank_accounts``), on the chart's BANK ledger account."""
    return {"id": sage_id(seed, "bank", "current"), "displayed_as": "Current (1200)",
            "bank_account_type": {"id": "CHECKING", "displayed_as": "Current"},
            "bank_account_details": {"account_name": "Current", "account_number": "12345678", "sort_code": "40-00-01"},
            "ledger_account": link(ledger) if ledger else None, "nominal_code": 1200, "balance": "0.00",
            "currency": {"id": currency, "displayed_as": currency}, "editable": True,
            "created_at": created, "updated_at": created}


def allocate(artefact: dict[str, Any], amount: Decimal) -> None:
    """Reduce what an invoice or credit note owes by ``amount``: PART_PAID, then PAID at 0."""
    left = Decimal(artefact["outstanding_amount"]) - amount
    artefact["outstanding_amount"] = money(max(left, D0))
    paid = left <= 0
    artefact["status"] = {"id": "PAID" if paid else "PART_PAID", "displayed_as": "Paid" if paid else "Part Paid"}


def _allocations(check: _Checker, raw: Any, table: Table, contact_id: str | None, total: Decimal | None,
                 kind: str) -> list[tuple[dict[str, Any], Decimal]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.fail("allocated_artefacts", "allocated_artefacts must be a list")
        return []
    found: list[tuple[dict[str, Any], Decimal]] = []
    for index, item in enumerate(raw):
        where = f"allocated_artefacts[{index}]: "
        if not isinstance(item, dict):
            check.fail("allocated_artefacts", f"{where}each allocation must be an object")
            continue
        artefact = check.ref(table, item, "artefact_id", "allocated_artefacts.artefact_id", where, required=True)
        amount = check.decimal(item, "amount", "allocated_artefacts.amount", where, required=True)
        if artefact is None or amount is None:
            continue
        if contact_id and artefact["contact"]["id"] != contact_id:
            check.fail("allocated_artefacts.artefact_id", f"{where}{artefact['displayed_as']} belongs to another contact")
        elif amount <= 0:
            check.fail("allocated_artefacts.amount", f"{where}amount must be greater than 0")
        elif amount > Decimal(artefact["outstanding_amount"]) - sum((a for x, a in found if x is artefact), D0):
            check.fail("allocated_artefacts.amount",
                       f"{where}amount {money(amount)} is more than the {money(Decimal(artefact['outstanding_amount']))} "
                       f"outstanding on {artefact['displayed_as']}")
        else:
            found.append((artefact, amount))
    if total is not None and sum((a for _, a in found), D0) > total:
        check.fail("allocated_artefacts", f"the allocations add up to more than total_amount {money(total)} ({kind})")
    return found


def post_payment(sim: Any, request: Request) -> Response:
    body = read_body(sim, request)
    if isinstance(body, Response):
        return body
    if not isinstance(body, dict) or not isinstance(body.get("contact_payment"), dict):
        return sim._respond(422, [error("param is missing or the value is empty: contact_payment", "contact_payment")])
    pay = body["contact_payment"]
    kind = pay.get("transaction_type_id")
    if kind in ("VENDOR_PAYMENT", "VENDOR_REFUND"):
        return sim._respond(501, {"message": f"not simulated: {kind} (Sage Accounting simulator: no purchases)"})
    check = _Checker(sim.strict_decimal_strings)
    if sim.reject_unknown_properties:
        for key in pay:
            if key not in PAYMENT_FIELDS:
                check.fail(key, f"unknown attribute '{key}' for contact_payment")
    if kind not in KINDS:
        check.fail("transaction_type_id", f"transaction_type_id '{kind}' is not valid" if kind
                   else "transaction_type_id can't be blank")
    contact = check.ref(sim.tables["contacts"], pay, "contact_id", "contact_id", "", required=True)
    bank = check.ref(sim.tables["bank_accounts"], pay, "bank_account_id", "bank_account_id", "", required=True)
    day = check.day(pay, "date", required=True)
    total = check.decimal(pay, "total_amount", "total_amount", "", required=True)
    if total is not None and total <= 0:
        check.fail("total_amount", "total_amount must be greater than 0")
    method = pay.get("payment_method_id")
    if method is not None and method not in PAYMENT_METHODS:
        check.fail("payment_method_id", f"payment_method_id '{method}' does not exist")
    if pay.get("reference") is not None and not isinstance(pay["reference"], str):
        check.fail("reference", "reference must be a string")
    table_name, label = KINDS.get(kind, ("sales_invoices", ""))
    found = _allocations(check, pay.get("allocated_artefacts"), sim.tables[table_name],
                         contact["id"] if contact else None, total, label or str(kind))
    if check.errors:
        return sim._respond(422, check.errors)
    assert contact is not None and bank is not None and day is not None and total is not None
    table = sim.tables["contact_payments"]
    now = iso(sim.clock())
    pid = sage_id(sim.dataset.seed, "new-payment", len(table.items) + 1)
    for artefact, amount in found:
        allocate(artefact, amount)
        sim.tables[table_name].touch(artefact["id"], now)
    allocated = sum((a for _, a in found), D0)
    record = table.add({
        "id": pid, "displayed_as": pay.get("reference") or label, "transaction_type": {"id": kind, "displayed_as": label},
        "payment_method": {"id": method, "displayed_as": PAYMENT_METHODS[method]} if method else None,
        "contact": link(contact), "bank_account": link(bank), "date": day.isoformat(), "reference": pay.get("reference"),
        "net_amount": money(total), "tax_amount": "0.00", "total_amount": money(total),
        "currency": {"id": sim.currency, "displayed_as": sim.currency}, "exchange_rate": "1.0",
        "allocated_artefacts": [{"id": sage_id(sim.dataset.seed, "allocation", f"{pid}:{i}"),
                                 "artefact": link(a), "amount": money(amount), "discount": "0.00"}
                                for i, (a, amount) in enumerate(found)],
        "payment_on_account": ({"contact_name": contact["name"], "total_amount": money(total - allocated)}
                               if total > allocated else None),
        "editable": True, "deletable": True, "created_at": now, "updated_at": now})
    sim.created_payments.append(record)
    return sim._respond(201, record)
