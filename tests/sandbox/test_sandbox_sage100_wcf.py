"""Sage 100 WebServices100 simulator reads bodies as WCF's DataContractJsonSerializer does (issue 13, gap 2):
unknown members ignored, missing members at their .NET defaults (then Sage's own checks), names matched
exactly in either naming family, the two parameters of InsertDocumentEtLignes wrapped and read by name,
the Client of a one-parameter operation bare or wrapped. A typo is therefore caught by the engine's
contract (`validate`), not by the simulator. Contract and sources: docs/simulators.md."""
from __future__ import annotations

from decimal import Decimal

import httpx

from passerelle_sandbox import Sandbox
from sandbox_helpers import INSERT, NS, order_body, sage_client

CLIENTS = "TiersService/rest/Clients"


def _sage(**options):
    return Sandbox(systems=("sage100",), orders=1, options={"sage100": options})


def test_unknown_members_are_ignored_not_refused(sage: httpx.Client, fresh: Sandbox) -> None:
    body = order_body("PS_EXTRA")
    body["doc"]["Remarque"] = "UPS"             # not a DocumentVente member
    body["lignes"][2]["Prix"] = 5               # not a LigneArticle member
    body["options"] = {"notify": True}          # not a parameter of InsertDocumentEtLignes
    answer = sage.post(INSERT, json=body)
    assert answer.status_code == 200 and answer.json() == {"InsertDocumentEtLignesResult": "BC00001"}
    sim = fresh.sim("sage100")
    stored = sim.document("BC00001")
    assert "Remarque" not in stored and "Prix" not in stored["Lignes"][2]
    assert sim.ignored_members == [["options", "doc.Remarque", "lignes[2].Prix"]]


def test_a_missing_enum_member_is_zero_and_the_document_a_quote(sage: httpx.Client, fresh: Sandbox) -> None:
    body = order_body("PS_NOTYPE")
    del body["doc"]["TypeDocument"]     # WCF runs no constructor: the enum stays 0 (devis, DE)
    assert sage.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "DE00001"}
    assert fresh.sim("sage100").document("DE00001")["TypeDocument"] == 0


def test_names_are_case_sensitive_a_member_in_another_case_is_unknown(sage: httpx.Client, fresh: Sandbox) -> None:
    body = order_body("PS_CASE")
    body["doc"]["typeDocument"] = body["doc"].pop("TypeDocument")      # ignored: TypeDocument stays 0
    assert sage.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "DE00001"}
    body = order_body("PS_CASE2")
    body["doc"]["numeroTiers"] = body["doc"].pop("NumeroTiers")        # ignored: Sage then finds no customer
    refused = sage.post(INSERT, json=body).json()
    assert (refused["Field"], refused["Code"]) == ("doc.NumeroTiers", "MissingProperty")
    assert len(fresh.sim("sage100").documents) == 1


def test_missing_members_sage_needs_are_still_refused_by_its_checks(sage: httpx.Client) -> None:
    body = order_body()
    del body["doc"]["Date"], body["lignes"][0]["RefArticle"], body["lignes"][1]["Quantite"]
    payload = sage.post(INSERT, json=body).json()
    assert [(e["Field"], e["Code"]) for e in payload["Errors"]] == [
        ("doc.Date", "MissingProperty"), ("lignes[0].RefArticle", "MissingProperty"),
        ("lignes[1].Quantite", "MissingProperty")]


def test_both_naming_families_by_default_and_one_member_given_twice_refused(sage: httpx.Client, fresh: Sandbox) -> None:
    body = {"doc": {"__type": f"DocumentVente:{NS}", "DO_Type": 1, "DO_Date": "/Date(1768431600000+0100)/",
                    "DO_Ref": "WEB-10042", "CT_Num": "WEB000056", "DO_Statut": 0},
            "lignes": [{"__type": f"LigneArticle:{NS}", "AR_Ref": "MUG-CLASSIC", "DL_Qte": 2, "DL_PrixUnitaire": 8,
                        "RemiseType1": 1, "DL_Remise": 10, "EstValorise": True}]}
    assert sage.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "BC00001"}
    assert fresh.sim("sage100").document("BC00001")["TotalHT"] == Decimal("14.40")
    body["doc"]["TypeDocument"] = 1
    twice = sage.post(INSERT, json=body).json()
    assert (twice["Field"], twice["Code"]) == ("doc.TypeDocument", "DuplicateProperty")


def test_with_one_naming_family_the_other_is_unknown_and_ignored() -> None:
    with _sage(naming="pascal") as sb, sage_client(sb) as client:
        body = order_body()
        body["doc"]["DO_Type"] = body["doc"].pop("TypeDocument")        # not a name of this contract
        assert client.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "DE00001"}
        assert sb.sim("sage100").ignored_members == [["doc.DO_Type"]]
    with _sage(naming="sage") as sb, sage_client(sb) as client:
        body = order_body()
        body["doc"]["DO_Type"] = 6
        body["doc"]["DO_Ref"], body["doc"]["DO_Date"] = body["doc"].pop("Reference"), body["doc"].pop("Date")
        body["doc"]["CT_Num"] = body["doc"].pop("NumeroTiers")
        for line in body["lignes"]:
            line["AR_Ref"], line["DL_Qte"] = line.pop("RefArticle"), line.pop("Quantite")
        assert client.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "FA00001"}
        assert "doc.TypeDocument" in sb.sim("sage100").ignored_members[0]


def test_wrapped_parameters_are_read_by_name_and_a_bare_document_gives_null_parameters(sage: httpx.Client) -> None:
    body = order_body()
    reordered = {"lignes": body["lignes"], "doc": body["doc"]}
    assert sage.post(INSERT, json=reordered).json() == {"InsertDocumentEtLignesResult": "BC00001"}
    bare = sage.post(INSERT, json=body["doc"]).json()     # two body parameters cannot be read bare
    assert [(e["Field"], e["Code"]) for e in bare["Errors"]] == [("doc", "MissingProperty"),
                                                               ("lignes", "MissingProperty")]


def test_a_date_without_offset_is_read_as_utc(sage: httpx.Client, fresh: Sandbox) -> None:
    body = order_body()
    body["doc"]["Date"] = "/Date(1715674867000)/"
    assert sage.post(INSERT, json=body).status_code == 200


def test_client_members_outside_the_contract_are_ignored_and_not_stored(sage: httpx.Client, fresh: Sandbox) -> None:
    created = sage.post(CLIENTS, json={"NumeroTiers": "WEB900001", "Intitule": "Martin", "Vile": "Paris"})
    assert created.status_code == 200 and "Vile" not in fresh.sim("sage100").clients["WEB900001"]


def test_client_body_styles() -> None:
    client_body = {"NumeroTiers": "WEB900002", "Intitule": "Martin SARL"}
    with _sage(client_body_style="wrapped") as sb, sage_client(sb) as client:
        assert client.post(CLIENTS, json={"client": client_body, "extra": 1}).status_code == 200
        bare = client.post(CLIENTS, json={**client_body, "NumeroTiers": "WEB900003"}).json()
        assert (bare["Field"], bare["Code"]) == ("client", "MissingProperty")
    with _sage(client_body_style="bare") as sb, sage_client(sb) as client:
        assert client.post(CLIENTS, json=client_body).status_code == 200
        wrapped = client.post(CLIENTS, json={"client": {**client_body, "NumeroTiers": "WEB900003"}}).json()
        assert (wrapped["Field"], wrapped["Code"]) == ("NumeroTiers", "MissingProperty")  # "client" is unknown
    with _sage() as sb, sage_client(sb) as client:                    # both: the default
        assert client.post(CLIENTS, json=client_body).status_code == 200
        assert client.post(CLIENTS, json={"client": {**client_body, "NumeroTiers": "WEB900003"}}).status_code == 200


def test_a_member_in_another_case_gives_a_quote_silently_so_only_the_contract_can_catch_it(
        sage: httpx.Client) -> None:
    """`validate` reports the same typo in a spec as unknown-field with a did-you-mean
    (tests/unit/test_contracts.py::test_a_field_in_another_case_is_unknown_field_not_left_to_the_erp)."""
    body = order_body("PS_TYPO")
    body["doc"]["typeDocument"] = body["doc"].pop("TypeDocument")
    assert sage.post(INSERT, json=body).json() == {"InsertDocumentEtLignesResult": "DE00001"}  # a quote, silently
