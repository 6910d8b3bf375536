"""Sage X3 simulator: customers saved through the published BPC object (header, addresses), refused as X3
refuses them (missing mandatory field, existing code, unknown country), read, queried and listed by SData
afterwards; the ship-to address of a sales order (SOH1_1 BPAADD, ADB2_1) stored and answered back."""
from __future__ import annotations

import httpx
import pytest

from test_sandbox_sagex3 import PATH, answer, envelope, fields, order_xml, sb, x3  # noqa: F401  (fixtures)

ADDRESS = ('<LIN NUM="1"><FLD NAME="CODADR">{code}</FLD><FLD NAME="BPAADDFLG">2</FLD>'
           '<FLD NAME="ADDLIG1">12 rue des Lilas</FLD><FLD NAME="POSCOD">69003</FLD><FLD NAME="CTY">Lyon</FLD>'
           '<FLD NAME="BPACRY">{country}</FLD><FLD NAME="WEB1">ana@example.org</FLD></LIN>')


def customer_xml(code: str = "WEB000900", *, name: str = "Ana Lopez", country: str = "FR", category: str = "WEB",
                 addresses: str | None = None) -> str:
    rows = ADDRESS.format(code="001", country=country) if addresses is None else addresses
    return (f'<PARAM><GRP ID="BPC0_1"><FLD NAME="BCGCOD">{category}</FLD><FLD NAME="BPCNUM">{code}</FLD></GRP>'
            f'<GRP ID="BPRC_1"><LST NAME="BPRNAM" SIZE="2"><ITM>{name}</ITM><ITM></ITM></LST>'
            f'<FLD NAME="CRY">FR</FLD><FLD NAME="CUR">EUR</FLD></GRP>'
            f'<GRP ID="BPC3_1"><FLD NAME="BPAINV">001</FLD></GRP><TAB ID="BPAC_1">{rows}</TAB></PARAM>')


def test_a_saved_customer_is_read_queried_and_listed(x3: httpx.Client, sb) -> None:  # noqa: F811
    status, messages, result = answer(x3.post(PATH, content=envelope("save", "BPC", xml=customer_xml())))
    assert (status, messages) == (1, [])
    head = fields(result.find("GRP[@ID='BPC0_1']"))
    assert (head["BPCNUM"], head["BPCNAM"], head["BCGCOD"], head["CRY"], head["CTY"]) == \
        ("WEB000900", "Ana Lopez", "WEB", "FR", "Lyon")
    (address,) = [fields(lin) for lin in result.findall("TAB[@ID='BPAC_1']/LIN")]
    assert (address["CODADR"], address["ADDLIG1"], address["POSCOD"], address["WEB1"]) == \
        ("001", "12 rue des Lilas", "69003", "ana@example.org")
    x3sim = sb.sim("sagex3")
    assert x3sim.customers["WEB000900"]["BPCNAM"] == "Ana Lopez"
    _, _, read = answer(x3.post(PATH, content=envelope("read", "BPC", keys={"BPCNUM": "WEB000900"})))
    assert fields(read.find("GRP[@ID='BPC0_1']"))["POSCOD"] == "69003"
    assert fields(read.find("GRP[@ID='BPC3_1']")) == {"BPAINV": "001", "BPAPYR": "001"}
    _, _, found = answer(x3.post(PATH, content=envelope("query", "BPC", keys={"BPCNUM": "WEB000900"}, size=5)))
    assert [fields(lin)["BPCNUM"] for lin in found.find("TAB[@ID='BPC1_1']")] == ["WEB000900"]
    listed = x3.get("/api1/x3/erp/SEED/BPCUSTOMER", params={"representation": "BPCUSTOMER.$query",
                                                            "where": "BPCNUM in ('WEB000900')"}).json()
    assert [r["BPCNUM"] for r in listed["$resources"]] == ["WEB000900"]


@pytest.mark.parametrize("xml, expected", [
    (customer_xml(code=""), ["BPC0_1.BPCNUM: Mandatory field"]),
    (customer_xml(name=""), ["BPRC_1.BPRNAM: Mandatory field"]),
    (customer_xml(category=""), ["BPC0_1.BCGCOD: Mandatory field"]),
    (customer_xml(category="ZZZ"), ["BCGCOD ZZZ: Record does not exist"]),
    (customer_xml(code="WEB000056"), ["BPCNUM WEB000056: Record already exists"]),
    (customer_xml(country="XX"), ["BPAC_1[1]: BPACRY XX: Record does not exist"]),
    (customer_xml(addresses=""), ["BPAC_1: at least one address is required (the bill-to address)",
                                  "BPAINV 001: Record does not exist (not an address of the customer)"]),
    (customer_xml().replace('<FLD NAME="CUR">', '<FLD NAME="COLOR">x</FLD><FLD NAME="CUR">'),
     ["BPRC_1.COLOR: unknown field"]),
])
def test_refusals_are_status_0_with_the_reasons(x3: httpx.Client, sb, xml: str, expected: list[str]) -> None:  # noqa: F811
    before = dict(sb.sim("sagex3").customers)
    status, messages, result = answer(x3.post(PATH, content=envelope("save", "BPC", xml=xml)))
    assert (status, [m for _, m in messages], result) == (0, expected, None)
    assert sb.sim("sagex3").customers == before


def test_an_order_keeps_its_ship_to_address(x3: httpx.Client, sb) -> None:  # noqa: F811
    answer(x3.post(PATH, content=envelope("save", "BPC", xml=customer_xml())))
    by_code = order_xml("MG_1", customer="WEB000900").replace('<TAB ', '<GRP ID="SOH1_1"><FLD NAME="BPAADD">001'
                                                               '</FLD></GRP><TAB ')
    status, messages, result = answer(x3.post(PATH, content=envelope("save", xml=by_code)))
    assert (status, messages) == (1, [])
    assert fields(result.find("GRP[@ID='SOH1_1']")) == {"BPAADD": "001"}
    ship = result.find("GRP[@ID='ADB2_1']")
    assert [i.text or "" for i in ship.find("LST[@NAME='BPAADDLIG']")] == ["12 rue des Lilas", "", ""]
    assert (fields(ship)["POSCOD"], fields(ship)["CTY"], fields(ship)["CRY"]) == ("69003", "Lyon", "FR")
    # a guest's address, written in the order itself, on the generic customer
    guest = order_xml("MG_2").replace('<TAB ', '<GRP ID="ADB2_1"><FLD NAME="BPDNAM">Léa Roux</FLD>'
                                      '<LST NAME="BPAADDLIG"><ITM>3 quai Ouest</ITM></LST><FLD NAME="POSCOD">1000'
                                      '</FLD><FLD NAME="CTY">Bruxelles</FLD><FLD NAME="CRY">BE</FLD></GRP><TAB ')
    status, _, result = answer(x3.post(PATH, content=envelope("save", xml=guest)))
    stored = sb.sim("sagex3").find_orders("MG_2")[0]["delivery"]
    assert status == 1 and result.find("GRP[@ID='SOH1_1']") is None
    assert (stored["BPDNAM"], stored["BPDADDLIG"], stored["BPDCTY"], stored["BPDCRY"]) == \
        ("Léa Roux", ["3 quai Ouest", "", ""], "Bruxelles", "BE")
    _, _, read = answer(x3.post(PATH, content=envelope("read", keys={"SOHNUM": sb.sim("sagex3").find_orders("MG_2")[0]["SOHNUM"]})))
    assert fields(read.find("GRP[@ID='ADB2_1']"))["BPDNAM"] == "Léa Roux"


@pytest.mark.parametrize("block, expected", [
    ('<GRP ID="SOH1_1"><FLD NAME="BPAADD">XYZ</FLD></GRP>', "BPAADD XYZ: Record does not exist (not an address of WEB000056)"),
    ('<GRP ID="ADB2_1"><FLD NAME="CRY">XX</FLD></GRP>', "ADB2_1: CRY XX: Record does not exist"),
    ('<GRP ID="ADB2_1"><FLD NAME="STREET">x</FLD></GRP>', "ADB2_1.STREET: unknown field"),
])
def test_a_wrong_ship_to_address_is_refused(x3: httpx.Client, block: str, expected: str) -> None:  # noqa: F811
    xml = order_xml("MG_3").replace("<TAB ", block + "<TAB ")
    status, messages, _ = answer(x3.post(PATH, content=envelope("save", xml=xml)))
    assert status == 0 and expected in [m for _, m in messages]
