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

from engine.connectors.codecs.csvfile import CellError, bad_line, not_encodable, rows_of, undecodable, _ESCAPED
from engine.connectors.codecs.records import unreadable
from engine.connectors.codecs.textformat import TextFormat, number, text_of


def read_fixed(path: Path, fmt: TextFormat, shown: str, key: str | None = None) -> Iterator[dict]:
    """The records of one fixed-width file, line by line."""
    try:
        handle = open(path, encoding=fmt.read_encoding, errors="surrogateescape", newline="")
    except OSError as exc:
        raise unreadable(path, exc) from None
    length = max(c.start + c.width for c in fmt.columns)
    cut = cutter(fmt)
    typed = {name: kind for name, kind in fmt.numbers.items()}
    check = fmt.encoding.lower() not in ("latin-1", "latin1", "iso8859-1")
    with handle:
        for number_, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if check and _ESCAPED.search(line):
                yield bad_line(shown, number_, undecodable(line, fmt.encoding), key)
                continue
            if len(line) > length:
                yield bad_line(shown, number_, f"the line is {len(line)} characters, longer than the "
                               f"record ({length})", key)
                continue
            if len(line) < length:
                line = line.ljust(length)
            record = cut(line)
            failed = None
            for name, kind in typed.items():
                if name in record:
                    try:
                        record[name] = number(record[name], kind, fmt.decimal)
                    except ValueError as exc:
                        failed = bad_line(shown, number_, f"{name}: {exc}", key, record, name)
                        break
            yield failed if failed is not None else record


def _cell(column: Any) -> str:
    part = f"line[{column.start}:{column.start + column.width}]"
    if column.pad == " ":
        return f"{part}.strip()"
    pad = repr(column.pad)
    if column.align == "right" and column.pad == "0":
        return f"(({part}.lstrip({pad}).strip()) or ('0' if {part}.strip() else ''))"
    side = "lstrip" if column.align == "right" else "rstrip"
    return f"{part}.{side}({pad}).strip()"


def cutter(fmt: TextFormat) -> Any:
    """One function slicing a line into its record, generated once per format (no loop per column)."""
    items = ", ".join(f"{column.name!r}: {_cell(column)}" for column in fmt.columns)
    namespace: dict = {}
    exec(f"def cut(line):\n    return {{{items}}}\n", namespace)  # names and positions: checked values
    return namespace["cut"]


class FixedWriter:
    """Turns payloads into the bytes of fixed-width lines."""

    def __init__(self, fmt: TextFormat):
        self.fmt = fmt
        self.length = max(c.start + c.width for c in fmt.columns)
        self.names = fmt.names

    def header(self, names: tuple[str, ...]) -> bytes:
        return self.fmt.bom

    def columns(self, rows: list[dict]) -> tuple[str, ...]:
        return self.names

    def lines(self, payload: Any, names: tuple[str, ...] | None = None) -> bytes:
        rows = rows_of(payload)
        decimal, out = self.fmt.decimal, []
        for row in rows:
            extra = [name for name in row if name not in self.names]
            if extra:
                raise CellError(f"field {extra[0]!r} is not a column of the file ({', '.join(self.names)})", extra[0])
            line = [" "] * self.length
            for column in self.fmt.columns:
                try:
                    text = text_of(row.get(column.name), decimal)
                except TypeError as exc:
                    raise CellError(f"field {column.name!r} {exc}", column.name) from None
                if len(text) > column.width:
                    if not column.truncate:
                        raise CellError(f"field {column.name!r}: {text!r} is {len(text)} characters, longer "
                                        f"than its column ({column.width}); declare `truncate: true` to cut it",
                                        column.name)
                    text = text[:column.width]
                if column.align == "right":
                    if column.pad == "0" and text.startswith("-"):
                        text = "-" + text[1:].rjust(column.width - 1, "0")
                    else:
                        text = text.rjust(column.width, column.pad)
                else:
                    text = text.ljust(column.width, column.pad)
                line[column.start:column.start + column.width] = text
            out.append("".join(line))
        text = self.fmt.newline.join(out) + self.fmt.newline
        try:
            return text.encode(self.fmt.write_encoding)
        except UnicodeEncodeError as exc:
            raise not_encodable(exc, rows, self.names, self.fmt.encoding) from None
