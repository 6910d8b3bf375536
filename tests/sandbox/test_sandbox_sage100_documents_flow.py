"""Sage 100 simulator: credit notes linked to their original, BC → BL with tracking, reads by modification date."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import NS

INSERT = "DocumentService/rest/InsertDocumentEtLignes"
DOCUMENTS = "DocumentService/rest/Documents"
DATE = "/Date(1768431600000+0100)/"


def document(kind: int = 1, reference: str = "WEB-1", customer: str = "WEB000056", **header) -> dict:
    return {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": kind, "Date": DATE, "Reference": reference,
                    "NumeroTiers": customer, **header},
            "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 1,
                        "PrixUnitaire": 10}]}


def insert(sage: httpx.Client, body: dict) -> str:
    answer = sage.post(INSERT, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["InsertDocumentEtLignesResult"]


def test_credit_notes_carry_their_original_and_are_found_by_it(sage: httpx.Client) -> None:
    original = insert(sage, document())
    slip = insert(sage, document(5, "WEB-1-R1", NumeroDocumentOrigine=original.lower()))  # BonAvoirVente
    invoice = insert(sage, document(6, "WEB-1-R2", Provenance=2, NumeroDocumentOrigine=original))  # facture d'avoir
    ret = insert(sage, document(6, "WEB-1-R3", Provenance=1, NumeroDocumentOrigine=original))  # facture de retour
    plain = insert(sage, document(6, "WEB-1-F"))
    assert (slip[:2], invoice[:2], ret[:2], plain[:2]) == ("BA", "FV", "FR", "FA")  # own counters (DC_IdCol)
    linked = sage.get(DOCUMENTS, params={"NumeroDocumentOrigine": original}).json()
    assert [d["NumeroDocument"] for d in linked] == [slip, invoice, ret]
    assert all(d["NumeroDocumentOrigine"] == original for d in linked)
    credit = sage.get(DOCUMENTS, params={"TypeDocument": 6, "Provenance": 2}).json()
    assert [d["NumeroDocument"] for d in credit] == [invoice]
    assert [d["NumeroDocument"] for d in sage.get(DOCUMENTS, params={"Reference": "web-1-r1"}).json()] == [slip]


def test_credit_notes_are_refused_where_sage_refuses_them(sage: httpx.Client, fresh: Sandbox) -> None:
    original = insert(sage, document())
    for body, code, field in (
        (document(5, NumeroDocumentOrigine="BC09999"), "UnknownDocument", "doc.NumeroDocumentOrigine"),
        (document(5, customer="WEB000001", NumeroDocumentOrigine=original), "UnknownDocument",
         "doc.NumeroDocumentOrigine"),
        (document(5, NumeroDocumentOrigine="X" * 14), "TooLong", "doc.NumeroDocumentOrigine"),
        (document(5, Provenance=2), "InvalidValue", "doc.Provenance"),
        (document(6, Provenance=9), "InvalidValue", "doc.Provenance"),
        (document(5, customer="NOBODY"), "UnknownCustomer", "doc.NumeroTiers"),
    ):
        refused = sage.post(INSERT, json=body)
        assert refused.status_code == 400 and (refused.json()["Code"], refused.json()["Field"]) == (code, field), \
            refused.json()
    assert len(fresh.sim("sage100").documents) == 1


def test_an_order_delivered_becomes_a_delivery_note_with_carrier_and_tracking(sage: httpx.Client,
                                                                              fresh: Sandbox) -> None:
    sim = fresh.sim("sage100")
    first, second = insert(sage, document(reference="WEB-1")), insert(sage, document(reference="WEB-2"))
    sage.post("DocumentService/rest/InsertReglements", json={"numDoc": first, "type": 1, "reglements": [
        {"Date": DATE, "IdModeReglement": 3, "Libelle": "PAY", "TypeValeur": 1}]})
    before = sage.get(DOCUMENTS, params={"TypeDocument": 1}).json()
    cursor = max(d["DateModification"] for d in before)
    assert sage.get(DOCUMENTS, params={"TypeDocument": 3, "DateModificationSup": cursor}).json() == []
    note = sim.deliver(first, tracking="6A12345678901", carrier=2)
    assert note["NumeroDocument"].startswith("BL") and note["TypeDocument"] == 3 and note["IdModeExpedition"] == 2
    delivered = sage.get(DOCUMENTS, params={"TypeDocument": 3, "DateModificationSup": cursor}).json()
    assert [(d["Reference"], d["IdModeExpedition"]) for d in delivered] == [("WEB-1", 2)]
    line = delivered[0]["Lignes"][0]
    assert line["NumeroColis"] == "6A12345678901" and line["NumeroPieceBC"] == first
    assert sage.get(f"{DOCUMENTS}/{first}").status_code == 404  # transformed: the BC is now the BL
    assert [d["NumeroDocument"] for d in sage.get(DOCUMENTS, params={"TypeDocument": 1}).json()] == [second]
    settled = sage.get("DocumentService/rest/GetReglementsDocument",
                       params={"numDoc": note["NumeroDocument"], "type": 3}).json()
    assert [s["Libelle"] for s in settled] == ["PAY"]  # settlements follow the document
    iso = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    assert len(sage.get(DOCUMENTS, params={"DateModificationSup": iso}).json()) == 2
    bad = sage.get(DOCUMENTS, params={"DateModificationSup": "yesterday"})
    assert bad.status_code == 400 and bad.json()["Code"] == "InvalidDate"


def test_deliver_refuses_what_sage_cannot_transform(sage: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("sage100")
    piece = insert(sage, document())
    with pytest.raises(KeyError):
        sim.deliver("BC09999")
    with pytest.raises(ValueError, match="shipping mode"):
        sim.deliver(piece, carrier=42)
    note = sim.deliver(piece)["NumeroDocument"]
    with pytest.raises(ValueError, match="delivery note"):
        sim.deliver(note)


def test_a_partial_delivery_leaves_the_rest_on_the_order(sage: httpx.Client, fresh: Sandbox) -> None:
    sim = fresh.sim("sage100")
    body = document(reference="WEB-5")
    body["lignes"] = [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 3, "PrixUnitaire": 10,
                       "RemiseType1": 1, "RemiseValeur1": 10},
                      {"__type": f"LigneTexte:{NS}", "Designation": "gift wrap"}]
    piece = insert(sage, body)
    first = sim.deliver(piece, tracking="COLIS-1", carrier=3, quantities={"mug-classic": 1})
    assert first["NumeroDocument"].startswith("BL") and first["Reference"] == "WEB-5"
    assert [(str(line["Quantite"]), str(line["MontantHT"]), line["NumeroColis"]) for line in first["Lignes"]] == \
        [("1", "9.00", "COLIS-1")]
    assert str(first["TotalHT"]) == "9.00" and str(first["TotalTTC"]) == "10.80"
    order = sage.get(f"{DOCUMENTS}/{piece}").json()  # still the order, with what is left
    assert [line.get("Quantite") for line in order["Lignes"]] == [2, None] and order["TotalHT"] == 18
    with pytest.raises(ValueError, match="cannot ship"):
        sim.deliver(piece, quantities={"MUG-CLASSIC": 3})
    last = sim.deliver(piece, tracking="COLIS-2", quantities={"MUG-CLASSIC": 2})
    assert [d["NumeroDocument"] for d in sage.get(DOCUMENTS, params={"Reference": "WEB-5"}).json()] == \
        [last["NumeroDocument"], first["NumeroDocument"]] and last["TotalHT"] == 18
    assert sage.get(f"{DOCUMENTS}/{piece}").status_code == 404 and len(last["Lignes"]) == 2
