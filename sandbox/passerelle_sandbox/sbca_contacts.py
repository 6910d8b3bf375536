"""Sage Business Cloud Accounting v3.1 simulator: ``POST /contacts`` (create a customer or vendor).

Body, as the API reference's ``postContacts`` defines it: ``{"contact": {name, contact_type_ids:
["CUSTOMER"|"VENDOR"], reference, main_address: {address_line_1, address_line_2, city, postal_code,
region, country_id}, main_contact_person: {name, email, telephone, mobile}, notes, locale, currency_id,
credit_limit, credit_days, tax_number}}``. Answers 201 with the contact, every attribute; the main contact
person's e-mail and telephone are the contact's ``email``/``telephone`` (what ``GET /contacts?email=``
matches). ``name`` and ``contact_type_ids`` are required; a ``reference`` already used by another contact
is refused (Sage keeps contact references unique). Problems: 422 with the documented error array.
Sources: developer.sage.com/accounting/reference/contacts (postContacts; mirrored in the generated
public clients' ``ContactsApi`` docs).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from passerelle_sandbox._http import Request, Response
from passerelle_sandbox.sbca_data import Table, iso, sage_id
from passerelle_sandbox.sbca_invoices import error
from passerelle_sandbox.sbca_updates import read_body

__all__ = ["CONTACT_FIELDS", "create_contact", "post_contact"]

CONTACT_FIELDS = frozenset({
    "name", "contact_type_ids", "reference", "main_address", "delivery_address", "main_contact_person",
    "notes", "locale", "currency_id", "credit_limit", "credit_days", "tax_number", "default_sales_ledger_account_id",
    "default_sales_tax_rate_id", "registered_number", "aux_reference",
})
CONTACT_TYPES = ("CUSTOMER", "VENDOR")


def _text(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    return value.strip() if isinstance(value, str) else ""


def create_contact(body: Any, contacts: Table, *, seed: int, now: datetime, currency: str,
                   reject_unknown: bool) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """(errors, None) when the body is refused, else ([], the stored contact)."""
    if not isinstance(body, dict) or not isinstance(body.get("contact"), dict):
        return [error("param is missing or the value is empty: contact", "contact")], None
    c = body["contact"]
    problems: list[dict[str, str]] = []
    if reject_unknown:
        problems += [error(f"unknown attribute '{k}' for contact", k) for k in c if k not in CONTACT_FIELDS]
    name = _text(c, "name")
    if not name:
        problems.append(error("name can't be blank", "name"))
    kinds = c.get("contact_type_ids")
    if not isinstance(kinds, list) or not kinds:
        problems.append(error("contact_type_ids can't be blank", "contact_type_ids"))
        kinds = []
    for kind in kinds:
        if kind not in CONTACT_TYPES:
            problems.append(error(f"contact_type_ids '{kind}' is not valid (CUSTOMER or VENDOR)", "contact_type_ids"))
    reference = _text(c, "reference")
    if reference and any(r["reference"] == reference for r in contacts.items):
        problems.append(error(f"reference '{reference}' has already been taken", "reference"))
    address = c.get("main_address") if isinstance(c.get("main_address"), dict) else {}
    person = c.get("main_contact_person") if isinstance(c.get("main_contact_person"), dict) else {}
    for part, obj in (("main_address", c.get("main_address")), ("main_contact_person", c.get("main_contact_person"))):
        if obj is not None and not isinstance(obj, dict):
            problems.append(error(f"{part} must be an object", part))
    if problems:
        return problems, None
    serial = len(contacts.items) + 1
    cid = sage_id(seed, "new-contact", serial)
    stamp = iso(now)
    record = {
        "id": cid, "displayed_as": f"{name} ({reference})" if reference else name, "name": name,
        "reference": reference,
        "contact_types": [{"id": k, "displayed_as": k.title(), "$path": f"/contact_types/{k}"} for k in kinds],
        "email": _text(person, "email"), "telephone": _text(person, "telephone"),
        "currency": {"id": _text(c, "currency_id") or currency, "displayed_as": _text(c, "currency_id") or currency},
        "main_address": {"address_line_1": _text(address, "address_line_1"),
                         "address_line_2": _text(address, "address_line_2"), "city": _text(address, "city"),
                         "postal_code": _text(address, "postal_code"), "region": _text(address, "region"),
                         "country": {"id": _text(address, "country_id"), "displayed_as": _text(address, "country_id")}},
        "main_contact_person": {"name": _text(person, "name") or name, "email": _text(person, "email"),
                                "telephone": _text(person, "telephone"), "mobile": _text(person, "mobile"),
                                "is_main_contact": True},
        "balance": "0.00", "credit_limit": "0.00", "credit_days": c.get("credit_days") or 30,
        "locale": _text(c, "locale") or "en", "notes": _text(c, "notes"), "tax_number": _text(c, "tax_number"),
        "created_at": stamp, "updated_at": stamp}
    return [], contacts.add(record)


def post_contact(sim: Any, request: Request) -> Response:
    """``POST /contacts`` on a :class:`~passerelle_sandbox.sage_accounting.SageAccountingSim` (called under its
    lock): 415 for a body that is not JSON, 422 + the error array, or 201 + the contact."""
    body = read_body(sim, request)
    if isinstance(body, Response):
        return body
    problems, record = create_contact(body, sim.tables["contacts"], seed=sim.dataset.seed, now=sim.clock(),
                                      currency=sim.currency, reject_unknown=sim.reject_unknown_properties)
    if problems:
        return sim._respond(422, problems)
    sim.created_contacts.append(record)
    return sim._respond(201, record)
