"""PrestaShop webservice renderings: XML (default) and JSON (``output_format=JSON``).

XML: ``<?xml version="1.0" encoding="UTF-8"?>`` + ``<prestashop xmlns:xlink=…>``; every non-empty scalar in
CDATA, empty values as ``<x></x>``; ``xlink:href`` on foreign keys; ``notFilterable="true"`` on getter
fields; i18n fields as ``<language id=… xlink:href=…>``; associations with ``nodeType`` plus
``virtualEntity``/``readOnly`` (virtual) or ``api`` (real entities, items carry ``xlink:href``).
Lists without ``display`` are ``<order id="5" xlink:href="…"/>``.

JSON (8.x typing, see :mod:`.ps_schema`): ``{"order":{…}}``, ``{"orders":[…]}``, ids-only lists
``{"orders":[{"id":5}]}``, associations as plain arrays, i18n as ``[{"id":1,"value":…}]`` or a plain
string when one language is selected, errors ``{"errors":[{"code":…,"message":…}]}``, and an
**empty list is the bare** ``[]``. Slashes are escaped (``\\/``) like PHP's ``json_encode``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from passerelle_sandbox import _json
from passerelle_sandbox.ps_schema import Assoc, F, Resource

__all__ = ["Renderer"]

XLINK = "http://www.w3.org/1999/xlink"
HREF = f"{{{XLINK}}}href"
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_SCALE = {"money": Decimal("0.000001"), "dec6": Decimal("0.000001"), "dec3": Decimal("0.001"),
          "dec2": Decimal("0.01")}


def text_value(f: F, value: Any) -> str:
    """A scalar as PrestaShop prints it (same text in XML and for JSON strings)."""
    if value is None:
        return ""
    if f.kind in _SCALE:
        return format(Decimal(value).quantize(_SCALE[f.kind]), "f")
    if f.kind == "bool":
        return "1" if value in (1, True, "1") else "0"
    return str(value)


def json_value(f: F, value: Any, languages: list[int]) -> Any:
    if f.kind == "i18n":
        items = [{"id": lang, "value": (value or {}).get(lang, "")} for lang in languages]
        return items[0]["value"] if len(items) == 1 else items
    if f.kind == "int" and value is not None and value != "":
        return int(value)
    return text_value(f, value)


def _cdata(element: etree._Element, text: str) -> None:
    if text != "":
        element.text = etree.CDATA(text) if "]]>" not in text else text
    else:
        element.text = ""  # serialises as <x></x>, like PrestaShop


class Renderer:
    """Renders records of one request: knows the base URL (``…/api/``), format and languages."""

    def __init__(self, base: str, json: bool, languages: list[int]) -> None:
        self.base = base
        self.json = json
        self.languages = languages

    @property
    def content_type(self) -> str:
        return "application/json;charset=utf-8" if self.json else "text/xml;charset=utf-8"

    # -- XML ----------------------------------------------------------------------------------
    def _root(self) -> etree._Element:
        return etree.Element("prestashop", nsmap={"xlink": XLINK})

    def _xml(self, root: etree._Element) -> bytes:
        return DECL + etree.tostring(root, encoding="UTF-8", pretty_print=True)

    def _xml_field(self, parent: etree._Element, f: F, value: Any) -> None:
        element = etree.SubElement(parent, f.name)
        if f.kind == "i18n":
            for lang in self.languages:
                node = etree.SubElement(element, "language", id=str(lang))
                node.set(HREF, f"{self.base}languages/{lang}")
                _cdata(node, str((value or {}).get(lang, "")))
            return
        text = text_value(f, value)
        if f.getter:
            element.set("notFilterable", "true")
        if f.xlink and text != "":
            element.set(HREF, f"{self.base}{f.xlink}/{text}")
        _cdata(element, text)

    def _xml_assoc(self, parent: etree._Element, assoc: Assoc, items: list[dict[str, Any]],
                   only: list[str] | None) -> None:
        holder = etree.SubElement(parent, assoc.name, nodeType=assoc.node)
        if assoc.virtual:
            holder.set("virtualEntity", "true")
        if assoc.read_only:
            holder.set("readOnly", "true")
        if assoc.api:
            holder.set("api", assoc.api)
        for item in items:
            node = etree.SubElement(holder, assoc.node)
            if assoc.api:
                node.set(HREF, f"{self.base}{assoc.api}/{item['id']}")
            for f in assoc.fields:
                if only is None or f.name in only:
                    self._xml_field(node, f, item.get(f.name))

    def _xml_object(self, parent: etree._Element, res: Resource, record: dict[str, Any],
                    display: str | dict[str, list[str] | None]) -> None:
        node = etree.SubElement(parent, res.node)
        for f in res.fields:
            if display == "full" or (isinstance(display, dict) and f.name in display and display[f.name] is None):
                self._xml_field(node, f, record.get(f.name))
        assocs = [(a, None) for a in res.associations] if display == "full" else [
            (a, display[a.name]) for a in res.associations if isinstance(display, dict) and display.get(a.name)
        ]
        if assocs:
            holder = etree.SubElement(node, "associations")
            for assoc, only in assocs:
                self._xml_assoc(holder, assoc, record.get("associations", {}).get(assoc.name, []), only)

    # -- JSON ---------------------------------------------------------------------------------
    def _json_object(self, res: Resource, record: dict[str, Any],
                     display: str | dict[str, list[str] | None]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in res.fields:
            if display == "full" or (isinstance(display, dict) and f.name in display and display[f.name] is None):
                out[f.name] = json_value(f, record.get(f.name), self.languages)
        assocs = [(a, None) for a in res.associations] if display == "full" else [
            (a, display[a.name]) for a in res.associations if isinstance(display, dict) and display.get(a.name)
        ]
        if assocs:
            block: dict[str, Any] = {}
            for assoc, only in assocs:
                block[assoc.name] = [
                    {f.name: json_value(f, item.get(f.name), self.languages)
                     for f in assoc.fields if only is None or f.name in only}
                    for item in record.get("associations", {}).get(assoc.name, [])
                ]
            out["associations"] = block
        return out

    def _json(self, value: Any) -> bytes:
        return _json.dumps(value, escape_slashes=True).encode()

    # -- public -------------------------------------------------------------------------------
    def single(self, res: Resource, record: dict[str, Any]) -> bytes:
        if self.json:
            return self._json({res.node: self._json_object(res, record, "full")})
        root = self._root()
        self._xml_object(root, res, record, "full")
        return self._xml(root)

    def listing(self, res: Resource, records: list[dict[str, Any]],
                display: str | dict[str, list[str] | None]) -> bytes:
        if self.json:
            if not records:
                return b"[]"
            if display == "minimum":
                return self._json({res.plural or res.name: [{"id": r["id"]} for r in records]})
            return self._json({res.plural or res.name: [self._json_object(res, r, display) for r in records]})
        root = self._root()
        holder = etree.SubElement(root, res.plural or res.name)
        for record in records:
            if display == "minimum":
                node = etree.SubElement(holder, res.node, id=str(record["id"]))
                node.set(HREF, f"{self.base}{res.name}/{record['id']}")
            else:
                self._xml_object(holder, res, record, display)
        return self._xml(root)

    def errors(self, errors: list[tuple[int, str]]) -> bytes:
        if self.json:
            return self._json({"errors": [{"code": code, "message": message} for code, message in errors]})
        root = self._root()
        holder = etree.SubElement(root, "errors")
        for code, message in errors:
            error = etree.SubElement(holder, "error")
            _cdata(etree.SubElement(error, "code"), str(code))
            _cdata(etree.SubElement(error, "message"), message)
        return self._xml(root)

    def api_root(self, permissions: dict[str, set[str]], descriptions: dict[str, str], shop: str) -> bytes:
        methods = ("get", "put", "post", "patch", "delete", "head")
        if self.json:
            return self._json({"api": {name: {"description": descriptions.get(name, ""),
                                              **{m: str(m.upper() in allowed).lower() for m in methods}}
                                       for name, allowed in sorted(permissions.items())}})
        root = self._root()
        api = etree.SubElement(root, "api", shopName=shop)
        for name, allowed in sorted(permissions.items()):
            flags = {m: str(m.upper() in allowed).lower() for m in methods}
            node = etree.SubElement(api, name, **flags)
            node.set(HREF, f"{self.base}{name}")
            desc = etree.SubElement(node, "description", **flags)
            desc.set(HREF, f"{self.base}{name}")
            desc.text = descriptions.get(name, "")
            for kind in ("blank", "synopsis"):
                schema = etree.SubElement(node, "schema", type=kind)
                schema.set(HREF, f"{self.base}{name}?schema={kind}")
        return self._xml(root)

    def schema(self, res: Resource, kind: str) -> bytes:
        """``schema=blank`` (empty tree) or ``schema=synopsis`` (with required/format attributes)."""
        if self.json:
            blank = {f.name: ([] if f.kind == "i18n" else "") for f in res.fields}
            blank["associations"] = {a.name: [] for a in res.associations}
            return self._json({res.node: blank})
        root = self._root()
        node = etree.SubElement(root, res.node)
        for f in res.fields:
            element = etree.SubElement(node, f.name)
            if kind == "synopsis":
                if f.required:
                    element.set("required", "true")
                if f.getter:
                    element.set("read_only", "true")
                fmt = {"int": "isUnsignedId" if f.name.startswith("id") else "isInt", "money": "isPrice",
                       "bool": "isBool", "date": "isDate", "dec2": "isPercentage", "dec3": "isFloat",
                       "dec6": "isUnsignedFloat"}.get(f.kind)
                if fmt:
                    element.set("format", fmt)
            if f.kind == "i18n":
                for lang in self.languages:
                    etree.SubElement(element, "language", id=str(lang))
        if res.associations:
            holder = etree.SubElement(node, "associations")
            for assoc in res.associations:
                a = etree.SubElement(holder, assoc.name, nodeType=assoc.node)
                item = etree.SubElement(a, assoc.node)
                for f in assoc.fields:
                    etree.SubElement(item, f.name)
        return self._xml(root)
