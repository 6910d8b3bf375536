"""Sage X3 simulator: SOAP save/read/query on SOH and BPC, HTTP 200 + status 0 on
business failures, faults, Basic auth, SData customers with key-set paging, fault injection."""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from lxml import etree

from passerelle_sandbox import Faults, Sandbox

PATH = "/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
HEADERS = {"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": '""'}


def envelope(action: str, public: str = "SOH", *, xml: str | None = None, keys: dict | None = None,
             size: int | None = None, pool: str = "SEED", config: str = "") -> bytes:
    parts = [f"<callContext><codeLang>ENG</codeLang><poolAlias>{pool}</poolAlias><poolId/>"
             f"<requestConfig>{config}</requestConfig></callContext><publicName>{public}</publicName>"]
    if keys is not None:
        items = "".join(f"<item><key>{k}</key><value>{v}</value></item>" for k, v in keys.items())
        parts.append(f"<objectKeys>{items}</objectKeys>")
    if size is not None:
        parts.append(f"<listSize>{size}</listSize>")
    if xml is not None:
        parts.append(f"<objectXml><![CDATA[{xml}]]></objectXml>")
    return (f'<soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:wss="http://www.adonix.com/WSS"><soapenv:Header/>'
            f'<soapenv:Body><wss:{action}>{"".join(parts)}</wss:{action}></soapenv:Body></soapenv:Envelope>'
            ).encode()


def order_xml(reference: str = "PS_1042", customer: str = "WEB000056", lines: str | None = None,
              extra: str = "") -> str:
    lines = lines if lines is not None else (
        '<LIN NUM="1"><FLD NAME="ITMREF">TSHIRT-BLU-M</FLD><FLD NAME="QTY">2</FLD>'
        '<FLD NAME="GROPRI">12.50</FLD></LIN>'
        '<LIN NUM="2"><FLD NAME="ITMREF">MUG-CLASSIC</FLD><FLD NAME="QTY">1</FLD></LIN>')
    return ('<PARAM><GRP ID="SOH0_1"><FLD NAME="SALFCY">FR011</FLD><FLD NAME="SOHTYP">SON</FLD>'
            f'<FLD NAME="ORDDAT">20260115</FLD><FLD NAME="BPCORD">{customer}</FLD>'
            f'<FLD NAME="CUSORDREF">{reference}</FLD>{extra}</GRP><TAB ID="SOH4_1">{lines}</TAB></PARAM>')


def answer(response: httpx.Response) -> tuple[int, list[tuple[int, str]], etree._Element | None]:
    """(status, [(type, message)], parsed resultXml or None) of a CAdxResultXml answer."""
    assert response.status_code == 200, response.text
    returned = etree.fromstring(response.content).find(f"{{{ENV}}}Body")[0][0]
    messages = [(int(m.findtext("type")), m.findtext("message")) for m in returned.find("messages")]
    text = returned.findtext("resultXml")
    return int(returned.findtext("status")), messages, (etree.fromstring(text.encode()) if text else None)


def fields(block: etree._Element) -> dict[str, str]:
    return {f.get("NAME"): f.text or "" for f in block.findall("FLD")}


@pytest.fixture()
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("sagex3",), orders=5) as sandbox:
        yield sandbox


@pytest.fixture()
def x3(sb: Sandbox) -> Iterator[httpx.Client]:
    creds = sb.credentials("sagex3")
    with httpx.Client(base_url=sb.url("sagex3"), auth=(creds["username"], creds["password"]), timeout=10,
                      headers=HEADERS) as client:
        yield client


def test_save_creates_numbered_orders_with_defaults(x3: httpx.Client, sb: Sandbox) -> None:
    status, messages, result = answer(x3.post(PATH, content=envelope("save", xml=order_xml())))
    assert (status, messages) == (1, [])
    head = fields(result.find("GRP[@ID='SOH0_1']"))
    assert head["SOHNUM"] == "SO0000001" and head["BPCORD"] == "WEB000056" and head["CUR"] == "EUR"
    assert result.find("GRP[@ID='SOH0_1']/FLD[@NAME='SOHNUM']").get("TYPE") == "Char"
    lines = [fields(lin) for lin in result.findall("TAB[@ID='SOH4_1']/LIN")]
    assert [(l["ITMREF"], l["QTY"], l["GROPRI"], l["ITMDES1"], l["SAU"]) for l in lines] == [
        ("TSHIRT-BLU-M", "2", "12.50", "T-shirt - Color : Blue, Size :", "UN"),
        ("MUG-CLASSIC", "1", "8.00", "Classic mug", "UN")]  # GROPRI and ITMDES1 default from the article
    assert result.find("TAB[@ID='SOH4_1']/LIN/FLD[@NAME='QTY']").get("TYPE") == "Decimal"
    second = answer(x3.post(PATH, content=envelope("save", xml=order_xml("PS_1043"))))[2]
    assert fields(second.find("GRP[@ID='SOH0_1']"))["SOHNUM"] == "SO0000002"
    stored = sb.sim("sagex3").order("SO0000001")
    assert stored["ORDNOT"] == Decimal("33.00") and [l["AMOUNT"] for l in stored["lines"]] == [
        Decimal("25.00"), Decimal("8.00")]
    assert len(sb.sim("sagex3").raw_saves) == 2


def test_same_reference_twice_is_stored_twice(x3: httpx.Client, sb: Sandbox) -> None:
    for _ in range(2):
        assert answer(x3.post(PATH, content=envelope("save", xml=order_xml("PS_DUP"))))[0] == 1
    assert [o["SOHNUM"] for o in sb.sim("sagex3").find_orders("PS_DUP")] == ["SO0000001", "SO0000002"]


LINE = '<LIN NUM="1"><FLD NAME="ITMREF">MUG-CLASSIC</FLD><FLD NAME="QTY">{qty}</FLD></LIN>'


@pytest.mark.parametrize("xml, expected", [
    (order_xml(customer="NOBODY"), ["BPCORD NOBODY: Customer does not exist"]),
    (order_xml(lines='<LIN NUM="1"><FLD NAME="ITMREF">NOPE</FLD><FLD NAME="QTY">1</FLD></LIN>'),
     ["SOH4_1[1]: ITMREF NOPE: Product does not exist"]),
    (order_xml(lines=""), ["SOH4_1: at least one line is required"]),
    (order_xml(lines=LINE.format(qty="0")), ["SOH4_1[1].QTY: the quantity must be greater than 0"]),
    (order_xml(lines=LINE.format(qty="two")), ["SOH4_1[1].QTY: 'two' is not a number"]),
    (order_xml(extra='<FLD NAME="COLOR">red</FLD>'), ["SOH0_1.COLOR: unknown field"]),
    (order_xml().replace("20260115", "20261315"), ["ORDDAT: '20261315' is not a valid date (YYYYMMDD)"]),
    (order_xml().replace("FR011", "XX999"), ["SALFCY XX999: Record does not exist"]),
    (order_xml(customer="NOBODY").replace("20260115", ""),
     ["BPCORD NOBODY: Customer does not exist", "SOH0_1.ORDDAT: Mandatory field"]),
    (order_xml(extra='<FLD NAME="SOHNUM">SO0000001</FLD>'), ["SOHNUM SO0000001: Record already exists"]),
    ("<PARAM><GRP ID='X9'/></PARAM>", ["X9: unknown block in the SOH object"]),
    ("<PARAM><GRP", None),
])
def test_business_failures_answer_http_200_with_status_0(x3: httpx.Client, sb: Sandbox, xml, expected) -> None:
    if "SO0000001" in xml:
        assert answer(x3.post(PATH, content=envelope("save", xml=order_xml("FIRST"))))[0] == 1
    before = len(sb.sim("sagex3").orders)
    status, messages, result = answer(x3.post(PATH, content=envelope("save", xml=xml)))
    assert status == 0 and result is None
    assert all(kind == 3 for kind, _ in messages)
    if expected is None:
        assert messages[0][1].startswith("objectXml: malformed XML")
    else:
        assert [m for _, m in messages] == expected
    assert len(sb.sim("sagex3").orders) == before


def test_wrong_pool_or_public_name_is_status_0(x3: httpx.Client) -> None:
    status, messages, _ = answer(x3.post(PATH, content=envelope("save", xml=order_xml(), pool="OTHER")))
    assert (status, messages) == (0, [(3, "OTHER: Record does not exist")])
    status, messages, _ = answer(x3.post(PATH, content=envelope("save", "ZSOH", xml=order_xml())))
    assert (status, messages) == (0, [(3, "Web service ZSOH: Record does not exist")])


def test_read_and_query_sales_orders(x3: httpx.Client) -> None:
    for ref in ("PS_A", "PS_B", "PS_A"):
        x3.post(PATH, content=envelope("save", xml=order_xml(ref)))
    status, _, result = answer(x3.post(PATH, content=envelope("read", keys={"SOHNUM": "SO0000002"})))
    assert status == 1 and fields(result.find("GRP[@ID='SOH0_1']"))["CUSORDREF"] == "PS_B"
    assert len(result.findall("TAB[@ID='SOH4_1']/LIN")) == 2
    status, messages, _ = answer(x3.post(PATH, content=envelope("read", keys={"SOHNUM": "SO9"})))
    assert (status, messages) == (0, [(3, "SOHNUM SO9: Record does not exist")])
    status, _, result = answer(x3.post(PATH, content=envelope("query", keys={"CUSORDREF": "PS_A"}, size=10)))
    table = result.find("TAB")
    assert (table.get("ID"), table.get("DIM"), table.get("SIZE")) == ("SOH1_1", "10", "2")
    assert [fields(lin)["SOHNUM"] for lin in table] == ["SO0000001", "SO0000003"]
    _, _, result = answer(x3.post(PATH, content=envelope("query", keys={}, size=2)))
    assert [fields(lin)["SOHNUM"] for lin in result.find("TAB")] == ["SO0000001", "SO0000002"]
    _, _, result = answer(x3.post(PATH, content=envelope("query", keys={"CUSORDREF": "NONE"}, size=5)))
    assert result.find("TAB").get("SIZE") == "0" and len(result.find("TAB")) == 0
    status, messages, _ = answer(x3.post(PATH, content=envelope("query", keys={"COLOR": "x"}, size=5)))
    assert status == 0 and messages[0][1].startswith("COLOR: not a criterion of the SOH query list")


def test_customers_read_and_query(x3: httpx.Client, sb: Sandbox) -> None:
    status, _, result = answer(x3.post(PATH, content=envelope("read", "BPC", keys={"BPCNUM": "WEB000056"})))
    assert status == 1 and fields(result.find("GRP[@ID='BPC0_1']"))["BPCNAM"] == "Claire Martin"
    _, _, result = answer(x3.post(PATH, content=envelope("query", "BPC", keys={}, size=3)))
    assert [fields(lin)["BPCNUM"] for lin in result.find("TAB[@ID='BPC1_1']")] == [
        "WEB000001", "WEB000002", "WEB000003"]
    response = x3.post(PATH, content=envelope("modify", "BPC", xml="<PARAM/>"))
    assert response.status_code == 501 and "modify: not simulated" in _fault(response)[1]


def test_json_answer_with_optreturn(x3: httpx.Client) -> None:
    status, _, _ = answer(x3.post(PATH, content=envelope("save", xml=order_xml())))
    response = x3.post(PATH, content=envelope("read", keys={"SOHNUM": "SO0000001"}, config="adxwss.optreturn=JSON"))
    returned = etree.fromstring(response.content).find(f"{{{ENV}}}Body")[0][0]
    data = json.loads(returned.findtext("resultXml"))
    assert data["SOH0_1"]["SOHNUM"] == "SO0000001" and data["SOH4_1"][0]["GROPRI"] == "12.50"


def _fault(response: httpx.Response) -> tuple[str, str]:
    fault = etree.fromstring(response.content).find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    return fault.findtext("faultcode"), fault.findtext("faultstring")


def test_protocol_errors_are_soap_faults(x3: httpx.Client) -> None:
    response = x3.post(PATH, content=b"<soapenv:Envelope")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/xml")
    assert _fault(response)[0] == "soapenv:Client" and "malformed XML" in _fault(response)[1]
    evil = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + envelope("read", keys={})
    assert "DOCTYPE" in _fault(x3.post(PATH, content=evil))[1]
    assert _fault(x3.post(PATH, content=envelope("frobnicate")))[1] == (
        "No such operation 'frobnicate' in namespace 'http://www.adonix.com/WSS'")
    assert _fault(x3.post(PATH, content=envelope("query", keys={})))[1] == "query: listSize is missing"
    assert x3.post(PATH, content=envelope("read", keys={}), headers={"Content-Type": "application/json"}
                   ).status_code == 415
    assert x3.get(PATH).status_code == 405


def test_basic_auth_is_required(sb: Sandbox) -> None:
    url = sb.url("sagex3") + PATH
    for auth in (None, ("admin", "wrong"), ("nobody", sb.credentials("sagex3")["password"])):
        response = httpx.post(url, content=envelope("read", keys={}), headers=HEADERS, auth=auth)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="Syracuse"'
        assert response.json() == {"$diagnoses": [{"$severity": "error", "$message": "Invalid user name or password"}]}
    response = httpx.get(sb.url("sagex3") + "/api1/x3/erp/SEED/BPCUSTOMER", headers={"Authorization": "Basic !!"})
    assert response.status_code == 401


def test_rest_customers_are_key_set_paged(x3: httpx.Client, sb: Sandbox) -> None:
    url, seen, pages = "/api1/x3/erp/SEED/BPCUSTOMER?representation=BPCUSTOMER.$query&count=7", [], 0
    while url:
        body = x3.get(url).json()
        assert body["$itemsPerPage"] == 7 and len(body["$resources"]) <= 7
        seen += [r["BPCNUM"] for r in body["$resources"]]
        url = body["$links"].get("$next", {}).get("$url")
        pages += 1
    assert seen == sorted(sb.sim("sagex3").customers) and len(seen) == len(set(seen)) and pages > 5
    first = x3.get("/api1/x3/erp/SEED/BPCUSTOMER", params={"representation": "BPCUSTOMER.$query", "count": 1,
                                                            "key": "gt.WEB000055"}).json()["$resources"][0]
    assert first == {"BPCNUM": "WEB000056", "BPCNAM": "Claire Martin", "BPCSHO": "MARTIN", "CUR": "EUR",
                     "CRY": "FR", "CTY": first["CTY"], "POSCOD": first["POSCOD"], "BPCSTA": 2}
    bad = {"representation": "BPCUSTOMER.$details"}
    assert x3.get("/api1/x3/erp/SEED/BPCUSTOMER", params=bad).status_code == 400
    assert x3.get("/api1/x3/erp/OTHER/BPCUSTOMER").status_code == 404
    assert x3.get("/api1/x3/erp/SEED/ITMCATEG").status_code == 404
    assert x3.post("/api1/x3/erp/SEED/BPCUSTOMER").status_code == 405


def test_fault_injection_is_honoured(x3: httpx.Client, sb: Sandbox) -> None:
    sim = sb.sim("sagex3")
    sim.faults = Faults(error_rate=1.0, statuses=(503,), limit=1)
    assert x3.post(PATH, content=envelope("save", xml=order_xml("PS_F1"))).status_code == 503
    assert sim.find_orders("PS_F1") == []  # an injected error is not applied
    sim.faults = Faults(stored_but_lost_rate=1.0, limit=1)
    with pytest.raises(httpx.HTTPError):
        x3.post(PATH, content=envelope("save", xml=order_xml("PS_F2")))
    assert len(sim.find_orders("PS_F2")) == 1  # stored, reply lost: look up before retrying
    status, _, result = answer(x3.post(PATH, content=envelope("query", keys={"CUSORDREF": "PS_F2"}, size=5)))
    assert status == 1 and len(result.find("TAB")) == 1
    assert sim.errors == []
