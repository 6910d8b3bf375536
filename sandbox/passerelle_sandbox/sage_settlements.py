"""Sage 100 simulator, a document's settlements: ``InsertReglements`` and ``GetReglementsDocument``.

Proconsult's demo client (``Gecomaes/DocumentService.cs``) calls ``InsertReglements(numDoc, type,
List<Reglement>)`` and ``GetReglementsDocument(numDoc, type)``; a ``Reglement`` has ``Date``,
``IdModeReglement``, ``Libelle``, ``TypeValeur`` (``TypeRepartitionReglement.Montant | Pourcentage |
Equilibre``) and ``Valeur`` (none for ``Equilibre``). In Sage 100 these are the rows of ``F_DOCREGL``
(``DR_Montant``/``DR_Pourcent``/``DR_Equil``, ``DR_Libelle`` ≤ 35, ``N_Reglement`` → ``P_REGLEMENT``).

Working contract (unverified, WCF defaults): the REST route of a method is its name; a POST carries the
wrapped parameters ``{"numDoc": "BC00001", "type": 1, "reglements": [...]}`` and answers 200 with an empty
body (the method is ``void`` in the demo); a GET takes its parameters in the query
(``GetReglementsDocument?numDoc=BC00001&type=1``) and answers the JSON array of the document's settlements.
``TypeValeur`` integers follow Sage's own ``RT_TRepart`` (0 percentage, 1 balance, 2 amount) — an
[assumption] (``valeur_types``). Each stored settlement has the amount it stands for (``Montant``:
the value, the percentage of the document's ``TotalTTC``, or for ``Equilibre`` what is left to pay) and the
document's ``MontantRegle`` (``DO_MontantRegle``) is their sum.

Refused (400): an unknown document (``UnknownDocument``; 404 on the GET), a payment mode that is not in
``P_REGLEMENT`` (``UnknownPaymentMode``), a ``TypeValeur`` outside the enum, a percentage outside 0–100,
more than one ``Equilibre``, and settlements beyond the document's total (``OverPayment``: Sage caps a
document's schedule at its net to pay — [unverified] for WebServices100, which may instead leave the excess
as an unallocated settlement).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from passerelle_sandbox.dataset import q2
from passerelle_sandbox.sage_checks import NS, Checker, Problem, is_int, is_number

SETTLEMENT_TYPE = f"Reglement:{NS}"
VALEUR_TYPES = {0: "Pourcentage", 1: "Equilibre", 2: "Montant"}
PAYMENT_MODES = {1: "Chèque", 2: "Virement", 3: "Carte bancaire", 4: "PayPal", 5: "Espèces"}
FIELDS = {"__type", "Date", "IdModeReglement", "Libelle", "TypeValeur", "Valeur"}
VOID = object()  # a void method's answer: 200 with an empty body


def check_date(value: Any, path: str, offset_required: bool) -> list[Problem]:
    checker = Checker(set(), {}, (), {}, {}, {}, {}, date_offset_required=offset_required)
    checker.check_date(value, path)
    return checker.problems


def check_settlements(body: Any, sim: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[Problem]]:
    """(the document, the settlements to store, problems) for an ``InsertReglements`` body."""
    problems: list[Problem] = []
    add = lambda code, path, message: problems.append(Problem(code, path, message))  # noqa: E731
    if not isinstance(body, dict):
        return None, [], [Problem("InvalidType", "", 'the body must be {"numDoc", "type", "reglements": […]}')]
    if sim.reject_unknown_properties:
        for key in body:
            if key not in ("numDoc", "type", "reglements"):
                add("UnknownProperty", key, f"{key} is not a parameter of InsertReglements (numDoc, type, reglements)")
    number, kind, rows = body.get("numDoc"), body.get("type"), body.get("reglements")
    document = None
    if not isinstance(number, str) or not number:
        add("MissingProperty", "numDoc", "numDoc is required")
    elif not is_int(kind):
        add("InvalidType", "type", "type must be an integer (WCF enum TypeDocument)")
    else:
        document = sim.document(number.upper())
        if document is None or document["TypeDocument"] != kind:
            add("UnknownDocument", "numDoc", f"document {number!r} of type {kind} does not exist")
            document = None
    if not isinstance(rows, list) or not rows:
        add("MissingProperty", "reglements", "reglements must be a non-empty JSON array")
        return document, [], problems
    total = Decimal(document["TotalTTC"]) if document else Decimal(0)
    paid = Decimal(document.get("MontantRegle") or 0) if document else Decimal(0)
    stored: list[dict[str, Any]] = []
    balance_at = None
    for i, row in enumerate(rows):
        path = f"reglements[{i}]"
        if not isinstance(row, dict):
            add("InvalidType", path, f"{path} must be a JSON object")
            continue
        if sim.reject_unknown_properties:
            for key in row:
                if key not in FIELDS:
                    add("UnknownProperty", f"{path}.{key}", f"{path}.{key} is not a member of Reglement")
        before = len(problems)
        problems += check_date(row.get("Date"), f"{path}.Date", sim.date_offset_required)
        mode = row.get("IdModeReglement")
        if not is_int(mode) or mode not in sim.payment_modes:
            add("UnknownPaymentMode", f"{path}.IdModeReglement", f"{path}.IdModeReglement {mode!r} is not a payment "
                f"mode (known: {sorted(sim.payment_modes)})")
        label = row.get("Libelle")
        if label is not None and (not isinstance(label, str) or len(label) > 35):
            add("TooLong", f"{path}.Libelle", f"{path}.Libelle must be a string of at most 35 characters (DR_Libelle)")
        kind_name = sim.valeur_types.get(row.get("TypeValeur")) if is_int(row.get("TypeValeur")) else None
        value = row.get("Valeur")
        if kind_name is None:
            add("InvalidValue", f"{path}.TypeValeur", f"{path}.TypeValeur must be one of {sorted(sim.valeur_types)} "
                f"({', '.join(sim.valeur_types.values())})")
        elif kind_name == "Equilibre":
            if balance_at is not None:
                add("InvalidValue", f"{path}.TypeValeur", f"{path}: only one Equilibre settlement per document")
            balance_at = len(stored)
        elif not is_number(value) or value <= 0:
            add("InvalidValue", f"{path}.Valeur", f"{path}.Valeur must be a JSON number above 0")
        elif kind_name == "Pourcentage" and value > 100:
            add("InvalidValue", f"{path}.Valeur", f"{path}.Valeur is a percentage: at most 100")
        if len(problems) > before:
            continue
        amount = Decimal(0) if kind_name == "Equilibre" else \
            q2(total * Decimal(value) / 100) if kind_name == "Pourcentage" else q2(Decimal(value))
        stored.append({"__type": SETTLEMENT_TYPE, "Date": row["Date"], "IdModeReglement": mode,
                       "Libelle": label or "", "TypeValeur": row["TypeValeur"], "Valeur": value, "Montant": amount})
    if document is None or problems:
        return document, stored, problems
    due = total - paid - sum((s["Montant"] for s in stored), Decimal(0))
    if balance_at is not None:
        stored[balance_at]["Montant"] = due
        stored[balance_at]["Valeur"] = due
    if due < 0 or (balance_at is not None and due <= 0):
        add("OverPayment", "reglements", f"the settlements exceed what is left to pay on {document['NumeroDocument']} "
            f"({total - paid} of {total})")
    return document, stored, problems


def insert_settlements(sim: Any, request: Any, error: Callable, rejected: type, now: Callable[[], str]
                       ) -> tuple[int, Any]:
    try:
        body = sim._body(request)
    except rejected as exc:
        return error(400, exc.problems)
    document, rows, problems = check_settlements(body, sim)
    if problems or document is None:
        return error(400, problems)
    for row in rows:
        sim.settlement_count += 1
        sim.settlements.append({**row, "Id": sim.settlement_count, "NumeroDocument": document["NumeroDocument"],
                                "TypeDocument": document["TypeDocument"]})
    document["MontantRegle"] = Decimal(document.get("MontantRegle") or 0) + sum((r["Montant"] for r in rows),
                                                                                 Decimal(0))
    document["DateModification"] = now()
    return 200, VOID  # void in the demo: WCF answers an empty body


def settlements_of(sim: Any, request: Any, error: Callable, rejected: type) -> tuple[int, Any]:
    try:
        query = sim._query(request, ("numDoc", "type"))
    except rejected as exc:
        return error(400, exc.problems)
    missing = [name for name in ("numDoc", "type") if name not in query]
    if missing:
        return error(400, [Problem("MissingProperty", name, f"{name} is required") for name in missing])
    document = sim.document(query["numDoc"].upper())
    if document is None or str(document["TypeDocument"]) != query["type"]:
        return error(404, [Problem("NotFound", "numDoc", f"document {query['numDoc']!r} of type {query['type']} "
                                                         "does not exist")])
    return 200, [s for s in sim.settlements if s["NumeroDocument"] == document["NumeroDocument"]]
