"""CSV files read and written through the ``csv`` module (its C parser), laid out by a declared
:class:`~engine.connectors.codecs.textformat.TextFormat`.

Reading streams records one line at a time (constant memory). A line that cannot be a record (wrong
column count, unclosed quote, a number that is not one, a byte the encoding does not have) becomes an
:class:`~engine.connectors.base.IncompleteRecord` naming the file and its line: the record pipeline
sets it aside (dead letter) and the rest of the file goes on. A file that cannot be read at all (its
header line unreadable) raises :class:`~engine.connectors.codecs.records.InputError`.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from itertools import islice
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.connectors.base import IncompleteRecord
from engine.connectors.codecs.records import InputError, unreadable
from engine.connectors.codecs.textformat import FieldError, TextFormat, convert_lines, convert_names, converter, \
    text_of

_ESCAPED = re.compile("[\x00\udc80-\udcff]")  # NUL, or bytes the encoding does not have (surrogateescape)


class CellError(ValueError):
    """A payload value that cannot be written in the declared format; ``field`` names it."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def bad_line(shown: str, line: int, reason: str, key: str | None, partial: dict | None = None,
             field: str = "") -> IncompleteRecord:
    """A line set aside: its record (what could be read of it), keyed by ``FILE:LINE`` when its key
    could not be read."""
    record = dict(partial or {})
    if key is not None and record.get(key) in (None, ""):
        record[key] = f"{shown}:{line}"
    return IncompleteRecord(record, f"{shown}:{line}: {reason}", field)


def undecodable(text: str, encoding: str) -> str:
    found = _ESCAPED.search(text)
    if found is not None and found.group() == "\x00":
        return "it holds a NUL byte (binary data, or a file cut short by a crash and filled with zeros)"
    byte = ord(found.group()) - 0xDC00 if found else 0
    return f"byte 0x{byte:02x} is not valid {encoding}"


def decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes in ``encoding`` and holds no NUL byte (read in chunks by the C
    decoder): then its lines need no check one by one."""
    decoder = codecs.getincrementaldecoder(encoding)()
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))  # their bytes hold zeros
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                if not wide and b"\x00" in chunk:
                    return False  # a NUL in a text file: each line is checked, those holding one set aside
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    except OSError as exc:
        raise unreadable(path, exc) from None
    return True


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def foreign_bom(path: Path, encoding: str) -> None:
    """InputError when the file starts with the byte-order mark of another encoding than the declared
    one (a UTF-8 file declared cp1252 would read its first column as ``ï»¿ref`` and every accent wrong)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(3)
    except OSError as exc:
        raise unreadable(path, exc) from None
    declared = codecs.lookup(encoding).name
    for bom, name in _BOMS:
        if start.startswith(bom) and not declared.startswith(name):
            raise InputError(f"the file starts with a {name.upper()} byte-order mark, but its format declares "
                             f"`encoding: {encoding}`: the file is {name.upper()} (declare `encoding: {name}`)", path, 1)


def open_lines(path: Path, fmt: TextFormat) -> tuple[Any, bool]:
    """A CSV or fixed-width file opened for reading its lines, and whether each line's decoding must be
    checked (the whole file does not decode: each undecodable line is set aside, not the file). A
    byte-order mark of another encoding refuses the file (:func:`foreign_bom`)."""
    foreign_bom(path, fmt.encoding)
    check = not decodes(path, fmt.read_encoding)
    try:
        return open(path, encoding=fmt.read_encoding, errors="surrogateescape", newline=""), check
    except OSError as exc:
        raise unreadable(path, exc) from None


def read_csv(path: Path, fmt: TextFormat, shown: str, key: str | None = None, size: int = 1000) -> Iterator[list]:
    """The records of one CSV file, in pages of at most ``size`` records, line by line."""
    handle, check = open_lines(path, fmt)
    with handle:
        yield from _rows(handle, path, fmt, shown, key, check, size)


def _rows(handle: Any, path: Path, fmt: TextFormat, shown: str, key: str | None, check: bool,
          size: int) -> Iterator[list]:
    reader = csv.reader(handle, delimiter=fmt.delimiter, quotechar=fmt.quote, strict=True)
    names = fmt.names
    line = 0
    try:
        if fmt.header:
            try:
                head = next(reader)
            except StopIteration:
                return  # an empty file holds no record
            if check and _ESCAPED.search("".join(head)):
                raise InputError(f"the header line cannot be read: {undecodable(''.join(head), fmt.encoding)}",
                                 path, 1)
            head = [name.strip() for name in head]
            _check_header(head, path, fmt, key)
            if names:
                missing = [name for name in names if name not in head]
                if missing:
                    raise InputError(f"the header line lacks the declared columns {', '.join(missing)}", path, 1)
                positions = [head.index(name) for name in names]
            else:
                names, positions = tuple(head), []
            line = reader.line_num
        else:
            positions = []
    except csv.Error as exc:
        raise InputError(f"the header line cannot be read: {exc}", path, reader.line_num) from None
    count = len(head) if fmt.header else len(names)
    if positions == list(range(count)):
        positions = []  # the header in the declared order: no reordering
    pages = _page_loop(fmt, tuple(names), bool(positions))
    while True:
        try:
            yield from pages(reader, size, shown, key, check, names, positions, count, line)
            return
        except _Malformed as exc:  # the reader goes on with the next line
            page, line = exc.page, reader.line_num
            page.append(bad_line(shown, exc.line + 1, f"malformed CSV line: {exc.error}", key))
            if page:
                yield page


_DELIMITERS = ";,\t|"


def _check_header(head: list[str], path: Path, fmt: TextFormat, key: str | None) -> None:
    """InputError for a header naming a column twice (which cell would be the field?), or one single
    column without the resource's key that holds another usual delimiter (the file's, not the declared one)."""
    twice = sorted(name for name, count in Counter(head).items() if name and count > 1)
    if twice:
        raise InputError(f"the header line names {', '.join(map(repr, twice))} twice", path, 1)
    if key is not None and len(head) == 1 and head[0] != key and not fmt.names:
        found = [d for d in _DELIMITERS if d != fmt.delimiter and d in head[0]]
        if found:
            raise InputError(f"the header line has no column {key!r} (the resource's key), only {head[0][:80]!r}: "
                             f"is the file's delimiter {found[0]!r} (declare `delimiter: {json.dumps(found[0])}`)?",
                             path, 1)


class _Malformed(Exception):
    """A ``csv.Error`` met in the page loop, with the page filled so far and the last good line."""

    def __init__(self, error: csv.Error, page: list, line: int):
        super().__init__(str(error))
        self.error, self.page, self.line = error, page, line


def _odd(fmt: TextFormat, convert: Any) -> Any:
    """The slow path of a row: blank, undecodable (``check``), wrong column count, bad number."""
    def odd(row: list, first: int, shown: str, key: str | None, check: bool, names: tuple, positions: list,
            count: int) -> Any:
        if not row:
            return None  # a blank line
        if check and _ESCAPED.search(fmt.delimiter.join(row)):
            return bad_line(shown, first, undecodable(fmt.delimiter.join(row), fmt.encoding), key)
        if len(row) != count:
            if len(row) == 1 and not row[0].strip():
                return None
            return bad_line(shown, first, f"{len(row)} columns, expected {count}", key)
        record = dict(zip(names, [row[p] for p in positions] if positions else row))
        if convert is not None:
            try:
                convert(record)
            except FieldError as exc:
                return bad_line(shown, first, str(exc), key, record, exc.field)
        return record
    return odd


def _page_loop(fmt: TextFormat, names: tuple[str, ...], reorder: bool) -> Any:
    """The page loop of a CSV file with these columns, generated once per file: the typed
    conversions inline, odd rows through :func:`_odd`; a ``csv.Error`` becomes :class:`_Malformed`."""
    lines = "".join("        " + line + "\n" for block in convert_lines(fmt, names)
                    for line in block.strip("\n").split("\n"))
    cells = "[row[p] for p in positions]" if reorder else "row"
    source = (
        "def pages(reader, size, shown, key, check, names, positions, count, line):\n"
        "    while True:\n"
        "      page = []\n      append = page.append\n      before = line\n"
        "      try:\n"
        "        for row in islice(reader, size):\n"
        "          first, line = line + 1, reader.line_num\n"
        "          if check or len(row) != count:\n"
        "            record = odd(row, first, shown, key, check, names, positions, count)\n"
        "            if record is not None:\n                append(record)\n"
        "          else:\n"
        "           try:\n"
        f"            record = dict(zip(names, {cells}))\n{lines}"
        "            append(record)\n"
        "           except FieldError as exc:\n"
        "            append(bad_line(shown, first, str(exc), key, record, exc.field))\n"
        "      except csv_Error as exc:\n        raise Malformed(exc, page, line) from None\n"
        "      if page:\n        yield page\n"
        "      elif line == before:\n        return\n")
    namespace = {**convert_names(fmt), "FieldError": FieldError, "bad_line": bad_line, "csv_Error": csv.Error,
                 "Malformed": _Malformed, "odd": _odd(fmt, converter(fmt, names)), "islice": islice}
    exec(source, namespace)  # column names are shown through repr(): data, never code
    return namespace["pages"]


# ----------------------------------------------------------------------------------------------
# writing

def rows_of(payload: Any) -> list[dict]:
    """The rows one payload writes: an object is one row, a list of objects one row each."""
    rows = payload if isinstance(payload, list) else [payload]
    for row in rows:
        if not isinstance(row, dict):
            raise CellError(f"a CSV or fixed-width payload is an object (one line) or a list of objects, "
                            f"found {type(row).__name__}")
    return rows


class CsvWriter:
    """Turns payloads into the bytes of CSV lines (and the header line) in the declared format."""

    def __init__(self, fmt: TextFormat):
        self.fmt = fmt
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=fmt.delimiter, quotechar=fmt.quote,
                                 lineterminator=fmt.newline, quoting=csv.QUOTE_MINIMAL)
        self.cells: dict[tuple[str, ...], Any] = {}  # columns -> generated row -> cells function

    def columns(self, rows: list[dict]) -> tuple[str, ...]:
        return self.fmt.names or (tuple(rows[0]) if rows else ())

    def header(self, names: tuple[str, ...]) -> bytes:
        if not self.fmt.header:
            return self.fmt.bom
        return self.fmt.bom + self._encode(self._line(list(names)), [dict(zip(names, names))], names)

    def lines(self, payload: Any, names: tuple[str, ...] | None = None) -> bytes:
        rows = rows_of(payload)
        names = names or self.columns(rows)
        decimal = self.fmt.decimal
        self.buffer.seek(0)
        self.buffer.truncate()
        write, known = self.writer.writerow, set(names)
        cells = self.cells.get(names)
        if cells is None:
            cells = self.cells[names] = cells_function(names, decimal)
        for row in rows:
            if not row.keys() <= known:
                extra = [name for name in row if name not in known]
                raise CellError(f"field {extra[0]!r} is not a column of the file ({', '.join(names)})", extra[0])
            write(cells(row))
        return self._encode(self.buffer.getvalue(), rows, names)

    def _line(self, cells: list[str]) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        return self.buffer.getvalue()

    def _encode(self, text: str, rows: Iterable[dict], names: tuple[str, ...]) -> bytes:
        try:
            return text.encode(self.fmt.write_encoding)
        except UnicodeEncodeError as exc:
            raise not_encodable(exc, rows, names, self.fmt.encoding) from None


def _slow_text(value: Any, decimal: str, name: str) -> str:
    try:
        return text_of(value, decimal)
    except TypeError as exc:
        raise CellError(f"field {name!r} {exc}", name) from None


def cells_function(names: tuple[str, ...], decimal: str) -> Any:
    """``row -> [cell text, ...]`` for these columns, generated once: text and whole numbers inline,
    decimals with the declared separator, anything else through :func:`text_of`."""
    convert = ".replace('.', ',')" if decimal == "," else ""
    lines = []
    for index, name in enumerate(names):
        lines.append(f"    v = row.get({name!r})\n    t = type(v)\n"
                     f"    c{index} = v if t is str else str(v) if t is int else "
                     f"format(v, 'f'){convert} if t is Decimal else slow(v, decimal, {name!r})")
    items = ", ".join(f"c{index}" for index in range(len(names)))
    source = ("def cells(row, Decimal=Decimal, slow=slow, decimal=decimal):\n" + "\n".join(lines)
              + f"\n    return [{items}]\n")
    namespace: dict = {"Decimal": Decimal, "slow": _slow_text, "decimal": decimal}
    exec(source, namespace)  # column names are shown through repr(): data, never code
    return namespace["cells"]


def not_encodable(exc: UnicodeEncodeError, rows: Iterable[dict], names: Iterable[str], encoding: str) -> CellError:
    char = exc.object[exc.start]
    for row in rows:
        for name in names:
            value = row.get(name)
            if isinstance(value, str) and char in value:
                return CellError(f"field {name!r}: character {char!r} (U+{ord(char):04X}) cannot be written "
                                 f"in {encoding}", name)
    return CellError(f"character {char!r} (U+{ord(char):04X}) cannot be written in {encoding}")
