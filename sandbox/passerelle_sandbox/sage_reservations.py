"""Stock reservations of the Sage 100 simulator: the goods of a web order held before its document.

Proconsult publishes no reservation operation for WebServices100. In Sage 100 a reservation *is* a
sales order (BC): its lines add their quantity to ``AS_QteRes`` of the article and depot, and the
stock available is ``AS_QteSto − AS_QteRes`` (integrator practice and public integrator code, see
``docs/simulators.md``, "Sage 100 stock reservations"). This module models that reservation as a
route of its own (Passerelle's working contract, like every route of this simulator):

=======  ===========================================  ==================================================
POST     ``StockService/rest/Reservations``           body ``{"Reference": "WC-1042", "Lignes":
                                                      [{"RefArticle": "X", "Quantite": 2}, …]}`` → 200
                                                      the reservation; every line or none
GET      ``StockService/rest/Reservations``           JSON array; filter ``?Reference=`` (exact,
                                                      case-insensitive)
=======  ===========================================  ==================================================

* **Atomic**: the simulator handles one request at a time under its lock, so checking every line
  and adding every quantity to the reserved stock is one step; concurrent reservations for the
  last items never oversell.
* **All or none**: when one line asks more than ``QteStock − reserved`` (lines of one article
  summed), nothing is reserved and the answer is **409** with the WCF-fault-like body of the other
  routes, ``Code`` ``InsufficientStock``, one entry in ``Errors`` per article lacking stock (its
  reference, what is available, what was asked).
* **Idempotent by reference**: a reservation whose ``Reference`` is already held answers 200 with
  the reservation held, reserving nothing more (a client resending after a lost answer).
* A missing reference, an empty or malformed line list, an unknown article, a quantity that is not
  positive: 400 (``MissingField``, ``InvalidValue``, ``UnknownArticle``), nothing reserved.

``sim.available(ref)`` gives ``QteStock − reserved``; ``sim.reservation_history`` lists, for every
accepted reservation, ``(reference, article, available after)`` in the order they were made.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from passerelle_sandbox.sage_checks import Problem
from passerelle_sandbox.sage_wcf import wcf_date

ROUTE = "stockservice/rest/reservations"


class Reservations:
    """The reservations held by one simulator (guarded by the simulator's lock)."""

    def __init__(self) -> None:
        self.held: dict[str, dict[str, Any]] = {}  # by upper-cased reference
        self.reserved: dict[str, Decimal] = {}  # article -> quantity reserved (AS_QteRes)
        self.history: list[tuple[str, str, Decimal]] = []


def available(sim: Any, reference: str) -> Decimal:
    """QteStock − reserved, as the reservation sees it (call under the simulator's lock, or at rest)."""
    return Decimal(sim.articles[reference]["QteStock"]) - sim.reservations.reserved.get(reference, Decimal(0))


def handle(sim: Any, method: str, ident: str, request: Any, error: Callable, rejected: type) -> tuple[int, Any]:
    if ident:
        return error(404, [Problem("NotFound", "", "Endpoint not found.")])
    if method == "GET":
        try:
            query = sim._query(request, ("Reference",))
        except rejected as exc:
            return error(400, exc.problems)
        wanted = query.get("Reference")
        held = sim.reservations.held
        return 200, [r for k, r in held.items() if wanted is None or k == wanted.upper()]
    try:
        body = sim._body(request)
    except rejected as exc:
        return error(400, exc.problems)
    reference, lines, problems = _read(sim, body)
    if problems:
        return error(400, problems)
    book: Reservations = sim.reservations
    if reference.upper() in book.held:  # the same reservation again: held once
        return 200, book.held[reference.upper()]
    asked: dict[str, tuple[int, Decimal]] = {}
    for index, (article, quantity) in enumerate(lines):
        first, total = asked.get(article, (index, Decimal(0)))
        asked[article] = (first, total + quantity)
    short = [Problem("InsufficientStock", f"Lignes[{index}].Quantite",
                     f"article {article}: {_plain(available(sim, article))} available, {_plain(total)} asked")
             for article, (index, total) in asked.items() if available(sim, article) < total]
    if short:
        return error(409, short)
    for article, (_, total) in asked.items():
        book.reserved[article] = book.reserved.get(article, Decimal(0)) + total
        book.history.append((reference, article, available(sim, article)))
    held = {"Reference": reference, "DateCreation": wcf_date(sim.clock().astimezone(sim.tz)),
            "Lignes": [{"RefArticle": article, "Quantite": quantity} for article, quantity in lines]}
    book.held[reference.upper()] = held
    return 200, held


def _read(sim: Any, body: Any) -> tuple[str, list[tuple[str, Decimal]], list[Problem]]:
    if not isinstance(body, dict):
        return "", [], [Problem("InvalidValue", "", "The body must be a JSON object {Reference, Lignes}.")]
    reference = body.get("Reference")
    problems = []
    if not isinstance(reference, str) or not reference.strip():
        problems.append(Problem("MissingField", "Reference", "Reference is required (the order's reference)."))
    raw = body.get("Lignes")
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("MissingField", "Lignes", "Lignes must list at least one line."))
        raw = []
    lines = []
    for index, line in enumerate(raw):
        at = f"Lignes[{index}]"
        article = line.get("RefArticle") if isinstance(line, dict) else None
        if not isinstance(article, str) or article not in sim.articles:
            problems.append(Problem("UnknownArticle", f"{at}.RefArticle", f"{at}.RefArticle {article!r} is not an "
                                                                          "article"))
            continue
        try:
            quantity = Decimal(str(line.get("Quantite")))
        except (InvalidOperation, ValueError):
            quantity = Decimal(0)
        if not quantity.is_finite() or quantity <= 0:
            problems.append(Problem("InvalidValue", f"{at}.Quantite", f"{at}.Quantite must be a positive number"))
            continue
        lines.append((article, quantity))
    return (reference if isinstance(reference, str) else ""), lines, problems


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


__all__ = ["ROUTE", "Reservations", "available", "handle"]
