"""A hand-written twin of the compiled ``orders_to_sage`` mapping (specs/examples/prestashop-sage100).

This is what a competent developer would write by hand for the reference example, without the
engine: plain dict access, ``datetime.fromisoformat`` (PrestaShop writes ``YYYY-MM-DD hh:mm:ss``, an
ISO 8601 shape, so the C parser applies) + ``zoneinfo``, ``Decimal`` arithmetic and dict lookups
built once, at import. It serves two purposes:

* an independent cross-check of the engine's output (``tests/test_reference_mapping.py``);
* the "hand-written" contender of ``bench/mapping.py`` (the compiled mapping must reach 0.9x of it).

Input: the *enriched, typed* order, i.e. the record after ``flow.types["orders"]`` and
``flow.enrich(...)``: it carries ``customer``, ``carrier`` and, on every
``associations.order_rows[]`` item, a ``detail`` with a ``tax``. Numbers are ``int``/``Decimal``.

The semantics follow ``orders_to_sage.yaml`` and ``lookups.yaml``:

* carriers and payments lookups have a default (``DIVERS``, ``Autre``); the payments table is read
  once, at import, from ``payments.csv``;
* a detail whose ``taxes`` association is empty (a tax-exempt product) is ``EXO``;
* the tax-code table matches numbers (``Decimal("20.000")`` finds ``20``) and is strict: an unknown
  rate raises :class:`UnknownTaxRate` with the engine's message;
* ``Date`` is ``date_add`` read as Europe/Paris local time (an ambiguous autumn time is its first
  occurrence, a time skipped in spring moves forward by the gap) written as ``/Date(ms+hhmm)/``.
"""
from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "specs" / "examples" / "prestashop-sage100"

DOC_TYPE = "DocumentVente:http://www.proconsult.lu/WebServices100"
LINE_TYPE = "LigneArticle:http://www.proconsult.lu/WebServices100"

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)
ONE_MINUTE = timedelta(minutes=1)
EMPTY_DATES = frozenset(("", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00"))

CARRIERS = {"UPS Ground": "UPS_GND", "Colissimo": "COLI", "DHL Express": "DHL_EXP"}
CARRIER_DEFAULT = "DIVERS"

# Keys are Decimals: a Decimal or int rate finds its entry by value (Decimal("20.000") == 20).
TAX_CODES = {Decimal("20"): "S_20", Decimal("5.5"): "S_5", Decimal("10"): "S_10",
             Decimal("2.1"): "S_2", Decimal("0"): "EXO"}
_TAX_KEYS_TEXT = ", ".join(sorted(format(k, "f") for k in TAX_CODES))

PAYMENT_DEFAULT = "Autre"


def read_payments(path: Path = EXAMPLE_DIR / "payments.csv") -> dict[str, str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return {row["module"].strip(): row["mode_reglement"].strip()
                for row in csv.DictReader(handle, skipinitialspace=True) if row["module"].strip()}


PAYMENTS = read_payments()


class UnknownTaxRate(ValueError):
    """A tax rate missing from the strict tax-code table (the order must be set aside)."""


def _show(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return format(value, "f")
    return repr(value) if isinstance(value, str) else str(value)


_NUMBERS = (Decimal, int)


def tax_code(rate) -> str:
    """The Sage tax code of a rate in percent; UnknownTaxRate when the table has no such rate."""
    if rate.__class__ in _NUMBERS:  # the usual case: a typed rate (not a bool, not a text)
        try:
            return TAX_CODES[rate]
        except (KeyError, TypeError):
            pass  # the error below
    key = rate
    if isinstance(rate, str):
        try:
            key = Decimal(rate.strip())
        except InvalidOperation:
            key = None
    elif isinstance(rate, bool):
        key = None
    try:
        return TAX_CODES[key]
    except (KeyError, TypeError):
        note = "; the table matches numbers" if rate is not None and key is None else ""
        raise UnknownTaxRate(f"no entry for {_show(rate)} in lookup 'tax_codes' "
                             f"(known keys: {_TAX_KEYS_TEXT}{note})") from None


def ms_json_date(text: str | None) -> str | None:
    """PrestaShop local time (Europe/Paris) -> Microsoft JSON date ``/Date(ms+hhmm)/``."""
    if text is None:
        return None
    text = text.strip()
    if text in EMPTY_DATES:
        return None
    # the C ISO reader: PrestaShop's "%Y-%m-%d %H:%M:%S" is an ISO 8601 shape (about 40x faster
    # than strptime); an ambiguous autumn time is its first occurrence (fold=0)
    instant = datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(UTC)
    # the offset in force at that instant (a time skipped in spring is normalised past the gap)
    minutes = instant.astimezone(PARIS).utcoffset() // ONE_MINUTE
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"/Date({(instant - EPOCH) // ONE_MS}{sign}{hours:02d}{minutes:02d})/"


def map_order(order: dict) -> dict:
    """The Sage 100 ``InsertDocumentEtLignes`` payload of one enriched PrestaShop order."""
    customer = order["customer"]
    carrier = order["carrier"]
    id_customer = order["id_customer"]
    lines = []
    for row in order["associations"]["order_rows"]:
        detail = row["detail"]
        reduction = detail["reduction_percent"]
        discounted = reduction is not None and reduction > 0
        lines.append({
            "__type": LINE_TYPE,
            "RefArticle": row["product_reference"],
            "Designation": row["product_name"],
            "Quantite": row["product_quantity"],
            # Sage applies a percentage reduction itself: send the price before reduction then.
            "PrixUnitaire": row["product_price"] if discounted else row["unit_price_tax_excl"],
            # a tax-exempt product: PrestaShop gives its detail no taxes at all (EXO)
            "CodeTaxe": tax_code((detail["tax"] or {}).get("rate"))
            if (detail.get("associations") or {}).get("taxes") else "EXO",
            "EstValorise": 1,
            "RemiseType1": 1 if discounted else None,
            "RemiseValeur1": reduction if discounted else None,
        })
    shipping = order["total_shipping_tax_excl"]
    if shipping is not None and shipping > 0:
        lines.append({"__type": LINE_TYPE, "RefArticle": "PORT", "Quantite": 1, "PrixUnitaire": shipping,
                      "CodeTaxe": tax_code(order["carrier_tax_rate"]), "EstValorise": 1})
    wrapping = order.get("total_wrapping_tax_excl")  # gift wrapping: PrestaShop's only order fee
    if wrapping is not None and wrapping > 0:
        lines.append({"__type": LINE_TYPE, "RefArticle": "EMBALLAGE", "Quantite": 1, "PrixUnitaire": wrapping,
                      "CodeTaxe": "S_20", "EstValorise": 1})
    discounts = order["total_discounts_tax_excl"]
    if discounts is not None and discounts > 0:
        lines.append({"__type": LINE_TYPE, "RefArticle": "REMISE", "Quantite": 1,
                      "PrixUnitaire": -discounts, "CodeTaxe": "S_20", "EstValorise": 1})
    return {
        "doc": {
            "__type": DOC_TYPE,
            "TypeDocument": 1,
            "Date": ms_json_date(order["date_add"]),
            "Reference": f"PS_{order['id']}",
            # a guest checkout goes to the generic client (is_guest is text in the connector)
            "NumeroTiers": "CLIENT-WEB" if customer is not None and customer.get("is_guest") == "1" else
            None if id_customer is None else f"WEB{str(id_customer).rjust(6, '0')}",
            "Statut": 0,
            "Contact": None if customer is None else
            f"{customer.get('firstname') or ''} {customer.get('lastname') or ''}".strip(),
            "ModeExpedition": CARRIERS.get(carrier.get("name") if carrier else None, CARRIER_DEFAULT),
            "ModeReglement": PAYMENTS.get(order["module"], PAYMENT_DEFAULT),
            "TotalTTC": order["total_paid_tax_incl"],
        },
        "lignes": lines,
    }
