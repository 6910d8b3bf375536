"""SOAP 1.1 calls (engine/connectors/codecs/soap.py): envelopes, answers, faults, and the sagex3 connector's
operations run by HttpEndpoint against the X3 simulator."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from lxml import etree

from engine.connectors.http.client import HttpEndpoint, HttpError
from engine.connectors.compile import open_connector
from engine.connectors.codecs.soap import SoapError, decode_soap, encode_soap, soap_fault_message
from engine.spec.env import Secret
from engine.project.load import ConnectorStore
from passerelle_sandbox import Sandbox

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSS = "http://www.adonix.com/WSS"
CONTEXT = {"codeLang": "ENG", "poolAlias": "{settings.pool}", "poolId": "", "requestConfig": ""}
SAVE = {"soap": {"action": "save", "public_name": "{settings.pub}", "call_context": CONTEXT}}
QUERY = {"soap": {"action": "query", "public_name": "SOH", "call_context": CONTEXT,
                  "keys": {"CUSORDREF": "{reference}"}, "list_size": "{settings.size}"}}
CTX = {"settings": {"pool": "SEED", "pub": "ZSOH", "size": 10}, "reference": "PS_1042"}
PAYLOAD = {"SOH0_1": {"BPCORD": "WEB000056", "QTY": Decimal("1.50")}, "SOH4_1": [{"ITMREF": "MUG"}]}


def _call(content: bytes) -> etree._Element:
    root = etree.fromstring(content)
    assert root.tag == f"{{{ENV}}}Envelope"
    return root.find(f"{{{ENV}}}Body")[0]


def test_save_envelope_carries_context_public_name_and_param_in_cdata() -> None:
    content, headers = encode_soap(SAVE, PAYLOAD, CTX)
    assert headers == {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml", "SOAPAction": '""'}
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    call = _call(content)
    assert call.tag == f"{{{WSS}}}save"
    assert call.get(f"{{{ENV}}}encodingStyle") == "http://schemas.xmlsoap.org/soap/encoding/"
    assert [c.tag for c in call] == ["callContext", "publicName", "objectXml"]
    context = call.find("callContext")
    assert context.get(f"{{{XSI}}}type") == "wss:CAdxCallContext"
    assert [(c.tag, c.text or "") for c in context] == [("codeLang", "ENG"), ("poolAlias", "SEED"),
                                                        ("poolId", ""), ("requestConfig", "")]
    assert call.find("publicName").text == "ZSOH"
    assert b"<![CDATA[<PARAM><GRP ID=\"SOH0_1\"><FLD NAME=\"BPCORD\">WEB000056</FLD>" in content
    assert call.find("objectXml").text.endswith('<FLD NAME="QTY">1.50</FLD></GRP><TAB ID="SOH4_1"><LIN NUM="1">'
                                                '<FLD NAME="ITMREF">MUG</FLD></LIN></TAB></PARAM>')


def test_query_envelope_has_keys_and_list_size() -> None:
    call = _call(encode_soap(QUERY, None, CTX)[0])
    assert [c.tag for c in call] == ["callContext", "publicName", "objectKeys", "listSize"]
    keys = call.find("objectKeys")
    assert keys.get("{http://schemas.xmlsoap.org/soap/encoding/}arrayType") == "wss:CAdxParamKeyValue[1]"
    assert [(i.findtext("key"), i.findtext("value")) for i in keys] == [("CUSORDREF", "PS_1042")]
    assert call.findtext("listSize") == "10"


def test_read_and_payload_edge_cases() -> None:
    read = {"soap": {"action": "read", "public_name": "BPC", "keys": {"BPCNUM": "{number}"},
                     "soap_action": "urn:read"}}
    content, headers = encode_soap(read, None, {"settings": {}, "number": "WEB000001"})
    assert headers["SOAPAction"] == '"urn:read"'
    assert [(i.findtext("key"), i.findtext("value")) for i in _call(content).find("objectKeys")] == [
        ("BPCNUM", "WEB000001")]
    # "]]>" cannot sit in CDATA: the text is escaped instead and reads back the same
    content, _ = encode_soap(SAVE, {"G": {"A": "x]]>y"}}, CTX)
    assert _call(content).findtext("objectXml") == '<PARAM><GRP ID="G"><FLD NAME="A">x]]&gt;y</FLD></GRP></PARAM>'
    content, _ = encode_soap(SAVE, "<PARAM/>", CTX)  # a prebuilt PARAM text is sent as given
    assert _call(content).findtext("objectXml") == "<PARAM/>"
    run = {"soap": {"action": "run", "public_name": "YGETSTO"}}
    assert _call(encode_soap(run, {"G": {"A": 1}}, CTX)[0])[-1].tag == "inputXml"


@pytest.mark.parametrize("op, payload, message", [
    ({"soap": {"public_name": "SOH"}}, {}, "need an `action`"),
    (SAVE, None, "a SOAP save needs a payload"),
    (SAVE, {"G": {"A": True}}, "payload: G.A: a boolean"),
    ({"soap": {"action": "query", "list_size": "ten"}}, None, "list_size must be a whole number"),
    ({"soap": {"action": "read", "keys": ["A"]}}, None, "soap.keys must map"),
])
def test_bad_settings_or_payloads_raise_soap_error(op, payload, message) -> None:
    with pytest.raises(SoapError) as info:
        encode_soap(op, payload, CTX)
    assert message in str(info.value)


def _answer(inner: str, method: str = "save") -> bytes:
    return (f'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="{ENV}" xmlns:wss="{WSS}"><soapenv:Body>'
            f'<wss:{method}Response><{method}Return>{inner}</{method}Return></wss:{method}Response>'
            f'</soapenv:Body></soapenv:Envelope>').encode()


def test_decode_success_with_result_xml() -> None:
    body = _answer('<messages/><resultXml><![CDATA[<RESULT><GRP ID="SOH0_1"><FLD NAME="SOHNUM" TYPE="Char">'
                   'SO1</FLD><FLD NAME="ORDNOT" TYPE="Decimal">33.10</FLD></GRP></RESULT>]]></resultXml>'
                   '<status>1</status><technicalInfos><busy>false</busy></technicalInfos>')
    assert decode_soap(body, SAVE) == {"status": 1, "messages": [], "error": None,
                                       "result": {"SOH0_1": {"SOHNUM": "SO1", "ORDNOT": Decimal("33.10")}}}


def test_decode_business_failure_prefers_error_messages() -> None:
    body = _answer('<messages><messages><message>just info</message><type>1</type></messages>'
                   '<messages><message>BPCORD X: Customer does not exist</message><type>3</type></messages>'
                   '<messages><message>ITMREF Y: Product does not exist</message><type>3</type></messages>'
                   '</messages><resultXml/><status>0</status>')
    decoded = decode_soap(body, SAVE)
    assert decoded["status"] == 0 and decoded["result"] == {}
    assert decoded["messages"][0] == {"type": 1, "message": "just info"}
    assert decoded["error"] == "BPCORD X: Customer does not exist; ITMREF Y: Product does not exist"
    # CAdxMessage items named as in the WSDL, and a status 0 without any message
    other = _answer('<messages><wss:CAdxMessage><wss:message>Oops</wss:message><wss:type>2</wss:type>'
                    '</wss:CAdxMessage></messages><status>0</status>')
    assert decode_soap(other)["error"] == "Oops"
    assert decode_soap(_answer("<status>0</status>"))["error"] == "status 0"


def test_decode_json_result_keeps_decimals_exact() -> None:
    body = _answer('<resultXml>{"SOH0_1": {"SOHNUM": "SO1", "ORDNOT": 33.10}}</resultXml><status>1</status>')
    result = decode_soap(body)["result"]
    assert result == {"SOH0_1": {"SOHNUM": "SO1", "ORDNOT": Decimal("33.10")}}
    assert str(result["SOH0_1"]["ORDNOT"]) == "33.10"


FAULT = (f'<soapenv:Envelope xmlns:soapenv="{ENV}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server'
         f'</faultcode><faultstring>Pool SEED is not started</faultstring></soapenv:Fault></soapenv:Body>'
         f'</soapenv:Envelope>').encode()


def test_faults_decode_as_failures_and_give_a_message() -> None:
    decoded = decode_soap(FAULT)
    assert decoded["status"] == 0 and decoded["error"] == "soapenv:Server: Pool SEED is not started"
    assert decoded["fault"] == {"code": "soapenv:Server", "string": "Pool SEED is not started"}
    assert soap_fault_message(FAULT) == "soapenv:Server: Pool SEED is not started"
    soap12 = (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>'
              b'e:Sender</e:Value></e:Code><e:Reason><e:Text xml:lang="en">Bad call</e:Text></e:Reason></e:Fault>'
              b'</e:Body></e:Envelope>')
    assert soap_fault_message(soap12) == "e:Sender: Bad call"
    assert soap_fault_message(_answer("<status>1</status>")) is None
    assert soap_fault_message(b'{"$diagnoses": []}') is None


@pytest.mark.parametrize("body, message", [
    (b"<html/>", "expected a SOAP <Envelope>"),
    (f'<e:Envelope xmlns:e="{ENV}"/>'.encode(), "no <Body>"),
    (f'<e:Envelope xmlns:e="{ENV}"><e:Body/></e:Envelope>'.encode(), "<Body> is empty"),
    (_answer("<status>yes</status>"), "no integer <status>"),
    (_answer("<resultXml>&lt;RESULT&gt;</resultXml><status>1</status>"), "unreadable resultXml"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE"),
])
def test_unreadable_answers_raise_soap_error(body, message) -> None:
    with pytest.raises(SoapError) as info:
        decode_soap(body)
    assert message in str(info.value)


# -- the sagex3 connector through HttpEndpoint, against the simulator ---------------------------------

def _definition() -> dict:
    store = ConnectorStore()
    return store.load(store.find("sagex3", Path.cwd())).data["connector"]


@pytest.fixture(scope="module")
def x3():
    with Sandbox(systems=("sagex3",), orders=5) as sb:
        creds = sb.credentials("sagex3")
        settings = {"base_url": sb.url("sagex3"), "username": creds["username"],
                    "password": Secret(creds["password"]), "pool": creds["pool"], "folder": creds["folder"],
                    "language": "ENG", "order_publication": "SOH", "lookup_size": 10}
        with open_connector("x3", _definition(), settings) as ep:
            yield sb, ep


def _order(reference: str, customer: str = "WEB000056") -> dict:
    return {"SOH0_1": {"SALFCY": "FR011", "SOHTYP": "SON", "ORDDAT": "20260115", "BPCORD": customer,
                       "CUSORDREF": reference},
            "SOH4_1": [{"ITMREF": "MUG-CLASSIC", "QTY": 3, "GROPRI": Decimal("8.00")}]}


def test_create_sales_order_returns_the_order_number(x3) -> None:
    sb, ep = x3
    result = ep.write("create_sales_order", _order("PS_UNIT_1"))
    assert result.status == 200 and result.result.startswith("SO")
    assert sb.sim("sagex3").order(result.result)["ORDNOT"] == Decimal("24.00")


def test_status_zero_is_a_failure_with_the_x3_text(x3) -> None:
    sb, ep = x3
    before = len(sb.sim("sagex3").orders)
    with pytest.raises(HttpError) as info:
        ep.write("create_sales_order", _order("PS_UNIT_2", customer="NOBODY"))
    assert info.value.status == 200 and not info.value.transient and not info.value.outcome_unknown
    assert "BPCORD NOBODY: Customer does not exist" in info.value.message
    assert len(sb.sim("sagex3").orders) == before


def test_find_operation_request_finds_the_order_by_reference(x3) -> None:
    """What HttpEndpoint.find must do for a SOAP look-up: POST the built envelope, decode, apply records."""
    sb, ep = x3
    created = ep.write("create_sales_order", _order("PS_UNIT_3")).result
    req = ep.build_write("find_sales_order", None, {"reference": "PS_UNIT_3"})
    response = ep.send(req["method"], req["path"], content=req["content"], headers=req["headers"])
    rows = req["op"].records.search(decode_soap(response.content))
    assert [row["SOHNUM"] for row in rows] == [created]
    req = ep.build_write("find_sales_order", None, {"reference": "PS_NEVER"})
    response = ep.send(req["method"], req["path"], content=req["content"], headers=req["headers"])
    assert req["op"].records.search(decode_soap(response.content)) == []


def test_endpoint_find_runs_the_soap_query(x3) -> None:
    sb, ep = x3
    created = ep.write("create_sales_order", _order("PS_UNIT_4")).result
    assert [row["SOHNUM"] for row in ep.find("find_sales_order", {"reference": "PS_UNIT_4"})] == [created]


def test_a_soap_fault_is_an_http_error_whose_body_names_the_fault(x3) -> None:
    sb, ep = x3
    with pytest.raises(HttpError) as info:
        ep.send("POST", f"{sb.url('sagex3')}/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC",
                content=b"<not-soap/>", headers={"Content-Type": "text/xml"}, idempotent=False)
    assert info.value.status == 500 and info.value.outcome_unknown
    raw = httpx.post(f"{sb.url('sagex3')}/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC",
                     content=b"<not-soap/>", headers={"Content-Type": "text/xml"},
                     auth=(sb.credentials("sagex3")["username"], sb.credentials("sagex3")["password"]))
    assert soap_fault_message(raw.content).startswith("soapenv:Client: expected a SOAP 1.1 Envelope")
