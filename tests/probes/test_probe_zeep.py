"""Conformance probe: the real SOAP client zeep against the Sage X3 simulator, used as zeep's documentation
shows (a ``Client`` built from the WSDL URL, a ``requests`` session with HTTP Basic auth in its
``Transport``, ``client.service.<operation>(...)``, ``client.get_type``, ``xsd.AnyObject`` for the
SOAP-encoded arrays). It lists (query with a list size), pages (a larger list size; X3's ``query`` has no
offset), filters (query keys), reads one, writes one (save) and provokes errors (unknown object, unknown key,
an operation the simulator does not simulate). Issue 13, gap 5: the simulator served no WSDL before.

Offline: the WSDL imports the SOAP-encoding namespace without a location, as Axis WSDLs do; zeep would fetch
http://schemas.xmlsoap.org/soap/encoding/ — the test puts a schema of that namespace in zeep's cache.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree
from requests import Session

zeep = pytest.importorskip("zeep")
from zeep import Client, xsd  # noqa: E402
from zeep.cache import InMemoryCache  # noqa: E402
from zeep.exceptions import Fault  # noqa: E402
from zeep.transports import Transport  # noqa: E402

from passerelle_sandbox import Sandbox  # noqa: E402
from passerelle_sandbox.x3_wsdl import SOAP_ENCODING_URL, SOAP_ENCODING_XSD, WSDL_PATH  # noqa: E402


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(systems=("sagex3",), orders=5) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb: Sandbox) -> Client:
    creds = sb.credentials("sagex3")
    session = Session()
    session.auth = (creds["username"], creds["password"])
    cache = InMemoryCache()
    cache.add(SOAP_ENCODING_URL, SOAP_ENCODING_XSD)
    return Client(f"{sb.url('sagex3')}{WSDL_PATH}?wsdl", transport=Transport(session=session, cache=cache))


@pytest.fixture(scope="module")
def context(sb: Sandbox) -> dict[str, str]:
    return {"codeLang": "ENG", "poolAlias": sb.credentials("sagex3")["pool"], "poolId": "", "requestConfig": ""}


def keys(client: Client, **pairs: str):
    """An ``ArrayOfCAdxParamKeyValue`` (a SOAP-encoded array: zeep sees its items as ``xsd:any``)."""
    kv = client.get_type("ns0:CAdxParamKeyValue")
    item = xsd.Element("item", kv)
    return client.get_type("ns0:ArrayOfCAdxParamKeyValue")(
        [xsd.AnyObject(item, item(key=k, value=v)) for k, v in pairs.items()])


def rows(result) -> list[dict[str, str]]:
    root = etree.fromstring(result.resultXml.encode())
    return [{f.get("NAME"): f.text or "" for f in lin.findall("FLD")} for lin in root.iter("LIN")]


def test_the_wsdl_describes_the_x3_operations(client: Client, sb: Sandbox) -> None:
    service = client.wsdl.services["CAdxWebServiceXmlCCService"]
    port = service.ports["CAdxWebServiceXmlCC"]
    assert {"run", "save", "read", "query", "modify", "delete"} <= set(port.binding._operations)
    assert port.binding_options["address"] == sb.url("sagex3") + \
        "/soap-generic/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"
    assert str(port.binding.port_name) == "{http://www.adonix.com/WSS}CAdxWebServiceXmlCC"


def test_list_and_page_with_the_list_size(client: Client, context: dict, sb: Sandbox) -> None:
    first = client.service.query(context, "BPC", keys(client), 3)
    assert first.status == 1 and first.messages == []
    codes = [r["BPCNUM"] for r in rows(first)]
    assert codes == sorted(sb.sim("sagex3").customers)[:3]
    more = client.service.query(context, "BPC", keys(client), 6)
    assert [r["BPCNUM"] for r in rows(more)][:3] == codes and len(rows(more)) == 6
    assert first.technicalInfos.poolEntryIdx == 1 and first.technicalInfos.busy is False


def test_filter_read_one_and_write_one(client: Client, context: dict, sb: Sandbox) -> None:
    found = client.service.query(context, "BPC", keys(client, BPCNUM="WEB000056"), 10)
    assert [r["BPCNAM"] for r in rows(found)] == ["Claire Martin"]
    one = client.service.read(context, "BPC", keys(client, BPCNUM="WEB000056"))
    assert one.status == 1 and rows(one) == [] and "<GRP ID=\"BPC0_1\">" in one.resultXml
    order = ('<PARAM><GRP ID="SOH0_1"><FLD NAME="SALFCY">FR011</FLD><FLD NAME="SOHTYP">SON</FLD>'
             '<FLD NAME="ORDDAT">20260115</FLD><FLD NAME="BPCORD">WEB000056</FLD>'
             '<FLD NAME="CUSORDREF">ZEEP-1</FLD></GRP><TAB ID="SOH4_1"><LIN NUM="1">'
             '<FLD NAME="ITMREF">MUG-CLASSIC</FLD><FLD NAME="QTY">2</FLD></LIN></TAB></PARAM>')
    saved = client.service.save(context, "SOH", order)
    assert saved.status == 1, saved.messages
    number = etree.fromstring(saved.resultXml.encode()).findtext("GRP[@ID='SOH0_1']/FLD[@NAME='SOHNUM']")
    assert [o["SOHNUM"] for o in sb.sim("sagex3").find_orders("ZEEP-1")] == [number]
    back = client.service.read(context, "SOH", keys(client, SOHNUM=number))
    assert back.status == 1 and [r["ITMREF"] for r in rows(back)] == ["MUG-CLASSIC"]


def test_errors_come_back_as_x3_sends_them(client: Client, context: dict) -> None:
    unknown = client.service.read(context, "ZNOPE", keys(client, BPCNUM="WEB000056"))
    assert unknown.status == 0 and unknown.resultXml is None
    assert [(m.type, m.message) for m in unknown.messages] == [("3", "Web service ZNOPE: Record does not exist")]
    missing = client.service.read(context, "BPC", keys(client, BPCNUM="NOBODY"))
    assert (missing.status, missing.messages[0].message) == (0, "BPCNUM NOBODY: Record does not exist")
    with pytest.raises(Fault, match="not simulated"):
        client.service.run(context, "ZSUBPROG", "<PARAM/>")
