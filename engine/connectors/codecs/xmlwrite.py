"""Records -> XML bodies, the writing half of the XML records codec (``xmlcodec`` reads)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.connectors.codecs.xmlcodec import XLINK_NS, XmlError, XmlOptions

if TYPE_CHECKING:  # lxml is imported when a body is written (`validate` never does)
    from lxml import etree


def _item_name(list_name: str, options: XmlOptions, path: str) -> str:
    if list_name in options.list_item_names:
        return options.list_item_names[list_name]
    if len(list_name) > 1 and list_name.endswith("s"):
        return list_name[:-1]
    raise XmlError(f"{path}: cannot name the items of list '{list_name}'; "
                   "add it to the connector's list_item_names")


def _scalar_text(value: object, path: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        return number_text(value, path, XmlError)
    raise XmlError(f"{path}: cannot write a value of type {type(value).__name__}")


def number_text(value: float | Decimal, path: str, error: type[Exception]) -> str:
    """A float or Decimal written exactly, as XML text ("12.500000" stays "12.500000")."""
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        raise error(f"{path}: cannot write the non-finite number {number}")
    return format(number, "f")


def _is_i18n_pair(value: object) -> bool:
    return isinstance(value, Mapping) and set(value) == {"id", "value"}


def _write(parent: etree._Element | None, name: str, value: object, options: XmlOptions,
           path: str) -> etree._Element:
    from lxml import etree
    try:
        el = etree.Element(name) if parent is None else etree.SubElement(parent, name)
    except ValueError:
        raise XmlError(f"{path}: '{name}' is not a valid XML element name") from None
    if isinstance(value, Mapping):
        for key, child in value.items():
            if not isinstance(key, str):
                raise XmlError(f"{path}: key {key!r} is not a string")
            _write(el, key, child, options, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        if options.i18n_element and value and all(_is_i18n_pair(v) for v in value):
            for i, pair in enumerate(value):
                lang = etree.SubElement(el, options.i18n_element)
                lang.set("id", _scalar_text(pair["id"], f"{path}[{i}].id"))
                _set_text(lang, _scalar_text(pair["value"], f"{path}[{i}].value"), path)
        else:
            item = _item_name(name, options, path)
            for i, child in enumerate(value):
                _write(el, item, child, options, f"{path}[{i}]")
    else:
        _set_text(el, _scalar_text(value, path), path)
    return el


def _set_text(el: etree._Element, text: str, path: str) -> None:
    try:
        el.text = text
    except ValueError:
        raise XmlError(f"{path}: the value holds characters XML cannot carry "
                       "(control characters or NUL)") from None


def records_to_xml(item: str, record: dict, options: XmlOptions) -> bytes:
    """Write one record as a body: ``<root xmlns:xlink=...><item>...</item></root>``.

    Scalars become text (``Decimal`` in plain notation, ``bool`` as ``1``/``0``, ``None`` as an
    empty element); dicts become nested elements in key order; a list becomes repeated item
    elements named by ``options.list_item_names`` (fallback: the list name without its final
    "s"); a list of ``{"id", "value"}`` dicts becomes translations (``options.i18n_element``)."""
    from lxml import etree
    if not isinstance(record, Mapping):
        raise TypeError(f"records_to_xml expects a dict record, not {type(record).__name__}")
    if options.root is None:
        top = _write(None, item, record, options, item)
    else:
        top = etree.Element(options.root, nsmap={"xlink": XLINK_NS})
        _write(top, item, record, options, item)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(top, encoding="UTF-8")
