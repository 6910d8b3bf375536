"""Sage Business Cloud Accounting v3.1 simulator: ``POST /sales_invoices`` checks and creation.

Body: ``{"sales_invoice": {contact_id, date, invoice_lines: [{description, ledger_account_id, quantity,
unit_price, tax_rate_id, discount_amount, tax_amount, product_id…}], reference, due_date, notes,
invoice_number, shipping_net_amount, shipping_tax_rate_id, status_id}}``. Every problem is reported at
once as the documented error array (422)::

    [{"$severity": "error", "$dataCode": "RecordInvalid", "$message": "…", "$source": "invoice_lines.tax_rate_id"}]

Line arithmetic: net = round(quantity × unit_price − discount_amount, 2); tax = the line's ``tax_amount``
when sent, else round(net × rate / 100, 2); total = net + tax. The invoice adds shipping (tax from
``shipping_tax_rate_id``). ``status_id`` DRAFT or PRO_FORMA (no ledger transaction) or absent (UNPAID).
Decimals may be strings (as Sage asks) or JSON numbers unless ``strict_decimal_strings``. A product line
takes its ledger account and tax rate from the product when they are not sent. The same ``reference``
may be used twice (no de-duplication): look the invoice up before retrying a create.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from passerelle_sandbox.sbca_data import Table, money, sage_id

__all__ = ["HEADER_FIELDS", "LINE_FIELDS", "error", "create_invoice"]

HEADER_FIELDS = frozenset({
    "contact_id", "date", "due_date", "reference", "notes", "invoice_number", "invoice_lines",
    "shipping_net_amount", "shipping_tax_rate_id", "shipping_tax_amount", "status_id", "currency_id",
    "contact_name", "contact_reference", "vendor_reference", "terms_and_conditions", "main_address",
    "delivery_address",
})
LINE_FIELDS = frozenset({
    "description", "ledger_account_id", "quantity", "unit_price", "tax_rate_id", "discount_amount",
    "tax_amount", "product_id", "service_id", "net_amount", "total_amount", "unit_price_includes_tax",
    "discount_percentage",
})
STATUSES = ("DRAFT", "PRO_FORMA")


def error(message: str, source: str = "", code: str = "RecordInvalid") -> dict[str, str]:
    item = {"$severity": "error", "$dataCode": code, "$message": message}
    if source:
        item["$source"] = source
    return item


class _Checker:
    def __init__(self, strict_decimals: bool) -> None:
        self.strict = strict_decimals
        self.errors: list[dict[str, str]] = []

    def fail(self, source: str, message: str) -> None:
        self.errors.append(error(message, source))

    def decimal(self, obj: dict[str, Any], name: str, source: str, where: str, required: bool = False,
                minimum: Decimal | None = None) -> Decimal | None:
        if obj.get(name) is None or obj.get(name) == "":
            if required:
                self.fail(source, f"{where}{name} can't be blank")
            return None
        raw = obj[name]
        if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal, float)):
            self.fail(source, f"{where}{name} is not a number")
            return None
        if self.strict and not isinstance(raw, str):
            self.fail(source, f"{where}{name} must be sent as a string with 2 decimal places, e.g. \"10.00\"")
            return None
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.fail(source, f"{where}{name} '{raw}' is not a number")
            return None
        if minimum is not None and value < minimum:
            self.fail(source, f"{where}{name} must be greater than or equal to {minimum}")
            return None
        return value

    def day(self, obj: dict[str, Any], name: str, required: bool) -> date | None:
        raw = obj.get(name)
        if raw is None or raw == "":
            if required:
                self.fail(name, f"{name} can't be blank")
            return None
        try:
            return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else _bad()
        except ValueError:
            self.fail(name, f"{name} '{raw}' is not a valid date (YYYY-MM-DD)")
            return None

    def ref(self, table: Table, obj: dict[str, Any], name: str, source: str, where: str,
            required: bool = False) -> dict[str, Any] | None:
        raw = obj.get(name)
        if raw is None or raw == "":
            if required:
                self.fail(source, f"{where}{name} can't be blank")
            return None
        found = table.by_id.get(raw) if isinstance(raw, str) else None
        if found is None:
            self.fail(source, f"{where}{name} '{raw}' does not exist")
        return found


def _bad() -> date:
    raise ValueError("not a date")


def create_invoice(body: Any, tables: dict[str, Table], builder: Any, *, seed: int, now: datetime,
                   strict_decimals: bool, reject_unknown: bool, payment_days: int,
                   replacing: dict[str, Any] | None = None) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """(errors, None) when the body is refused, else ([], the stored invoice). With ``replacing`` (an update:
    :mod:`.sbca_updates` merged the invoice's current values into ``body``) that invoice is rewritten in place,
    keeping its id and creation time."""
    if not isinstance(body, dict) or not isinstance(body.get("sales_invoice"), dict):
        return [error("param is missing or the value is empty: sales_invoice", "sales_invoice")], None
    inv = body["sales_invoice"]
    check = _Checker(strict_decimals)
    if reject_unknown:
        for key in body:
            if key != "sales_invoice":
                check.fail(key, f"unknown attribute '{key}'")
        for key in inv:
            if key not in HEADER_FIELDS:
                check.fail(key, f"unknown attribute '{key}' for sales_invoice")
    contacts, invoices = tables["contacts"], tables["sales_invoices"]
    contact = check.ref(contacts, inv, "contact_id", "contact_id", "", required=True)
    if contact is not None and "CUSTOMER" not in {t["id"] for t in contact["contact_types"]}:
        check.fail("contact_id", f"contact_id '{contact['id']}' is not a customer")
    day = check.day(inv, "date", required=True)
    due = check.day(inv, "due_date", required=False)
    if day and due and due < day:
        check.fail("due_date", "due_date must be on or after date")
    for name in ("reference", "notes", "invoice_number"):
        if inv.get(name) is not None and not isinstance(inv[name], str):
            check.fail(name, f"{name} must be a string")
    number = inv.get("invoice_number") if isinstance(inv.get("invoice_number"), str) else None
    if number and any(i.get("invoice_number") == number and i is not replacing for i in invoices.items):
        check.fail("invoice_number", f"invoice_number '{number}' has already been taken")
    status = inv.get("status_id") or "UNPAID"
    if inv.get("status_id") is not None and inv["status_id"] not in STATUSES:
        check.fail("status_id", f"status_id '{inv['status_id']}' is not valid (DRAFT or PRO_FORMA)")
    ship_net, ship_tax, ship_rate = shipping(check, tables, inv)
    raw_lines = line_list(check, inv, "invoice_lines")
    serial: object = len(invoices.items) + 1 if replacing is None else f"{replacing['id']}:{invoices.version}"
    lines = []
    for index, line in enumerate(raw_lines):
        built = _line(check, tables, builder, line, index, sage_id(seed, "new-line", f"{serial}:{index}"),
                      reject_unknown)
        if built is not None:
            lines.append(built)
    if check.errors:
        return check.errors, None
    if not number:
        number = f"SI-{builder.next_invoice_number}"
    if replacing is None or number != replacing.get("invoice_number"):
        builder.next_invoice_number = max(builder.next_invoice_number, _number_of(number)) + 1
    due = due or day + timedelta(days=payment_days)
    record = builder.artefact(
        sage_id(seed, "new-invoice", serial) if replacing is None else replacing["id"], "invoice", number,
        contact=contact, day=day.isoformat(), due=due.isoformat(), reference=inv.get("reference"), lines=lines,
        shipping=(ship_net, Decimal(money(ship_tax)), ship_rate), status=status, created=now, updated=now,
        notes=inv.get("notes") or "")
    if replacing is None:
        return [], invoices.add(record)
    replacing.update({**record, "created_at": replacing["created_at"]})
    return [], invoices.touch(replacing["id"], record["updated_at"])


def shipping(check: _Checker, tables: dict[str, Table], obj: dict[str, Any],
             minimum: Decimal | None = None) -> tuple[Decimal, Decimal, dict[str, Any] | None]:
    """An artefact's shipping: net amount, tax (sent, else from the rate) and tax rate."""
    net = check.decimal(obj, "shipping_net_amount", "shipping_net_amount", "", minimum=minimum) or Decimal(0)
    rate = check.ref(tables["tax_rates"], obj, "shipping_tax_rate_id", "shipping_tax_rate_id", "")
    tax = check.decimal(obj, "shipping_tax_amount", "shipping_tax_amount", "")
    if tax is None:
        tax = net * Decimal(rate["percentage"]) / 100 if rate else Decimal(0)
    return net, tax, rate


def line_list(check: _Checker, obj: dict[str, Any], name: str) -> list[Any]:
    raw = obj.get(name)
    if not isinstance(raw, list) or not raw:
        check.fail(name, f"{name} can't be blank (at least one line is required)")
        return []
    return raw


def _number_of(number: str) -> int:
    digits = "".join(ch for ch in number.rsplit("-", 1)[-1] if ch.isdigit())
    return int(digits) if digits else 0


def _line(check: _Checker, tables: dict[str, Table], builder: Any, line: Any, index: int, lid: str,
          reject_unknown: bool) -> dict[str, Any] | None:
    where = f"invoice_lines[{index}]: "
    if not isinstance(line, dict):
        check.fail("invoice_lines", f"{where}each line must be an object")
        return None
    before = len(check.errors)
    if reject_unknown:
        for key in line:
            if key not in LINE_FIELDS:
                check.fail(f"invoice_lines.{key}", f"{where}unknown attribute '{key}'")
    description = line.get("description")
    if not isinstance(description, str) or not description.strip():
        check.fail("invoice_lines.description", f"{where}description can't be blank")
    if line.get("service_id") not in (None, ""):
        check.fail("invoice_lines.service_id", f"{where}service_id '{line['service_id']}' does not exist")
    product = check.ref(tables["products"], line, "product_id", "invoice_lines.product_id", where)
    ledger = check.ref(tables["ledger_accounts"], line, "ledger_account_id", "invoice_lines.ledger_account_id",
                       where, required=product is None and not line.get("product_id"))
    if ledger is not None and not ledger.get("visible_in_sales"):
        check.fail("invoice_lines.ledger_account_id", f"{where}ledger account {ledger['displayed_as']} "
                   "cannot be used on sales")
    rate = check.ref(tables["tax_rates"], line, "tax_rate_id", "invoice_lines.tax_rate_id", where,
                     required=product is None and not line.get("product_id"))
    quantity = check.decimal(line, "quantity", "invoice_lines.quantity", where, required=True)
    price = check.decimal(line, "unit_price", "invoice_lines.unit_price", where, required=True)
    discount = check.decimal(line, "discount_amount", "invoice_lines.discount_amount", where,
                             minimum=Decimal(0)) or Decimal(0)
    tax = check.decimal(line, "tax_amount", "invoice_lines.tax_amount", where)
    if len(check.errors) > before:
        return None
    if product is not None:
        ledger = ledger or tables["ledger_accounts"].by_id[product["sales_ledger_account"]["id"]]
        rate = rate or tables["tax_rates"].by_id[product["sales_tax_rate"]["id"]]
    return builder.line(lid, description.strip(), product, ledger, quantity, price, discount, rate, tax)
