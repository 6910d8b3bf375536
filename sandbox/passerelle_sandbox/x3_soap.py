"""SOAP 1.1 wire format of the simulated ``CAdxWebServiceXmlCC``: envelopes in, results
and faults out, and the ``<PARAM>``/``<RESULT>`` object XML. Standard library + lxml only.

Request (RPC style; element names are not namespace-checked below the method, as Axis does not)::

    <soapenv:Envelope><soapenv:Body><wss:save>
      <callContext><codeLang>ENG</codeLang><poolAlias>SEED</poolAlias><poolId/><requestConfig/></callContext>
      <publicName>SOH</publicName>
      <objectXml><![CDATA[<PARAM><GRP ID="SOH0_1"><FLD NAME="BPCORD">…</FLD></GRP>…</PARAM>]]></objectXml>
    </wss:save></soapenv:Body></soapenv:Envelope>

``read`` / ``query`` carry ``objectKeys`` (``<item><key>K</key><value>V</value></item>``…) and ``query`` a
``listSize``. Answer: ``<wss:saveResponse><saveReturn xsi:type="wss:CAdxResultXml">`` with ``messages``
(``CAdxMessage{type, message}``), ``resultXml`` (CDATA ``<RESULT>`` with ``FLD TYPE=…``, or JSON keyed by
group ID with ``adxwss.optreturn=JSON``), ``status`` (1 OK, 0 failure) and ``technicalInfos``.
Faults are SOAP 1.1 ``<soapenv:Fault>`` with ``faultcode``/``faultstring`` (HTTP 500).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from passerelle_sandbox.x3_wsdl import TECHNICAL_INFOS

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
WSS = "http://www.adonix.com/WSS"
# CAdxTechnicalInfos values of a quick pooled call (the durations are milliseconds [assumption])
_TECHNICAL_VALUES = {"nbDistributionCycle": "-1", "poolEntryIdx": "1", "poolExecDuration": "9",
                     "poolRequestDuration": "10", "totalDuration": "12", "processReport": "",
                     "processReportSize": "-1", "traceRequest": "", "traceRequestSize": "-1"}
ACTIONS = ("run", "save", "delete", "read", "query", "modify", "actionObject", "actionObjectKeys", "insertLines",
           "deleteLines", "getDescription", "getDataXmlSchema")  # the operations of the WSDL (:mod:`.x3_wsdl`)


class SoapFault(Exception):
    """Answer with a SOAP fault (``client`` = the request's fault, else the server's), HTTP ``status``."""

    def __init__(self, message: str, client: bool = True, status: int = 500) -> None:
        super().__init__(message)
        self.message, self.client, self.status = message, client, status


class Rejected(Exception):
    """A business rejection: HTTP 200, status 0, these error messages (type 3)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(messages[0] if messages else "rejected")
        self.messages = list(messages)


@dataclass
class SoapCall:
    action: str
    namespace: str
    context: dict[str, str]
    public_name: str
    object_xml: str | None = None
    keys: list[tuple[str, str]] = field(default_factory=list)
    list_size: int | None = None

    @property
    def json_answer(self) -> bool:
        config = self.context.get("requestConfig") or ""
        return any(part.strip().lower() == "adxwss.optreturn=json" for part in config.split("&"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def safe_parse(data: bytes, what: str) -> etree._Element:
    """Parse without DTDs or entities (a DOCTYPE is refused); raise SoapFault when unreadable."""
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise SoapFault(f"{what}: DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SoapFault(f"{what}: malformed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault(f"{what}: DOCTYPE and ENTITY declarations are not allowed")
    return root


def local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _kids(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in _kids(el) if local(c.tag) == name), None)


def _text(el: etree._Element | None) -> str:
    return "" if el is None else "".join(el.itertext())


def parse_call(body: bytes) -> SoapCall:
    root = safe_parse(body, "SOAP request")
    if root.tag != f"{{{ENV}}}Envelope":
        raise SoapFault(f"expected a SOAP 1.1 Envelope ({ENV}), found <{root.tag}>")
    soap_body = _kid(root, "Body")
    if soap_body is None or not _kids(soap_body):
        raise SoapFault("the SOAP Envelope has no Body element")
    call = _kids(soap_body)[0]
    action = local(call.tag)
    namespace = call.tag[1:].partition("}")[0] if call.tag.startswith("{") else ""
    if action not in ACTIONS or namespace != WSS:
        raise SoapFault(f"No such operation '{action}' in namespace '{namespace}'")
    context_el = _kid(call, "callContext")
    if context_el is None:
        raise SoapFault("callContext is missing")
    context = {local(c.tag): _text(c).strip() for c in _kids(context_el)}
    result = SoapCall(action, namespace, context, _text(_kid(call, "publicName")).strip())
    payload = _kid(call, "objectXml") if action != "run" else _kid(call, "inputXml")
    result.object_xml = None if payload is None else _text(payload)
    keys = _kid(call, "objectKeys")
    if keys is not None:
        for item in _kids(keys):
            result.keys.append((_text(_kid(item, "key")).strip(), _text(_kid(item, "value"))))
    size = _kid(call, "listSize")
    if size is not None:
        text = _text(size).strip()
        if not text.lstrip("-").isdigit():
            raise SoapFault(f"listSize: '{text}' is not an integer")
        result.list_size = int(text)
    return result


# -- object XML -----------------------------------------------------------------------------------------

def parse_param(text: str) -> dict[str, Any]:
    """``<PARAM>`` → {group ID: {field: text}, table ID: [{field: text}, …]} (lists as lists of text)."""
    try:
        root = safe_parse(text.encode("utf-8"), "objectXml")
    except SoapFault as fault:  # the envelope was fine: X3 reports a bad object XML as a failure
        raise Rejected(fault.message) from None
    if local(root.tag) != "PARAM":
        raise Rejected(f"objectXml: expected <PARAM>, found <{local(root.tag)}>")
    blocks: dict[str, Any] = {}
    for block in _kids(root):
        kind, ident = local(block.tag), block.get("ID") or ""
        if kind not in ("GRP", "TAB") or not ident:
            raise Rejected(f"objectXml: unexpected <{kind}> (only GRP and TAB with an ID)")
        if ident in blocks:
            raise Rejected(f"objectXml: block {ident} appears twice")
        if kind == "GRP":
            blocks[ident] = _fields(block, ident)
        else:
            rows = [lin for lin in _kids(block) if local(lin.tag) == "LIN"]
            blocks[ident] = [_fields(lin, f"{ident}[{lin.get('NUM', i + 1)}]") for i, lin in enumerate(rows)]
    return blocks


def _fields(el: etree._Element, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fld in _kids(el):
        name = fld.get("NAME") or ""
        if local(fld.tag) not in ("FLD", "LST") or not name:
            raise Rejected(f"{where}: unexpected <{local(fld.tag)}> (FLD or LST with a NAME)")
        if name in out:
            raise Rejected(f"{where}: field {name} appears twice")
        out[name] = [_text(i) for i in _kids(fld)] if local(fld.tag) == "LST" else _text(fld)
    return out


def _type_of(value: Any) -> str:
    return "Decimal" if isinstance(value, Decimal) else "Integer" if isinstance(value, int) else "Char"


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def render_result(blocks: dict[str, Any], as_json: bool, table_dims: dict[str, int] | None = None) -> str:
    """``<RESULT>`` (or JSON keyed by block ID) for {ID: dict (GRP) | list of dicts (TAB)}."""
    if as_json:  # tables as arrays of objects [assumption: the JSON layout of tables is not public]
        return json.dumps({k: ({f: _plain(v) for f, v in b.items()} if isinstance(b, dict)
                               else [{f: _plain(v) for f, v in row.items()} for row in b])
                           for k, b in blocks.items()}, ensure_ascii=False)
    root = etree.Element("RESULT")
    for ident, block in blocks.items():
        if isinstance(block, dict):
            _fill(etree.SubElement(root, "GRP", ID=ident), block)
            continue
        dim = (table_dims or {}).get(ident, len(block))
        tab = etree.SubElement(root, "TAB", DIM=str(dim), ID=ident, SIZE=str(len(block)))
        for num, row in enumerate(block, 1):
            _fill(etree.SubElement(tab, "LIN", NUM=str(num)), row)
    return etree.tostring(root, encoding="unicode")


def _fill(parent: etree._Element, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if isinstance(value, list):  # a list field (LST), e.g. the address lines BPAADDLIG
            lst = etree.SubElement(parent, "LST", NAME=name, SIZE=str(len(value)), TYPE="Char")
            for item in value:
                etree.SubElement(lst, "ITM").text = _plain(item)
            continue
        etree.SubElement(parent, "FLD", NAME=name, TYPE=_type_of(value)).text = _plain(value)


def result_envelope(action: str, status: int, messages: list[tuple[int, str]], result: str | None) -> bytes:
    nsmap = {"soapenv": ENV, "soapenc": ENC, "xsd": XSD, "xsi": XSI, "wss": WSS}
    envelope = etree.Element(f"{{{ENV}}}Envelope", nsmap=nsmap)
    body = etree.SubElement(envelope, f"{{{ENV}}}Body")
    response = etree.SubElement(body, f"{{{WSS}}}{action}Response")
    response.set(f"{{{ENV}}}encodingStyle", ENC)
    returned = etree.SubElement(response, f"{action}Return")
    returned.set(f"{{{XSI}}}type", "wss:CAdxResultXml")
    holder = etree.SubElement(returned, "messages")
    holder.set(f"{{{XSI}}}type", "soapenc:Array")
    holder.set(f"{{{ENC}}}arrayType", f"wss:CAdxMessage[{len(messages)}]")
    for kind, text in messages:
        item = etree.SubElement(holder, "messages")
        item.set(f"{{{XSI}}}type", "wss:CAdxMessage")
        _typed(item, "message", "xsd:string", text)
        _typed(item, "type", "xsd:string", str(kind))
    xml = _typed(returned, "resultXml", "xsd:string", None)
    if result:
        xml.text = etree.CDATA(result)
    _typed(returned, "status", "xsd:int", str(status))
    infos = etree.SubElement(returned, "technicalInfos")
    infos.set(f"{{{XSI}}}type", "wss:CAdxTechnicalInfos")
    for name, xsd_type in TECHNICAL_INFOS:  # every field, in the WSDL's order (a sequence: zeep checks it)
        _typed(infos, name, xsd_type, _TECHNICAL_VALUES.get(name, "false" if xsd_type == "xsd:boolean" else "0"))
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True)


def _typed(parent: etree._Element, name: str, kind: str, text: str | None) -> etree._Element:
    element = etree.SubElement(parent, name)
    element.set(f"{{{XSI}}}type", kind)
    element.text = text
    return element


def fault_envelope(message: str, client: bool = True) -> bytes:
    envelope = etree.Element(f"{{{ENV}}}Envelope", nsmap={"soapenv": ENV})
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{ENV}}}Body"), f"{{{ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soapenv:Client" if client else "soapenv:Server"
    etree.SubElement(fault, "faultstring").text = message
    etree.SubElement(fault, "detail")
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True)
