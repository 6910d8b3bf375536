"""Property tests: whatever body reaches the Sage 100 simulator's address, settlement and document routes,
it answers 200 or a located WCF-fault-like 400 — never a crash — and a refused write changes nothing."""
from __future__ import annotations

import json
from decimal import Decimal
from email.message import Message

from hypothesis import HealthCheck, given, settings, strategies as st

from passerelle_sandbox._http import Request
from passerelle_sandbox.dataset import generate
from passerelle_sandbox.sage100 import Sage100Sim

NS = "http://www.proconsult.lu/WebServices100"
SIM = Sage100Sim(generate(seed=1, orders=2))
ROOT = "/WebServices100/BIJOU/"

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.text(max_size=40),
                    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
                    st.sampled_from(["WEB000056", "BC00001", "/Date(1768431600000+0100)/", "", "Bureau"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
SETTLEMENT_KEYS = ["Date", "IdModeReglement", "Libelle", "TypeValeur", "Valeur", "__type", "Extra"]
ADDRESS_KEYS = ["NumeroTiers", "Intitule", "Id", "Ville", "CodePostal", "EstPrincipale", "Contact", "Extra"]
DOC_KEYS = ["IdAdresseLivraison", "NumeroDocumentOrigine", "Provenance", "TypeDocument"]


def _send(method: str, route: str, body: object) -> tuple[int, object]:
    headers = Message()
    headers["Authorization"] = SIM.token
    headers["Content-Type"] = "application/json"
    raw = json.dumps(body, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)).encode()
    response = SIM.handle(Request(method, ROOT + route, headers, raw))
    return response.status, json.loads(response.body) if response.body else None


ORDER = {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": 1, "Date": "/Date(1768431600000+0100)/",
                 "NumeroTiers": "WEB000056"},
         "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 1000}]}
assert _send("POST", "DocumentService/rest/InsertDocumentEtLignes", ORDER)[0] == 200  # BC00001, to settle


def _located(status: int, answer: object) -> None:
    assert status in (200, 400, 404), (status, answer)
    if status != 200:
        assert isinstance(answer, dict) and answer["Code"] and isinstance(answer["Field"], str) and answer["Errors"]


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.fixed_dictionaries({}, optional={"numDoc": values, "type": values,
                                        "reglements": st.lists(st.dictionaries(st.sampled_from(SETTLEMENT_KEYS),
                                                                               scalars), max_size=3)}),
    st.fixed_dictionaries({  # near-valid: each member right or wrong in a likely way
        "numDoc": st.sampled_from(["BC00001", "bc00001", "BC00001", "BC09999"]),
        "type": st.sampled_from([1, 1, 1, "1"]),
        "reglements": st.lists(st.fixed_dictionaries({
            "Date": st.sampled_from(["/Date(1768431600000+0100)/"] * 4 + ["/Date(1768431600000)/", "2026-01-15"]),
            "IdModeReglement": st.sampled_from([1, 3, 5, 3, 42, "3"]), "TypeValeur": st.sampled_from([0, 1, 2, 2, 9]),
            "Valeur": st.one_of(st.none(), st.decimals(min_value=-1, max_value=1500, places=2, allow_nan=False)),
            "Libelle": st.text(max_size=40)}), min_size=1, max_size=3)})))
def test_insert_settlements_never_crashes(body: dict) -> None:
    before = (list(SIM.settlements), [d.get("MontantRegle") for d in SIM.documents])
    status, answer = _send("POST", "DocumentService/rest/InsertReglements", body)
    _located(status, answer)
    if status != 200:
        assert (SIM.settlements, [d.get("MontantRegle") for d in SIM.documents]) == before
    for document in SIM.documents:
        assert 0 <= document["MontantRegle"] <= document["TotalTTC"]  # never paid beyond its total
        assert document["MontantRegle"] == sum((r["Montant"] for r in SIM.settlements
                                                if r["NumeroDocument"] == document["NumeroDocument"]), Decimal(0))


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(values, st.dictionaries(st.sampled_from(ADDRESS_KEYS), scalars)))
def test_insert_address_never_crashes(body: object) -> None:
    count = len(SIM.addresses)
    status, answer = _send("POST", "AdresseLivraisonService/rest/AdressesLivraison", body)
    _located(status, answer)
    assert len(SIM.addresses) == count + (status == 200)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.sampled_from(DOC_KEYS), scalars))
def test_document_flow_members_never_crash(header: dict) -> None:
    count = len(SIM.documents)
    body = {"doc": {**ORDER["doc"], **header}, "lignes": ORDER["lignes"]}
    status, answer = _send("POST", "DocumentService/rest/InsertDocumentEtLignes", body)
    _located(status, answer)
    assert len(SIM.documents) == count + (status == 200)
    status, answer = _send("GET", "DocumentService/rest/Documents?DateModificationSup=" + str(header.get("Provenance")),
                           None)
    _located(status, answer)
