"""The source fields a flow reads at the top of its record, each with where it is written: the names at
the start of its `from`, `when`, `filter`, `key`, `reject`, `let`, `target.with` and related-`match`
expressions, less its related records, its `let` names and the reserved names. ``passerelle check``
compares them with a record the source gives (a misspelt ``AR_PoidNet`` reads null on every record
and sends nothing, silently, where the shop accepts a null). Expressions inside ``each`` read an
element, and fan-out or grouping flows an item: those are left out.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.errors import Loc
from engine.lang import names
from engine.lang.exprnames import root_names, spanned_tree
from engine.project.load import Item

_EXPRESSION_KEYS = frozenset({"from", "when", "each"})
_NOT_EXPRESSIONS = frozenset({"xref", "lookup"})  # transforms whose `from` is an endpoint, not a field
_LITERAL_NAMES = frozenset({"null", "true", "false"})  # read as fields by JMESPath, meant as values


def _expressions(node: Any, path: tuple) -> Iterator[tuple[str, tuple]]:
    """Every expression read on the record itself under ``node`` (a part of ``map`` or of a transform)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _EXPRESSION_KEYS and isinstance(value, str):
                yield value, path + (key,)
            elif key not in _NOT_EXPRESSIONS and ("each" not in node or key == "each"):  # in `each`: an element's
                yield from _expressions(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _expressions(value, path + (index,))


def _flow_expressions(data: dict) -> Iterator[tuple[str, tuple]]:
    yield from _expressions(data.get("map"), ("map",))
    for key in ("filter", "key"):
        if isinstance(data.get(key), str):
            yield data[key], (key,)
    for index, rule in enumerate(data.get("reject") or []):
        if isinstance(rule, dict) and isinstance(rule.get("when"), str):
            yield rule["when"], ("reject", index, "when")
    for name, text in (data.get("let") or {}).items():
        if isinstance(text, str):
            yield text, ("let", name)
    target = data["target"] if isinstance(data.get("target"), dict) else {}
    for name, text in (target.get("with") or {}).items():
        if isinstance(text, str):
            yield text, ("target", "with", name)
    source = data["source"] if isinstance(data.get("source"), dict) else {}
    for related, spec in (source.get("related") or {}).items():
        for field, text in ((spec or {}).get("match") or {}).items() if isinstance(spec, dict) else ():
            if isinstance(text, str):
                yield text, ("source", "related", related, "match", field)


def root_reads(item: Item) -> dict[str, Loc]:
    """Source field name -> where the flow first reads it; empty for a fan-out or grouping flow."""
    data = item.data
    if not isinstance(data, dict) or data.get("fan_out") is not None or data.get("group") is not None:
        return {}
    source = data["source"] if isinstance(data.get("source"), dict) else {}
    others = set(names.RESERVED) | _LITERAL_NAMES | set(source.get("related") or {}) | set(data.get("let") or {})
    found: dict[str, Loc] = {}
    for text, path in _flow_expressions(data):
        tree = spanned_tree(text)
        for name in root_names(tree) if tree is not None else ():
            if name.at_root and name.name not in others and name.name not in found:
                found[name.name] = item.loc(*path)
    return found


__all__ = ["root_reads"]
