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
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from engine.connectors.codecs.csvfile import CellError, bad_line, not_encodable, open_lines, rows_of, undecodable, _ESCAPED
from engine.connectors.codecs.textformat import FieldError, TextFormat, convert_lines, convert_names, text_of


def read_fixed(path: Path, fmt: TextFormat, shown: str, key: str | None = None, size: int = 1000) -> Iterator[list]:
    """The records of one fixed-width file, in pages of at most ``size`` records, line by line."""
    handle, check = open_lines(path, fmt)
    with handle:
        yield from page_reader(fmt)(handle, size, shown, key, check)


def page_reader(fmt: TextFormat) -> Any:
    """``(lines, size, shown, key, check) -> pages``: one loop generated per format, the slicing and
    the typed conversions inline (no generator or call per record); a line of another length, an
    undecodable one (``check``) or a bad number goes through :func:`_odd` / a dead letter."""
    length = max(c.start + c.width for c in fmt.columns)
    lines, items = _typed_cells(fmt)
    source = (
        "def pages(handle, size, shown, key, check):\n"
        "    numbered = enumerate(handle, 1)\n"
        "    while True:\n"
        "      page = []\n      append = page.append\n      number_ = 0\n"
        "      for number_, raw in islice(numbered, size):\n        line = raw.rstrip('\\r\\n')\n"
        f"        if len(line) != {length} or (check and escaped(line)):\n"
        "            record = odd(line, number_, shown, key, check)\n"
        "            if record is not None:\n                append(record)\n"
        "        else:\n"
        "          try:\n"
        f"{lines}            record = {{{items}}}\n"
        "            append(record)\n"
        "          except FieldError as exc:\n"
        "            append(bad_line(shown, number_, str(exc), key, plain(line), exc.field))\n"
        "      if page:\n        yield page\n"
        "      elif not number_:\n        return\n")
    namespace = {**convert_names(fmt), "FieldError": FieldError, "bad_line": bad_line, "plain": cutter(fmt),
                 "escaped": _ESCAPED.search, "odd": _odd(fmt, length), "islice": islice}
    exec(source, namespace)  # column names are schema-checked, shown through repr()
    return namespace["pages"]


def _typed_cells(fmt: TextFormat) -> tuple[str, str]:
    """The statements converting the typed columns of ``line`` into locals ``c0, c1...`` (exact
    ``int`` / ``Decimal``; FieldError through ``slow``), and the record's items."""
    lines, items = [], []
    for index, column in enumerate(fmt.columns):
        kind, name = fmt.numbers.get(column.name), repr(column.name)
        if kind is None:
            items.append(f"{name}: {_cell(column)}")
            continue
        plain = column.pad == " " or (column.pad == "0" and column.align == "right")  # int()/Decimal() take zeros
        lines.append(f"s = line[{column.start}:{column.start + column.width}].strip()" if plain
                     else f"s = {_cell(column)}")
        if kind == "int":
            lines.append(f"c{index} = int(s) if s.isdigit() and s.isascii() else slow({name}, s, 'int', decimal)")
        else:
            text = "s.replace(',', '.') if '.' not in s else 'x'" if fmt.decimal == "," else "s"
            lines += ["try:", f"    d = Decimal({text})", "except InvalidOperation:", "    d = None",
                      f"c{index} = d if d is not None and d.is_finite() and '_' not in s "
                      f"else slow({name}, s, 'decimal', decimal)"]
        items.append(f"{name}: c{index}")
    return "".join(f"            {line}\n" for line in lines), ", ".join(items)


def _odd(fmt: TextFormat, length: int) -> Any:
    """The slow path of a line: blank (None), too long, undecodable, or short (padded with spaces)."""
    cut, plain = cutter(fmt, typed=True), cutter(fmt)
    right = [(c.name, c.start, c.start + c.width) for c in fmt.columns if c.align == "right"]

    def odd(line: str, number_: int, shown: str, key: str | None, check: bool) -> Any:
        size = len(line)
        if size != length:
            if not line.strip():
                return None
            if size > length:
                return bad_line(shown, number_, f"the line is {size} characters, longer than the record ({length})", key)
            for name, start, end in right:  # trailing blanks may be trimmed, but not a right-aligned value's end
                if start < size < end and line[start:size].strip():
                    return bad_line(shown, number_, f"the line ends at character {size}, inside column {name} "
                                    f"({start + 1}-{end}) whose value is right-aligned: the line was cut short", key)
            line = line.ljust(length)
        if check and _ESCAPED.search(line):
            return bad_line(shown, number_, undecodable(line, fmt.encoding), key)
        try:
            return cut(line)
        except FieldError as exc:
            return bad_line(shown, number_, str(exc), key, plain(line), exc.field)
    return odd


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
    """One function turning rows into their lines, generated once per format: each column's value as
    text, checked against its width, padded and aligned, gaps between columns filled with spaces."""
    body, parts, at = [], [], 0
    comma = ".replace('.', ',')" if fmt.decimal == "," else ""
    for index, column in enumerate(sorted(fmt.columns, key=lambda c: c.start)):
        if column.start > at:
            parts.append(repr(" " * (column.start - at)))
        name, width, pad = repr(column.name), column.width, repr(column.pad)
        body.append(f"    v = row.get({name})\n    k = type(v)\n    t{index} = v if k is str else str(v) if k is int "
                    f"else format(v, 'f'){comma} if k is Decimal else text_of(v, decimal, {name})")
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
    inner = "\n".join("    " + line for block in body for line in block.split("\n"))
    source = ("def lines(rows, known, extra, text_of, too_long, decimal):\n    out = []\n    append = out.append\n"
              "    for row in rows:\n        if not row.keys() <= known:\n            extra(row)\n"
              f"{inner}\n        append({' + '.join(parts)})\n    return out\n")
    namespace: dict = {"Decimal": Decimal}
    exec(source, namespace)  # names are schema-checked identifiers, shown through repr()
    return namespace["lines"]


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

    def _extra(self, row: dict) -> None:
        extra = [name for name in row if name not in self.known]
        raise CellError(f"field {extra[0]!r} is not a column of the file ({', '.join(self.names)})", extra[0])

    def lines(self, payload: Any, names: tuple[str, ...] | None = None) -> bytes:
        rows = rows_of(payload)
        out = self.line(rows, self.known, self._extra, _text_of, _too_long, self.fmt.decimal)
        text = self.fmt.newline.join(out) + self.fmt.newline
        try:
            return text.encode(self.fmt.write_encoding)
        except UnicodeEncodeError as exc:
            raise not_encodable(exc, rows, self.names, self.fmt.encoding) from None
