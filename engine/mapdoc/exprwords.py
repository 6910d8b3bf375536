"""JMESPath conditions and paths written in words for the client's mapping document.

``detail.reduction_percent > `0``` → "`detail.reduction_percent` is above 0";
``product != null && combination == null`` → "`product` is present and `combination` is empty";
``a || b`` (as a source) → "the first of `a`, `b`". What has no plain reading (projections, filters,
functions other than a few) is shown as written, in code style: the document never guesses.
"""
from __future__ import annotations

from typing import Any

from jmespath.parser import Parser

from engine.lang.transforms.words import show

_COMPARE = {"gt": "is above", "lt": "is below", "gte": "is at least", "lte": "is at most",
            "eq": "is", "ne": "is not"}


class _Opaque(Exception):
    """An expression with no plain reading: shown as written."""


def _parse(text: str) -> dict | None:
    try:
        return Parser().parse(text).parsed
    except Exception:  # noqa: BLE001 — a spec that compiled parses; anything else is shown as written
        return None


def _is_null(node: dict) -> bool:
    return (node["type"] == "literal" and node["value"] is None) or \
        (node["type"] == "field" and node["value"] == "null")


def _path(node: dict) -> str:
    kind = node["type"]
    if kind == "field":
        return str(node["value"])
    if kind == "subexpression":
        return ".".join(_path(child) for child in node["children"])
    if kind == "index_expression":
        left, index = node["children"]
        return f"{_path(left)}[{index.get('value')}]"
    if kind == "current":
        return "@"
    raise _Opaque


def _term(node: dict) -> str:
    kind = node["type"]
    if kind == "literal":
        return show(node["value"]) if not isinstance(node["value"], (int, float)) else str(node["value"])
    if _is_null(node):
        return "empty"
    if kind == "function_expression" and node["value"] == "length" and len(node["children"]) == 1:
        return f"the length of {_term(node['children'][0])}"
    return f"`{_path(node)}`"


def _cond(node: dict) -> str:
    kind = node["type"]
    if kind == "and_expression":
        return " and ".join(_cond(child) for child in node["children"])
    if kind == "or_expression":
        return " or ".join(_cond(child) for child in node["children"])
    if kind == "not_expression":
        return f"{_term(node['children'][0])} is empty or false"
    if kind == "comparator":
        left, right = node["children"]
        if _is_null(right) and node["value"] in ("eq", "ne"):
            return f"{_term(left)} {'is empty' if node['value'] == 'eq' else 'is present'}"
        return f"{_term(left)} {_COMPARE[node['value']]} {_term(right)}"
    return f"{_term(node)} is present"


def code(text: Any) -> str:
    """An expression shown as written, in code style: when it holds backticks, in double backticks with a
    space inside each (CommonMark's way: ``` `` closed == `false` `` ```, the spaces are not shown)."""
    return f"`` {text} ``" if "`" in str(text) else f"`{text}`"


def condition(text: Any) -> str:
    """A `when`/`filter`/`reject` condition in words (as written, in code style, when it has none)."""
    tree = _parse(str(text))
    try:
        if tree is None:
            raise _Opaque
        return _cond(tree)
    except (_Opaque, KeyError, ValueError, TypeError):
        return code(text)


def source(text: Any) -> str:
    """A `from` path in words: the path in code style, "the first of …" for `a || b`."""
    tree = _parse(str(text))
    try:
        if tree is None:
            raise _Opaque
        if tree["type"] == "or_expression":
            parts: list[dict] = []
            stack = [tree]
            while stack:
                node = stack.pop(0)
                if node["type"] == "or_expression":
                    stack[:0] = node["children"]
                else:
                    parts.append(node)
            return "the first of " + ", ".join(_term(p) for p in parts) + " that is not empty"
        return _term(tree)
    except (_Opaque, KeyError, ValueError, TypeError):
        return code(text)
