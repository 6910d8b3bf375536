"""XML files declared in a connector definition: one document element holding one element per record.

::

    format:
      type: xml
      root: Orders             # the document element
      record: Order            # one element per record, children of the document element
      attributes: [id]         # record fields written as attributes of <Order> (others are elements)
      lists: { lines: Line }   # a list field: <lines><Line>...</Line><Line>...</Line></lines>
      namespace: "urn:erp:orders"   # optional: the documents' default namespace
      encoding: cp1252         # declared in the XML declaration; default utf-8

A record is an object: a scalar field is an element holding its text (or, named in ``attributes``,
an attribute of the record element); an object field is an element holding its own fields; a list
field declared in ``lists`` is an element holding one item element per entry (an object or a
scalar). Written: text as is, whole numbers and exact ``Decimal`` in plain notation (``12.50``
stays ``12.50``; never a float), true/false as ``1``/``0``, null as an empty element (an absent
attribute). A character the encoding lacks is written as a character reference (``&#8364;``), so
nothing is lost; a control character XML cannot hold sets the record aside, naming the field.

Read (``iterparse``, constant memory: each record element is decoded then cleared): attributes and
child elements become fields, an empty element reads ``null``, an element declared in ``lists``
reads as a list (``[]`` when empty), other repeated elements as a list too. Names are read without
their namespace. Values are text: the resource's ``types`` make them exact numbers. A record that
cannot be decoded (text mixed with elements) is set aside naming the file and its line; a malformed
document stops at the error (the records before it are read), the file refused with its line.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.connectors.codecs.csvfile import CellError, bad_line, rows_of
from engine.connectors.codecs.records import InputError, unreadable
from engine.connectors.codecs.textformat import text_of
from engine.util.records import frozen

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_IANA = {"cp1252": "windows-1252", "iso8859-1": "ISO-8859-1", "iso8859-15": "ISO-8859-15", "utf-8": "UTF-8",
         "utf-8-sig": "UTF-8", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE", "ascii": "US-ASCII",
         "cp850": "IBM850"}  # Python's codec name -> the name an XML declaration uses


@frozen
class XmlFileFormat:
    root: str
    record: str
    attributes: frozenset[str] = frozenset()
    lists: Mapping[str, str] = field(default_factory=dict)  # list field -> item element name
    namespace: str | None = None
    encoding: str = "utf-8"

    @property
    def declared(self) -> str:
        """The encoding's name in the XML declaration."""
        name = codecs.lookup(self.encoding).name
        return _IANA.get(name, self.encoding)

    def qualified(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}" if self.namespace else name


def compile_xml_format(spec: Mapping, error: Callable[[str, tuple], None]) -> XmlFileFormat | None:
    """An XML file format from its declaration; every problem through ``error``; None if any."""
    problems = []

    def bad(message: str, *path: Any) -> None:
        problems.append(message)
        error(message, path)

    for key in ("root", "record"):
        if not isinstance(spec.get(key), str) or not NAME.match(spec[key]):
            bad(f"an XML file format needs `{key}`: the name of the {'document' if key == 'root' else 'record'} "
                f"element (e.g. {'Orders' if key == 'root' else 'Order'}), found {spec.get(key)!r}", key)
    attributes = spec.get("attributes") or []
    if not isinstance(attributes, list) or not all(isinstance(a, str) and NAME.match(a) for a in attributes):
        bad("`attributes` is a list of field names", "attributes")
        attributes = []
    lists = spec.get("lists") or {}
    if not isinstance(lists, Mapping) or not all(isinstance(v, str) and NAME.match(v) and NAME.match(str(k))
                                                 for k, v in lists.items()):
        bad("`lists` maps a list field to the name of its item element (e.g. {lines: Line})", "lists")
        lists = {}
    for name in set(attributes) & set(lists):
        bad(f"field {name!r} cannot be both an attribute and a list", "attributes")
    encoding = str(spec.get("encoding", "utf-8"))
    try:
        if codecs.lookup(encoding).name != "utf-8-sig" and "".encode(encoding):
            bad(f"encoding {encoding!r} starts every text with a byte-order mark: declare utf-8, utf-8-sig, cp1252, "
                "latin-1... for an XML file", "encoding")
    except LookupError:
        bad(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1)", "encoding")
    namespace = spec.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not namespace.strip() or
                                  any(c in namespace for c in "{}<>\"' ")):
        bad(f"`namespace` is a URI such as urn:erp:orders, found {namespace!r}", "namespace")
    if problems:
        return None
    return XmlFileFormat(spec["root"], spec["record"], frozenset(attributes), dict(lists), namespace, encoding)


# ----------------------------------------------------------------------------------------------
# writing

class XmlWriter:
    """Records -> the bytes of record elements; a file is :meth:`header` + records + :meth:`trailer`."""

    def __init__(self, fmt: XmlFileFormat):
        self.fmt = fmt
        name = codecs.lookup(fmt.encoding).name
        self.python_encoding = "utf-8" if name in ("utf-8", "utf-8-sig") else fmt.encoding
        self.bom = codecs.BOM_UTF8 if name == "utf-8-sig" else b""

    def header(self) -> bytes:
        xmlns = f' xmlns="{self.fmt.namespace}"' if self.fmt.namespace else ""
        return self.bom + (f'<?xml version="1.0" encoding="{self.fmt.declared}"?>\n<{self.fmt.root}{xmlns}>\n'
                .encode(self.python_encoding))

    def trailer(self) -> bytes:
        return f"</{self.fmt.root}>\n".encode(self.python_encoding)

    def lines(self, payload: Any) -> bytes:
        from lxml import etree

        out = []
        for row in rows_of(payload):
            el = etree.Element(self.fmt.qualified(self.fmt.record), nsmap={None: self.fmt.namespace}
                               if self.fmt.namespace else None)
            for name, value in row.items():
                if name in self.fmt.attributes:
                    if value is not None:
                        _set(el, name, _text(value, name), attribute=True)
                else:
                    self._child(el, name, value, name)
            etree.indent(el, space="  ", level=1)
            text = etree.tostring(el, encoding="unicode")
            if self.fmt.namespace:
                text = text.replace(f' xmlns="{self.fmt.namespace}"', "", 1)  # declared on the document element
            out.append("  " + text + "\n")
        return "".join(out).encode(self.python_encoding, errors="xmlcharrefreplace")

    def _child(self, parent: Any, name: str, value: Any, path: str) -> None:
        from lxml import etree

        if not isinstance(name, str) or not NAME.match(name):
            raise CellError(f"field {path!r}: {name!r} is not a valid XML element name", path)
        if name in self.fmt.lists and value is not None and not isinstance(value, list):
            raise CellError(f"field {path!r} is declared a list (lists: {{{name}: {self.fmt.lists[name]}}}) but holds "
                            f"{type(value).__name__}: it would not read back as written", path)
        el = etree.SubElement(parent, self.fmt.qualified(name))
        if isinstance(value, Mapping):
            for key, child in value.items():
                self._child(el, key, child, f"{path}.{key}")
        elif isinstance(value, list):
            item = self.fmt.lists.get(name)
            if item is None:
                raise CellError(f"field {path!r} is a list: declare its item element in the format's `lists` "
                                f"(e.g. lists: {{{name}: Item}})", path)
            for index, child in enumerate(value):
                self._child(el, item, child, f"{path}[{index}]")
        elif value is not None:
            _set(el, path, _text(value, path))


def _text(value: Any, path: str) -> str:
    if type(value) is Decimal and not value.is_finite():
        raise CellError(f"field {path!r}: {value} is not a number XML can carry", path)
    try:
        return text_of(value, ".")
    except TypeError as exc:
        raise CellError(f"field {path!r} {exc}", path) from None


def _set(el: Any, path: str, text: str, attribute: bool = False) -> None:
    try:
        if attribute:
            el.set(path, text)
        else:
            el.text = text
    except ValueError:
        raise CellError(f"field {path!r}: the value holds a character XML cannot carry (a control character "
                        "or NUL)", path) from None


# ----------------------------------------------------------------------------------------------
# reading

class _Undecodable(ValueError):
    pass


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def _value(el: Any, fmt: XmlFileFormat) -> Any:
    children = [child for child in el if isinstance(child.tag, str)]
    if not children and not el.attrib:
        return el.text if el.text else None
    if el.text and el.text.strip():
        raise _Undecodable(f"<{_local(el.tag)}> holds text and elements or attributes")
    out: dict[str, Any] = {_local(key): value for key, value in el.attrib.items()}
    repeated: set[str] = set()
    for child in children:
        name = _local(child.tag)
        if name in fmt.lists:
            out[name] = [_value(item, fmt) for item in child if isinstance(item.tag, str)]
            continue
        value = _value(child, fmt)
        if name in out:
            if name not in repeated:
                out[name], repeated = [out[name]], repeated | {name}
            out[name].append(value)
        else:
            out[name] = value
    return out


def read_xml(path: Path, fmt: XmlFileFormat, shown: str, key: str | None, size: int = 1000) -> Iterator[list]:
    """The records of one XML file in pages; InputError for a document that is not one."""
    from lxml import etree

    from engine.connectors.codecs.xmlcodec import XmlError, _check_prolog
    from engine.connectors.codecs.xmlstream import _SAFE, _syntax

    try:
        with open(path, "rb") as handle:
            _check_prolog(handle.read(1 << 20))
    except OSError as exc:
        raise unreadable(path, exc) from None
    except XmlError as exc:
        raise InputError(exc.message, path, exc.line, exc.col) from None
    page: list = []
    events = etree.iterparse(str(path), events=("end",), tag=f"{{*}}{fmt.record}",
                             **{**_SAFE, "remove_blank_text": False})  # a field's spaces are its value
    try:
        for _, el in events:
            parent = el.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # an element of the record's name deeper down, inside a record
            if _local(parent.tag) != fmt.root:
                raise InputError(f"the document element is <{_local(parent.tag)}>, expected <{fmt.root}>", path)
            try:
                value = _value(el, fmt)
                page.append(value if isinstance(value, dict) else {} if value is None else bad_line(
                    shown, el.sourceline, f"<{fmt.record}> holds text, not fields", key))
            except _Undecodable as exc:
                page.append(bad_line(shown, el.sourceline, str(exc), key))
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del parent[0]
            if len(page) >= size:
                yield page
                page = []
        root = events.root
        if root is not None and _local(root.tag) != fmt.root:
            raise InputError(f"the document element is <{_local(root.tag)}>, expected <{fmt.root}>", path)
    except etree.XMLSyntaxError as exc:
        error = _syntax(exc)
        raise InputError(error.message, path, error.line, error.col) from None
    except OSError as exc:
        raise unreadable(path, exc) from None
    if page:
        yield page
