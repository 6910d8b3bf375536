"""Sage 100 simulator, ``AdresseLivraisonService``: a client's delivery addresses (``F_LIVRAISON``).

Proconsult's demo client (``Gecomaes/AdresseLivraisonService.cs``) shows the service's methods —
``GetList(criteria?)``, ``GetListByTiers(idTiers)``, ``GetAdresseLivraison(idTiers, idAdresse)``,
``Insert(adresse)`` (answers the stored address), ``Update``, ``Delete`` — and the ``AdresseLivraison``
members (``Id``, ``NumeroTiers``, ``Intitule``, ``Contact``, ``Adresse``, ``Complement``, ``CodePostal``,
``Ville``, ``Pays``, ``Region``, ``Telephone``, ``Fax``, ``Email``, ``EstPrincipale``). The REST routes are
Passerelle's working contract (unverified), in the style of ``TiersService/rest/Clients``:

* ``GET  AdresseLivraisonService/rest/AdressesLivraison?NumeroTiers=…&Intitule=…`` — exact,
  case-insensitive filters (like SQL Server);
* ``GET  AdresseLivraisonService/rest/AdressesLivraison/{NumeroTiers}/{Id}`` — one address;
* ``POST AdresseLivraisonService/rest/AdressesLivraison`` — insert (bare object or ``{"adresse": …}``; the
  demo sends ``Id = 0``: the server numbers it, ``LI_No``); answers 200 with the stored address.

Checks: the client exists (``UnknownCustomer``), ``Intitule`` given and unique among the client's addresses
(``Duplicate``: Sage lists a client's addresses by their intitulé — [assumption]), the widths of the
``F_LIVRAISON`` columns (``LI_Intitule``/``LI_Adresse``/``LI_Complement``/``LI_Ville``/``LI_Pays``/``LI_Contact``
35, ``LI_CodePostal`` 9, ``LI_CodeRegion`` 25, ``LI_Telephone``/``LI_Telecopie`` 21, ``LI_EMail`` 69).
Each seeded client has its principal address (``EstPrincipale``), as Sage creates one with the account.
"""
from __future__ import annotations

from typing import Any, Callable

from passerelle_sandbox.sage_checks import NS, Problem

ADDRESS_TYPE = f"AdresseLivraison:{NS}"
FILTERS = ("NumeroTiers", "Intitule")
WIDTHS = {"NumeroTiers": 17, "Intitule": 35, "Contact": 35, "Adresse": 35, "Complement": 35, "CodePostal": 9,
          "Ville": 35, "Pays": 35, "Region": 25, "Telephone": 21, "Fax": 21, "Email": 69}
ADDRESS_FIELDS = {"__type", "Id", "EstPrincipale", *WIDTHS}


def seed_addresses(clients: dict[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """One principal address per client, from the client's own address."""
    out: dict[int, dict[str, Any]] = {}
    for number, client in enumerate(clients.values(), 1):
        out[number] = {"__type": ADDRESS_TYPE, "Id": number, "NumeroTiers": client["NumeroTiers"],
                       "Intitule": client["Intitule"][:35], "Contact": client.get("Contact", "")[:35],
                       "Adresse": client.get("Adresse", ""), "Complement": client.get("Complement", ""),
                       "CodePostal": client.get("CodePostal", ""), "Ville": client.get("Ville", ""),
                       "Pays": client.get("Pays", ""), "Region": "", "Telephone": client.get("Telephone", ""),
                       "Fax": "", "Email": client.get("Email", ""), "EstPrincipale": True}
    return out


def _fold(value: Any) -> str:
    return str(value if value is not None else "").casefold()


def check_address(body: Any, clients: dict[str, Any], addresses: dict[int, dict[str, Any]],
                  reject_unknown: bool) -> list[Problem]:
    if not isinstance(body, dict):
        return [Problem("InvalidType", "", "the body must be an AdresseLivraison JSON object")]
    problems = []
    if reject_unknown:
        problems += [Problem("UnknownProperty", k, f"{k} is not a member of AdresseLivraison") for k in body
                     if k not in ADDRESS_FIELDS]
    for name, width in WIDTHS.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(Problem("InvalidType", name, f"{name} must be a string"))
        elif len(value) > width:
            problems.append(Problem("TooLong", name, f"{name} is {len(value)} characters long (max {width})"))
    code, title = body.get("NumeroTiers"), body.get("Intitule")
    if not isinstance(code, str) or not code.strip():
        problems.append(Problem("MissingProperty", "NumeroTiers", "NumeroTiers is required"))
    elif code.upper() not in clients:
        problems.append(Problem("UnknownCustomer", "NumeroTiers", f"customer {code!r} does not exist"))
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("MissingProperty", "Intitule", "Intitule is required"))
    elif isinstance(code, str) and any(a["NumeroTiers"] == code.upper() and _fold(a["Intitule"]) == title.casefold()
                                       for a in addresses.values()):
        problems.append(Problem("Duplicate", "Intitule", f"client {code.upper()} already has an address {title!r}"))
    ident = body.get("Id")
    if ident not in (None, 0):
        problems.append(Problem("InvalidValue", "Id", "Id must be 0 or absent: the server numbers the address"))
    principal = body.get("EstPrincipale")
    if principal is not None and not isinstance(principal, bool) and principal not in (0, 1):
        problems.append(Problem("InvalidValue", "EstPrincipale", "EstPrincipale must be true, false, 0 or 1"))
    return problems


def handle_addresses(sim: Any, method: str, ident: str, request: Any, error: Callable,
                     rejected: type) -> tuple[int, Any]:
    """The AdressesLivraison routes of :class:`~passerelle_sandbox.sage100.Sage100Sim` (``sim``)."""
    addresses: dict[int, dict[str, Any]] = sim.addresses
    if method == "GET" and ident:
        parts = ident.split("/")
        found = None
        if len(parts) == 2 and parts[1].isdigit():
            found = addresses.get(int(parts[1]))
            found = found if found is not None and found["NumeroTiers"] == parts[0].upper() else None
        if found is None:
            return error(404, [Problem("NotFound", "Id", f"Delivery address {ident!r} does not exist")])
        return 200, found
    if method == "GET":
        try:
            query = sim._query(request, FILTERS)
        except rejected as exc:
            return error(400, exc.problems)
        return 200, [a for a in addresses.values() if all(_fold(a.get(k)) == v.casefold() for k, v in query.items())]
    if ident:
        return error(404, [Problem("NotFound", "", "Endpoint not found.")])
    try:
        body = sim._body(request)
    except rejected as exc:
        return error(400, exc.problems)
    if isinstance(body, dict) and list(body) == ["adresse"] and isinstance(body["adresse"], dict):
        body = body["adresse"]
    problems = check_address(body, sim.clients, addresses, sim.reject_unknown_properties)
    if problems:
        return error(400, problems)
    number = max(addresses, default=0) + 1
    code = body["NumeroTiers"].upper()
    principal = bool(body.get("EstPrincipale")) or not any(a["NumeroTiers"] == code for a in addresses.values())
    if principal:  # one principal address per client (LI_Principal)
        for other in addresses.values():
            if other["NumeroTiers"] == code:
                other["EstPrincipale"] = False
    stored = {"__type": ADDRESS_TYPE, "Id": number, **{k: body.get(k) or "" for k in WIDTHS}}
    stored.update({"NumeroTiers": code, "EstPrincipale": principal})
    addresses[number] = stored
    return 200, stored


def address_of(addresses: dict[int, dict[str, Any]], ident: Any, customer: Any) -> Problem | None:
    """A document's ``IdAdresseLivraison``: an address of the document's own client (LI_No of its CT_Num)."""
    if ident is None:
        return None
    if not isinstance(ident, int) or isinstance(ident, bool):
        return Problem("InvalidType", "doc.IdAdresseLivraison", "doc.IdAdresseLivraison must be an integer")
    found = addresses.get(ident)
    if found is None or not isinstance(customer, str) or found["NumeroTiers"] != customer.upper():
        return Problem("UnknownDeliveryAddress", "doc.IdAdresseLivraison",
                       f"doc.IdAdresseLivraison {ident} is not a delivery address of customer {customer!r}")
    return None
