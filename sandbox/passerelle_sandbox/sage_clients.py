"""Sage 100 simulator, ``TiersService/rest/Clients``: list (with filters), read one, create, update.

* ``GET  Clients?Email=…&NumeroTiers=…`` — exact, case-insensitive filters (like SQL Server and like the
  documents' filters); the WebServices100 criteria take any Client property name (``Email``,
  ``NumeroTiers``…); the simulator accepts ``Email``, ``NumeroTiers`` and ``Intitule``;
* ``POST Clients`` — create, validated by :func:`check_client`; the body is the Client (``body_style``
  "bare"), ``{"client": …}`` ("wrapped") or either ("both", the default: the real service's
  ``WebMessageBodyStyle`` is not public). Read as WCF does: members outside the contract are ignored (not
  stored), a wrapper without ``client`` gives a null client, a bare body's ``client`` member is unknown;
* ``PUT  Clients/{NumeroTiers}`` — update an existing client: validated like an insert (the body's
  ``NumeroTiers``, when given, must be the one in the path); 404 for an unknown client.
"""
from __future__ import annotations

from typing import Any, Callable

from passerelle_sandbox.sage_checks import CLIENT_FIELDS, Problem, check_client

FILTERS = ("Email", "NumeroTiers", "Intitule")


def _fold(value: Any) -> str:
    return str(value if value is not None else "").casefold()


def list_clients(clients: dict[str, dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    found = list(clients.values())
    for name, value in query.items():
        found = [c for c in found if _fold(c.get(name)) == value.casefold()]
    return found


def unwrap(body: Any, style: str = "both") -> Any:
    """The Client parameter of a one-parameter operation, as WCF reads it for the declared body style."""
    if style == "wrapped":  # parameters by name, others skipped; a missing one is null
        return body.get("client") if isinstance(body, dict) else body
    if style == "both" and isinstance(body, dict) and list(body) == ["client"] and isinstance(body["client"], dict):
        return body["client"]
    return body


def known(body: Any) -> Any:
    """The members WCF reads into a Client (the others are ignored)."""
    return {k: v for k, v in body.items() if k in CLIENT_FIELDS} if isinstance(body, dict) else body


def update_client(clients: dict[str, dict[str, Any]], ident: str, body: Any, reject_unknown: bool,
                  now: str, style: str = "both") -> tuple[int, Any] | list[Problem]:
    """(200, the updated client), (404, message) or the problems of the body."""
    code = ident.upper()
    current = clients.get(code)
    if current is None:
        return 404, f"Client {ident!r} does not exist"
    body = unwrap(body, style)
    if body is None:
        return [Problem("MissingProperty", "client", "client is required (the wrapped body has no client)")]
    if isinstance(body, dict) and "NumeroTiers" not in body:
        body = {**body, "NumeroTiers": code}
    others = {k: v for k, v in clients.items() if k != code}
    problems = check_client(body, others, reject_unknown)
    body = known(body)
    if not problems and str(body["NumeroTiers"]).upper() != code:
        problems = [Problem("InvalidValue", "NumeroTiers", f"NumeroTiers {body['NumeroTiers']!r} is not the "
                                                           f"client of the path ({code})")]
    if problems:
        return problems
    current.update({k: v for k, v in body.items() if k not in ("__type", "DateCreation")})
    current.update({"NumeroTiers": code, "DateModification": now})
    return 200, current


def handle_clients(sim: Any, method: str, ident: str, request: Any, error: Callable, rejected: type,
                   now: Callable[[], str]) -> tuple[int, Any]:
    """The Clients routes of :class:`~passerelle_sandbox.sage100.Sage100Sim` (``sim``)."""
    clients = sim.clients
    if method == "GET":
        if ident:
            client = clients.get(ident.upper())
            if client is None:
                return error(404, [Problem("NotFound", "NumeroTiers", f"Client {ident!r} does not exist")])
            return 200, client
        try:
            return 200, list_clients(clients, sim._query(request, FILTERS))
        except rejected as exc:
            return error(400, exc.problems)
    try:
        body = sim._body(request)
    except rejected as exc:
        return error(400, exc.problems)
    if method == "PUT":
        if not ident:
            return error(405, [Problem("MethodNotAllowed", "", "Method not allowed.")])
        answer = update_client(clients, ident, body, sim.reject_unknown_properties, now(), sim.client_body_style)
        if isinstance(answer, list):
            return error(400, answer)
        if answer[0] == 404:
            return error(404, [Problem("NotFound", "NumeroTiers", answer[1])])
        return answer
    body = unwrap(body, sim.client_body_style)
    if body is None:
        return error(400, [Problem("MissingProperty", "client", "client is required (the wrapped body has no client)")])
    problems = check_client(body, clients, sim.reject_unknown_properties)
    if problems:
        return error(400, problems)
    body = known(body)
    code = body["NumeroTiers"].upper()
    stamp = now()
    client = {"TypeTiers": 0, "NumeroTiers": code, "NumeroTiersPayeur": code, "IdCategorieComptable": 1,
              "IdCategorieTarifaire": 1, "CompteCollectif": "4110000", "EstEnSommeil": False}
    client.update({k: v for k, v in body.items() if k != "__type"})
    client.update({"NumeroTiers": code, "DateCreation": stamp, "DateModification": stamp})
    clients[code] = client
    return 200, client
