"""Comparing what a record gave with what a spec test expects, field by field.

Values are compared as JSON values: a mapping with a mapping, a list with a list item by item, a text
with a text; numbers as exact decimals (``41.90`` equals ``41.9``; never through a float), and a text is
never equal to a number (``"20"`` is not ``20``), nor ``true`` to ``1``. Each difference is a
:class:`Difference` with the field path (``doc.Lignes[2].CodeTaxe``) and the path of the expected value
inside the test file (to locate it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.util.jsonout import OutputError, dumps

SHOWN = 100  # characters of a value shown in a difference
_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


@dataclass
class Difference:
    field: str  # `doc.Lignes[2].CodeTaxe`; "" for the whole payload
    text: str  # expected 41.90, got 41.91
    at: tuple  # the path of the expected value under the check (`equals`, `contains`...)

    def line(self) -> str:
        return f"{self.field or '(payload)'}: {self.text}"


def show(value: Any) -> str:
    try:
        text = dumps(value)
    except OutputError:
        text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _join(field: str, step: Any) -> str:
    if isinstance(step, int):
        return f"{field}[{step}]"
    return f"{field}.{step}" if field else str(step)


def same(expected: Any, actual: Any) -> bool:
    """Whether two leaves are equal: same kind, numbers as exact decimals."""
    kind = _kind(expected)
    if kind != _kind(actual):
        return False
    if kind == "number":
        return Decimal(expected) == Decimal(actual)
    return bool(expected == actual)


def differences(expected: Any, actual: Any, subset: bool = False, field: str = "",
                at: tuple = ()) -> list[Difference]:
    """Every difference between ``expected`` and ``actual``; ``subset``: only what ``expected`` names
    must be there (mappings recursively, lists by position, the actual list may be longer)."""
    out: list[Difference] = []
    kind = _kind(expected)
    if kind != _kind(actual):
        out.append(Difference(field, f"expected {show(expected)}, got {show(actual)}", at))
    elif kind == "mapping":
        for key, value in expected.items():
            if key not in actual:
                out.append(Difference(_join(field, key), f"missing (expected {show(value)})", at + (key,)))
            else:
                out += differences(value, actual[key], subset, _join(field, key), at + (key,))
        if not subset:
            for key, value in actual.items():
                if key not in expected:
                    out.append(Difference(_join(field, key), f"not expected (got {show(value)})", at))
    elif kind == "list":
        for index, value in enumerate(expected):
            if index >= len(actual):
                out.append(Difference(_join(field, index), f"missing (expected {show(value)}; the list has "
                                                           f"{len(actual)} item(s))", at + (index,)))
            else:
                out += differences(value, actual[index], subset, _join(field, index), at + (index,))
        if not subset:
            for index in range(len(expected), len(actual)):
                out.append(Difference(_join(field, index), f"not expected (got {show(actual[index])})", at))
    elif not same(expected, actual):
        out.append(Difference(field, f"expected {show(expected)}, got {show(actual)}", at))
    return out


def steps(path: str) -> list[Any] | None:
    """``doc.Lignes[2].CodeTaxe`` -> ``['doc', 'Lignes', 2, 'CodeTaxe']`` (None when malformed)."""
    out: list[Any] = []
    position = 0
    for match in _STEP.finditer(path):
        if match.start() != position:
            return None
        out.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
        position = match.end()
    return out if out and position == len(path) else None


def present(payload: Any, path: str) -> tuple[bool, Any]:
    """Whether the payload has a value at ``path``, and that value."""
    value = payload
    for step in steps(path) or ():
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return False, None
    return True, value


def absent(paths: list[str], payload: Any, mapped: Any = None) -> list[Difference]:
    """``mapped``: the flow's ``map`` (field -> entry), to tell a path no map entry produces — a typo that
    would make the check always hold — from one that is absent in this payload."""
    out = []
    for index, path in enumerate(paths):
        where = steps(path)
        if where is None:
            out.append(Difference(path, "is not a field path (write e.g. doc.Lignes[0].Remise)", (index,)))
            continue
        if mapped is not None and not produced(mapped, where):
            out.append(Difference(path, "no entry of the flow's map produces this field, so it is always absent "
                                        "(a misspelt name?)", (index,)))
            continue
        found, value = present(payload, path)
        if found:
            out.append(Difference(path, f"expected absent, got {show(value)}", (index,)))
    return out


def produced(spec: Any, where: list[Any]) -> bool:
    """Whether some entry of a ``map`` (field -> entry) may produce the field at ``where``; True when it
    cannot be told (a value below a field mapped whole, such as an object read from the source)."""
    node = spec
    for step in where:
        if isinstance(step, int):
            continue  # an element of a list: its fields are the item map's
        if not isinstance(node, dict):
            return True
        if step not in node:
            return False
        entry = node[step]
        if isinstance(entry, dict) and isinstance(entry.get("map"), dict):
            node = entry["map"]
        elif isinstance(entry, list):  # list items, each with its own map
            node = {k: v for item in entry if isinstance(item, dict) and isinstance(item.get("map"), dict)
                    for k, v in item["map"].items()} or None
        else:
            node = None  # a value mapped whole: what lies below cannot be told
    return True


__all__ = ["Difference", "absent", "differences", "present", "produced", "same", "show", "steps"]
