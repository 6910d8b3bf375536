"""Sage Business Cloud Accounting v3.1 simulator: the shared data set in Sage's shapes, and list queries.

Shapes follow the Accounting API v3.1: objects carry ``id`` (32 hex digits, or a code such as ``FR_STANDARD`` for tax
rates), ``displayed_as`` and ``$path``; links to other objects are ``{id, displayed_as, $path}``; money and
quantities are strings with 2 decimal places; timestamps are ISO 8601 UTC (``2024-05-14T08:21:09Z``).

Conversions from :mod:`.dataset` (so every simulator agrees): customers → contacts of type CUSTOMER
(``reference`` = the Sage customer code ``WEB000056``), plus a few VENDOR contacts; articles → products
(``item_code`` = the article reference); taxes → tax rates; orders → sales invoices and (every fifth
order) sales quotes, whose ``reference`` is the shop order reference.

:class:`Table` holds one resource in creation order with an id index and a per-query cache, so paging
10,000 invoices costs one filter pass per distinct query, not one per page.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from passerelle_sandbox.dataset import Dataset, Order, q2

__all__ = ["Table", "build_tables", "iso", "link", "money", "parse_since", "sage_id"]

TAX_KINDS = {"S_20": "STANDARD", "S_10": "INTERMEDIATE", "S_5": "REDUCED", "S_2": "SUPER_REDUCED",
             "EXO": "ZERO"}
LEDGER_ACCOUNTS = (  # nominal code, name, ledger_account_type id (a French chart; sales accounts first)
    (707000, "Ventes de marchandises", "SALES"),
    (706000, "Prestations de services", "SALES"),
    (708500, "Ports et frais accessoires facturés", "SALES"),
    (411000, "Clients", "CURRENT_ASSETS"),
    (445710, "TVA collectée", "CURRENT_LIABILITY"),
    (512000, "Banque", "BANK"),
)
VENDORS = (("FOURN01", "Textiles du Nord SARL", "contact@textiles-nord.example.test"),
           ("FOURN02", "Brûlerie Lyonnaise", "ventes@brulerie.example.test"),
           ("FOURN03", "Imprimerie Moderne", "devis@imprimerie.example.test"))


def sage_id(seed: int, kind: str, key: object) -> str:
    """A stable 32-hex id (Sage ids are GUIDs without dashes)."""
    return hashlib.md5(f"sbca:{seed}:{kind}:{key}".encode()).hexdigest()


def money(value: Decimal) -> str:
    """Decimals are strings with 2 dp, as the API writes them."""
    return format(q2(Decimal(value)), "f")


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def link(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "displayed_as": record["displayed_as"], "$path": record["$path"]}


def parse_since(text: str) -> datetime:
    """``2019-03-19`` (midnight UTC) or a date-time with ``Z``/an offset; naive date-times are UTC."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class Table:
    """One resource: records in creation order, by id, with their change stamps and a query cache."""

    name: str
    search_fields: tuple[str, ...]
    filters: dict[str, Callable[[dict[str, Any], str], bool]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    stamps: dict[str, datetime] = field(default_factory=dict)
    version: int = 0
    _cache: dict[tuple, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def add(self, fields: dict[str, Any]) -> dict[str, Any]:
        record = {"id": fields["id"], "displayed_as": fields["displayed_as"], "$path": f"/{self.name}/{fields['id']}"}
        record.update(fields)
        self.items.append(record)
        self.by_id[record["id"]] = record
        self.stamps[record["id"]] = parse_since(record["updated_at"])
        self.version += 1
        self._cache.clear()
        return record

    def remove(self, record_id: str) -> None:
        self.items.remove(self.by_id.pop(record_id))
        del self.stamps[record_id]
        self.version += 1
        self._cache.clear()

    def touch(self, record_id: str, stamp: str) -> dict[str, Any]:
        record = self.by_id[record_id]
        record["updated_at"] = stamp
        self.stamps[record_id] = parse_since(stamp)
        self.version += 1
        self._cache.clear()
        return record

    def query(self, params: dict[str, str], since_inclusive: bool, search_mode: str) -> list[dict[str, Any]]:
        """Records matching ``updated_or_created_since``, ``search`` and the resource's own filters
        (unknown parameters are ignored). Raises ValueError("param") for an unreadable value."""
        key = tuple(sorted((k, v) for k, v in params.items()
                           if k in self.filters or k in ("search", "updated_or_created_since")))
        cached = self._cache.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        found = self.items
        since = params.get("updated_or_created_since")
        if since is not None:
            try:
                cut = parse_since(since)
            except ValueError:
                raise ValueError("updated_or_created_since") from None
            stamps = self.stamps
            found = [r for r in found if (stamps[r["id"]] >= cut if since_inclusive else stamps[r["id"]] > cut)]
        if params.get("search"):
            needle = params["search"].casefold()
            found = [r for r in found if any(_matches(r.get(f), needle, search_mode) for f in self.search_fields)]
        for name, test in self.filters.items():
            if name in params:
                try:
                    found = [r for r in found if test(r, params[name])]
                except ValueError:
                    raise ValueError(name) from None
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = (self.version, found)
        return found


def _matches(value: Any, needle: str, mode: str) -> bool:
    if value is None:
        return False
    text = str(value).casefold()
    return text == needle if mode == "exact" else text.startswith(needle) if mode == "prefix" else needle in text


def _date_filter(field_name: str, after: bool) -> Callable[[dict[str, Any], str], bool]:
    def test(record: dict[str, Any], value: str) -> bool:
        bound = date.fromisoformat(value.strip()[:10])
        when = date.fromisoformat(record[field_name])
        return when >= bound if after else when <= bound
    return test


def _tables() -> dict[str, Table]:
    artefact = {"contact_id": lambda r, v: r["contact"]["id"] == v,
                "status_id": lambda r, v: r["status"]["id"].casefold() == v.casefold(),
                "from_date": _date_filter("date", True), "to_date": _date_filter("date", False)}
    return {
        "contacts": Table("contacts", ("name", "reference", "email"), {
            "contact_type_id": lambda r, v: v.upper() in {t["id"] for t in r["contact_types"]},
            "email": lambda r, v: (r.get("email") or "").casefold() == v.casefold()}),
        "products": Table("products", ("item_code", "description")),
        "tax_rates": Table("tax_rates", ("name",)),
        "ledger_accounts": Table("ledger_accounts", ("name", "nominal_code"), {
            "ledger_account_type_id": lambda r, v: r["ledger_account_type"]["id"].casefold() == v.casefold()}),
        "sales_invoices": Table("sales_invoices", ("invoice_number", "reference", "contact_name"), artefact),
        "sales_quotes": Table("sales_quotes", ("quote_number", "reference", "contact_name"), dict(artefact)),
        "sales_credit_notes": Table("sales_credit_notes", ("credit_note_number", "reference", "contact_name"),
                                    dict(artefact)),
        "contact_payments": Table("contact_payments", (), {  # no `search` (getContactPayments)  # sbca_payments
            **{k: artefact[k] for k in ("contact_id", "from_date", "to_date")},
            "transaction_type_id": lambda r, v: r["transaction_type"]["id"].casefold() == v.casefold(),
            "bank_account_id": lambda r, v: r["bank_account"]["id"] == v}),
        "bank_accounts": Table("bank_accounts", ("displayed_as",)),
    }


class _Builder:
    def __init__(self, ds: Dataset, tz: ZoneInfo, tax_rate_ids: dict[str, str], ledger_accounts: tuple,
                 currency: str) -> None:
        self.ds, self.tz, self.tax_rate_ids, self.currency = ds, tz, tax_rate_ids, currency
        self.ledger_accounts = ledger_accounts
        self.tables = _tables()
        self.next_invoice_number = 1

    def utc(self, local: str) -> datetime:
        return datetime.strptime(local, "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.tz).astimezone(timezone.utc)

    def sid(self, kind: str, key: object) -> str:
        return sage_id(self.ds.seed, kind, key)

    def build(self, seed_invoices: bool) -> dict[str, Table]:
        t = self.tables
        created = datetime(2023, 1, 2, 8, 0, tzinfo=timezone.utc)
        for tax in self.ds.taxes:
            kind = TAX_KINDS.get(tax.sage_code, tax.sage_code)
            name = kind.replace("_", " ").title()
            t["tax_rates"].add({
                "id": self.tax_rate_ids[tax.sage_code], "displayed_as": f"{name} {money(tax.rate)}%", "name": name,
                "agency": None, "percentage": money(tax.rate), "is_visible": True, "is_combined_rate": False,
                "percentages": [{"percentage": money(tax.rate), "from_date": "2014-01-01", "to_date": None}],
                "created_at": iso(created), "updated_at": iso(created)})
        for code, name, kind in self.ledger_accounts:
            t["ledger_accounts"].add({
                "id": self.sid("ledger", code), "displayed_as": f"{name} ({code})", "name": name,
                "display_name": name, "nominal_code": code, "visible_in_sales": kind == "SALES",
                "ledger_account_type": {"id": kind, "displayed_as": kind.replace("_", " ").title(),
                                        "$path": f"/ledger_account_types/{kind}"},
                "created_at": iso(created), "updated_at": iso(created)})
        sales = t["ledger_accounts"].items[0]
        taxes = {tax.id: t["tax_rates"].by_id[self.tax_rate_ids[tax.sage_code]] for tax in self.ds.taxes}
        for index, article in enumerate(self.ds.articles):
            stamp = iso(created + timedelta(minutes=index))
            t["products"].add({
                "id": self.sid("product", article.reference), "displayed_as": article.name,
                "item_code": article.reference, "description": article.name, "active": True,
                "catalog_item_type": {"id": "STOCK_ITEM", "displayed_as": "Stock",
                                      "$path": "/catalog_item_types/STOCK_ITEM"},
                "sales_prices": [{"id": self.sid("price", article.reference), "displayed_as": "Selling Price",
                                  "price_name": "Selling Price", "price": money(article.price),
                                  "price_includes_tax": False}],
                "cost_price": money(article.price * Decimal("0.45")), "barcode": article.ean13,
                "sales_ledger_account": link(sales), "sales_tax_rate": link(taxes[article.tax_id]),
                "quantity_in_stock": money(Decimal(article.stock_sage)),
                "created_at": stamp, "updated_at": stamp})
        for c in self.ds.customers:
            if not c.in_sage:
                continue
            when = self.utc(c.date_add)
            later = when + timedelta(hours=(c.id * 7919) % 9000, seconds=c.id)
            self._contact(self.sid("contact", c.sage_code), c.company or f"{c.firstname} {c.lastname}",
                          c.sage_code, "CUSTOMER", c.email, c.phone, (c.address1, c.city, c.postcode, c.country_iso),
                          when, later)
        for index, (ref, name, email) in enumerate(VENDORS):
            when = created + timedelta(days=index)
            self._contact(self.sid("contact", ref), name, ref, "VENDOR", email, "", ("", "", "", "FR"), when, when)
        if seed_invoices:
            for order in self.ds.orders:
                self._order(order, taxes, sales)
        return t

    def _contact(self, cid: str, name: str, ref: str, kind: str, email: str, phone: str,
                 address: tuple[str, str, str, str], created: datetime, updated: datetime) -> None:
        line1, city, postcode, country = address
        self.tables["contacts"].add({
            "id": cid, "displayed_as": f"{name} ({ref})", "name": name, "reference": ref,
            "contact_types": [{"id": kind, "displayed_as": kind.title(), "$path": f"/contact_types/{kind}"}],
            "email": email, "telephone": phone, "currency": {"id": self.currency, "displayed_as": self.currency},
            "main_address": {"address_line_1": line1, "city": city, "postal_code": postcode,
                             "country": {"id": country, "displayed_as": country}},
            "balance": "0.00", "credit_limit": "0.00", "credit_days": 30, "locale": "fr", "notes": "",
            "created_at": iso(created), "updated_at": iso(updated)})

    def _order(self, order: Order, taxes: dict[int, dict[str, Any]], sales: dict[str, Any]) -> None:
        customer = self.tables["contacts"].by_id.get(self.sid("contact", f"WEB{order.customer_id:06d}"))
        if customer is None:
            return
        lines = []
        for line in order.lines:
            product = self.tables["products"].by_id.get(self.sid("product", line.reference))
            lines.append(self.line(self.sid("line", line.id), line.name, product, sales, Decimal(line.quantity),
                                   line.price, line.price * line.quantity - line.total_excl, taxes[line.tax_id],
                                   line.total_incl - line.total_excl))
        if order.voucher:
            v = order.voucher
            lines.append(self.line(self.sid("voucher", order.id), f"Bon de réduction {v.name}", None, sales,
                                   Decimal(1), -v.amount_excl, Decimal(0), taxes[order.lines[0].tax_id],
                                   v.amount_excl - v.amount_incl))
        shipping_rate = next((r for r in taxes.values() if Decimal(r["percentage"]) == order.carrier_tax_rate), None)
        shipping = (order.shipping_excl, order.shipping_incl - order.shipping_excl, shipping_rate)
        when, later = self.utc(order.date_add), self.utc(order.date_upd)
        day = order.date_add[:10]
        self.next_invoice_number = max(self.next_invoice_number, order.invoice_number + 1)
        common = dict(contact=customer, day=day, reference=order.reference, lines=lines, shipping=shipping,
                      created=when, updated=later, notes="")
        self.tables["sales_invoices"].add(self.artefact(
            self.sid("invoice", order.id), "invoice", f"SI-{order.invoice_number}", status="UNPAID",
            due=(date.fromisoformat(day) + timedelta(days=30)).isoformat(), **common))
        if order.id % 5 == 0:
            self.tables["sales_quotes"].add(self.artefact(
                self.sid("quote", order.id), "quote", f"SQ-{order.id - 1000}", status="ACCEPTED",
                due=(date.fromisoformat(day) + timedelta(days=30)).isoformat(), **common))

    @staticmethod
    def line(lid: str, description: str, product: dict | None, ledger: dict[str, Any], quantity: Decimal,
             unit_price: Decimal, discount: Decimal, tax_rate: dict[str, Any] | None,
             tax_amount: Decimal | None) -> dict[str, Any]:
        net = q2(quantity * unit_price - discount)
        rate = Decimal(tax_rate["percentage"]) if tax_rate else Decimal(0)
        tax = q2(tax_amount) if tax_amount is not None else q2(net * rate / 100)
        return {"id": lid, "displayed_as": description, "description": description,
                "product": link(product) if product else None, "service": None, "ledger_account": link(ledger),
                "quantity": money(quantity), "unit_price": money(unit_price), "unit_price_includes_tax": False,
                "discount_amount": money(discount), "net_amount": money(net),
                "tax_rate": link(tax_rate) if tax_rate else None, "tax_amount": money(tax),
                "total_amount": money(net + tax)}

    def artefact(self, aid: str, kind: str, number: str, *, contact: dict[str, Any], day: str, due: str,
                 reference: str | None, lines: list[dict[str, Any]], shipping: tuple, status: str,
                 created: datetime, updated: datetime, notes: str) -> dict[str, Any]:
        """A sales invoice or quote with its totals (lines + shipping; net + tax = total)."""
        ship_net, ship_tax, ship_rate = shipping
        net = sum((Decimal(x["net_amount"]) for x in lines), Decimal(0)) + ship_net
        tax = sum((Decimal(x["tax_amount"]) for x in lines), Decimal(0)) + ship_tax
        labels = {"UNPAID": "Unpaid", "DRAFT": "Draft", "PRO_FORMA": "Pro-Forma", "ACCEPTED": "Accepted"}
        record = {
            "id": aid, "displayed_as": number,
            "transaction_type": {"id": "SALES_INVOICE" if kind == "invoice" else "SALES_QUOTE",
                                 "displayed_as": "Sales Invoice" if kind == "invoice" else "Sales Quote"},
            f"{kind}_number": number, "contact": link(contact), "contact_name": contact["name"],
            "contact_reference": contact["reference"], "date": day,
            ("due_date" if kind == "invoice" else "expiry_date"): due, "reference": reference, "notes": notes,
            "currency": {"id": self.currency, "displayed_as": self.currency},
            "shipping_net_amount": money(ship_net), "shipping_tax_amount": money(ship_tax),
            "shipping_total_amount": money(ship_net + ship_tax),
            "shipping_tax_rate": link(ship_rate) if ship_rate else None,
            "net_amount": money(net), "tax_amount": money(tax), "total_amount": money(net + tax),
            "status": {"id": status, "displayed_as": labels.get(status, status.title())},
            f"{kind}_lines": lines, "created_at": iso(created), "updated_at": iso(updated)}
        if kind == "invoice":
            record["outstanding_amount"] = money(net + tax) if status == "UNPAID" else "0.00"
        return record


def build_tables(ds: Dataset, *, tz: ZoneInfo, tax_rate_ids: dict[str, str], ledger_accounts: tuple,
                 currency: str, seed_invoices: bool) -> tuple[dict[str, Table], Any]:
    """The resource tables and the builder (which also renders new invoices' lines and totals)."""
    builder = _Builder(ds, tz, tax_rate_ids, ledger_accounts, currency)
    return builder.build(seed_invoices), builder
