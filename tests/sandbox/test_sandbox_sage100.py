"""Sage 100 WebServices100 simulator: its contract (insert, strict checks, look-ups, tiers, articles)."""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any, Callable

import httpx
import pytest

from passerelle_sandbox import Sandbox
from sandbox_helpers import INSERT, NS, order_body, sage_client


def test_insert_assigns_incrementing_piece_numbers(sage: httpx.Client, fresh: Sandbox) -> None:
    first = sage.post(INSERT, json=order_body("PS_1042"))
    assert first.status_code == 200 and first.json() == {"InsertDocumentEtLignesResult": "BC00001"}
    second = sage.post(INSERT, json=order_body("PS_1043"))
    assert second.json() == {"InsertDocumentEtLignesResult": "BC00002"}
    devis = order_body("PS_1044")
    devis["doc"]["TypeDocument"] = 0
    assert sage.post(INSERT, json=devis).json() == {"InsertDocumentEtLignesResult": "DE00001"}
    stored = fresh.sim("sage100").document("BC00001")
    assert (stored["Reference"], stored["NumeroTiers"], stored["TotalHT"], stored["TotalTTC"]) == (
        "PS_1042", "WEB000056", Decimal("35.00"), Decimal("42.00"))
    assert [l["NumeroLigne"] for l in stored["Lignes"]] == [1000, 2000, 3000, 4000]
    assert [l["MontantHT"] for l in stored["Lignes"]] == [Decimal("25.00"), Decimal("8.00"), Decimal("5.00"),
                                                          Decimal("-3.00")]
    assert stored["Lignes"][1]["Designation"] == "Classic mug"  # the article's default designation
    assert len(fresh.sim("sage100").documents) == 3


def test_line_amounts_discounts_and_unvalued_lines(sage: httpx.Client, fresh: Sandbox) -> None:
    body = order_body("PS_AMOUNTS")
    body["lignes"] = body["lignes"][:2]
    body["lignes"][0].update({"RemiseType1": 1, "RemiseValeur1": 10})  # 2 × 12.50 × 0.9 = 22.50
    body["lignes"][1].update({"RemiseType1": 0, "RemiseValeur1": 1.5, "CodeTaxe": "S_5"})  # 1 × 6.50, 5.5 %
    body["lignes"].append({"__type": f"LigneArticle:{NS}", "RefArticle": "MUG-CLASSIC", "Quantite": 3,
                           "PrixUnitaire": 8, "EstValorise": False})
    body["lignes"].append({"__type": f"LigneTexte:{NS}", "Designation": "Cadeau : emballage offert"})
    piece = sage.post(INSERT, json=body).json()["InsertDocumentEtLignesResult"]
    lines = fresh.sim("sage100").document(piece)["Lignes"]
    assert [(l.get("MontantHT"), l.get("MontantTTC")) for l in lines] == [
        (Decimal("22.50"), Decimal("27.00")), (Decimal("6.50"), Decimal("6.86")),
        (Decimal("0.00"), Decimal("0.00")), (None, None)]
    assert lines[3]["Designation"] == "Cadeau : emballage offert"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        node: Any = body
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[keys[-1]] = value
    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        owner, key = path.rsplit(".", 1)
        node: Any = body
        for part in owner.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        del node[key]
    return mutate


def _type_last(body: dict[str, Any]) -> None:
    hint = body["doc"].pop("__type")
    body["doc"]["__type"] = hint


STRICT_CASES = [
    ("doc type hint missing", _drop("doc.__type"), "doc.__type", "TypeHintMissing"),
    ("doc type hint not first", _type_last, "doc.__type", "TypeHintNotFirst"),
    ("doc type hint wrong", _set("doc.__type", f"Document:{NS}"), "doc.__type", "TypeHintInvalid"),
    ("line type hint missing", _drop("lignes.1.__type"), "lignes[1].__type", "TypeHintMissing"),
    ("date not WCF", _set("doc.Date", "2024-05-14T10:21:07"), "doc.Date", "InvalidDate"),
    ("date in seconds as number", _set("doc.Date", 1715674867), "doc.Date", "InvalidDate"),
    ("type document as string", _set("doc.TypeDocument", "1"), "doc.TypeDocument", "InvalidType"),
    ("type document unknown", _set("doc.TypeDocument", 42), "doc.TypeDocument", "InvalidValue"),
    ("unknown customer", _set("doc.NumeroTiers", "WEB999999"), "doc.NumeroTiers", "UnknownCustomer"),
    ("customer missing", _drop("doc.NumeroTiers"), "doc.NumeroTiers", "MissingProperty"),
    ("reference too long", _set("doc.Reference", "PS_" + "9" * 15), "doc.Reference", "TooLong"),
    ("statut out of range", _set("doc.Statut", 7), "doc.Statut", "InvalidValue"),
    ("unknown shipping mode", _set("doc.IdModeExpedition", 99), "doc.IdModeExpedition", "UnknownExpeditionMode"),
    ("total as text", _set("doc.TotalTTC", "42.00"), "doc.TotalTTC", "InvalidType"),
    ("shipping mode code too long", _set("doc.ModeExpedition", "X" * 36), "doc.ModeExpedition", "TooLong"),
    ("unknown article", _set("lignes.0.RefArticle", "TSHIRT-GRN-M"), "lignes[0].RefArticle", "UnknownArticle"),
    ("quantity as string", _set("lignes.0.Quantite", "2"), "lignes[0].Quantite", "InvalidType"),
    ("quantity as boolean", _set("lignes.0.Quantite", True), "lignes[0].Quantite", "InvalidType"),
    ("quantity missing", _drop("lignes.0.Quantite"), "lignes[0].Quantite", "MissingProperty"),
    ("price as string", _set("lignes.1.PrixUnitaire", "8.00"), "lignes[1].PrixUnitaire", "InvalidType"),
    ("discount as string", _set("lignes.1.RemiseValeur1", "10"), "lignes[1].RemiseValeur1", "InvalidType"),
    ("discount type as string", _set("lignes.1.RemiseType1", "1"), "lignes[1].RemiseType1", "InvalidValue"),
    ("discount type unknown", _set("lignes.1.RemiseType1", 5), "lignes[1].RemiseType1", "InvalidValue"),
    ("discount without type", _set("lignes.0.RemiseValeur1", 10), "lignes[0].RemiseType1", "MissingProperty"),
    ("percentage above 100", lambda b: b["lignes"][0].update(RemiseType1=1, RemiseValeur1=120),
     "lignes[0].RemiseValeur1", "InvalidValue"),
    ("valorise as string", _set("lignes.0.EstValorise", "yes"), "lignes[0].EstValorise", "InvalidValue"),
    ("valorise as 2", _set("lignes.0.EstValorise", 2), "lignes[0].EstValorise", "InvalidValue"),
    ("unknown tax code", _set("lignes.1.CodeTaxe", "TVA20"), "lignes[1].CodeTaxe", "UnknownTaxCode"),
    ("designation too long", _set("lignes.0.Designation", "x" * 70), "lignes[0].Designation", "TooLong"),
    ("no lines", _set("lignes", []), "lignes", "EmptyDocument"),
    ("lines not a list", _set("lignes", {}), "lignes", "InvalidType"),
    ("server-side piece sent", _set("doc.NumeroDocument", "BC00099"), "doc.NumeroDocument", "InvalidValue"),
]


@pytest.mark.parametrize("mutate,field,code", [c[1:] for c in STRICT_CASES], ids=[c[0] for c in STRICT_CASES])
def test_strict_checks_reject_with_the_field_named(sage: httpx.Client, fresh: Sandbox, mutate, field: str,
                                                   code: str) -> None:
    body = copy.deepcopy(order_body())
    mutate(body)
    response = sage.post(INSERT, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    payload = response.json()
    assert (payload["Field"], payload["Code"]) == (field, code), payload
    assert field in payload["Message"] or code in ("InvalidJson",)
    assert payload["Errors"][0] == {"Message": payload["Message"], "Field": field, "Code": code}
    assert fresh.sim("sage100").documents == []


def test_all_problems_are_listed(sage: httpx.Client) -> None:
    body = order_body()
    body["lignes"][0]["Quantite"] = "2"
    body["lignes"][1]["CodeTaxe"] = "TVA20"
    payload = sage.post(INSERT, json=body).json()
    assert [(e["Field"], e["Code"]) for e in payload["Errors"]] == [
        ("lignes[0].Quantite", "InvalidType"), ("lignes[1].CodeTaxe", "UnknownTaxCode")]


def test_invalid_json_content_type_duplicates(sage: httpx.Client) -> None:
    broken = sage.post(INSERT, content=b'{"doc": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["Code"] == "InvalidJson"
    dup = sage.post(INSERT, content=b'{"doc": {}, "doc": {}, "lignes": []}', headers={"Content-Type": "application/json"})
    assert dup.status_code == 400 and dup.json()["Code"] == "InvalidJson"
    plain = sage.post(INSERT, content=json.dumps(order_body()), headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["Field"] == "Content-Type"


def test_authentication_raw_token(fresh: Sandbox) -> None:
    url = fresh.api_url("sage100") + "TiersService/rest/Clients"
    token = fresh.credentials("sage100")["token"]
    assert httpx.get(url, headers={"Authorization": token}).status_code == 200
    for headers in ({}, {"Authorization": "wrong"}, {"Authorization": f"Bearer {token}"}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json()["Code"] == "Unauthorized" and response.json()["Field"] == "Authorization"
    assert "Bearer" in httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()["Message"]


def test_bearer_can_be_accepted_and_base_renamed() -> None:
    with Sandbox(systems=("sage100",), orders=1, options={"sage100": {"accept_bearer": True, "base": "DEMO"}}) as sb:
        assert sb.url("sage100").endswith("/WebServices100/DEMO")
        token = sb.credentials("sage100")["token"]
        response = httpx.get(sb.api_url("sage100") + "TiersService/rest/Clients/WEB000056",
                             headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.json()["Email"] == "claire.martin@example.test"
        lower = httpx.get(sb.base_url("sage100") + "/webservices100/demo/tiersservice/rest/clients/web000056",
                          headers={"Authorization": token})
        assert lower.status_code == 200  # IIS paths are case-insensitive


def test_lookup_by_reference(sage: httpx.Client) -> None:
    assert sage.get("DocumentService/rest/Documents", params={"Reference": "PS_1042"}).json() == []
    sage.post(INSERT, json=order_body("PS_1042"))
    sage.post(INSERT, json=order_body("PS_1043"))
    found = sage.get("DocumentService/rest/Documents", params={"Reference": "ps_1042"})
    assert found.status_code == 200
    assert [(d["NumeroDocument"], d["Reference"]) for d in found.json()] == [("BC00001", "PS_1042")]
    doc = found.json()[0]
    assert doc["__type"] == f"DocumentVente:{NS}" and doc["Date"] == "/Date(1715674867000+0200)/"
    assert doc["DateCreation"].startswith("/Date(") and doc["TotalTTC"] == 42.0
    assert '"\\/Date(1715674867000+0200)\\/"' in found.text  # WCF escapes the slashes
    one = sage.get("DocumentService/rest/Documents/BC00002")
    assert one.json()["Reference"] == "PS_1043" and len(one.json()["Lignes"]) == 4
    missing = sage.get("DocumentService/rest/Documents/BC09999")
    assert missing.status_code == 404 and missing.json()["Code"] == "NotFound"
    by_customer = sage.get("DocumentService/rest/Documents", params={"NumeroTiers": "WEB000056"}).json()
    assert len(by_customer) == 2
    bad = sage.get("DocumentService/rest/Documents", params={"Ref": "x"})
    assert bad.status_code == 400 and bad.json()["Field"] == "Ref"


def test_clients_list_get_create_duplicate(sage: httpx.Client, fresh: Sandbox) -> None:
    clients = sage.get("TiersService/rest/Clients").json()
    assert len(clients) == sum(c.in_sage for c in fresh.dataset.customers)  # guests have no Sage account
    claire = sage.get("TiersService/rest/Clients/WEB000056").json()
    assert (claire["NumeroTiers"], claire["Intitule"], claire["TypeTiers"]) == ("WEB000056", "Claire Martin", 0)
    assert claire["DateCreation"].startswith("/Date(") and claire["DateCreation"].endswith("+0200)/")
    assert sage.get("TiersService/rest/Clients/WEB999999").status_code == 404
    new = {"NumeroTiers": "WEB000999", "Intitule": "Jeanne Dupont", "Email": "jeanne@example.test",
           "CodePostal": "75002", "Ville": "Paris"}
    created = sage.post("TiersService/rest/Clients", json=new)
    assert created.status_code == 200 and created.json()["NumeroTiers"] == "WEB000999"
    assert sage.get("TiersService/rest/Clients/WEB000999").json()["Email"] == "jeanne@example.test"
    duplicate = sage.post("TiersService/rest/Clients", json={"client": new})
    assert duplicate.status_code == 400 and (duplicate.json()["Code"], duplicate.json()["Field"]) == (
        "Duplicate", "NumeroTiers")
    missing = sage.post("TiersService/rest/Clients", json={"NumeroTiers": "WEB000998"})
    assert missing.status_code == 400 and missing.json()["Field"] == "Intitule"
    body = order_body("PS_NEW")
    body["doc"]["NumeroTiers"] = "WEB000999"
    assert sage.post(INSERT, json=body).status_code == 200


def test_shop_only_customers_are_unknown_to_sage() -> None:
    from passerelle_sandbox.dataset import generate

    with Sandbox(systems=("sage100",), dataset=generate(seed=1, orders=3, shop_only_customers=2)) as sb:
        with sage_client(sb) as client:
            last = sb.dataset.customers[-1]
            assert client.get(f"TiersService/rest/Clients/{last.sage_code}").status_code == 404


def test_articles_taxes_and_modes(sage: httpx.Client, fresh: Sandbox) -> None:
    articles = {a["Reference"]: a for a in sage.get("ArticleService/rest/Articles").json()}
    assert {"TSHIRT-BLU-M", "MUG-CLASSIC", "PORT", "REMISE"} <= set(articles)
    mug = articles["MUG-CLASSIC"]
    assert mug["__type"] == f"ArticleStandard:{NS}" and mug["PrixVente"] == 8.0
    assert mug["QteStock"] == fresh.dataset.article("MUG-CLASSIC").stock_sage
    fresh.sim("sage100").set_stock("MUG-CLASSIC", 3)
    assert sage.get("ArticleService/rest/Articles/MUG-CLASSIC").json()["QteStock"] == 3
    assert sage.get("ArticleService/rest/Articles/NOPE").status_code == 404
    taxes = {t["Code"]: t["Taux"] for t in sage.get("TaxeService/rest/Taxes").json()}
    assert taxes == {"S_20": 20.0, "S_5": 5.5, "S_10": 10.0, "S_2": 2.1, "EXO": 0.0}
    modes = sage.get("ModeExpeditionService/rest/ModesExpedition").json()
    assert {"Id": 4, "Intitule": "DHL Express"} in modes


def test_routes_and_methods(sage: httpx.Client) -> None:
    assert sage.get("NopeService/rest/Nope").status_code == 404
    assert sage.get(INSERT).status_code == 405
    assert sage.delete("TiersService/rest/Clients/WEB000056").status_code == 405


def test_variant_b_names_and_bare_response() -> None:
    options = {"sage100": {"naming": "both", "response_form": "bare", "escape_slashes": False}}
    with Sandbox(systems=("sage100",), orders=1, options=options) as sb, sage_client(sb) as client:
        body = {"doc": {"__type": f"DocumentVente:{NS}", "DO_Type": 1, "DO_Piece": "", "DO_Date": "/Date(1768431600000+0100)/",
                        "DO_Ref": "WEB-10042", "CT_Num": "WEB000056", "DO_Statut": 0},
                "lignes": [{"__type": f"LigneArticle:{NS}", "AR_Ref": "MUG-CLASSIC", "DL_Qte": 2,
                            "DL_PrixUnitaire": 8.0, "RemiseType1": 1, "DL_Remise": 10, "EstValorise": True}]}
        response = client.post(INSERT, json=body)
        assert response.status_code == 200 and response.json() == "BC00001"
        doc = sb.sim("sage100").document("BC00001")
        assert (doc["Reference"], doc["TotalHT"]) == ("WEB-10042", Decimal("14.40"))
        assert "\\/" not in client.get("DocumentService/rest/Documents/BC00001").text


def test_unknown_members_and_dates_without_offset_refused_in_strict_mode() -> None:
    """WCF ignores unknown members and reads /Date(ms)/ as UTC (tests/sandbox/test_sandbox_sage100_wcf.py); the
    strict options refuse both, for a test that wants the simulator to catch what the contract lets through."""
    with Sandbox(systems=("sage100",), orders=1, options={"sage100": {"reject_unknown_properties": True,
                                                                       "date_offset_required": True}}) as sb:
        with sage_client(sb) as client:
            body = order_body()
            body["doc"]["Extra"] = "x"
            body["lignes"][2]["Prix"] = 5
            body["options"] = {}
            body["doc"]["Date"] = "/Date(1715674867000)/"
            payload = client.post(INSERT, json=body).json()
            assert [(e["Field"], e["Code"]) for e in payload["Errors"]] == [
                ("options", "UnknownProperty"), ("doc.Extra", "UnknownProperty"), ("doc.Date", "InvalidDate"),
                ("lignes[2].Prix", "UnknownProperty")]
            assert sb.sim("sage100").documents == []
