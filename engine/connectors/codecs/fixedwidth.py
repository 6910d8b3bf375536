"""Fixed-width text files: each line holds the declared columns at fixed positions (counted in
characters, 1-based ``start``), padded and aligned as declared.

Reading strips each column's pad on the aligned side (a right-aligned ``0``-padded ``00000000`` reads
``0``); a line longer than the record, or one with bytes the encoding does not have, is set aside
(dead letter) naming the file and line; a shorter one is taken as padded with spaces. Writing pads
and aligns each value; a value longer than its width is an error for that record, never truncated
silently, unless its column says ``truncate: true``.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.connectors.codecs.csvfile import CellError, bad_line, decodes, not_encodable, rows_of, undecodable, _ESCAPED
from engine.connectors.codecs.records import unreadable
from engine.connectors.codecs.textformat import FieldError, TextFormat, convert_lines, convert_names, text_of


def read_fixed(path: Path, fmt: TextFormat, shown: str, key: str | None = None) -> Iterator[dict]:
    """The records of one fixed-width file, line by line."""
    check = not decodes(path, fmt.read_encoding)  # else each undecodable line is set aside
    try:
        handle = open(path, encoding=fmt.read_encoding, errors="surrogateescape", newline="")
    except OSError as exc:
        raise unreadable(path, exc) from None
    with handle:
        yield from _records(handle, fmt, shown, key, check)


def _records(handle: Any, fmt: TextFormat, shown: str, key: str | None, check: bool) -> Iterator[dict]:
    length = max(c.start + c.width for c in fmt.columns)
    cut, plain = cutter(fmt, typed=True), cutter(fmt)
    for number_, raw in enumerate(handle, start=1):
        line = raw.rstrip("\r\n")
        size = len(line)
        if size != length:
            if not line.strip():
                continue
            if size > length:
                yield bad_line(shown, number_, f"the line is {size} characters, longer than the record ({length})", key)
                continue
            line = line.ljust(length)
        if check and _ESCAPED.search(line):
            yield bad_line(shown, number_, undecodable(line, fmt.encoding), key)
            continue
        try:
            yield cut(line)
        except FieldError as exc:
            yield bad_line(shown, number_, str(exc), key, plain(line), exc.field)


def _cell(column: Any) -> str:
    part = f"line[{column.start}:{column.start + column.width}]"
    if column.pad == " ":
        return f"{part}.strip()"
    pad = repr(column.pad)
    if column.align == "right" and column.pad == "0":
        return f"(({part}.lstrip({pad}).strip()) or ('0' if {part}.strip() else ''))"
    side = "lstrip" if column.align == "right" else "rstrip"
    return f"{part}.{side}({pad}).strip()"


def cutter(fmt: TextFormat, typed: bool = False) -> Any:
    """One function slicing a line into its record, generated once per format (no loop per column);
    ``typed``: the fields typed ``int``/``decimal`` converted in it too (FieldError on a bad one)."""
    items = ", ".join(f"{column.name!r}: {_cell(column)}" for column in fmt.columns)
    lines = convert_lines(fmt, fmt.names) if typed else []
    namespace = convert_names(fmt)
    body = "\n".join(lines) + "\n" if lines else ""
    exec(f"def cut(line):\n    record = {{{items}}}\n{body}    return record\n", namespace)  # checked names
    return namespace["cut"]


def _formatter(fmt: TextFormat) -> Any:
    """One function turning a row into its line, generated once per format: each column's value as
    text, checked against its width, padded and aligned, gaps between columns filled with spaces."""
    body, parts, at = [], [], 0
    for index, column in enumerate(sorted(fmt.columns, key=lambda c: c.start)):
        if column.start > at:
            parts.append(repr(" " * (column.start - at)))
        name, width, pad = repr(column.name), column.width, repr(column.pad)
        body.append(f"    v = row.get({name})\n    t{index} = v if type(v) is str else text_of(v, decimal, {name})")
        if column.truncate:
            body.append(f"    t{index} = t{index}[:{width}]")
        else:
            body.append(f"    if len(t{index}) > {width}: too_long({name}, t{index}, {width})")
        if column.align == "right" and column.pad == "0":
            body.append(f"    t{index} = '-' + t{index}[1:].rjust({width - 1}, '0') if t{index}[:1] == '-' "
                        f"else t{index}.rjust({width}, '0')")
        elif column.align == "right":
            body.append(f"    t{index} = t{index}.rjust({width}, {pad})")
        else:
            body.append(f"    t{index} = t{index}.ljust({width}, {pad})")
        parts.append(f"t{index}")
        at = column.start + column.width
    source = "def line(row, text_of, too_long, decimal):\n" + "\n".join(body) + f"\n    return {' + '.join(parts)}\n"
    namespace: dict = {}
    exec(source, namespace)  # names are schema-checked identifiers, shown through repr()
    return namespace["line"]


def _text_of(value: Any, decimal: str, name: str) -> str:
    try:
        return text_of(value, decimal)
    except TypeError as exc:
        raise CellError(f"field {name!r} {exc}", name) from None


def _too_long(name: str, text: str, width: int) -> None:
    raise CellError(f"field {name!r}: {text!r} is {len(text)} characters, longer than its column ({width}); "
                    "declare `truncate: true` to cut it", name)


class FixedWriter:
    """Turns payloads into the bytes of fixed-width lines."""

    def __init__(self, fmt: TextFormat):
        self.fmt = fmt
        self.names = fmt.names
        self.known = set(self.names)
        self.line = _formatter(fmt)

    def header(self, names: tuple[str, ...]) -> bytes:
        return self.fmt.bom

    def columns(self, rows: list[dict]) -> tuple[str, ...]:
        return self.names

    def lines(self, payload: Any, names: tuple[str, ...] | None = None) -> bytes:
        rows = rows_of(payload)
        line, decimal, known = self.line, self.fmt.decimal, self.known
        out = []
        for row in rows:
            if not row.keys() <= known:
                extra = [name for name in row if name not in known]
                raise CellError(f"field {extra[0]!r} is not a column of the file ({', '.join(self.names)})", extra[0])
            out.append(line(row, _text_of, _too_long, decimal))
        text = self.fmt.newline.join(out) + self.fmt.newline
        try:
            return text.encode(self.fmt.write_encoding)
        except UnicodeEncodeError as exc:
            raise not_encodable(exc, rows, self.names, self.fmt.encoding) from None
