"""The fast path of ``xmlcodec``'s reading rules (element -> record), for the common documents.

``xmlcodec`` states the reading rules and keeps their general reader (``_general_value``); this
module compiles, once per :class:`XmlOptions`, closures that give exactly the same values faster on
subtrees that hold no comment, processing instruction or entity node (checked once per document or
per record by lxml's C iteration, which creates no Python object for the nodes it skips). There
every child is an element, so:

* a dict is one comprehension over the children (``tag -> text`` for a leaf, as a hand-written
  lxml loop does), its duplicates detected afterwards by counting keys;
* an element name without a namespace is its tag as lxml gives it (no ``_local``);
* any element that is not plain (a namespaced name, a repeated child name) is handed to the general
  reader, which gives the same value or raises the same located :class:`XmlError`.

The general reader is the oracle: ``tests/unit/test_xmlread.py`` compares both on every XML fixture
and on generated trees.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

# Nodes other than elements: where they are, the general reader (text split by comments, ...).
_NOT_ELEMENTS = (etree.Comment, etree.ProcessingInstruction, etree.Entity)

General = Callable[..., object]  # (el, options, *, item=, as_list=) -> value


# Encodings in which an attribute name is its ASCII bytes (counting them in the raw document is exact).
_ASCII_COMPATIBLE = ("utf-8", "utf8", "us-ascii", "ascii", "iso-8859-", "iso8859-", "latin", "windows-125", "cp125")


def _compile(options: Any, general: General, check_leaves: bool, seen: list[int]) -> tuple[Callable, Callable]:
    """``(value, as_list_value)`` closures for plain subtrees. With ``check_leaves`` False, a leaf
    child of a dict is read as text without looking for the list attribute; every element found
    carrying it is counted in ``seen[0]``, so that the caller can check none was missed."""
    list_attribute: str | None = options.list_attribute
    containers = frozenset(options.list_containers)
    i18n: str | None = options.i18n_element
    get_on_leaves = check_leaves and list_attribute is not None

    def slow(el: Any, item: bool = False, as_list: bool = False) -> object:
        return general(el, options, item=item, as_list=as_list)

    def as_list_value(el: Any) -> object:
        if len(el) == 0:
            if (el.text or "").strip():
                return slow(el, as_list=True)  # raises "should hold a list ... but holds text"
            return []
        return [value(child, True) for child in el]

    def container_child(el: Any) -> object:
        if list_attribute is not None and el.get(list_attribute) is not None:
            seen[0] += 1
        return as_list_value(el)

    def translated(el: Any, item: bool) -> object:
        children = list(el)
        if not all(c.tag == i18n and len(c) == 0 for c in children):
            return slow(el, item)
        if len(children) == 1:
            return children[0].text or ""
        return [{"id": c.get("id", ""), "value": c.text or ""} for c in children]

    def value(el: Any, item: bool = False) -> object:
        if list_attribute is not None and el.get(list_attribute) is not None:
            seen[0] += 1
            return as_list_value(el)
        if len(el) == 0:
            text = el.text or ""
            if item and not text.strip():
                attributes = {k: v for k, v in el.items() if not k.startswith("{")}
                if attributes:
                    return attributes
            return text
        tag = el.tag
        if tag[0] == "{":
            return slow(el, item)
        try:
            if tag in containers:
                record = {c.tag: container_child(c) for c in el}
            elif not get_on_leaves:
                record = {c.tag: (c.text or "") if len(c) == 0 else value(c) for c in el}
            else:
                record = {c.tag: (c.text or "") if len(c) == 0 and c.get(list_attribute) is None
                          else value(c) for c in el}
        except Exception:  # noqa: BLE001 - an error below: the general reader raises the first one,
            return slow(el, item)  # which may be a repeated name before it
        if i18n in record:  # a translated field if every child is a childless i18n element
            return translated(el, item)
        if len(record) != len(el) or "{" in "".join(record):
            return slow(el, item)  # a repeated name (the general reader says which) or a namespace
        return record

    return value, as_list_value


class Reader:
    """The reading rules of one :class:`XmlOptions`, compiled into closures.

    ``read(el, item, as_list)`` is ``_value``'s contract; ``plain(el)`` says whether the subtree
    can take the fast path, and ``fast(el, item)`` reads an element of a plain subtree without
    checking it again (one check per document, not per record)."""

    __slots__ = ("read", "plain", "fast", "_options", "_general")

    def __init__(self, options: Any, general: General):
        self._options, self._general = options, general
        value, as_list_value = _compile(options, general, True, [0])

        def plain(el: Any) -> bool:
            return next(el.iter(*_NOT_ELEMENTS), None) is None

        def read(el: Any, item: bool = False, as_list: bool = False) -> object:
            if not plain(el):
                return general(el, options, item=item, as_list=as_list)
            return as_list_value(el) if as_list else value(el, item)

        self.read, self.plain, self.fast = read, plain, value

    def leaves_unchecked(self, data: bytes, doc: Any, resource: Any) -> tuple[Callable, list[int], int] | None:
        """For a whole document: ``(value, seen, expected)``, a reader that does not look for the list
        attribute on the leaves of dicts, and the number of elements it must find carrying it
        (``seen[0] == expected`` after reading every record: no leaf carried it, the values are
        those of ``fast``). ``None`` when that cannot be known from the raw bytes."""
        name = self._options.list_attribute
        encoding = (doc.getroottree().docinfo.encoding or "").lower()
        if name is None or not name.isascii() or not encoding.startswith(_ASCII_COMPATIBLE) \
                or data[:2] in (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00"):
            return None
        expected = data.count(name.encode("ascii"))
        for outer in {id(doc): doc, id(resource): resource}.values():
            expected -= outer.get(name) is not None
        seen = [0]
        value, _ = _compile(self._options, self._general, False, seen)
        return value, seen, expected
