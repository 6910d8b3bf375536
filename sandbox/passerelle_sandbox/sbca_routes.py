"""Sage Business Cloud Accounting v3.1 simulator: the creates (``POST /{resource}``) by resource, and the
resources added to the data set's tables (the current bank account, payments and credit notes, empty)."""
from __future__ import annotations

from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.sbca_contacts import post_contact
from passerelle_sandbox.sbca_credit_notes import post_credit_note
from passerelle_sandbox.sbca_invoices import create_invoice
from passerelle_sandbox.sbca_payments import bank_account, post_payment
from passerelle_sandbox.sbca_updates import read_body

__all__ = ["CREATES", "NOT_SIMULATED", "WRITES_NOT_SIMULATED", "seed_bank_accounts"]


def post_invoice(sim: Any, request: Request) -> Response:
    body = read_body(sim, request)
    if isinstance(body, Response):
        return body
    problems, record = create_invoice(
        body, sim.tables, sim._builder, seed=sim.dataset.seed, now=sim.clock(),
        strict_decimals=sim.strict_decimal_strings, reject_unknown=sim.reject_unknown_properties,
        payment_days=sim.payment_days)
    if problems:
        return sim._respond(422, problems)
    sim.created_invoices.append(record)
    return sim._respond(201, record)


def seed_bank_accounts(sim: Any) -> None:
    """The current account on the chart's first BANK ledger account (the sandbox's 1200 or 512000)."""
    ledger = next((a for a in sim.tables["ledger_accounts"].items if a["ledger_account_type"]["id"] == "BANK"), None)
    sim.tables["bank_accounts"].add(bank_account(sim.dataset.seed, sim.currency, ledger, "2023-01-02T08:00:00Z"))


CREATES = {"sales_invoices": post_invoice, "contacts": post_contact, "contact_payments": post_payment,
           "sales_credit_notes": post_credit_note}
# resources of the real API the flows may meet that the simulator does not hold (answered 501)
NOT_SIMULATED = frozenset({"contact_allocations", "other_payments", "purchase_invoices", "purchase_credit_notes"})
# the catalogue is read-only here: its writes (POST, PUT, DELETE) are answered 501
WRITES_NOT_SIMULATED = frozenset({"products", "product_sales_price_types", "stock_items"})
