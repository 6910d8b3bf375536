"""Sage 100 simulator, settlements: InsertReglements on a document and GetReglementsDocument to read them."""
from __future__ import annotations

from decimal import Decimal

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import NS

INSERT = "DocumentService/rest/InsertDocumentEtLignes"
SETTLE = "DocumentService/rest/InsertReglements"
READ = "DocumentService/rest/GetReglementsDocument"
DATE = "/Date(1768431600000+0100)/"
MONTANT, POURCENTAGE, EQUILIBRE = 2, 0, 1  # TypeRepartitionReglement (Sage's RT_TRepart order)


def order(sage: httpx.Client) -> str:
    """An order of 2 x 10.00 HT at 20 %: 24.00 TTC."""
    body = {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": 1, "Date": DATE, "Reference": "WEB-7",
                    "NumeroTiers": "WEB000056"},
            "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 2,
                        "PrixUnitaire": 10, "CodeTaxe": "S_20"}]}
    return sage.post(INSERT, json=body).json()["InsertDocumentEtLignesResult"]


def payment(kind: int = MONTANT, value=None, mode: int = 3, label: str = "PS-PAY-1") -> dict:
    row = {"Date": DATE, "IdModeReglement": mode, "Libelle": label, "TypeValeur": kind}
    return row if value is None else {**row, "Valeur": value}


def test_settlements_are_stored_and_read_back_and_the_document_counts_them(sage: httpx.Client, fresh: Sandbox) -> None:
    piece = order(sage)
    assert sage.get(READ, params={"numDoc": piece, "type": 1}).json() == []
    done = sage.post(SETTLE, json={"numDoc": piece, "type": 1, "reglements": [payment(value=4.5),
                                                                             payment(POURCENTAGE, 25, label="B")]})
    assert done.status_code == 200 and done.content == b""  # void, as in the demo
    read = sage.get(READ, params={"numDoc": piece.lower(), "type": "1"}).json()
    assert [(r["Libelle"], r["Montant"]) for r in read] == [("PS-PAY-1", 4.5), ("B", 6)]
    assert read[0]["__type"] == f"Reglement:{NS}" and read[0]["IdModeReglement"] == 3
    document = fresh.sim("sage100").document(piece)
    assert document["MontantRegle"] == Decimal("10.50") and isinstance(document["MontantRegle"], Decimal)
    rest = sage.post(SETTLE, json={"numDoc": piece, "type": 1, "reglements": [payment(EQUILIBRE, label="C")]})
    assert rest.status_code == 200
    assert document["MontantRegle"] == document["TotalTTC"] == Decimal("24.00")
    assert sage.get(READ, params={"numDoc": piece, "type": 1}).json()[-1]["Montant"] == 13.5


def test_a_payment_is_found_before_it_is_settled_again(sage: httpx.Client) -> None:
    piece = order(sage)
    for _ in range(2):  # find before create: the label carries the shop's payment id
        known = [r["Libelle"] for r in sage.get(READ, params={"numDoc": piece, "type": 1}).json()]
        if "PS-PAY-9" not in known:
            assert sage.post(SETTLE, json={"numDoc": piece, "type": 1,
                                           "reglements": [payment(value=24, label="PS-PAY-9")]}).status_code == 200
    assert len(sage.get(READ, params={"numDoc": piece, "type": 1}).json()) == 1


def test_settlements_are_refused_where_sage_refuses_them(sage: httpx.Client, fresh: Sandbox) -> None:
    piece = order(sage)
    for body, code, field in (
        ({"numDoc": "BC99999", "type": 1, "reglements": [payment(value=1)]}, "UnknownDocument", "numDoc"),
        ({"numDoc": piece, "type": 3, "reglements": [payment(value=1)]}, "UnknownDocument", "numDoc"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(value=1, mode=42)]}, "UnknownPaymentMode",
         "reglements[0].IdModeReglement"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(9, 1)]}, "InvalidValue", "reglements[0].TypeValeur"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(value=0)]}, "InvalidValue", "reglements[0].Valeur"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(value="1")]}, "InvalidValue", "reglements[0].Valeur"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(POURCENTAGE, 101)]}, "InvalidValue",
         "reglements[0].Valeur"),
        ({"numDoc": piece, "type": 1, "reglements": [{**payment(value=1), "Date": "2026-01-15"}]}, "InvalidDate",
         "reglements[0].Date"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(value=1, label="x" * 36)]}, "TooLong",
         "reglements[0].Libelle"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(EQUILIBRE), payment(EQUILIBRE)]}, "InvalidValue",
         "reglements[1].TypeValeur"),
        ({"numDoc": piece, "type": 1, "reglements": []}, "MissingProperty", "reglements"),
        ({"numDoc": piece, "type": 1, "reglements": [payment(value=24.01)]}, "OverPayment", "reglements"),
    ):
        refused = sage.post(SETTLE, json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert (refused.json()["Code"], refused.json()["Field"]) == (code, field), refused.json()
    assert fresh.sim("sage100").settlements == []
    assert sage.post(SETTLE, json={"numDoc": piece, "type": 1, "reglements": [payment(value=24)]}).status_code == 200
    paid = sage.post(SETTLE, json={"numDoc": piece, "type": 1, "reglements": [payment(EQUILIBRE)]})
    assert paid.status_code == 400 and paid.json()["Code"] == "OverPayment"  # nothing left to balance
    assert sage.get(READ, params={"numDoc": "BC99999", "type": 1}).status_code == 404
    assert sage.get(READ, params={"numDoc": piece}).json()["Code"] == "MissingProperty"
    assert sage.get(f"{SETTLE}/x").status_code == 404 and sage.get(SETTLE).status_code == 405


def test_payment_modes_are_listed(sage: httpx.Client) -> None:
    modes = sage.get("ModeReglementService/rest/ModesReglement").json()
    assert {"Id": 3, "Intitule": "Carte bancaire"} in modes
