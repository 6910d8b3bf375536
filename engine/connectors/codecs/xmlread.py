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


class Reader:
    """The reading rules of one :class:`XmlOptions`, compiled into closures.

    ``read(el, item, as_list)`` is ``_value``'s contract; ``plain(el)`` says whether the subtree
    can take the fast path, and ``fast(el, item)`` reads an element of a plain subtree without
    checking it again (one check per document, not per record)."""

    __slots__ = ("read", "plain", "fast")

    def __init__(self, options: Any, general: General):
        list_attribute: str | None = options.list_attribute
        containers = frozenset(options.list_containers)
        i18n: str | None = options.i18n_element

        def slow(el: Any, item: bool = False, as_list: bool = False) -> object:
            return general(el, options, item=item, as_list=as_list)

        def as_list_value(el: Any) -> object:
            if len(el) == 0:
                if (el.text or "").strip():
                    return slow(el, as_list=True)  # raises "should hold a list ... but holds text"
                return []
            return [value(child, True) for child in el]

        def translated(el: Any, item: bool) -> object:
            children = list(el)
            if not all(c.tag == i18n and len(c) == 0 for c in children):
                return slow(el, item)
            if len(children) == 1:
                return children[0].text or ""
            return [{"id": c.get("id", ""), "value": c.text or ""} for c in children]

        def value(el: Any, item: bool = False) -> object:
            if list_attribute is not None and el.get(list_attribute) is not None:
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
            first = el[0]
            if first.tag == i18n and len(first) == 0:
                return translated(el, item)
            try:
                if tag in containers:
                    record = {c.tag: as_list_value(c) for c in el}
                elif list_attribute is None:
                    record = {c.tag: (c.text or "") if len(c) == 0 else value(c) for c in el}
                else:
                    record = {c.tag: (c.text or "") if len(c) == 0 and c.get(list_attribute) is None
                              else value(c) for c in el}
            except Exception:  # noqa: BLE001 - an error below: the general reader raises the first one,
                return slow(el, item)  # which may be a repeated name before it
            if len(record) != len(el) or "{" in "".join(record):
                return slow(el, item)  # a repeated name (the general reader says which) or a namespace
            return record

        def plain(el: Any) -> bool:
            return next(el.iter(*_NOT_ELEMENTS), None) is None

        def read(el: Any, item: bool = False, as_list: bool = False) -> object:
            if not plain(el):
                return slow(el, item, as_list)
            return as_list_value(el) if as_list else value(el, item)

        self.read, self.plain, self.fast = read, plain, value
