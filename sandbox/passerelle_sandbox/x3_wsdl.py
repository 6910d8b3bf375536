"""The WSDL of the simulated ``CAdxWebServiceXmlCC`` (served at
``/soap-wsdl/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC?wsdl``), SOAP 1.1 RPC/encoded as X3's is.

Facts (public Axis 1.4 ``WSDL2Java`` stubs generated from X3's WSDL, ``com.adonix.www.WSS``; public zeep, PHP,
Java, C# and node-soap clients): namespace ``http://www.adonix.com/WSS``; service
``CAdxWebServiceXmlCCService``, port type ``CAdxWebServiceXmlCC``, binding ``CAdxWebServiceXmlCCSoapBinding``,
every operation RPC/encoded with unqualified parts and a ``<op>Return`` of type ``CAdxResultXml``;
operations and parts: ``run(callContext, publicName, inputXml)``, ``save(…, objectXml)``,
``delete/read(…, objectKeys)``, ``query(…, objectKeys, listSize)``, ``getDescription(…)``,
``modify(…, objectKeys, objectXml)``, ``actionObject(…, actionCode, objectXml)``,
``actionObjectKeys(…, actionCode, objectKeys)``, ``getDataXmlSchema(…)``,
``insertLines(…, objectKeys, blocKey, lineKey, lineXml)``, ``deleteLines(…, objectKeys, blocKey, lineKeys)``; arrays are SOAP-encoded
(``ArrayOfCAdxParamKeyValue``, ``ArrayOfCAdxMessage``, ``ArrayOf_xsd_string``); ``CAdxTechnicalInfos`` fields
as in the stubs. The exact text of Sage's WSDL document is not public: this one is written from those facts.

The schema references the SOAP-encoding namespace without a ``schemaLocation`` (as Axis WSDLs do), so a client
fetches ``http://schemas.xmlsoap.org/soap/encoding/`` itself; :data:`SOAP_ENCODING_XSD` is a minimal,
self-written schema of that namespace for offline clients (zeep: put it in the transport's cache).
"""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

__all__ = ["OPERATIONS", "SOAP_ENCODING_URL", "SOAP_ENCODING_XSD", "TECHNICAL_INFOS", "WSDL_PATH", "render_wsdl"]

WSDL_PATH = "/soap-wsdl/syracuse/collaboration/syracuse/CAdxWebServiceXmlCC"
SOAP_ENCODING_URL = "http://schemas.xmlsoap.org/soap/encoding/"
_CTX = (("callContext", "wss:CAdxCallContext"), ("publicName", "xsd:string"))
_KEYS = ("objectKeys", "wss:ArrayOfCAdxParamKeyValue")
OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "run": _CTX + (("inputXml", "xsd:string"),),
    "save": _CTX + (("objectXml", "xsd:string"),),
    "delete": _CTX + (_KEYS,),
    "read": _CTX + (_KEYS,),
    "query": _CTX + (_KEYS, ("listSize", "xsd:int")),
    "getDescription": _CTX,
    "modify": _CTX + (_KEYS, ("objectXml", "xsd:string")),
    "actionObject": _CTX + (("actionCode", "xsd:string"), ("objectXml", "xsd:string")),
    "actionObjectKeys": _CTX + (("actionCode", "xsd:string"), _KEYS),
    "getDataXmlSchema": _CTX,
    "insertLines": _CTX + (_KEYS, ("blocKey", "xsd:string"), ("lineKey", "xsd:string"),
                           ("lineXml", "xsd:string")),
    "deleteLines": _CTX + (_KEYS, ("blocKey", "xsd:string"), ("lineKeys", "wss:ArrayOf_xsd_string")),
}
TECHNICAL_INFOS: tuple[tuple[str, str], ...] = (
    ("busy", "xsd:boolean"), ("changeLanguage", "xsd:boolean"), ("changeUserId", "xsd:boolean"),
    ("flushAdx", "xsd:boolean"), ("loadWebsDuration", "xsd:double"), ("nbDistributionCycle", "xsd:int"),
    ("poolDistribDuration", "xsd:double"), ("poolEntryIdx", "xsd:int"), ("poolExecDuration", "xsd:double"),
    ("poolRequestDuration", "xsd:double"), ("poolWaitDuration", "xsd:double"),
    ("processReport", "xsd:string"), ("processReportSize", "xsd:int"), ("reloadWebs", "xsd:boolean"),
    ("resumitAfterDBOpen", "xsd:boolean"), ("rowInDistribStack", "xsd:int"),
    ("totalDuration", "xsd:double"), ("traceRequest", "xsd:string"), ("traceRequestSize", "xsd:int"))
_STRUCTS: dict[str, tuple[tuple[str, str], ...]] = {
    "CAdxCallContext": tuple((n, "xsd:string") for n in ("codeLang", "codeUser", "password", "poolAlias",
                                                          "poolId", "requestConfig")),
    "CAdxParamKeyValue": (("key", "xsd:string"), ("value", "xsd:string")),
    "CAdxMessage": (("message", "xsd:string"), ("type", "xsd:string")),
    "CAdxTechnicalInfos": TECHNICAL_INFOS,
    "CAdxResultXml": (("messages", "wss:ArrayOfCAdxMessage"), ("resultXml", "xsd:string"),
                      ("status", "xsd:int"), ("technicalInfos", "wss:CAdxTechnicalInfos")),
}
_ARRAYS = {"ArrayOfCAdxParamKeyValue": "wss:CAdxParamKeyValue[]", "ArrayOfCAdxMessage": "wss:CAdxMessage[]",
           "ArrayOf_xsd_string": "xsd:string[]"}
_NS = ('xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wsdlsoap="http://schemas.xmlsoap.org/wsdl/soap/" '
       'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
       'xmlns:wss="http://www.adonix.com/WSS"')
_BODY = ('<wsdlsoap:body use="encoded" encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
         'namespace="http://www.adonix.com/WSS"/>')


def _types() -> str:
    out = ['<wsdl:types><xsd:schema targetNamespace="http://www.adonix.com/WSS">',
           f'<xsd:import namespace="{SOAP_ENCODING_URL}"/>']
    for name, fields in _STRUCTS.items():
        elements = "".join(f'<xsd:element name="{f}" nillable="true" type="{t}"/>' for f, t in fields)
        out.append(f'<xsd:complexType name="{name}"><xsd:sequence>{elements}</xsd:sequence></xsd:complexType>')
    for name, item in _ARRAYS.items():
        out.append(f'<xsd:complexType name="{name}"><xsd:complexContent><xsd:restriction base="soapenc:Array">'
                   f'<xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="{item}"/>'
                   '</xsd:restriction></xsd:complexContent></xsd:complexType>')
    out.append("</xsd:schema></wsdl:types>")
    return "".join(out)


def render_wsdl(address: str) -> bytes:
    """The WSDL whose service address is ``address`` (the SOAP endpoint URL)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><wsdl:definitions targetNamespace="http://www.adonix.com/WSS" '
             f'{_NS}>', _types()]
    for op, params in OPERATIONS.items():
        fields = "".join(f'<wsdl:part name="{n}" type="{t}"/>' for n, t in params)
        parts.append(f'<wsdl:message name="{op}Request">{fields}</wsdl:message>'
                     f'<wsdl:message name="{op}Response"><wsdl:part name="{op}Return" type="wss:CAdxResultXml"/>'
                     '</wsdl:message>')
    parts.append('<wsdl:portType name="CAdxWebServiceXmlCC">')
    for op, params in OPERATIONS.items():
        order = " ".join(n for n, _ in params)
        parts.append(f'<wsdl:operation name="{op}" parameterOrder="{order}">'
                     f'<wsdl:input message="wss:{op}Request" name="{op}Request"/>'
                     f'<wsdl:output message="wss:{op}Response" name="{op}Response"/></wsdl:operation>')
    parts.append('</wsdl:portType><wsdl:binding name="CAdxWebServiceXmlCCSoapBinding" type="wss:CAdxWebServiceXmlCC">'
                 '<wsdlsoap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>')
    for op in OPERATIONS:
        parts.append(f'<wsdl:operation name="{op}"><wsdlsoap:operation soapAction=""/>'
                     f'<wsdl:input name="{op}Request">{_BODY}</wsdl:input>'
                     f'<wsdl:output name="{op}Response">{_BODY}</wsdl:output></wsdl:operation>')
    parts.append('</wsdl:binding><wsdl:service name="CAdxWebServiceXmlCCService">'
                 '<wsdl:port binding="wss:CAdxWebServiceXmlCCSoapBinding" name="CAdxWebServiceXmlCC">'
                 f'<wsdlsoap:address location={quoteattr(address)}/></wsdl:port></wsdl:service></wsdl:definitions>')
    return "".join(parts).encode("utf-8")


# A minimal schema of the SOAP 1.1 encoding namespace (only what the WSDL above refers to), written for
# offline clients; the namespace's published schema defines more (every xsd type as an element, etc.).
SOAP_ENCODING_XSD = (
    '<?xml version="1.0" encoding="UTF-8"?><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    f'xmlns:tns="{SOAP_ENCODING_URL}" targetNamespace="{SOAP_ENCODING_URL}">'
    '<xsd:attribute name="arrayType" type="xsd:string"/><xsd:attribute name="offset" type="xsd:string"/>'
    '<xsd:attributeGroup name="arrayAttributes"><xsd:attribute ref="tns:arrayType"/>'
    '<xsd:attribute ref="tns:offset"/></xsd:attributeGroup>'
    '<xsd:complexType name="Array"><xsd:sequence>'
    '<xsd:any namespace="##any" minOccurs="0" maxOccurs="unbounded" processContents="lax"/></xsd:sequence>'
    '<xsd:attributeGroup ref="tns:arrayAttributes"/><xsd:anyAttribute namespace="##other" processContents="lax"/>'
    '</xsd:complexType></xsd:schema>').encode("utf-8")
