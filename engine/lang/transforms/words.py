"""Every built-in transform written in words, for the client's mapping document (``passerelle docs``).

A words template takes the transform's argument as written in the spec (``None`` for a bare name) and
returns a short sentence a client reads in the field table: ``{prefix: PS_}`` → "prefix with “PS_”",
``{parse_date: {format: "%Y-%m-%d %H:%M:%S", tz: Europe/Paris}}`` → "read as a date YYYY-MM-DD hh:mm:ss
in Europe/Paris". ``tests/test_docs_command.py`` checks every registered transform has one.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.lang.registry import Registry

# strftime codes a client reads without a manual
_CODES = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%H": "hh", "%I": "hh", "%M": "mm", "%S": "ss",
          "%f": "ffffff", "%z": "±hhmm", "%Z": "zone", "%p": "AM/PM", "%b": "Mon", "%B": "Month",
          "%a": "Day", "%A": "Weekday", "%j": "day-of-year", "%%": "%"}


def show(value: Any) -> str:
    """A constant as a client reads it: texts in quotes, null as "empty"."""
    if value is None:
        return "empty"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)


def date_format(text: Any) -> str:
    out = str(text)
    for code, words in _CODES.items():
        out = out.replace(code, words)
    return out


def _operand(arg: Any) -> str:
    if isinstance(arg, dict):
        return f"the record's {arg.get('from')}"
    return str(arg)


def _zone(arg: Any, key: str = "tz") -> str:
    return f" in {arg[key]}" if isinstance(arg, dict) and arg.get(key) else ""


def _lookup(arg: Any) -> str:
    if isinstance(arg, str):
        return f"translated with table {arg}"
    if isinstance(arg, dict) and "table" in arg:
        return f"translated with table {arg['table']} (when missing: {show(arg.get('default'))})"
    if isinstance(arg, dict) and isinstance(arg.get("map"), dict):
        pairs = ", ".join(f"{k} → {show(v)}" for k, v in list(arg["map"].items())[:6])
        more = ", …" if len(arg["map"]) > 6 else ""
        miss = f"; otherwise {show(arg['default'])}" if "default" in arg else ""
        return f"translated: {pairs}{more}{miss}"
    return "translated with a lookup table"


def _xref(arg: Any) -> str:
    arg = arg if isinstance(arg, dict) else {}
    what = f"{arg.get('type')} id"
    if arg.get("reverse"):
        text = f"the {arg.get('from')} {what} it was created from (cross-reference, reversed)"
    else:
        to = f" in {arg['to']}" if arg.get("to") else ""
        text = f"the {what}{to} recorded for this {arg.get('from')} id (cross-reference)"
    if "default" in arg:
        text += f"; when none yet: {show(arg['default'])}"
    return text


def _pad(arg: Any) -> str:
    arg = arg if isinstance(arg, dict) else {}
    char = arg.get("char", " ")
    side = arg.get("side", "left")
    return f"padded on the {side} to {arg.get('width')} characters with {show(char)}"


def _from_epoch(arg: Any) -> str:
    unit = "milliseconds" if isinstance(arg, dict) and arg.get("unit") == "ms" else "seconds"
    return f"date from {unit} since 1970{_zone(arg) or ' in UTC'}"


def _line_number(arg: Any) -> str:
    arg = arg if isinstance(arg, dict) else {}
    step = arg.get("step")
    start = arg.get("start", step)
    return f"line number {start}, {start + step if isinstance(start, int) and isinstance(step, int) else '…'}, …"


def _null_if(arg: Any) -> str:
    values = arg if isinstance(arg, list) else [arg]
    return "empty when it is " + " or ".join(show(v) for v in values)


WORDS: dict[str, Callable[[Any], str]] = {
    "prefix": lambda a: f"prefix with {show(a)}",
    "suffix": lambda a: f"suffix with {show(a)}",
    "upper": lambda a: "upper-case",
    "lower": lambda a: "lower-case",
    "trim": lambda a: "spaces removed at both ends",
    "truncate": lambda a: f"cut to {a} characters",
    "pad": _pad,
    "replace": lambda a: f"{show(a.get('old'))} replaced by {show(a.get('new'))}",
    "regex_replace": lambda a: f"text matching `{a.get('pattern')}` replaced by {show(a.get('replace'))}",
    "join": lambda a: f"items joined with {show(a)}",
    "concat": lambda a: "items joined together",
    "split": lambda a: f"split at {show(a)}",
    "template": lambda a: f"written as “{a}”",
    "default": lambda a: f"{show(a)} when empty",
    "coalesce": lambda a: "the first of these that is not empty",
    "null_if": _null_if,
    "cast": lambda a: {"int": "as a whole number", "decimal": "as a decimal number", "string": "as text",
                       "bool": "as yes/no"}.get(a, f"as {a}"),
    "add": lambda a: f"plus {_operand(a)}",
    "subtract": lambda a: f"minus {_operand(a)}",
    "multiply": lambda a: f"multiplied by {_operand(a)}",
    "divide": lambda a: f"divided by {_operand(a)}",
    "tax_incl": lambda a: f"plus VAT at {_operand(a)} %",
    "tax_excl": lambda a: f"VAT at {_operand(a)} % removed",
    "negate": lambda a: "sign changed (negative)",
    "abs": lambda a: "without its sign",
    "round": lambda a: f"rounded to {a} decimal{'s' if a != 1 else ''}",
    "sum": lambda a: "the sum of the items",
    "line_number": _line_number,
    "flag_if_positive": lambda a: "1 when above 0, else empty",
    "if_positive": lambda a: "the number when above 0, else empty",
    "parse_date": lambda a: ("read as a date " + (date_format(a["format"]) if isinstance(a, dict) and a.get("format")
                                                  else "in ISO 8601") + _zone(a)),
    "format_date": lambda a: f"written as {date_format(a.get('format'))}{_zone(a)}",
    "to_tz": lambda a: f"moved to time zone {a}",
    "epoch_seconds": lambda a: "as seconds since 1970",
    "epoch_ms": lambda a: "as milliseconds since 1970",
    "from_epoch": _from_epoch,
    "ms_json_date": lambda a: "written as `/Date(ms)/` (Sage web services)",
    "parse_ms_json_date": lambda a: f"read from `/Date(ms)/`{_zone(a)}",
    "lookup": _lookup,
    "xref": _xref,
    "pick": lambda a: (f"{'every' if a.get('all') else 'the'} element of `{a.get('from')}` whose `{a.get('match')}` "
                       f"is this value" + (f", its `{a['take']}`" if a.get("take") else "")),
    "next_number": lambda a: f"next number of the counter (step {a or 1}, prefix and width kept)",
}


def register(reg: Registry) -> None:
    for name, fn in WORDS.items():
        reg.words(name, fn)
