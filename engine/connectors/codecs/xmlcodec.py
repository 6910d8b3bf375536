"""A generic "XML records" codec: safe parsing and XML -> plain records (writing: ``xmlwrite``).

Nothing here knows a particular shop. How a vendor shapes its XML (the envelope element, how list
elements are marked, how translated fields look, how list items are named on write) is described
by an :class:`XmlOptions` value that the connector definition supplies.

Reading rules (element -> value), applied recursively:

* An element with no child elements is a string: its text, CDATA or not, ``""`` when empty (never
  ``None``). Attributes are dropped, with one exception: a *list item* that has no child elements
  and no text becomes the dict of its non-namespaced attributes (an id-only list item
  ``<order id="5" xlink:href="..."/>`` reads as ``{"id": "5"}``).
* An element carrying ``options.list_attribute`` (whatever its value), or any child of an element
  named in ``options.list_containers``, is a list: one item per child element (``[]`` when empty).
* An element whose child elements are all childless ``options.i18n_element`` elements is a
  translated field: the text when there is exactly one, else ``[{"id": <id attribute>, "value":
  <text>}, ...]``.
* Any other element with children is a dict in document order. A child name repeated inside a
  dict is an error (:class:`XmlError` naming the element) - never a silent guess.

Every value stays a string: typing is done later (see ``engine.plan.coerce``).

Safety: documents with a DOCTYPE (hence any ENTITY declaration) are refused before lxml sees them,
and again after parsing (defence in depth); the parser never resolves entities, never loads a DTD
and never touches the network; documents above ``max_bytes`` are refused unread.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.util.records import frozen

if TYPE_CHECKING:  # lxml is imported by the functions that parse (`validate` never does)
    from engine.connectors.codecs.xmlread import Reader
    from lxml import etree


XLINK_NS = "http://www.w3.org/1999/xlink"
DEFAULT_MAX_BYTES = 50_000_000


class XmlError(Exception):
    """An XML document that cannot be read (or a record that cannot be written).

    ``line`` and ``col`` are 1-based positions in the document, or ``None`` when unknown."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.col}" if self.col is not None else "")
        return f"{where}: {self.message}"


@frozen
class XmlOptions:
    """How one family of XML documents is shaped (supplied by a connector definition).

    root             envelope element around every document (None: no envelope)
    list_attribute   attribute whose presence marks an element as a list of its children
    list_containers  element names whose every child is a list of items
    i18n_element     element name of one translation inside a translated field
    list_item_names  on write: list element name -> item element name (fallback: strip a final "s")
    max_bytes        documents larger than this are refused
    """

    root: str | None = None
    list_attribute: str | None = None
    list_containers: tuple[str, ...] = ()
    i18n_element: str | None = None
    list_item_names: Mapping[str, str] = field(default_factory=dict, hash=False)
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        for name in ("root", "list_attribute", "i18n_element"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"XmlOptions.{name} must be a non-empty string or None")
        if isinstance(self.list_containers, str):
            raise ValueError("XmlOptions.list_containers must be a sequence of names, not a string")
        object.__setattr__(self, "list_containers", tuple(self.list_containers))
        object.__setattr__(self, "list_item_names", MappingProxyType(dict(self.list_item_names)))
        if not isinstance(self.max_bytes, int) or self.max_bytes <= 0:
            raise ValueError("XmlOptions.max_bytes must be a positive integer")


# ----------------------------------------------------------------------------------------------
# Safe parsing

_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*$")
_SPACE_BYTES = re.compile(rb"[ \t\r\n]*")
_SPACE_TEXT = re.compile(r"[ \t\r\n]*")


def _make_parser() -> etree.XMLParser:
    from lxml import etree
    # A fresh parser per document: lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_blank_text=True)


def _scan_buffer(data: bytes) -> bytes | str:
    """The document in a form where markup characters can be searched for."""
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                       (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace").lstrip("\ufeff")
    return data  # ASCII-compatible encodings: scan the bytes themselves


def _position(buf: Any, offset: int) -> tuple[int, int]:  # bytes, or text for UTF-16/32 documents
    newline = b"\n" if isinstance(buf, bytes) else "\n"
    line = buf.count(newline, 0, offset) + 1
    return line, offset - (buf.rfind(newline, 0, offset) + 1) + 1


def _check_prolog(data: bytes) -> None:
    """Refuse any ``<!...>`` declaration (DOCTYPE, ENTITY, ...) before the document element."""
    buf: Any = _scan_buffer(data)  # bytes, or text for UTF-16/32 documents
    tok = (lambda s: s.encode("ascii")) if isinstance(buf, bytes) else (lambda s: s)
    space = _SPACE_BYTES if isinstance(buf, bytes) else _SPACE_TEXT
    pi_open, pi_close = tok("<?"), tok("?>")
    com_open, com_close, decl = tok("<!--"), tok("-->"), tok("<!")
    i, n = 0, len(buf)
    if isinstance(buf, bytes) and buf.startswith(b"\xef\xbb\xbf"):
        i = 3  # UTF-8 byte order mark
    while True:
        i = space.match(buf, i).end()  # type: ignore[union-attr]  # `\s*` always matches
        if i >= n:
            return
        if buf.startswith(com_open, i):
            end = buf.find(com_close, i + 4)
            if end < 0:
                return  # unterminated comment: the parser reports it
            i = end + 3
        elif buf.startswith(pi_open, i):
            end = buf.find(pi_close, i + 2)
            if end < 0:
                return
            i = end + 2
        elif buf.startswith(decl, i):
            line, col = _position(buf, i)
            if line == 1 and isinstance(buf, bytes) and buf.startswith(b"\xef\xbb\xbf"):
                col -= 3  # count characters after the byte order mark
            raise XmlError("DOCTYPE and ENTITY declarations are not allowed (refused for safety)",
                           line, col)
        else:
            return  # the document element (or garbage the parser will report)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse ``data`` safely and return the document element.

    Raises :class:`XmlError` for oversized documents, DOCTYPE/ENTITY declarations and malformed
    XML (with the 1-based line and column reported by the parser)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_xml expects bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XmlError(f"document is {len(data)} bytes, above the limit of {max_bytes} bytes")
    _check_prolog(data)
    from lxml import etree
    try:
        root = etree.fromstring(data, _make_parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        message = _POSITION_SUFFIX.sub("", (exc.msg or "syntax error").strip()).strip()
        raise XmlError(f"malformed XML: {message}", line or None, col or None) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise XmlError(f"malformed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlError("DOCTYPE and ENTITY declarations are not allowed (refused for safety)")
    return root


# ----------------------------------------------------------------------------------------------
# XML -> records

def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def _elements(el: etree._Element) -> list[etree._Element]:
    return [child for child in el if isinstance(child.tag, str)]  # skip comments and PIs


def _text(el: etree._Element) -> str:
    if len(el) == 0:
        return el.text or ""
    return "".join(el.itertext())  # text split by comments or PIs


def _plain_attributes(el: etree._Element) -> dict[str, str]:
    return {k: v for k, v in el.attrib.items() if not k.startswith("{")}


def _is_list_element(el: etree._Element, options: XmlOptions) -> bool:
    return options.list_attribute is not None and options.list_attribute in el.attrib


def _is_i18n(children: list[etree._Element], options: XmlOptions) -> bool:
    return (options.i18n_element is not None and bool(children)
            and all(_local(c.tag) == options.i18n_element and not _elements(c) for c in children))


def _value(el: etree._Element, options: XmlOptions, *, item: bool = False,
           as_list: bool = False) -> object:
    """The value of one element under the reading rules of the module docstring."""
    return _reader(options).read(el, item, as_list)


@lru_cache(maxsize=64)
def _reader(options: XmlOptions) -> Reader:
    from engine.connectors.codecs.xmlread import Reader  # imports lxml: only when XML is read

    return Reader(options, _general_value)


def _general_value(el: etree._Element, options: XmlOptions, *, item: bool = False,
                   as_list: bool = False) -> object:
    """The reading rules as written (any document; ``xmlread`` is the fast path of the common ones)."""
    children = _elements(el)
    if as_list or _is_list_element(el, options):
        if not children and _text(el).strip():
            raise XmlError(f"<{_local(el.tag)}> should hold a list of elements but holds text",
                           el.sourceline)
        return [_general_value(child, options, item=True) for child in children]
    if not children:
        text = _text(el)
        if item and not text.strip():
            attributes = _plain_attributes(el)
            if attributes:
                return attributes
        return text
    if _is_i18n(children, options):
        if len(children) == 1:
            return _text(children[0])
        return [{"id": c.get("id", ""), "value": _text(c)} for c in children]
    name = _local(el.tag)
    children_are_lists = name in options.list_containers
    list_attribute = options.list_attribute
    record: dict[str, object] = {}
    for child in children:
        key = _local(child.tag)
        if key in record:
            raise repeated(key, name, child.sourceline)
        if len(child) == 0 and not children_are_lists and (
                list_attribute is None or child.get(list_attribute) is None):
            record[key] = child.text or ""  # a leaf field (most of a record): what _value would give
        else:
            record[key] = _general_value(child, options, as_list=children_are_lists)
    return record


def repeated(key: str, name: str, line: int | None) -> XmlError:
    """The error of a child name ``key`` repeated inside a dict element ``<name>``."""
    return XmlError(f"element <{key}> appears more than once inside <{name}>; "
                    f"mark <{name}> as a list in the connector's XML options", line)


def record_value(el: etree._Element, options: XmlOptions) -> object:
    """The value of one record element (an item of a list document), by the reading rules above:
    what :func:`xml_to_records` gives for each record; used by the streaming reader."""
    return _value(el, options, item=True)


def _looks_like_item(el: etree._Element, options: XmlOptions) -> bool:
    """Would ``el``, as the only child of a resource element, be a record (list item)?"""
    children = _elements(el)
    if not children:
        return not _text(el).strip() and bool(_plain_attributes(el))
    if _is_list_element(el, options) or _local(el.tag) in options.list_containers:
        return False
    return not _is_i18n(children, options)


def _resource_element(doc: etree._Element, options: XmlOptions) -> etree._Element:
    if options.root is None:
        return doc
    if _local(doc.tag) != options.root:
        raise XmlError(f"expected a <{options.root}> document, found <{_local(doc.tag)}>",
                       doc.sourceline)
    children = _elements(doc)
    if not children:
        raise XmlError(f"<{options.root}> holds no resource element", doc.sourceline)
    if len(children) > 1:
        names = ", ".join(f"<{_local(c.tag)}>" for c in children[:4])
        raise XmlError(f"<{options.root}> holds several elements ({names}); expected one",
                       children[1].sourceline)
    return children[0]


def _error_pairs(el: etree._Element) -> list[tuple[str, str]]:
    if _local(el.tag) != "errors":
        return []
    pairs = []
    for error in _elements(el):
        if _local(error.tag) != "error":
            return []
        fields = {_local(c.tag): _text(c) for c in _elements(error)}
        pairs.append((fields.get("code", ""), fields.get("message", "")))
    return pairs


def xml_to_records(data: bytes, options: XmlOptions) -> tuple[str, list[dict], bool]:
    """Read a record document: ``(resource name, records, is_list)``.

    ``<root><orders><order>...</order>...</orders></root>`` gives ``("orders", [...], True)``; a
    single object ``<root><order>...</order></root>`` gives ``("order", [record], False)``. Without
    an envelope the document element plays the resource role. A resource element is a list when it
    carries the list attribute, is empty, has several children of one name, or has one child that
    is itself record-like (has child elements, or is an id-only item); otherwise it is one record.
    An error document (``errors/error/code,message``) raises :class:`XmlError` with its messages.
    """
    doc = parse_xml(data, max_bytes=options.max_bytes)
    resource = _resource_element(doc, options)
    name = _local(resource.tag)
    errors = _error_pairs(resource)
    if errors:
        listed = "; ".join(f"[{code}] {message}" if code else message for code, message in errors)
        raise XmlError(f"the document is an error response: {listed}", resource.sourceline)
    children = _elements(resource)
    is_list = (not children or _is_list_element(resource, options)
               or (len(children) > 1 and len({c.tag for c in children}) == 1)
               or (len(children) == 1 and _looks_like_item(children[0], options)))
    if not is_list:
        record = _value(resource, options)
        if not isinstance(record, dict):
            raise XmlError(f"<{name}> is not a record", resource.sourceline)
        return name, [record], False
    reader = _reader(options)
    if not reader.plain(resource):
        return name, _records(lambda el, item: _general_value(el, options, item=item), children, name), True
    unchecked = reader.leaves_unchecked(data, doc, resource)
    if unchecked is not None:  # no list attribute looked for on leaves, if the raw bytes vouch for it
        read, seen, expected = unchecked
        try:
            records = _records(read, children, name)
            if seen[0] == expected:
                return name, records, True
        except XmlError:
            pass  # read again below: the first error in document order
    return name, _records(reader.fast, children, name), True


def _records(read: Any, children: list[etree._Element], name: str) -> list[dict]:
    records = []
    for child in children:
        value = read(child, True)
        if not isinstance(value, dict):
            raise XmlError(f"<{_local(child.tag)}> inside <{name}> is not a record "
                           f"(found {type(value).__name__})", child.sourceline)
        records.append(value)
    return records


def xml_error_messages(data: bytes, options: XmlOptions) -> list[tuple[str, str]]:
    """``(code, message)`` pairs of an error document ``<root><errors><error><code/><message/>``;
    ``[]`` when ``data`` is not an error document (including empty or unreadable bodies)."""
    try:
        doc = parse_xml(data, max_bytes=options.max_bytes)
    except XmlError:
        return []
    if options.root is None:
        return _error_pairs(doc)
    if _local(doc.tag) != options.root:
        return []
    for child in _elements(doc):
        pairs = _error_pairs(child)
        if pairs:
            return pairs
    return []
