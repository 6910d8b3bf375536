"""Reading an XML list document record by record, in constant memory (``lxml.etree.iterparse``).

The records are exactly those of :func:`engine.connectors.codecs.xmlcodec.xml_to_records` (each
record element goes through :func:`~engine.connectors.codecs.xmlcodec.record_value`, the same
reading rules), but a record is handed out as soon as its end tag is parsed, and its element (with
every element before it) is cleared at once: memory holds one record, whatever the file's size.

Only a *list* document streams: a resource element that carries the list attribute, or whose first
two child elements have the same name. Anything else (a single record, an error document, an empty
or one-item list, a document that is not the expected envelope) is small or an error, and
:func:`stream_xml` returns ``None`` so that the caller reads it whole with ``xml_to_records``.

Safety rules are those of ``parse_xml``: the prolog is checked before lxml sees the document
(no ``<!DOCTYPE``/``<!ENTITY``), the parser never resolves entities, never loads a DTD and never
touches the network, and the document's DOCTYPE is checked again on its first element.

``fields`` (a file dry-run's): the resource name -> the top-level fields of its records to keep
(``None``: all); the others are never decoded (:mod:`~engine.connectors.codecs.xmlprune`), and an
error decoding a record of such a resource is a :class:`PrunedRecordError`.

``skip`` (a :class:`Skip`): while its ``on`` is true, records are parsed, checked for their place and
counted but not decoded - each is handed out as ``None`` (a process that leaves those records to
another one: ``engine/runtime/splitmap.py``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions, _check_prolog, record_value
from engine.connectors.codecs.xmlprune import pruned_record

_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*$")  # as parse_xml words its errors
HEAD_BYTES = 1 << 20  # the prolog check reads this much of the file's start
_SAFE: dict[str, Any] = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                         "huge_tree": False, "remove_blank_text": True}
_DOCTYPE = "DOCTYPE and ENTITY declarations are not allowed (refused for safety)"
Fields = Callable[[str], "frozenset[str] | None"]  # resource name -> top-level fields kept (None: all)
Decode = Callable[[etree._Element], object]


class Skip:
    """A switch the reader looks at before decoding each record (see the module's docstring)."""

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = False


_NEVER = Skip()


class PrunedRecordError(XmlError):
    """A record that cannot be decoded, its unused fields skipped: reported as found (reading the
    whole document again, every element decoded, might report a problem the flow never meets)."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


def _syntax(exc: etree.XMLSyntaxError) -> XmlError:
    line, col = exc.position if exc.position else (None, None)
    message = _POSITION_SUFFIX.sub("", (exc.msg or "syntax error").strip()).strip()
    return XmlError(f"malformed XML: {message}", line or None, col or None)


def _check_doctype(el: etree._Element) -> None:
    info = el.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise XmlError(_DOCTYPE)


def stream_xml(path: Path, options: XmlOptions, fields: Fields | None = None,
               skip: Skip | None = None) -> tuple[str, Iterator[dict]] | None:
    """``(resource name, records)`` of a list document, records read lazily; ``None`` when the
    document is not a list this reader streams (read it whole instead). Raises :class:`XmlError`."""
    with open(path, "rb") as handle:
        _check_prolog(handle.read(HEAD_BYTES))
    try:
        probe = _probe(path, options)
    except etree.XMLSyntaxError as exc:
        raise _syntax(exc) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise XmlError(f"malformed XML: {exc}") from None
    if probe is None:
        return None
    name, tag, depth, as_list = probe
    keep = fields(name) if fields is not None else None
    decode: Decode = (lambda el: record_value(el, options)) if keep is None else pruned_record(options, keep)
    return name, _records(path, decode, keep is not None, name, tag, depth, as_list, skip or _NEVER)


def _probe(path: Path, options: XmlOptions) -> tuple[str, str, int, bool] | None:
    """Read the head of the document: the resource element's name, the record elements' tag, the
    resource's depth and whether it is a list by its attribute. Stops at the second record."""
    resource_depth = 0 if options.root is None else 1
    depth, name, first, as_list = -1, "", None, False
    for event, el in etree.iterparse(str(path), events=("start", "end"), **_SAFE):
        if event == "end":
            depth -= 1
            if depth < resource_depth:
                return None  # the resource ended with at most one child (or never began): read whole
            continue
        depth += 1
        if depth == 0:
            _check_doctype(el)
            if options.root is not None and _local(el.tag) != options.root:
                return None  # not the expected envelope: the whole reader says so
        if depth == resource_depth:
            name = _local(el.tag)
            if name == "errors":
                return None  # an error document: the whole reader reports its messages
            as_list = options.list_attribute is not None and options.list_attribute in el.attrib
        elif depth == resource_depth + 1 and isinstance(el.tag, str):
            if first is None:
                first = el.tag
            elif el.tag == first:
                return name, first, resource_depth, as_list
            elif as_list:
                return name, first, resource_depth, True
            else:
                return None  # children of several names: one record, read whole
    return None


def _records(path: Path, decode: Decode, pruned: bool, name: str, tag: str, resource_depth: int,
             as_list: bool, skip: Skip) -> Iterator[dict]:
    try:
        yield from _walk(path, _decoder(decode, pruned, name), name, tag, resource_depth, as_list, skip)
    except etree.XMLSyntaxError as exc:
        raise _syntax(exc) from None
    except ValueError as exc:
        raise XmlError(f"malformed XML: {exc}") from None


def _decoder(decode: Decode, pruned: bool, name: str) -> Callable[[etree._Element], dict]:
    """``el -> record``; with ``pruned``, its errors are :class:`PrunedRecordError`."""
    def record(el: etree._Element) -> dict:
        value = decode(el)
        if not isinstance(value, dict):
            raise XmlError(f"<{_local(el.tag)}> inside <{name}> is not a record "
                           f"(found {type(value).__name__})", el.sourceline)
        return value

    def found(el: etree._Element) -> dict:
        try:
            return record(el)
        except XmlError as exc:
            raise PrunedRecordError(exc.message, exc.line, exc.col) from None

    return found if pruned else record


def _others(resource: etree._Element, upto: etree._Element | None, tag: str, record: Callable,
            name: str, as_list: bool) -> Iterator[dict]:
    """Children of ``resource`` before ``upto`` (all when None) that are not record elements
    already handed out: items of a list by its attribute, an error otherwise."""
    for child in resource:
        if child is upto:
            return
        if not isinstance(child.tag, str) or child.tag == tag:
            continue  # a comment or PI, or a record already read (and cleared)
        if not as_list:
            raise XmlError(f"<{_local(child.tag)}> inside <{name}>: a list holds elements of one name "
                           f"(<{_local(tag)}>); mark <{name}> as a list in the connector's XML options",
                           child.sourceline)
        yield record(child)


def _walk(path: Path, record: Callable[[etree._Element], dict], name: str, tag: str, resource_depth: int,
          as_list: bool, skip: Skip = _NEVER) -> Iterator[Any]:  # dicts (None: skipped)
    resource = None
    events = etree.iterparse(str(path), events=("end",), tag=tag, **_SAFE)
    for _, el in events:
        parent = el.getparent()
        if resource is None:
            up, depth = parent, 0
            while up is not None:
                up, depth = up.getparent(), depth + 1
            if depth != resource_depth + 1:
                continue  # an element of the same name deeper down, inside a record
            _check_doctype(el)
            resource = parent
        elif parent is not resource:
            continue
        if el.getprevious() is not None:
            yield from _others(resource, el, tag, record, name, as_list)
        value = None if skip.on else record(el)
        el.clear(keep_tail=False)
        while el.getprevious() is not None:
            del resource[0]
        del resource[0]  # the record itself (read): the next one finds nothing before it to look at
        yield value
    if resource is None:
        return
    yield from _others(resource, None, tag, record, name, as_list)
    root = resource.getparent()
    if root is not None:  # the envelope holds one resource element
        children = [c for c in root if isinstance(c.tag, str)]
        if len(children) > 1:
            names = ", ".join(f"<{_local(c.tag)}>" for c in children[:4])
            raise XmlError(f"<{_local(root.tag)}> holds several elements ({names}); expected one",
                           children[1].sourceline)
