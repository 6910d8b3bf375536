"""SOAP 1.1 calls for operations with ``body: soap`` (RPC/encoded services such as Sage X3's classic
``CAdxWebServiceXmlCC``). Used by :meth:`HttpEndpoint.build_write` / ``write``.

The operation's ``soap`` object (every string is a template over ``settings`` and the write's values)::

    soap:
      action: save              # the service method: save | modify | read | query | delete | run
                                #   (any other name is sent as is, with the call context and public name)
      public_name: "{settings.order_publication}"   # publicName (what the customer published)
      namespace: http://www.adonix.com/WSS           # default; the method element's namespace
      call_context:             # CAdxCallContext children, in this order (xsd:string each)
        codeLang: ENG
        poolAlias: "{settings.pool}"
        poolId: ""
        requestConfig: ""       # e.g. adxwss.optreturn=JSON: the answer's resultXml is then JSON
      keys: { SOHNUM: "{number}" }  # read / query / modify / delete: objectKeys (CAdxParamKeyValue[])
      list_size: 10             # query: listSize
      payload_element: objectXml    # save / modify (default objectXml), run (default inputXml)
      soap_action: ""           # SOAPAction header, sent quoted ("" by default, as X3 expects)

Headers sent: ``Content-Type: text/xml; charset=utf-8``, ``Accept: text/xml`` (over a connector-wide
``Accept: application/json`` meant for its REST resources) and ``SOAPAction``.

The payload of a save/modify/run is a dict of groups/tables written as ``<PARAM>`` by
:mod:`engine.connectors.codecs.paramxml` and sent in CDATA (a ``str`` payload is sent as given). A key whose value
renders empty is still sent (an empty criterion is the caller's choice).

:func:`decode_soap` turns the answer (``<xxxResponse><xxxReturn>``: ``CAdxResultXml``) into::

    {"status": 1, "messages": [{"type": 3, "message": "…"}], "error": None,
     "result": {"SOH0_1": {"SOHNUM": "SO0000001", …}, "SOH4_1": [{…}, …]}}

* ``status`` is the service's integer (1 = OK, 0 = failure — X3 answers a rejected order with HTTP 200
  and status 0); ``messages`` lists every ``CAdxMessage`` (type 1 info, 2 warning, 3 error);
* ``error`` is ``None`` when status is 1, else the error messages joined by ``"; "`` (all messages when
  none has type 3, ``"status 0"`` when there are none) — a connector writes
  ``failure: "status == `0` && error"`` and the engine's failure message shows the X3 text;
* ``result`` is the ``resultXml`` decoded (``<RESULT>`` → groups/tables; a JSON text, as sent with
  ``adxwss.optreturn=JSON``, is parsed with exact decimals); ``{}`` when absent.

A SOAP fault (normally HTTP 500, which the engine reports before decoding) decodes as
``{"status": 0, "fault": {"code", "string"}, "error": "<faultcode>: <faultstring>", …}`` so a fault sent
with HTTP 200 still trips ``failure``. :func:`soap_fault_message` gives that text for error bodies.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from lxml import etree

from engine.connectors.codecs.paramxml import ParamXmlError, decode_param_element, encode_param
from engine.connectors.codecs.xmlcodec import XmlError, parse_xml
from engine.connectors.templates import render_tree, text_of

__all__ = ["SoapError", "encode_soap", "encode_soap_call", "decode_soap", "soap_fault_message", "ENV_NS"]

ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12_NS = "http://www.w3.org/2003/05/soap-envelope"
ENC_NS = "http://schemas.xmlsoap.org/soap/encoding/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
DEFAULT_NS = "http://www.adonix.com/WSS"
KEYED = ("read", "query", "modify", "delete", "actionObject", "deleteLines", "insertLines")
WITH_PAYLOAD = {"save": "objectXml", "modify": "objectXml", "run": "inputXml", "insertLines": "objectXml"}


class SoapError(ValueError):
    """An operation whose SOAP settings or payload cannot be sent, or an answer that cannot be read."""


def _xsi(el: etree._Element, kind: str) -> etree._Element:
    el.set(f"{{{XSI_NS}}}type", kind)
    return el


def _string(parent: etree._Element, name: str, value: Any) -> etree._Element:
    el = _xsi(etree.SubElement(parent, name), "xsd:string")
    try:
        el.text = text_of(value)
    except ValueError:
        raise SoapError(f"<{name}>: the value holds characters XML cannot carry") from None
    return el


def _cdata(parent: etree._Element, name: str, text: str) -> None:
    el = _xsi(etree.SubElement(parent, name), "xsd:string")
    try:
        el.text = etree.CDATA(text) if "]]>" not in text else text  # escaped text reads the same
    except ValueError:
        raise SoapError(f"<{name}>: the payload holds characters XML cannot carry") from None


def encode_soap(op: dict, payload: Any, ctx: dict) -> tuple[bytes, dict]:
    """The SOAP 1.1 envelope and headers of one call (see the module docstring for ``op["soap"]``)."""
    return encode_soap_call(render_tree(dict(op.get("soap") or {}), ctx, reveal=True), payload)


def encode_soap_call(spec: dict, payload: Any) -> tuple[bytes, dict]:
    """The envelope for the ``soap`` settings already rendered with the write's values."""
    action = text_of(spec.get("action") or "")
    if not action:
        raise SoapError("the operation's soap settings need an `action` (save, read, query…)")
    ns = text_of(spec.get("namespace") or DEFAULT_NS)
    nsmap = {"soapenv": ENV_NS, "soapenc": ENC_NS, "xsi": XSI_NS, "xsd": XSD_NS, "wss": ns}
    envelope = etree.Element(f"{{{ENV_NS}}}Envelope", nsmap=nsmap)
    etree.SubElement(envelope, f"{{{ENV_NS}}}Header")
    body = etree.SubElement(envelope, f"{{{ENV_NS}}}Body")
    call = etree.SubElement(body, f"{{{ns}}}{action}")
    call.set(f"{{{ENV_NS}}}encodingStyle", ENC_NS)
    context = _xsi(etree.SubElement(call, "callContext"), "wss:CAdxCallContext")
    for name, value in (spec.get("call_context") or {}).items():
        _string(context, name, value)
    _string(call, "publicName", spec.get("public_name", ""))
    if action in KEYED or spec.get("keys"):
        keys = spec.get("keys") or {}
        if not isinstance(keys, dict):
            raise SoapError("soap.keys must map key names to values")
        holder = _xsi(etree.SubElement(call, "objectKeys"), "wss:ArrayOfCAdxParamKeyValue")
        holder.set(f"{{{ENC_NS}}}arrayType", f"wss:CAdxParamKeyValue[{len(keys)}]")
        for key, value in keys.items():
            item = _xsi(etree.SubElement(holder, "item"), "wss:CAdxParamKeyValue")
            _string(item, "key", key)
            _string(item, "value", value)
    if action == "query" or "list_size" in spec:
        size = text_of(spec.get("list_size", 100))
        if not size.isdigit():
            raise SoapError(f"soap.list_size must be a whole number, got {size!r}")
        _xsi(etree.SubElement(call, "listSize"), "xsd:int").text = size
    element = spec.get("payload_element") or WITH_PAYLOAD.get(action)
    if element:
        if payload is None:
            raise SoapError(f"a SOAP {action} needs a payload (the object's groups and tables)")
        try:
            text = payload if isinstance(payload, str) else encode_param(payload).decode("utf-8")
        except ParamXmlError as exc:
            raise SoapError(f"payload: {exc}") from None
        _cdata(call, text_of(element), text)
    content = etree.tostring(envelope, encoding="UTF-8", xml_declaration=True)
    headers = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml",
               "SOAPAction": '"' + text_of(spec.get("soap_action", "")) + '"'}
    return content, headers


# -- answers ----------------------------------------------------------------------------------------

def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in _children(el) if _local(c.tag) == name), None)


def _body(content: bytes) -> etree._Element:
    try:
        root = parse_xml(content)
    except XmlError as exc:
        raise SoapError(f"unreadable SOAP answer: {exc}") from None
    if _local(root.tag) != "Envelope":
        raise SoapError(f"expected a SOAP <Envelope>, found <{_local(root.tag)}>")
    body = _child(root, "Body")
    if body is None:
        raise SoapError("the SOAP answer has no <Body>")
    return body


def _fault(fault: etree._Element) -> dict:
    """SOAP 1.1 (faultcode/faultstring) or 1.2 (Code/Value, Reason/Text) fault as {code, string}."""
    code = _child(fault, "faultcode")
    text = _child(fault, "faultstring")
    if code is None and _child(fault, "Code") is not None:
        code = _child(_child(fault, "Code"), "Value")
    if text is None and _child(fault, "Reason") is not None:
        text = _child(_child(fault, "Reason"), "Text")
    return {"code": ("".join(code.itertext()).strip() if code is not None else ""),
            "string": ("".join(text.itertext()).strip() if text is not None else "")}


def soap_fault_message(content: bytes) -> str | None:
    """``"<faultcode>: <faultstring>"`` when ``content`` is a SOAP fault envelope, else None."""
    try:
        body = _body(content)
    except SoapError:
        return None
    fault = _child(body, "Fault")
    if fault is None:
        return None
    found = _fault(fault)
    return ": ".join(part for part in (found["code"], found["string"]) if part) or "SOAP fault"


def _messages(holder: etree._Element | None) -> list[dict]:
    """``CAdxMessage`` items, whether wrapped (``<messages><CAdxMessage|item|messages>…``) or not."""
    if holder is None:
        return []
    fields = {_local(c.tag): c for c in _children(holder)}
    if "message" in fields:
        items = [holder]
    else:
        items = [c for c in _children(holder) if _child(c, "message") is not None]
    out = []
    for item in items:
        type_el, message_el = _child(item, "type"), _child(item, "message")
        kind = (type_el.text or "").strip() if type_el is not None else ""
        text = "".join(message_el.itertext()).strip() if message_el is not None else ""
        out.append({"type": int(kind) if kind.isdigit() else kind, "message": text})
    return out


def _result(el: etree._Element | None) -> Any:
    if el is None:
        return {}
    text = "".join(el.itertext()).strip()
    if not text:
        return {}
    if text[:1] in "{[":
        try:
            return json.loads(text, parse_float=Decimal)
        except ValueError as exc:
            raise SoapError(f"unreadable JSON resultXml: {exc}") from None
    try:
        return decode_param_element(parse_xml(text.encode("utf-8")))
    except (XmlError, ParamXmlError) as exc:
        raise SoapError(f"unreadable resultXml: {exc}") from None


def decode_soap(content: bytes, op: dict | None = None) -> dict:
    """The answer of one call as ``{"status", "messages", "error", "result"}`` (module docstring)."""
    body = _body(content)
    fault = _child(body, "Fault")
    if fault is not None:
        found = _fault(fault)
        text = ": ".join(part for part in (found["code"], found["string"]) if part) or "SOAP fault"
        return {"status": 0, "messages": [{"type": 3, "message": found["string"]}], "error": text,
                "result": {}, "fault": found}
    response = next(iter(_children(body)), None)
    if response is None:
        raise SoapError("the SOAP <Body> is empty")
    returned = next(iter(_children(response)), None)
    if returned is None:
        raise SoapError(f"<{_local(response.tag)}> holds no return value")
    status_el = _child(returned, "status")
    status_text = (status_el.text or "").strip() if status_el is not None else ""
    if not status_text.lstrip("-").isdigit():
        raise SoapError(f"<{_local(returned.tag)}> has no integer <status> (got {status_text!r})")
    status = int(status_text)
    messages = [m for holder in _children(returned) if _local(holder.tag) == "messages"
                for m in _messages(holder)]
    error = None
    if status != 1:
        errors = [m["message"] for m in messages if m["type"] == 3] or [m["message"] for m in messages]
        error = "; ".join(m for m in errors if m) or f"status {status}"
    return {"status": status, "messages": messages, "error": error,
            "result": _result(_child(returned, "resultXml"))}
