"""The Sage 100 contract of the connector (specs/connectors/sage100-ws.yaml, `accepts:`) and the
simulator's own strict checks (passerelle_sandbox.sage_checks) agree on the shape rules both state:
names, required members, types, lengths, line kinds. (The simulator also checks what a contract cannot:
that a customer, an article or a tax code exists.)"""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine.schema.connectors_doc import shipped_plans
from passerelle_sandbox.sage_checks import DOC_TYPE, LINE_TYPE, TEXT_LINE_TYPE, Checker, check_client

SAGE = next(plan for plan in shipped_plans() if plan.name == "sage100-ws")
DOCUMENT = SAGE.operations["insert_document"].contract
CLIENT = SAGE.operations["insert_client"].contract
REFS = ("MUG-CLASSIC", "X" * 19, "X" * 20)


def _checker() -> Checker:
    return Checker(customers={"WEB000056", "C" * 17, "C" * 18}, articles={r: {} for r in REFS}, special_articles=("PORT",),
                   tax_codes={"S_20": Decimal("20")}, piece_prefixes={0: "DE", 1: "BC", 6: "FA"},
                   remise_types={0: "amount", 1: "percent"}, expedition_modes={1: "Transporteur"})


def _order() -> dict:
    return {"doc": {"__type": DOC_TYPE, "TypeDocument": 1, "Date": "/Date(1715674867000+0200)/",
                    "NumeroTiers": "WEB000056", "Reference": "PS_1042", "Statut": 0, "Contact": "Jean Dupont"},
            "lignes": [{"__type": LINE_TYPE, "RefArticle": "MUG-CLASSIC", "Quantite": Decimal("2"),
                        "PrixUnitaire": Decimal("8.00"), "EstValorise": 1, "CodeTaxe": "S_20"},
                       {"__type": TEXT_LINE_TYPE, "Designation": "Merci"}]}


CHANGES = {
    "valid": lambda p: None,
    "RefArticle 19": lambda p: p["lignes"][0].update(RefArticle="X" * 19),
    "RefArticle 20": lambda p: p["lignes"][0].update(RefArticle="X" * 20),
    "Reference 17": lambda p: p["doc"].update(Reference="R" * 17),
    "Reference 18": lambda p: p["doc"].update(Reference="R" * 18),
    "NumeroTiers 17": lambda p: p["doc"].update(NumeroTiers="C" * 17),
    "NumeroTiers 18": lambda p: p["doc"].update(NumeroTiers="C" * 18),
    "Designation 70": lambda p: p["lignes"][1].update(Designation="D" * 70),
    "Contact 36": lambda p: p["doc"].update(Contact="C" * 36),
    "no Quantite": lambda p: p["lignes"][0].pop("Quantite"),
    "Quantite as text": lambda p: p["lignes"][0].update(Quantite="2"),
    "TypeDocument as text": lambda p: p["doc"].update(TypeDocument="1"),
    "no Date": lambda p: p["doc"].pop("Date"),
    "Date ISO": lambda p: p["doc"].update(Date="2024-05-14"),
    "Statut 3": lambda p: p["doc"].update(Statut=3),
    "no lines": lambda p: p.update(lignes=[]),
    "unknown line kind": lambda p: p["lignes"][0].update(__type="LigneX:http://www.proconsult.lu/WebServices100"),
    "no doc type hint": lambda p: p["doc"].pop("__type"),
    "number given as text": lambda p: p["lignes"][0].update(PrixUnitaire="8.00"),
    "a piece number": lambda p: p["doc"].update(NumeroDocument="BC00001"),
}


# What WCF's data-contract reader ignores (a member outside the contract) and the Sage checks after it cannot
# see: only the engine's contract (a closed object) catches the typo, before anything is sent.
CONTRACT_ONLY = {
    "unknown member": lambda p: p["doc"].update(Refrence="x"),
    "unknown line member": lambda p: p["lignes"][0].update(Quantity=1),
    "text line with a quantity": lambda p: p["lignes"][1].update(Quantite=1),
    "member in another case": lambda p: p["doc"].update(reference=p["doc"].pop("Reference")),
    "unknown wrapper member": lambda p: p.update(options={}),
}


@pytest.mark.parametrize("name", list(CHANGES) + list(CONTRACT_ONLY))
def test_the_contract_refuses_what_the_simulator_refuses_and_the_typos_it_ignores_as_wcf_does(name):
    payload = _order()
    {**CHANGES, **CONTRACT_ONLY}[name](payload)
    checker = _checker()
    checker.check_insert(payload)
    simulator_ok, contract_ok = not checker.problems, not DOCUMENT.problems(payload)
    if name in CONTRACT_ONLY:
        assert simulator_ok and checker.ignored and not contract_ok, (name, checker.problems)
    else:
        assert contract_ok == simulator_ok, (name, DOCUMENT.problems(payload), checker.problems)


@pytest.mark.parametrize("client, ok", [
    ({"NumeroTiers": "WEB000099", "Intitule": "Martin SARL", "Email": "a@b.fr"}, True),
    ({"NumeroTiers": "W" * 18, "Intitule": "Martin"}, False),
    ({"NumeroTiers": "WEB000099", "Intitule": "I" * 70}, False),
    ({"NumeroTiers": "WEB000099"}, False),
    ({"NumeroTiers": "WEB000099", "Intitule": "Martin", "Email": 12}, False),
])
def test_the_client_contract_and_the_simulator_agree(client, ok):
    assert (not CLIENT.problems(client)) == ok == (not check_client(client, {})), CLIENT.problems(client)


def test_a_misspelt_client_member_is_caught_by_the_contract_not_by_the_simulator():
    client = {"NumeroTiers": "WEB000099", "Intitule": "Martin", "Vile": "Paris"}
    assert CLIENT.problems(client) and check_client(client, {}) == []
    assert check_client(client, {}, reject_unknown=True)[0].field == "Vile"
