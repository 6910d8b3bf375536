"""The ``<PARAM>`` / ``<RESULT>`` object XML of the X3-style classic SOAP web services.

A payload is a dict of *blocks* keyed by their screen/group ID; the shape of each value says which
element it becomes (nothing here knows a particular object such as a sales order)::

    {"SOH0_1": {"SALFCY": "FR011", "BPCORD": "WEB000056", "CUSORDREF": "PS_1042"},   # a group
     "SOH4_1": [{"ITMREF": "MUG-CLASSIC", "QTY": Decimal("1")}, {...}]}               # a table

becomes::

    <PARAM>
      <GRP ID="SOH0_1"><FLD NAME="SALFCY">FR011</FLD>…</GRP>
      <TAB ID="SOH4_1"><LIN NUM="1"><FLD NAME="ITMREF">MUG-CLASSIC</FLD>…</LIN>…</TAB>
    </PARAM>

* a dict value is a group ``<GRP ID=…>`` of fields ``<FLD NAME=…>``;
* a list of dicts is a table ``<TAB ID=…>`` of rows ``<LIN NUM="1…n">`` of fields;
* inside a group or a row, a list of scalars is a list ``<LST NAME=…><ITM>v</ITM>…</LST>``;
* scalars: ``str`` as is, ``int``, ``Decimal`` (plain notation, never rounded), ``float`` (through its
  shortest repr), ``date`` as ``YYYYMMDD`` (X3 date fields, e.g. ``ORDDAT``); ``None`` leaves the field
  out (X3 then applies its default, e.g. a blank ``SOHNUM`` = numbered by the server); ``""`` sends an
  explicitly empty field. ``bool`` and ``datetime`` are refused: X3 has no single spelling for them
  (local menus, separate date/time fields) — map them to the field's own value first.

Decoding (:func:`decode_param`) reads ``<PARAM>`` or ``<RESULT>`` back into the same shape: groups as
dicts, tables as lists of row dicts in ``NUM`` order, lists as lists of strings. Field values stay
strings except where the server types them: ``TYPE="Integer"`` → ``int``, ``TYPE="Decimal"`` →
``Decimal`` (exact); an unparseable typed value stays a string. Parsing is safe (no DTD, no entities,
no network: :func:`engine.connectors.codecs.xmlcodec.parse_xml`).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from engine.connectors.codecs.xmlcodec import XmlError, parse_xml
from engine.connectors.codecs.xmlwrite import number_text

__all__ = ["ParamXmlError", "encode_param", "decode_param", "decode_param_element", "field_text"]


class ParamXmlError(ValueError):
    """A payload that cannot be written as ``<PARAM>``, or a document that cannot be read back."""


# -- payload -> XML ----------------------------------------------------------------------------------

def field_text(value: Any, path: str = "value") -> str:
    """The text of one ``<FLD>``/``<ITM>`` (see the module docstring for the rules)."""
    if isinstance(value, bool):
        raise ParamXmlError(f"{path}: a boolean has no single X3 spelling; map it to the field's value "
                            "(e.g. its local-menu number)")
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        return number_text(value, path, ParamXmlError)
    if isinstance(value, datetime):
        raise ParamXmlError(f"{path}: a date-time has no single X3 spelling; send the date (YYYYMMDD) "
                            "and the time in their own fields")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    raise ParamXmlError(f"{path}: cannot write a value of type {type(value).__name__}")


def _text(el: etree._Element, text: str, path: str) -> None:
    try:
        el.text = text
    except ValueError:
        raise ParamXmlError(f"{path}: the value holds characters XML cannot carry (control characters "
                            "or NUL)") from None


def _fields(parent: etree._Element, record: Mapping, path: str) -> None:
    for name, value in record.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not name:
            raise ParamXmlError(f"{path}: field name {name!r} is not a non-empty string")
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            lst = etree.SubElement(parent, "LST", NAME=name)
            for index, item in enumerate(value):
                if isinstance(item, (Mapping, list, tuple)):
                    raise ParamXmlError(f"{where}[{index}]: a list (LST) holds scalars only")
                if item is None:
                    raise ParamXmlError(f"{where}[{index}]: a list (LST) item cannot be null")
                _text(etree.SubElement(lst, "ITM"), field_text(item, f"{where}[{index}]"), where)
            continue
        if isinstance(value, Mapping):
            raise ParamXmlError(f"{where}: a field cannot hold an object (groups do not nest)")
        _text(etree.SubElement(parent, "FLD", NAME=name), field_text(value, where), where)


def encode_param(payload: Mapping, *, root: str = "PARAM") -> bytes:
    """``<PARAM>`` text (UTF-8, no XML declaration: it travels inside a SOAP string) for ``payload``."""
    if not isinstance(payload, Mapping):
        raise ParamXmlError(f"the payload must be a dict of groups and tables, not {type(payload).__name__}")
    top = etree.Element(root)
    for block, value in payload.items():
        if not isinstance(block, str) or not block:
            raise ParamXmlError(f"block id {block!r} is not a non-empty string")
        if value is None:
            continue
        if isinstance(value, Mapping):
            _fields(etree.SubElement(top, "GRP", ID=block), value, block)
        elif isinstance(value, (list, tuple)):
            tab = etree.SubElement(top, "TAB", ID=block)
            for index, row in enumerate(value):
                if not isinstance(row, Mapping):
                    raise ParamXmlError(f"{block}[{index}]: a table (TAB) row must be a dict of fields")
                _fields(etree.SubElement(tab, "LIN", NUM=str(index + 1)), row, f"{block}[{index}]")
        else:
            raise ParamXmlError(f"{block}: a block is a group (dict) or a table (list of dicts), "
                                f"not {type(value).__name__}")
    return etree.tostring(top, encoding="UTF-8", xml_declaration=False)


# -- XML -> payload ----------------------------------------------------------------------------------

def _typed(el: etree._Element) -> Any:
    text = el.text or ""
    kind = (el.get("TYPE") or "").lower()
    try:
        if kind == "integer":
            return int(text.strip())
        if kind == "decimal":
            return Decimal(text.strip())
    except (ValueError, InvalidOperation):
        return text
    return text


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _row(children, where: str, out: dict | None = None) -> dict:
    out = {} if out is None else out
    for child in children:
        kind = _local(child.tag)
        if kind not in ("FLD", "LST"):
            continue
        name = child.get("NAME")
        if not name:
            raise ParamXmlError(f"{where}: <{kind}> without a NAME (line {child.sourceline})")
        if name in out:
            raise ParamXmlError(f"{where}: field {name!r} appears twice (line {child.sourceline})")
        out[name] = [i.text or "" for i in child if _local(i.tag) == "ITM"] if kind == "LST" else _typed(child)
    return out


def decode_param_element(top: etree._Element) -> dict:
    """The payload dict of a parsed ``<PARAM>``/``<RESULT>`` element (module docstring)."""
    out: dict[str, Any] = {}
    for child in top:
        kind = _local(child.tag)
        if kind not in ("GRP", "TAB", "FLD", "LST"):
            continue
        if kind in ("FLD", "LST"):  # a field right under the root (a sub-program's flat answer)
            _row([child], _local(top.tag), out)
            continue
        block = child.get("ID")
        if not block:
            raise ParamXmlError(f"<{kind}> without an ID (line {child.sourceline})")
        value: dict | list[dict]
        if kind == "GRP":
            value = _row(child, block)
        else:
            rows: list[tuple[int, dict]] = []
            for lin in child:
                if _local(lin.tag) != "LIN":
                    continue
                num = lin.get("NUM", "")
                rows.append((int(num) if num.strip().isdigit() else len(rows) + 1,
                             _row(lin, f"{block}[{num}]")))
            value = [row for _, row in sorted(rows, key=lambda pair: pair[0])]
        if block in out:
            raise ParamXmlError(f"block {block!r} appears twice (line {child.sourceline})")
        out[block] = value
    return out


def decode_param(data: bytes | str) -> dict:
    """Read ``<PARAM>``/``<RESULT>`` text back into the payload shape (module docstring)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if not raw.strip():
        return {}
    try:
        top = parse_xml(raw)
    except XmlError as exc:
        raise ParamXmlError(f"unreadable object XML: {exc}") from None
    return decode_param_element(top)
