"""JSON helpers shared by the simulators (standard library only).

* :func:`dumps` writes :class:`~decimal.Decimal` values as JSON *numbers* with their exact digits
  (WCF ``DataContractJsonSerializer`` writes ``decimal`` members as numbers), and can
  escape ``/`` as ``\\/`` the way WCF (``"\\/Date(…)\\/"``) and PHP's ``json_encode`` do.
* :func:`loads_strict` parses numbers with a fraction or exponent as ``Decimal`` (never ``float``),
  keeps member order (needed to check that ``__type`` comes first) and rejects duplicate members.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["DuplicateKeyError", "dumps", "loads_strict"]


class DuplicateKeyError(ValueError):
    """A JSON object repeats a member name."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate member {key!r}")
        self.key = key


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(key)
        out[key] = value
    return out


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON with Decimal for non-integers, ordered objects and duplicate detection."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs_hook)


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot write {value} as JSON")
    text = format(value, "f")
    return text


def _encode(value: Any, out: list[str], escape_slashes: bool) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    elif isinstance(value, str):
        text = json.dumps(value)
        out.append(text.replace("/", "\\/") if escape_slashes else text)
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            key_text = json.dumps(str(key))
            out.append(key_text.replace("/", "\\/") if escape_slashes else key_text)
            out.append(":")
            _encode(item, out, escape_slashes)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, escape_slashes)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value: Any, *, escape_slashes: bool = False) -> str:
    """Compact JSON text; Decimal → number with exact digits; optional ``\\/`` escaping."""
    out: list[str] = []
    _encode(value, out, escape_slashes)
    return "".join(out)
