"""A hand-written dry-run of the reference flow ``orders_to_sage`` (specs/examples/prestashop-sage100),
the contender of ``bench/dryrun_scale.py``: what a good engineer would write without the engine.

lxml ``iterparse`` on the record elements with ``clear()`` (constant memory for the orders), the
related files indexed keeping only the fields the mapping uses, ``datetime.fromisoformat``, Decimal
money, the strict tax table (a detail with no tax at all - a tax-exempt product - is EXO, as the flow
says), and the JSON written straight from the known payload shape with the standard library's C
string encoder. Every rule of the flow is applied: an order in another currency or with a reference
longer than 19 characters is set aside, a guest's order goes to CLIENT-WEB, gift wrapping is an
EMBALLAGE line. Same stdout bytes as ``passerelle dry-run ... --format json`` (orders the engine sets
aside are left out).

With ``--dicts`` each payload is built as data (dicts, lists, Decimal money) and encoded by one call
(orjson, Decimals written exactly through ``orjson.Fragment``), the way a sync script that sends the
payload as a request body is written; without it, the JSON text is written straight from templates
of the known payload shape (faster, but tied to this one flow's output text).

    python bench/dryrun_baseline.py [--dicts] ORDERS ORDER_DETAILS CUSTOMERS CARRIERS TAXES > out.json
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_mapping import CARRIER_DEFAULT, CARRIERS, EMPTY_DATES, PAYMENT_DEFAULT, PAYMENTS, TAX_CODES  # noqa: E402

try:
    from _json import encode_basestring as _string  # the C encoder, non-ASCII kept as is
except ImportError:  # pragma: no cover
    from json.encoder import py_encode_basestring as _string

PARIS, UTC = ZoneInfo("Europe/Paris"), timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)
SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False}
DOC = '"DocumentVente:http://www.proconsult.lu/WebServices100"'
LINE = '"LigneArticle:http://www.proconsult.lu/WebServices100"'
DOC_TYPE, LINE_TYPE = DOC[1:-1], LINE[1:-1]
XLINK = "{http://www.w3.org/1999/xlink}"


def records(path: str, tag: str):
    for _, el in etree.iterparse(path, events=("end",), tag=tag, **SAFE):
        if el.getparent().getparent().getparent() is None:  # prestashop/<list>/<tag>
            yield el
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]


def number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return format(value.to_integral_value(), "f") if value else "0"
    return format(value.normalize(), "f")


def ms_date(text: str) -> str:
    value = ms_date_value(text)
    return "null" if value is None else f'"{value}"'


class SetAside(Exception):
    pass


EXEMPT = object()  # a detail with an empty taxes association (a tax-exempt product): Sage's EXO


def tax(rate: Decimal | None) -> str:
    if rate is EXEMPT:
        return "EXO"
    code = TAX_CODES.get(rate)
    if code is None:
        raise SetAside(rate)
    return code


def main(orders: str, details: str, customers: str, carriers: str, taxes: str, dicts: bool = False) -> int:
    rates = {el.findtext("id"): Decimal(el.findtext("rate")) for el in records(taxes, "tax")}
    carrier_names = {el.findtext("id"): el.findtext("name") for el in records(carriers, "carrier")}
    contacts = {el.findtext("id"): (f"{el.findtext('firstname') or ''} {el.findtext('lastname') or ''}".strip(),
                                    el.findtext("is_guest") == "1") for el in records(customers, "customer")}
    lines_of = {}
    for el in records(details, "order_detail"):
        tax_id = el.findtext("associations/taxes/tax/id")
        lines_of[el.findtext("id")] = (Decimal(el.findtext("reduction_percent")),
                                       EXEMPT if tax_id is None else rates.get(tax_id.strip()))
    out = sys.stdout
    write = out.write
    write("[")
    first, failed = True, 0
    build = order_text
    if dicts:
        import orjson

        def fragment(value):
            return orjson.Fragment(number(value))

        def build(el, *tables):
            text = orjson.dumps(order_data(el, *tables), default=fragment, option=orjson.OPT_INDENT_2).decode()
            return "  " + text.replace("\n", "\n  ")
    for el in records(orders, "order"):
        try:
            payload = build(el, lines_of, contacts, carrier_names)
        except SetAside:
            failed += 1
            continue
        write(("\n" if first else ",\n") + payload)
        first = False
    write("]\n" if first else "\n]\n")
    return 3 if failed else 0


def ms_date_value(text: str) -> str | None:
    text = text.strip()
    if text in EMPTY_DATES:
        return None
    instant = datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)
    minutes = int(instant.astimezone(PARIS).utcoffset().total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"/Date({(instant - EPOCH) // ONE_MS}{sign}{hours:02d}{minutes:02d})/"


def checked(el, contacts):
    """The flow's rejects and its customer join: ``(rows, contact, guest)``, or SetAside."""
    rows = list(el.iterfind("associations/order_rows/order_row"))
    for row in rows:
        reference = row.findtext("product_reference")
        if reference and len(reference) > 19:
            raise SetAside("reference longer than Sage's 19 characters")
    currency = el.findtext("id_currency")
    if currency and int(currency) not in (0, 1):
        raise SetAside("another currency than EUR")
    found = contacts.get(el.findtext("id_customer"))
    if found is None:
        raise SetAside("customer")
    return rows, found[0], found[1]


def wrapping(get) -> Decimal | None:
    text = get("total_wrapping_tax_excl")
    return Decimal(text) if text and Decimal(text) > 0 else None


def order_data(el, lines_of, contacts, carrier_names) -> dict:
    """The payload as data (the ``--dicts`` contender)."""
    get = el.findtext
    rows, contact, guest = checked(el, contacts)
    lines = []
    for row in rows:
        found = lines_of.get(row.findtext("id"))
        if found is None or found[1] is None:
            raise SetAside("detail, or a tax id the tax table does not hold")
        reduction, rate = found
        discounted = reduction > 0
        lines.append({"__type": LINE_TYPE, "RefArticle": row.findtext("product_reference"),
                      "Designation": row.findtext("product_name"), "Quantite": int(row.findtext("product_quantity")),
                      "PrixUnitaire": Decimal(row.findtext("product_price" if discounted else "unit_price_tax_excl")),
                      "CodeTaxe": tax(rate), "EstValorise": 1, "RemiseType1": 1 if discounted else None,
                      "RemiseValeur1": reduction if discounted else None})
    shipping = Decimal(get("total_shipping_tax_excl"))
    if shipping > 0:
        lines.append({"__type": LINE_TYPE, "RefArticle": "PORT", "Quantite": 1, "PrixUnitaire": shipping,
                      "CodeTaxe": tax(Decimal(get("carrier_tax_rate"))), "EstValorise": 1})
    wrap = wrapping(get)
    if wrap is not None:
        lines.append({"__type": LINE_TYPE, "RefArticle": "EMBALLAGE", "Quantite": 1, "PrixUnitaire": wrap,
                      "CodeTaxe": "S_20", "EstValorise": 1})
    discounts = Decimal(get("total_discounts_tax_excl"))
    if discounts > 0:
        lines.append({"__type": LINE_TYPE, "RefArticle": "REMISE", "Quantite": 1, "PrixUnitaire": -discounts,
                      "CodeTaxe": "S_20", "EstValorise": 1})
    carrier = carrier_names.get(get("id_carrier"))
    return {"doc": {"__type": DOC_TYPE, "TypeDocument": 1, "Date": ms_date_value(get("date_add")),
                    "Reference": "PS_" + get("id"), "NumeroTiers": "CLIENT-WEB" if guest else "WEB" + get("id_customer").rjust(6, "0"),
                    "Statut": 0, "Contact": contact, "ModeExpedition": CARRIERS.get(carrier, CARRIER_DEFAULT),
                    "ModeReglement": PAYMENTS.get(get("module"), PAYMENT_DEFAULT),
                    "TotalTTC": Decimal(get("total_paid_tax_incl"))},
            "lignes": lines}


def order_text(el, lines_of, contacts, carrier_names) -> str:
    get = el.findtext
    rows, contact, guest = checked(el, contacts)
    lines = []
    for row in rows:
        found = lines_of.get(row.findtext("id"))
        if found is None or found[1] is None:
            raise SetAside("detail, or a tax id the tax table does not hold")
        reduction, rate = found
        discounted = reduction > 0
        price = row.findtext("product_price" if discounted else "unit_price_tax_excl")
        lines.append(f'      {{\n        "__type": {LINE},\n        "RefArticle": {_string(row.findtext("product_reference"))},\n'
                     f'        "Designation": {_string(row.findtext("product_name"))},\n'
                     f'        "Quantite": {int(row.findtext("product_quantity"))},\n'
                     f'        "PrixUnitaire": {number(Decimal(price))},\n        "CodeTaxe": {_string(tax(rate))},\n'
                     f'        "EstValorise": 1,\n        "RemiseType1": {"1" if discounted else "null"},\n'
                     f'        "RemiseValeur1": {number(reduction) if discounted else "null"}\n      }}')
    shipping = Decimal(get("total_shipping_tax_excl"))
    if shipping > 0:
        lines.append(f'      {{\n        "__type": {LINE},\n        "RefArticle": "PORT",\n        "Quantite": 1,\n'
                     f'        "PrixUnitaire": {number(shipping)},\n'
                     f'        "CodeTaxe": {_string(tax(Decimal(get("carrier_tax_rate"))))},\n'
                     f'        "EstValorise": 1\n      }}')
    wrap = wrapping(get)
    if wrap is not None:
        lines.append(f'      {{\n        "__type": {LINE},\n        "RefArticle": "EMBALLAGE",\n        "Quantite": 1,\n'
                     f'        "PrixUnitaire": {number(wrap)},\n        "CodeTaxe": "S_20",\n'
                     f'        "EstValorise": 1\n      }}')
    discounts = Decimal(get("total_discounts_tax_excl"))
    if discounts > 0:
        lines.append(f'      {{\n        "__type": {LINE},\n        "RefArticle": "REMISE",\n        "Quantite": 1,\n'
                     f'        "PrixUnitaire": {number(-discounts)},\n        "CodeTaxe": "S_20",\n'
                     f'        "EstValorise": 1\n      }}')
    carrier = carrier_names.get(get("id_carrier"))
    return (f'  {{\n    "doc": {{\n      "__type": {DOC},\n      "TypeDocument": 1,\n'
            f'      "Date": {ms_date(get("date_add"))},\n      "Reference": {_string("PS_" + get("id"))},\n'
            f'      "NumeroTiers": {_string("CLIENT-WEB" if guest else "WEB" + get("id_customer").rjust(6, "0"))},\n'
            f'      "Statut": 0,\n'
            f'      "Contact": {_string(contact)},\n'
            f'      "ModeExpedition": {_string(CARRIERS.get(carrier, CARRIER_DEFAULT))},\n'
            f'      "ModeReglement": {_string(PAYMENTS.get(get("module"), PAYMENT_DEFAULT))},\n'
            f'      "TotalTTC": {number(Decimal(get("total_paid_tax_incl")))}\n    }},\n'
            f'    "lignes": [\n' + ",\n".join(lines) + "\n    ]\n  }")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--dicts"]
    sys.exit(main(*arguments[:5], dicts="--dicts" in sys.argv[1:]))
