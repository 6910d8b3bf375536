"""JSON output with exact decimals: ``Decimal("12.500000")`` is written as the number ``12.5``.

One encoder for payloads, request bodies and the run state's copies. ``orjson`` writes the common
case (dicts, lists, tuples, str, int, bool, None and Decimal, at most 100 levels deep), each Decimal as
its exact text (:func:`number_text`, through ``orjson.Fragment``: no float). Anything else, and
anything orjson refuses (a lone surrogate, an int past 64 bits, a non-str key), is written by the
original encoder below, which is also the reference the fast path is tested against byte for byte
(``tests/unit/test_jsonout_equality.py``): keys in order as built, ``ensure_ascii=False``, values
that have no JSON form (a date left unformatted) refused with a message saying how to fix the spec.
A value whose type defines ``__jsonout__()`` is written as what that returns: a ``Secret`` is
written as its mask, ``"***"``.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_str = json.JSONEncoder(ensure_ascii=False).encode

MAX_DEPTH = 100


class OutputError(TypeError):
    pass


def number_text(value: Decimal) -> str:
    text = str(value)  # plain digits unless the exponent is positive or the number tiny (then "E")
    if "E" not in text and value.is_finite():  # neither scientific nor NaN/Infinity: the common case
        if "." in text:
            text = text.rstrip("0").rstrip(".")  # 12.500000 -> 12.5, 100.00 -> 100
        return "0" if text == "-0" else text
    return _number_text(value)


def _number_text(value: Decimal) -> str:
    """The general case (and the reference :func:`number_text` is tested against)."""
    if not value.is_finite():
        raise OutputError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    if value == value.to_integral_value():
        return format(value.to_integral_value(), "f")  # no int(): 1e5000 has too many digits for str(int)
    return format(value, "f").rstrip("0")  # not normalize(): it rounds to the context's 28 digits


def plain(value: Any) -> Any:
    """A copy where Decimals become int/float-free JSON-ready values (for comparisons in tests)."""
    return json.loads(dumps(value), parse_float=Decimal)


def dumps(value: Any, indent: int | None = None) -> str:
    if indent is None or indent == 2:
        fast = _fast(value, indent == 2)
        if fast is not None:
            return fast.decode()
    return _dumps(value, indent)


def dumps_bytes(value: Any) -> bytes:
    """``dumps(value).encode()`` without the detour through str (request bodies)."""
    fast = _fast(value, False)
    return fast if fast is not None else _dumps(value, None).encode()


# -- the fast path: orjson on values known to be written alike --------------------------------------

_LEAVES = frozenset({str, int, bool, type(None), Decimal})
_NESTS = frozenset({dict, list, tuple})
_KINDS = _LEAVES | _NESTS
_numbers: dict[Decimal, Any] = {}  # orjson.Fragment by value: equal Decimals have the same text (12.50, 12.5)
_orjson: Any = None  # imported on first use (with uuid, ~5 ms): `validate` writes no JSON
_options: tuple[int, int] = (0, 0)  # (compact, indent=2)


def ready() -> None:
    """Loads the fast encoder now rather than on the first payload (a dry-run does it while its
    reader processes parse the input files)."""
    if _orjson is None:
        _load()


def _load() -> Any:
    global _orjson, _options
    import orjson

    # anything orjson would write itself but differently goes to _decimal, which refuses it: the reference
    passthrough = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_SUBCLASS)
    _options = (passthrough, passthrough | orjson.OPT_INDENT_2)
    _orjson = orjson
    return orjson


class _Other(TypeError):
    """A value for the reference encoder (raised inside orjson's ``default``)."""


def _decimal(value: Any) -> Any:
    if type(value) is not Decimal or not value.is_finite():
        raise _Other
    fragment = _numbers.get(value)
    if fragment is None:
        if len(_numbers) >= 4096:
            _numbers.clear()
        fragment = _numbers[value] = _orjson.Fragment(number_text(value))
    return fragment


def _fast(value: Any, indent2: bool) -> bytes | None:
    kind = type(value)
    if kind in _NESTS:
        if value and not _plain(value, 0):
            return None
    elif kind not in _LEAVES:
        return None
    orjson = _orjson or _load()
    try:
        return orjson.dumps(value, default=_decimal, option=_options[indent2])
    except orjson.JSONEncodeError:  # a lone surrogate, an int past 64 bits, a non-str key, NaN...
        return None


def _plain(value: Any, level: int) -> bool:
    """True when the non-empty container ``value`` (at ``level``) holds only kinds orjson writes as
    the reference does (no float: its text differs) and nothing deeper than MAX_DEPTH. Level by level
    without recursion: a payload's ~20 small containers cost one loop each, not one call each."""
    todo, leaves, nests = [value], _LEAVES, _NESTS
    while todo:
        if level >= MAX_DEPTH:
            return False
        deeper = []
        for container in todo:
            for item in (container.values() if type(container) is dict else container):
                kind = type(item)
                if kind in leaves:
                    continue
                if kind not in nests:
                    return False
                if item:
                    deeper.append(item)
        todo = deeper
        level += 1
    return True


# -- the reference encoder: everything else, and every refusal with its message ---------------------

def _dumps(value: Any, indent: int | None) -> str:
    parts: list[str] = []
    _write(value, parts, indent, 0, "")
    return "".join(parts)


def _write(value: Any, out: list[str], indent: int | None, level: int, where: str) -> None:
    if level > MAX_DEPTH:
        raise OutputError(f"{where or 'value'} is nested more than {MAX_DEPTH} levels deep")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_str(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(number_text(value))
    elif isinstance(value, float):
        out.append(number_text(Decimal(repr(value))))
    elif isinstance(value, dict):
        _container(list(value.items()), "{", "}", out, indent, level, where, True)
    elif isinstance(value, (list, tuple)):
        _container(list(value), "[", "]", out, indent, level, where, False)
    elif callable(getattr(type(value), "__jsonout__", None)):  # a value that chooses its JSON form
        _write(value.__jsonout__(), out, indent, level + 1, where)
    elif isinstance(value, (datetime, date)):
        raise OutputError(f"{where or 'value'} is a date ({value.isoformat()}); format it for the "
                          "target, e.g. with `ms_json_date` or `format_date`")
    else:
        raise OutputError(f"{where or 'value'} has no JSON form ({type(value).__name__})")


def _container(items, open_, close, out, indent, level, where, is_map):
    if not items:
        out.append(open_ + close)
        return
    out.append(open_)
    pad = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    sep = ": " if indent is not None else ":"
    for position, item in enumerate(items):
        if position:
            out.append(",")
        out.append(pad)
        if is_map:
            key, val = item
            out.append(_str(str(key)) + sep)
            _write(val, out, indent, level + 1, f"{where}.{key}" if where else str(key))
        else:
            _write(item, out, indent, level + 1, f"{where}[{position}]")
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    out.append(close)
