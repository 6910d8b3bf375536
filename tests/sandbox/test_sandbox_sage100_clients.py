"""Sage 100 simulator, clients: filters (find-or-create by e-mail) and updates (PUT Clients/{code})."""
from __future__ import annotations

import httpx

from passerelle_sandbox import Sandbox

CLIENTS = "TiersService/rest/Clients"


def test_clients_filter_by_email_exactly_and_case_insensitively(sage: httpx.Client, fresh: Sandbox) -> None:
    found = sage.get(CLIENTS, params={"Email": "CLAIRE.MARTIN@example.test"})
    assert found.status_code == 200 and [c["NumeroTiers"] for c in found.json()] == ["WEB000056"]
    assert sage.get(CLIENTS, params={"Email": "claire.martin@example"}).json() == []  # exact, not a substring
    assert sage.get(CLIENTS, params={"email": "claire.martin@example.test"}).json()[0]["NumeroTiers"] == "WEB000056"
    both = sage.get(CLIENTS, params={"Email": "claire.martin@example.test", "NumeroTiers": "web000001"})
    assert both.json() == []
    unknown = sage.get(CLIENTS, params={"Telephone": "1"})
    assert unknown.status_code == 400 and unknown.json()["Code"] == "UnknownProperty"


def test_put_updates_a_client_validated_like_an_insert(sage: httpx.Client, fresh: Sandbox) -> None:
    clients = fresh.sim("sage100").clients
    created = clients["WEB000056"]["DateCreation"]
    changed = sage.put(f"{CLIENTS}/web000056", json={"NumeroTiers": "WEB000056", "Intitule": "Claire Martin-Durand",
                                                    "Email": "claire@example.test"})
    assert changed.status_code == 200 and changed.json()["Intitule"] == "Claire Martin-Durand"
    assert clients["WEB000056"]["Email"] == "claire@example.test" and clients["WEB000056"]["DateCreation"] == created
    wrapped = sage.put(f"{CLIENTS}/WEB000056", json={"client": {"Intitule": "Claire M."}})
    assert wrapped.status_code == 200 and clients["WEB000056"]["Intitule"] == "Claire M."
    ignored = sage.put(f"{CLIENTS}/WEB000056", json={"Intitule": "Claire M.", "Colour": "red"})  # WCF skips it
    assert ignored.status_code == 200 and "Colour" not in clients["WEB000056"]
    for body, field in (({"Intitule": ""}, "Intitule"), ({"Intitule": "x", "NumeroTiers": "WEB000001"}, "NumeroTiers")):
        refused = sage.put(f"{CLIENTS}/WEB000056", json=body)
        assert refused.status_code == 400 and refused.json()["Field"] == field, refused.json()
    assert sage.put(f"{CLIENTS}/NOBODY", json={"Intitule": "x"}).status_code == 404
    assert sage.put(CLIENTS, json={"Intitule": "x"}).status_code == 405
    assert sage.put(f"{CLIENTS}/WEB000056", content=b"{", headers={"Content-Type": "application/json"}
                    ).json()["Code"] == "InvalidJson"
