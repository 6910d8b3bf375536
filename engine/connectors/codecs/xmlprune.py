"""Reading a record element into a dict of only the fields a flow reads (a file dry-run's stream).

A connector's records carry dozens of elements while a flow reads a few of them; decoding every one
costs more than mapping the record. Given the set of top-level field names to keep, a record element
that is a plain dict under the reading rules of :mod:`~engine.connectors.codecs.xmlcodec` is read
child by child: a child whose (local) name is not kept is skipped without being decoded - so a
problem inside it is not reported either - and a kept child gets exactly the value, or raises exactly
the located :class:`~engine.connectors.codecs.xmlcodec.XmlError`, of the general reader (a repeated
kept name included). Any record element that is not plainly a dict (no child, a list by its attribute
or container, a translated field, a namespaced or non-element first child, a namespaced name) is read
whole by the general rules, so that its value, or its error, is unchanged.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.connectors.codecs.xmlcodec import XmlOptions, _local, _reader, repeated


def pruned_record(options: XmlOptions, keep: frozenset[str]) -> Callable[[Any], object]:
    """``record(el)``: :func:`~engine.connectors.codecs.xmlcodec.record_value` restricted to the
    top-level children named in ``keep`` (the others are never decoded)."""
    read = _reader(options).read
    list_attribute = options.list_attribute
    containers = frozenset(options.list_containers)
    i18n = options.i18n_element

    def record(el: Any) -> object:
        tag = el.tag
        if len(el) == 0 or tag[0] == "{" or tag in containers or \
                (list_attribute is not None and el.get(list_attribute) is not None):
            return read(el, True)  # a text, an id-only item, a list, a namespaced record: read whole
        first = el[0].tag
        if type(first) is not str or (i18n is not None and _local(first) == i18n):
            return read(el, True)  # maybe a translated field (or a comment first): read whole
        try:  # the common record: kept children of plain names, none repeated, none failing
            pairs = [(key, child) for child in el if (key := child.tag) in keep or key[:1] == "{"]
            out = {key: (child.text or "") if len(child) == 0 and (
                list_attribute is None or child.get(list_attribute) is None) else read(child)
                for key, child in pairs}
        except Exception:  # noqa: BLE001 - a comment's tag, an error: the loop below says which
            return checked(el, tag)
        if len(out) == len(pairs) and "{" not in "".join(out):
            return out
        return checked(el, tag)  # a repeated name (the loop says which) or a namespaced one

    def checked(el: Any, tag: str) -> dict[str, object]:
        """The kept children one by one: local names, comments skipped, the first error raised."""
        out: dict[str, object] = {}
        for child in el:
            key = child.tag
            if key not in keep:
                if type(key) is not str or key[0] != "{":
                    continue  # a field the flow never reads (or a comment, PI, entity): not decoded
                key = _local(key)
                if key not in keep:
                    continue
            if key in out:
                raise repeated(key, _local(tag), child.sourceline)
            if len(child) == 0 and (list_attribute is None or child.get(list_attribute) is None):
                out[key] = child.text or ""  # a leaf field, as the general reader reads it
            else:
                out[key] = read(child)
        return out

    return record


__all__ = ["pruned_record"]
