"""Body formats of HTTP writes (``operations.X.body``): the registry.

Each format declares the operation keys it reads and encodes one mapped payload into the bytes and
headers of a request. ``none`` sends no body (look-ups by query parameters).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typing import TYPE_CHECKING

from engine.util.jsonout import dumps_bytes
from engine.util.records import frozen

if TYPE_CHECKING:  # the encoders' modules are imported when a request first needs them (start-up time)
    from engine.connectors.codecs.xmlcodec import XmlOptions

JSON_TYPE = "application/json; charset=utf-8"


@frozen
class BodyFormat:
    """How an operation's payload is written into the request body."""

    name: str
    summary: str
    keys: tuple[str, ...]  # operation keys this format reads
    encode: Callable[..., tuple[Any, dict]]  # bytes, None or a re-iterable of chunks (multipart)  # (operation, payload, context, xml, reveal)
    required: tuple[str, ...] = ()


def _json(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[bytes | None, dict]:
    if op.files:  # declared file members travel as base64 text (multipart.py)
        from engine.connectors.http.multipart import json_with_files

        return json_with_files(op.files, payload), {"Content-Type": JSON_TYPE}
    return dumps_bytes(payload), {"Content-Type": JSON_TYPE}


def _xml(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[bytes | None, dict]:
    from engine.connectors.codecs.xmlwrite import records_to_xml

    return records_to_xml(op.item or "item", payload, xml), {"Content-Type": "text/xml; charset=utf-8"}


def _graphql(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[bytes | None, dict]:
    # variable "*": the payload object is the whole variables object (tagsAdd(id:, tags:)); a write
    # without payload (a `target.remove`) sends its values (`with`) as the variables
    if payload is None and op.variable == "*":
        payload = {name: value for name, value in context.items() if name != "settings"}
    variables = payload if op.variable == "*" else {op.variable: payload}
    return dumps_bytes({"query": op.graphql or "", "variables": variables}), {"Content-Type": JSON_TYPE}


def _soap(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[bytes | None, dict]:
    from engine.connectors.codecs.soap import encode_soap_call  # Sage X3 CAdxWebServiceXmlCC envelopes

    return encode_soap_call(op.soap(context, reveal) if op.soap else {}, payload)


def _multipart(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[Any, dict]:
    from engine.connectors.http.multipart import multipart_body

    return multipart_body(op.files, payload, context)


def _binary(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[Any, dict]:
    from engine.connectors.http.multipart import binary_body

    return binary_body(op.files, payload)


def _none(op, payload: Any, context: dict, xml: XmlOptions, reveal: bool) -> tuple[bytes | None, dict]:
    return None, {}


FORMATS: dict[str, BodyFormat] = {body.name: body for body in (
    BodyFormat("json", "the payload as JSON (exact decimals); members declared in `files` as base64 text", (),
               _json),
    BodyFormat("xml", "the payload as XML under the `item` element, with the connector's XML format",
               ("item",), _xml),
    BodyFormat("graphql", "a GraphQL `graphql` document; the payload is the variable `variable` (default "
               "input; `*`: the whole variables object)", ("graphql", "variable"), _graphql, ("graphql",)),
    BodyFormat("soap", "a SOAP 1.1 call described by `soap` (Sage X3 classic web services)", ("soap",), _soap,
               ("soap",)),
    BodyFormat("multipart", "multipart/form-data: the payload's scalar members as form fields, then each file "
               "declared in `files` as a file part", ("files",), _multipart, ("files",)),
    BodyFormat("binary", "the bytes of the one file declared in `files`, with its content type", ("files",),
               _binary, ("files",)),
    BodyFormat("none", "no body: the values travel in the path and query parameters", (), _none),
)}
