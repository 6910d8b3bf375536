"""Sage 100 simulator, AdresseLivraisonService: a client's delivery addresses, and a document carrying one."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import NS

ADDRESSES = "AdresseLivraisonService/rest/AdressesLivraison"
INSERT = "DocumentService/rest/InsertDocumentEtLignes"
OFFICE = {"NumeroTiers": "WEB000056", "Intitule": "Bureau", "Adresse": "1 rue de la Paix", "CodePostal": "75002",
          "Ville": "Paris", "Pays": "France", "Contact": "Claire Martin"}


def order(**header) -> dict:
    return {"doc": {"__type": f"DocumentVente:{NS}", "TypeDocument": 1, "Date": "/Date(1768431600000+0100)/",
                    "Reference": "WEB-1", "NumeroTiers": "WEB000056", **header},
            "lignes": [{"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 1}]}


def test_each_client_has_its_principal_address_listed_by_client(sage: httpx.Client, fresh: Sandbox) -> None:
    mine = sage.get(ADDRESSES, params={"numerotiers": "web000056"})
    assert mine.status_code == 200 and len(mine.json()) == 1
    principal = mine.json()[0]
    assert principal["__type"] == f"AdresseLivraison:{NS}" and principal["EstPrincipale"] is True
    assert principal["Ville"] == fresh.sim("sage100").clients["WEB000056"]["Ville"]
    one = sage.get(f"{ADDRESSES}/WEB000056/{principal['Id']}")
    assert one.status_code == 200 and one.json() == principal
    assert sage.get(f"{ADDRESSES}/WEB000001/{principal['Id']}").status_code == 404  # not that client's
    assert len(sage.get(ADDRESSES).json()) == len(fresh.sim("sage100").clients)
    assert sage.get(ADDRESSES, params={"Ville": "Paris"}).json()["Code"] == "UnknownProperty"


def test_insert_numbers_the_address_under_its_client(sage: httpx.Client) -> None:
    created = sage.post(ADDRESSES, json={"Id": 0, **OFFICE})
    assert created.status_code == 200, created.text
    address = created.json()
    assert address["Id"] > 0 and address["NumeroTiers"] == "WEB000056" and address["EstPrincipale"] is False
    found = sage.get(ADDRESSES, params={"NumeroTiers": "WEB000056", "Intitule": "bureau"}).json()
    assert [a["Id"] for a in found] == [address["Id"]]
    wrapped = sage.post(ADDRESSES, json={"adresse": {**OFFICE, "Intitule": "Entrepôt", "EstPrincipale": True}})
    assert wrapped.status_code == 200 and wrapped.json()["EstPrincipale"] is True
    principals = [a for a in sage.get(ADDRESSES, params={"NumeroTiers": "WEB000056"}).json() if a["EstPrincipale"]]
    assert [a["Intitule"] for a in principals] == ["Entrepôt"]  # one principal address per client


def test_insert_is_refused_where_sage_refuses_it(sage: httpx.Client) -> None:
    for body, code, field in (
        ({**OFFICE, "NumeroTiers": "NOBODY"}, "UnknownCustomer", "NumeroTiers"),
        ({**OFFICE, "Intitule": ""}, "MissingProperty", "Intitule"),
        ({**OFFICE, "Ville": "V" * 36}, "TooLong", "Ville"),
        ({**OFFICE, "CodePostal": "1234567890"}, "TooLong", "CodePostal"),
        ({**OFFICE, "Id": 7}, "InvalidValue", "Id"),
    ):
        refused = sage.post(ADDRESSES, json=body)
        assert refused.status_code == 400 and (refused.json()["Code"], refused.json()["Field"]) == (code, field)
    # WCF's data-contract reader ignores a member it does not know (docs/simulators.md): not stored
    kept = sage.post(ADDRESSES, json={**OFFICE, "Colour": "red"})
    assert kept.status_code == 200 and "Colour" not in kept.json()
    again = sage.post(ADDRESSES, json={**OFFICE, "Intitule": "BUREAU"})  # the same title, case aside
    assert again.status_code == 400 and again.json()["Code"] == "Duplicate"
    assert sage.put(ADDRESSES, json=OFFICE).status_code == 405


def test_a_document_carries_an_address_of_its_own_client(sage: httpx.Client, fresh: Sandbox) -> None:
    address = sage.post(ADDRESSES, json=OFFICE).json()["Id"]
    piece = sage.post(INSERT, json=order(IdAdresseLivraison=address)).json()["InsertDocumentEtLignesResult"]
    assert sage.get(f"DocumentService/rest/Documents/{piece}").json()["IdAdresseLivraison"] == address
    other = sage.get(ADDRESSES, params={"NumeroTiers": "WEB000001"}).json()[0]["Id"]
    for wrong in (other, 99999, "1"):
        refused = sage.post(INSERT, json=order(IdAdresseLivraison=wrong))
        assert refused.status_code == 400 and refused.json()["Field"] == "doc.IdAdresseLivraison", refused.json()
    assert len(fresh.sim("sage100").documents) == 1
