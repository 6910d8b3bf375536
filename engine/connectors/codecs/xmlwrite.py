"""Records -> XML bodies, the writing half of the XML records codec (``xmlcodec`` reads)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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
    "s"); a list of ``{"id", "value"}`` dicts becomes translations (``options.i18n_element``).

    The bytes are written directly (``_fast_xml``); anything that path does not handle (a name
    that is not a plain ASCII XML name, characters XML cannot carry, any error) is written by
    the lxml path (``_lxml_xml``), the reference, so output and error messages are lxml's."""
    if not isinstance(record, Mapping):
        raise TypeError(f"records_to_xml expects a dict record, not {type(record).__name__}")
    try:
        return _fast_xml(item, record, options)
    except (_Unusual, XmlError):
        return _lxml_xml(item, record, options)


def _lxml_xml(item: str, record: Mapping, options: XmlOptions) -> bytes:
    from lxml import etree
    if options.root is None:
        top = _write(None, item, record, options, item)
    else:
        top = etree.Element(options.root, nsmap={"xlink": XLINK_NS})
        _write(top, item, record, options, item)
    return _DECLARATION + etree.tostring(top, encoding="UTF-8")


# ---------------------------------------------------------------------------------------------
# The direct writer: the same bytes as lxml's ``tostring`` for plain names and XML-safe text.

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# lxml refuses these (ValueError, or UnicodeEncodeError for lone surrogates): left to it.
_UNWRITABLE = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_TEXT_SPECIAL = re.compile(f"[&<>\r{_UNWRITABLE}]")
_ATTR_SPECIAL = re.compile(f"[&<>\"\r\n\t{_UNWRITABLE}]")
_UNWRITABLE_CHAR = re.compile(f"[{_UNWRITABLE}]")
_TEXT_REFS = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_REFS = (*_TEXT_REFS, ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))
_TAGS: dict[str, tuple[str, str, str]] = {}
_MAX_TAGS = 4096


class _Unusual(Exception):
    """Something the direct writer leaves to the lxml path."""


def _tags(name: object) -> tuple[str, str, str]:
    """``<name>``, ``</name>``, ``<name/>`` for a plain ASCII XML name (remembered)."""
    tags = _TAGS.get(name) if type(name) is str else None
    if tags is None:
        if type(name) is not str or not _PLAIN_NAME.match(name):
            raise _Unusual
        tags = (f"<{name}>", f"</{name}>", f"<{name}/>")
        if len(_TAGS) < _MAX_TAGS:
            _TAGS[name] = tags
    return tags


def _escaped(text: str, special: re.Pattern[str], references: tuple[tuple[str, str], ...]) -> str:
    """``text`` with the characters libxml2 escapes in this place as references."""
    if special.search(text) is None:
        return text
    if _UNWRITABLE_CHAR.search(text) is not None:
        raise _Unusual
    for char, reference in references:  # "&" first: the references hold one
        if char in text:
            text = text.replace(char, reference)
    return text


def _fast_xml(item: str, record: Mapping, options: XmlOptions) -> bytes:
    out: list[str] = []
    if options.root is None:
        _fast(out, item, record, options)
    else:
        root_open, root_close, _ = _tags(options.root)
        out.append(f'{root_open[:-1]} xmlns:xlink="{XLINK_NS}">')
        _fast(out, item, record, options)
        out.append(root_close)
    return _DECLARATION + "".join(out).encode()


def _fast(out: list[str], name: str, value: Any, options: XmlOptions) -> None:
    open_tag, close_tag, empty_tag = _tags(name)
    kind = type(value)
    if kind is str:
        out += (open_tag, _escaped(value, _TEXT_SPECIAL, _TEXT_REFS), close_tag)
    elif kind is int:
        out += (open_tag, str(value), close_tag)
    elif kind is dict or isinstance(value, Mapping):
        if not value:
            out.append(empty_tag)
            return
        out.append(open_tag)
        for key, child in value.items():
            _fast(out, key, child, options)
        out.append(close_tag)
    elif isinstance(value, (list, tuple)):
        if options.i18n_element and value and all(map(_is_pair, value)):
            _fast_translations(out, name, value, options.i18n_element)
            return
        item = _item_name(name, options, "")
        if not value:
            out.append(empty_tag)
            return
        out.append(open_tag)
        for child in value:
            _fast(out, item, child, options)
        out.append(close_tag)
    else:
        out += (open_tag, _escaped(_scalar_text(value, ""), _TEXT_SPECIAL, _TEXT_REFS), close_tag)


def _is_pair(value: object) -> bool:
    """``_is_i18n_pair``, a dict's keys checked without building a set."""
    if type(value) is dict:
        return len(value) == 2 and "id" in value and "value" in value
    return _is_i18n_pair(value)


def _fast_translations(out: list[str], name: str, pairs: list | tuple, element: str) -> None:
    open_tag, close_tag, _ = _tags(name)
    lang_open, lang_close, _ = _tags(element)
    out.append(open_tag)
    for pair in pairs:
        lang_id = pair["id"]
        lang_id = (str(lang_id) if type(lang_id) is int
                   else _escaped(_scalar_text(lang_id, ""), _ATTR_SPECIAL, _ATTR_REFS))
        text = _escaped(_scalar_text(pair["value"], ""), _TEXT_SPECIAL, _TEXT_REFS)
        out += (f'{lang_open[:-1]} id="{lang_id}">', text, lang_close)
    out.append(close_tag)
