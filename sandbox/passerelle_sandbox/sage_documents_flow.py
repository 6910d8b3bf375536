"""Sage 100 simulator, documents after the order: delivery address, credit notes, BC → BL, reads by date.

Header members beyond :mod:`.sage_checks` (Passerelle's working contract; Proconsult publishes none of them):

* ``IdAdresseLivraison`` — the document's delivery address, the ``Id`` of an address of the document's own
  client (``F_DOCENTETE.LI_No`` → ``F_LIVRAISON``; the member name follows the demo's ``Id*`` style,
  [unverified]); otherwise ``UnknownDeliveryAddress``;
* ``NumeroDocumentOrigine`` — the document a credit note or a return comes from (``DO_PieceOrig``
  VARCHAR(13) [verified as a column]; the member name is [unverified]): an existing document of the same
  client (``UnknownDocument``);
* ``Provenance`` — an invoice's kind (``DO_Provenance`` [verified]: 0 normal, 1 facture de retour,
  2 facture d'avoir, 3 ticket, 4 rectificatif), only on invoices (``TypeDocument`` 6/7).

A credit note is a ``BonAvoirVente`` (type 5, ``BA…``) or a facture d'avoir (type 6, ``Provenance`` 2);
Sage numbers the latter from its own counter (``F_DOCCURRENTPIECE.DC_IdCol`` 8 [verified]) — here prefix
``FV`` (``provenance_prefixes``: {1: "FR", 2: "FV"}, the counters' labels; the real default prefixes are
[unverified]).

``Documents`` (list) filters, exact and case-insensitive: ``Reference``, ``NumeroTiers``, ``TypeDocument``,
``NumeroDocumentOrigine``, ``Provenance``; and ``DateModificationSup`` — documents modified strictly after
a ``/Date(ms±hhmm)/`` (or an ISO 8601 date-time), oldest first, like the criteria operator
``GreaterThan`` of WebServices100 [the query form is unverified].

:func:`deliver` is a test helper (the shop flows only read its result): Sage's *transformation* of an
order into a delivery note keeps the lines, rewrites ``TypeDocument`` and ``NumeroDocument`` (new number
from the BL counter) — ``pafnow/sage100c:docs/ventes_transformations.md`` — and keeps the settlements
(``F_DOCREGL`` rows follow the document). Each article line keeps its order number
(``NumeroPieceBC``, ``DL_PieceBC``) and carries the parcel's tracking number (``NumeroColis``,
``F_DOCLIGNE.DL_NoColis`` [verified as a column]; the member names are [unverified]); the carrier is the
header's ``IdModeExpedition`` (``DO_Expedit`` → ``P_EXPEDITION``). A partial delivery (``quantities``:
article reference → quantity shipped) makes a new delivery note of what was shipped and leaves the rest on
the order (Sage's "reliquat" mode, one of the four its company setting offers — [verified], blc-conseil);
the settlements stay with the order until its last delivery ([unverified]).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from passerelle_sandbox.dataset import q2
from passerelle_sandbox.sage_addresses import address_of
from passerelle_sandbox.sage_checks import Problem, is_int
from passerelle_sandbox.sage_wcf import parse_wcf_date

FLOW_DOC_FIELDS = ("IdAdresseLivraison", "NumeroDocumentOrigine", "Provenance")
PROVENANCE_PREFIXES = {1: "FR", 2: "FV"}
INVOICE_TYPES = (6, 7)
FILTERS = ("Reference", "NumeroTiers", "TypeDocument", "NumeroDocumentOrigine", "Provenance", "DateModificationSup")
DELIVERABLE = (1, 2)  # a bon de commande or a préparation de livraison becomes a bon de livraison (3)


def check_flow_fields(sim: Any, doc: dict[str, Any]) -> list[Problem]:
    """The document members of this module, checked against the simulator's data."""
    problems = []
    customer = doc.get("NumeroTiers")
    wrong = address_of(sim.addresses, doc.get("IdAdresseLivraison"), customer)
    if wrong is not None:
        problems.append(wrong)
    kind, provenance = doc.get("TypeDocument"), doc.get("Provenance")
    if provenance is not None:
        if not is_int(provenance) or provenance not in range(5):
            problems.append(Problem("InvalidValue", "doc.Provenance", "doc.Provenance must be 0 normal, 1 retour, "
                                                                      "2 avoir, 3 ticket or 4 rectificatif"))
        elif provenance and kind not in INVOICE_TYPES:
            problems.append(Problem("InvalidValue", "doc.Provenance",
                                    f"doc.Provenance {provenance} is for invoices (TypeDocument 6 or 7), not {kind!r}"))
    origin = doc.get("NumeroDocumentOrigine")
    if origin not in (None, ""):
        if not isinstance(origin, str) or len(origin) > 13:
            problems.append(Problem("TooLong", "doc.NumeroDocumentOrigine",
                                    "doc.NumeroDocumentOrigine must be a piece number of at most 13 characters"))
        else:
            found = sim.document(origin.upper())
            if found is None or found.get("NumeroTiers") != customer:
                problems.append(Problem("UnknownDocument", "doc.NumeroDocumentOrigine",
                                        f"doc.NumeroDocumentOrigine: document {origin!r} of customer {customer!r} "
                                        "does not exist"))
    return problems


def piece_prefix(sim: Any, doc: dict[str, Any]) -> str:
    """Returns and credit invoices take their own counters; every other type its type's."""
    if doc["TypeDocument"] in INVOICE_TYPES and doc.get("Provenance") in sim.provenance_prefixes:
        return sim.provenance_prefixes[doc["Provenance"]]
    return sim.piece_prefixes[doc["TypeDocument"]]


def after_store(document: dict[str, Any]) -> None:
    """What every stored document answers besides its input: its settled amount and modification date."""
    origin = document.get("NumeroDocumentOrigine")
    if isinstance(origin, str):
        document["NumeroDocumentOrigine"] = origin.upper()
    document.setdefault("MontantRegle", Decimal("0.00"))
    document["DateModification"] = document["DateCreation"]


def line_amounts(quantity: Decimal, price: Decimal, kind: str | None, value: Decimal, valued: bool,
                 rate: Decimal) -> tuple[Decimal, Decimal]:
    """A line's HT and TTC: Qte × PU × (1 − remise%/100) or Qte × (PU − remise), rounded half-up."""
    if kind == "percent":
        ht = q2(quantity * price * (Decimal(1) - value / Decimal(100)))
    elif kind == "amount":
        ht = q2(quantity * (price - value))
    else:
        ht = q2(quantity * price)
    ht = ht if valued else Decimal("0.00")
    return ht, q2(ht * (Decimal(1) + rate / Decimal(100)))


def _with_quantity(line: dict[str, Any], quantity: Decimal, sim: Any) -> dict[str, Any]:
    ht, ttc = line_amounts(quantity, Decimal(line["PrixUnitaire"]), sim.remise_types.get(line.get("RemiseType1")),
                           Decimal(line.get("RemiseValeur1") or 0), line["EstValorise"], Decimal(line["TauxTaxe"]))
    return {**line, "Quantite": quantity, "MontantHT": ht, "MontantTTC": ttc}


def _totals(document: dict[str, Any]) -> None:
    ht = sum((Decimal(line.get("MontantHT", 0)) for line in document["Lignes"]), Decimal(0))
    ttc = sum((Decimal(line.get("MontantTTC", 0)) for line in document["Lignes"]), Decimal(0))
    document.update({"TotalHT": ht, "TotalTTC": ttc, "TotalTVA": ttc - ht})


def _split(sim: Any, document: dict[str, Any], quantities: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The shipped part of ``document`` as a new document, and whether anything is left on the order."""
    wanted = {ref.upper(): Decimal(str(qty)) for ref, qty in quantities.items()}
    ordered = {line["RefArticle"].upper(): Decimal(line["Quantite"]) for line in document["Lignes"]
               if "RefArticle" in line}
    for ref, qty in wanted.items():
        if ref not in ordered or not 0 < qty <= ordered[ref]:
            raise ValueError(f"cannot ship {qty} of {ref!r}: the order holds {ordered.get(ref, 0)}")
    shipped, left = [], []
    for line in document["Lignes"]:
        qty = wanted.get(line.get("RefArticle", "").upper(), Decimal(0)) if "RefArticle" in line else Decimal(0)
        if qty:
            shipped.append(_with_quantity(line, qty, sim))
        rest = Decimal(line["Quantite"]) - qty if "RefArticle" in line else Decimal(0)
        if rest or "RefArticle" not in line:
            left.append(_with_quantity(line, rest, sim) if qty else line)
    if not any("RefArticle" in line for line in left):  # the rest of the order: transformed whole
        return document, False
    document["Lignes"] = left
    _totals(document)
    part = {**document, "Lignes": shipped, "MontantRegle": Decimal("0.00")}
    _totals(part)
    sim.documents.append(part)
    return part, True


def _instant(text: str) -> int:
    """Milliseconds since the epoch of a WCF date or an ISO 8601 date-time (naive = UTC)."""
    if text.startswith("/Date("):
        return parse_wcf_date(text)[0]
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp() * 1000)


def list_documents(sim: Any, method: str, ident: str, request: Any, error: Callable,
                   rejected: type) -> tuple[int, Any]:
    if ident:
        document = sim.document(ident.upper())
        if document is None:
            return error(404, [Problem("NotFound", "NumeroDocument", f"Document {ident!r} does not exist")])
        return 200, document
    try:
        query = sim._query(request, FILTERS)
    except rejected as exc:
        return error(400, exc.problems)
    found = sim.documents
    for name, value in query.items():
        if name == "DateModificationSup":
            try:
                after = _instant(value)
            except ValueError:
                return error(400, [Problem("InvalidDate", name, f"{name} must be /Date(ms±hhmm)/ or an ISO 8601 "
                                                                f"date-time, got {value!r}")])
            found = sorted((d for d in found if parse_wcf_date(d["DateModification"])[0] > after),
                           key=lambda d: parse_wcf_date(d["DateModification"])[0])
        else:
            found = [d for d in found if str(d.get(name) if d.get(name) is not None else "").casefold()
                     == value.casefold()]
    return 200, found


def deliver(sim: Any, piece: str, tracking: str | None = None, carrier: int | None = None,
            quantities: dict[str, Any] | None = None, now: Callable[[], str] | None = None) -> dict[str, Any]:
    """Transform an order (BC, or PL) into a delivery note (BL) with its tracking number and carrier;
    ``quantities`` (reference → quantity) ships part of it and leaves the rest on the order."""
    with sim.lock:
        document = sim.document(piece.upper())
        if document is None:
            raise KeyError(f"document {piece!r} does not exist")
        if document["TypeDocument"] not in DELIVERABLE:
            raise ValueError(f"{piece} is of type {document['TypeDocument']}: only an order (1) or a preparation (2) "
                             "becomes a delivery note")
        if carrier is not None and carrier not in sim.expedition_modes:
            raise ValueError(f"{carrier!r} is not a shipping mode (known: {sorted(sim.expedition_modes)})")
        old = document["NumeroDocument"]
        stamp = now() if now else sim.now()
        partial = False
        if quantities:
            document["DateModification"] = stamp
            document, partial = _split(sim, document, quantities)
        prefix = sim.piece_prefixes[3]
        sim.counters[prefix] = sim.counters.get(prefix, 0) + 1
        new = f"{prefix}{sim.counters[prefix]:05d}"
        document.update({"TypeDocument": 3, "NumeroDocument": new, "DateLivraison": stamp, "DateModification": stamp})
        if carrier is not None:
            document["IdModeExpedition"] = carrier
        for line in document["Lignes"]:
            line["NumeroDocument"] = new
            if "RefArticle" in line:
                line.update({"NumeroPieceBC": old, "NumeroColis": tracking or ""})
        for settlement in [] if partial else sim.settlements:
            if settlement["NumeroDocument"] == old:
                settlement.update({"NumeroDocument": new, "TypeDocument": 3})
        return document
