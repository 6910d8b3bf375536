"""The `sage100-ws` connector's addresses, settlements, credit notes and deliveries against the simulator:
each operation's contract and the simulator agree, and a flow can find before it creates."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from engine.connectors.compile import open_connector
from engine.connectors.http.client import HttpEndpoint, HttpError
from engine.spec.env import Secret
from passerelle_sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "connectors"))
from profiles import connector  # noqa: E402

NS = "http://www.proconsult.lu/WebServices100"
DATE = "/Date(1768431600000+0100)/"


def _endpoint(sb: Sandbox) -> HttpEndpoint:
    return open_connector("sage100", connector("sage100-ws"),
                          {"base_url": sb.url("sage100"), "token": Secret(sb.credentials("sage100")["token"])})


def _document(kind: int, reference: str, **header) -> dict:
    return {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": kind, "Date": DATE, "Reference": reference,
                    "NumeroTiers": "WEB000056", **header},
            "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 2,
                        "PrixUnitaire": 10}]}


@pytest.fixture()
def ep():
    with Sandbox(systems=("sage100",), seed=1, orders=5) as sb, _endpoint(sb) as endpoint:
        endpoint.sb = sb  # type: ignore[attr-defined]
        yield endpoint


def _contract(ep: HttpEndpoint, operation: str):
    return ep.plan.operations[operation].contract


def test_delivery_address_created_then_found_by_its_intitule(ep) -> None:
    address = {"NumeroTiers": "WEB000056", "Intitule": "PS-ADDR-77 Bureau", "Ville": "Paris", "CodePostal": "75002"}
    assert _contract(ep, "insert_delivery_address").problems(address) == []
    assert _contract(ep, "insert_delivery_address").problems({**address, "Ville": "V" * 36})
    assert ep.find("find_delivery_address", {"reference": "PS-ADDR-77 Bureau"}) == []
    created = ep.write("insert_delivery_address", address)
    found = ep.find("find_delivery_address", {"reference": "PS-ADDR-77 Bureau"})
    assert [a["Id"] for a in found] == [created.result]
    mine = [page for page in ep.read("delivery_addresses", where={"NumeroTiers": "WEB000056"})]
    assert sorted(a["Id"] for page in mine for a in page)[-1] == created.result
    with pytest.raises(HttpError) as refused:
        ep.write("insert_delivery_address", {**address, "NumeroTiers": "NOBODY"})
    assert refused.value.status == 400 and "does not exist" in refused.value.message


def test_settlements_read_then_inserted_once(ep) -> None:
    piece = ep.write("insert_document", _document(1, "WEB-9")).result
    payment = {"numDoc": piece, "type": 1, "reglements": [
        {"Date": DATE, "IdModeReglement": 3, "Libelle": "PS-PAY-31", "TypeValeur": 2, "Valeur": 24}]}
    contract = _contract(ep, "insert_settlements")
    assert contract.problems(payment) == []
    assert contract.problems({**payment, "reglements": [{**payment["reglements"][0], "Valeur": None}]})
    assert contract.problems({**payment, "reglements": [{**payment["reglements"][0], "TypeValeur": 1,
                                                          "Valeur": None}]}) == []
    for _ in range(2):
        known = {s["Libelle"] for page in ep.read("settlements", where={"numDoc": piece, "type": 1}) for s in page}
        if "PS-PAY-31" not in known:
            assert ep.write("insert_settlements", payment).result is None
    settled = [s for page in ep.read("settlements", where={"numDoc": piece, "type": 1}) for s in page]
    assert [(s["Libelle"], str(s["Montant"])) for s in settled] == [("PS-PAY-31", "24.00")]
    with pytest.raises(HttpError) as refused:
        ep.write("insert_settlements", {**payment, "reglements": [{**payment["reglements"][0], "Valeur": 1}]})
    assert refused.value.status == 400 and "exceed" in refused.value.message
    with pytest.raises(HttpError):
        ep.write("insert_settlements", {**payment, "numDoc": "BC09999"})


def test_credit_note_contract_needs_its_original_and_is_found_by_reference(ep) -> None:
    piece = ep.write("insert_document", _document(1, "WEB-10")).result
    contract = _contract(ep, "insert_credit_note")
    note = _document(6, "WEB-10-R1", Provenance=2, NumeroDocumentOrigine=piece)
    assert contract.problems(note) == []
    assert contract.problems(_document(6, "WEB-10-R1", NumeroDocumentOrigine=piece))  # which kind of invoice?
    assert contract.problems(_document(5, "WEB-10-R1"))  # no original
    assert contract.problems(_document(1, "WEB-10-R1", NumeroDocumentOrigine=piece))  # not a credit type
    created = ep.write("insert_credit_note", note).result
    assert created.startswith("FV")
    found = ep.find("find_document", {"reference": "WEB-10-R1"})
    assert [d["NumeroDocument"] for d in found] == [created]
    linked = [d for page in ep.read("documents", where={"NumeroDocumentOrigine": piece}) for d in page]
    assert [d["NumeroDocument"] for d in linked] == [created]


def test_deliveries_read_since_with_carrier_and_tracking(ep) -> None:
    sim = ep.sb.sim("sage100")
    first = ep.write("insert_document", _document(1, "WEB-11")).result
    second = ep.write("insert_document", _document(1, "WEB-12")).result
    assert [d for page in ep.read("deliveries") for d in page] == []
    sim.deliver(first, tracking="6A000000001", carrier=2)
    cursor = sim.document(sim.documents[0]["NumeroDocument"])["DateModification"]
    delivered = [d for page in ep.read("deliveries") for d in page]
    assert [(d["Reference"], d["IdModeExpedition"], d["Lignes"][0]["NumeroColis"]) for d in delivered] == \
        [("WEB-11", 2, "6A000000001")]
    assert [d for page in ep.read("deliveries", since=("DateModification", cursor)) for d in page] == []
    time.sleep(0.002)  # DateModification has millisecond precision
    sim.deliver(second, tracking="6A000000002", carrier=3)
    later = [d["Reference"] for page in ep.read("deliveries", since=("DateModification", cursor)) for d in page]
    assert later == ["WEB-12"]


def test_documents_fetched_by_several_references_one_request_each(ep) -> None:
    """A related join fetched by key on `documents`: WebServices100 filters on one `Reference` per request
    (`{value}` in the connector, not `{values}`), so the engine asks once per key instead of sending an
    empty filter, and every document is found."""
    pieces = {ref: ep.write("insert_document", _document(1, ref)).result for ref in ("WEB-21", "WEB-22", "WEB-23")}
    found = [d for page in ep.read("documents", keys=("Reference", ["WEB-21", "WEB-23", "WEB-99"])) for d in page]
    assert sorted(d["NumeroDocument"] for d in found) == sorted([pieces["WEB-21"], pieces["WEB-23"]])
    (one,) = [d for page in ep.read("documents", keys=("Reference", ["WEB-22"])) for d in page]
    assert one["NumeroDocument"] == pieces["WEB-22"]
