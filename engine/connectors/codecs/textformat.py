"""Text file formats declared in a connector definition (``format: {type: csv | fixed, ...}``): the
options, checked once when the connector is compiled, and the number conversions both codecs share.

A format is a frozen value: readers and writers (:mod:`~engine.connectors.codecs.csvfile`,
:mod:`~engine.connectors.codecs.fixedwidth`) take it as is, nothing is parsed per record. Numbers:
the fields a resource types ``decimal`` or ``int`` are read into exact :class:`~decimal.Decimal` /
``int`` with the declared decimal separator, and a ``Decimal`` is written back with it (money is never
a float).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping
from dataclasses import field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.util.records import frozen

TEXT_TYPES = ("csv", "fixed")
NEWLINES = {"crlf": "\r\n", "lf": "\n"}
_INT = re.compile(r"[+-]?[0-9]+\Z")


@frozen
class Column:
    """A column: its name and, for fixed width, its 1-based ``start``, ``width``, alignment and pad."""

    name: str
    start: int = 0
    width: int = 0
    align: str = "left"
    pad: str = " "
    truncate: bool = False


@frozen
class TextFormat:
    """How a CSV or fixed-width file is laid out. ``numbers``: field -> ``decimal`` | ``int`` (the
    resource's declared types), converted while reading."""

    type: str
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    decimal: str = "."
    header: bool = True
    columns: tuple[Column, ...] = ()
    newline: str = "\r\n"
    numbers: Mapping[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def read_encoding(self) -> str:
        """A UTF-8 file is read with its byte-order mark stripped when it has one."""
        return "utf-8-sig" if codecs.lookup(self.encoding).name == "utf-8" else self.encoding

    @property
    def write_encoding(self) -> str:
        """Lines are encoded without a byte-order mark; :attr:`bom` starts a new file."""
        return "utf-8" if codecs.lookup(self.encoding).name == "utf-8-sig" else self.encoding

    @property
    def bom(self) -> bytes:
        return codecs.BOM_UTF8 if codecs.lookup(self.encoding).name == "utf-8-sig" else b""

    def typed(self, types: Mapping[str, str]) -> TextFormat:
        return replace(self, numbers={k: v for k, v in types.items() if v in ("decimal", "int")})


Error = Callable[[str, tuple], None]  # (message, path under the format block)


def compile_format(spec: Mapping, error: Error) -> TextFormat | None:
    """A CSV / fixed-width format from its declaration (the JSON Schema checked the shapes); every
    problem is reported through ``error``; None when there was one."""
    kind = spec.get("type")
    problems = 0

    def bad(message: str, *path: Any) -> None:
        nonlocal problems
        problems += 1
        error(message, path)

    encoding = spec.get("encoding", "utf-8")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        bad(f"unknown encoding {encoding!r} (e.g. utf-8, utf-8-sig, cp1252, latin-1)", "encoding")
    for key in ("delimiter", "quote"):
        if key in spec and len(str(spec[key])) != 1:
            bad(f"`{key}` must be one character, found {spec[key]!r}", key)
    if spec.get("delimiter") == spec.get("quote", '"'):
        bad("`delimiter` and `quote` must differ", "delimiter")
    decimal = spec.get("decimal", ".")
    if decimal not in (".", ","):
        bad(f"`decimal` is '.' or ',', found {decimal!r}", "decimal")
    elif kind == "csv" and decimal == spec.get("delimiter", ","):
        bad("the decimal separator cannot be the delimiter (quote the values, or choose `;`)", "decimal")
    declared = spec.get("columns") or ()
    if not isinstance(declared, (list, tuple)):
        bad("`columns` is a list", "columns")
        declared = ()
    columns = tuple(_column(item, index, kind, bad) for index, item in enumerate(declared))
    names = [c.name for c in columns]
    for name in {n for n in names if names.count(n) > 1}:
        bad(f"column {name!r} is declared twice", "columns")
    newline = spec.get("newline", "crlf")
    if newline not in NEWLINES:
        bad(f"`newline` is crlf or lf, found {newline!r}", "newline")
    header = bool(spec.get("header", kind == "csv"))
    if kind == "csv" and not header and not columns:
        bad("a CSV file without a header line needs `columns` (the field of each position)", "columns")
    if kind == "fixed":
        if not columns:
            bad("a fixed-width format needs `columns` with `start` and `width`", "columns")
        ends = sorted((c.start, c.start + c.width, c.name) for c in columns)
        for (_, end, left), (start, _, right) in zip(ends, ends[1:]):
            if start < end:
                bad(f"columns {left!r} and {right!r} overlap", "columns")
    if problems:
        return None
    return TextFormat(str(kind), str(encoding), str(spec.get("delimiter", ",")), str(spec.get("quote", '"')),
                      str(decimal), header, columns, NEWLINES[newline])


def _column(item: Any, index: int, kind: Any, bad: Callable[..., None]) -> Column:
    if isinstance(item, str):
        if kind == "fixed":
            bad("a fixed-width column needs `start` and `width`", "columns", index)
        return Column(item)
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        bad("a column is a name, or an object with `name`", "columns", index)
        return Column(str(index))
    for key, low in (("start", 1), ("width", 1)):
        value = item.get(key, 1)
        if type(value) is not int or value < low:
            bad(f"`{key}` is a whole number from {low}, found {value!r}", "columns", index, key)
            return Column(item["name"])
    if item.get("align", "left") not in ("left", "right"):
        bad(f"`align` is left or right, found {item.get('align')!r}", "columns", index, "align")
    pad = str(item.get("pad", " "))
    if len(pad) != 1:
        bad(f"`pad` must be one character, found {pad!r}", "columns", index, "pad")
    if kind == "fixed" and not ("start" in item and "width" in item):
        bad(f"fixed-width column {item.get('name')!r} needs `start` and `width`", "columns", index)
    return Column(str(item.get("name")), int(item.get("start", 1)) - 1, int(item.get("width", 0)),
                  str(item.get("align", "left")), pad, bool(item.get("truncate", False)))


# ----------------------------------------------------------------------------------------------
# numbers

def number(text: str, kind: str, decimal: str) -> Any:
    """``text`` as an exact number (``None`` when blank); ValueError saying why it is not one."""
    value = text.strip()
    if not value:
        return None
    if kind == "int":
        if value.isdigit() and value.isascii():
            return int(value)
        if not _INT.match(value):
            raise ValueError(f"{text!r} is not a whole number")
        return int(value)
    if decimal == ",":
        if "." in value:
            raise ValueError(f"{text!r} is not a number with the decimal comma declared (no '.' expected)")
        value = value.replace(",", ".", 1)
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return result


def text_of(value: Any, decimal: str) -> str:
    """A payload value as the text of one cell: decimals with the declared separator, never float."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "1" if value else "0"
    if kind is Decimal:
        text = format(value, "f")
        return text.replace(".", ",") if decimal == "," else text
    if kind is int:
        return str(value)
    if kind is float:
        raise TypeError("is a binary float (money is never a float: map it to a decimal)")
    raise TypeError(f"is {kind.__name__}, not a value a cell can hold (text, number, true/false)")


class FieldError(ValueError):
    """A cell that is not the number its field is typed as; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def _slow(name: str, text: str, kind: str, decimal: str) -> Any:
    try:
        return number(text, kind, decimal)
    except ValueError as exc:
        raise FieldError(name, str(exc)) from None


def convert_lines(fmt: TextFormat, present: tuple[str, ...]) -> list[str]:
    """Python statements converting the typed fields of ``record`` in place (FieldError on a bad
    one): the common cells inline, the rest through :func:`number`. Names needed: ``Decimal``,
    ``InvalidOperation``, ``slow``, ``decimal`` (:data:`CONVERT_NAMES`)."""
    lines = []
    for name, kind in fmt.numbers.items():
        if name not in present:
            continue
        key = repr(name)
        if kind == "int":
            lines.append(f"    v = record[{key}]\n"
                         f"    record[{key}] = int(v) if v.isdigit() and v.isascii() else slow({key}, v, 'int', decimal)")
        else:
            text = "v.replace(',', '.') if '.' not in v else 'x'" if fmt.decimal == "," else "v"
            lines.append(f"    v = record[{key}]\n    try:\n        d = Decimal({text})\n"
                         f"    except InvalidOperation:\n        d = None\n"
                         f"    record[{key}] = d if d is not None and d.is_finite() and '_' not in v "
                         f"else slow({key}, v, 'decimal', decimal)")
    return lines


def convert_names(fmt: TextFormat) -> dict:
    return {"Decimal": Decimal, "InvalidOperation": InvalidOperation, "slow": _slow, "decimal": fmt.decimal}


def converter(fmt: TextFormat, present: tuple[str, ...]) -> Any:
    """``record -> None`` converting the typed fields in place, generated once per format (None: no
    typed field)."""
    lines = convert_lines(fmt, present)
    if not lines:
        return None
    namespace = convert_names(fmt)
    exec("def convert(record):\n" + "\n".join(lines) + "\n", namespace)  # names shown through repr()
    return namespace["convert"]
