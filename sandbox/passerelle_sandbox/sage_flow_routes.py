"""The Sage 100 simulator's routes for the flows after an order: delivery addresses
(:mod:`.sage_addresses`), settlements (:mod:`.sage_settlements`), payment modes, stock reservations (:mod:`.sage_reservations`), and the documents list with
its credit-note and modification-date filters (:mod:`.sage_documents_flow`)."""
from __future__ import annotations

from typing import Any, Callable

from passerelle_sandbox.sage_addresses import handle_addresses
from passerelle_sandbox.sage_documents_flow import list_documents
from passerelle_sandbox.sage_settlements import insert_settlements, settlements_of
from passerelle_sandbox import sage_reservations

Handler = Callable[[str, str, Any], tuple[int, Any]]


def flow_routes(sim: Any, error: Callable, rejected: type) -> dict[str, tuple[set[str], Handler]]:
    """Route key (lower case, ``Service/rest/Resource``) → (methods, handler(method, ident, request))."""
    def modes(method: str, ident: str, request: Any) -> tuple[int, Any]:
        return 200, [{"Id": key, "Intitule": label} for key, label in sorted(sim.payment_modes.items())]

    return {
        "documentservice/rest/documents": (
            {"GET"}, lambda method, ident, request: list_documents(sim, method, ident, request, error, rejected)),
        "documentservice/rest/insertreglements": (
            {"POST"}, lambda method, ident, request: insert_settlements(sim, request, error, rejected, sim.now)),
        "documentservice/rest/getreglementsdocument": (
            {"GET"}, lambda method, ident, request: settlements_of(sim, request, error, rejected)),
        "adresselivraisonservice/rest/adresseslivraison": (
            {"GET", "POST"}, lambda method, ident, request: handle_addresses(sim, method, ident, request, error,
                                                                            rejected)),
        "modereglementservice/rest/modesreglement": ({"GET"}, modes),
        sage_reservations.ROUTE: (  # stock held for a web order before its document (sage_reservations.py)
            {"GET", "POST"}, lambda method, ident, request: sage_reservations.handle(sim, method, ident, request,
                                                                                    error, rejected)),
    }
