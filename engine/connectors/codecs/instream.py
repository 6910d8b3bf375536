"""Reading input files record by record (``passerelle dry-run --input``), in constant memory.

The same files, formats and records as :func:`engine.connectors.codecs.records.read_input`, but the
records of a list are handed out one at a time as the file is read:

* XML list documents stream with ``iterparse`` (:mod:`engine.connectors.codecs.xmlstream`);
* JSON Lines (the first non-empty line is a JSON object and another non-empty line follows) are
  read line by line, with the same refusals (NaN, duplicate keys) and exact decimals;
* a bare JSON array (``[`` first) is read value by value with the standard decoder;
* every other shape (one record, ``{"orders": [...]}``, an error document...) is read whole by
  ``read_input``, with the same limit.

An error met by the stream in a file of at most :data:`EXACT_ERRORS_BYTES` is reported exactly as the
whole-file reader reports it (the file is read again for that); a larger file gets the stream's own
located error - and so does an error decoding a record of which ``fields`` keeps only some elements
(the whole-file reader decodes them all: it might report a problem the flow never meets; see
:mod:`~engine.connectors.codecs.xmlstream`). ``max_bytes`` (``--max-input-bytes``) refuses a larger file before anything is read; ``None``: no
limit on a streamed file, and :data:`~engine.connectors.codecs.records.MAX_INPUT_BYTES` on one read
whole (it is held in memory). Errors are :class:`InputError` naming the file, line and column; an
error met late in a file is raised by the iterator, after the records before it.
"""
from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.connectors.codecs import records as whole
from engine.connectors.codecs.records import InputError, _kind, _loads, _reason
from engine.connectors.codecs.textformat import TextFormat
from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions
from engine.connectors.codecs.xmlstream import Fields, PrunedRecordError, Skip, stream_xml

HEAD = 1 << 16
CHUNK = 1 << 20
EXACT_ERRORS_BYTES = 10_000_000  # an error in a file up to this size is reported as read_input reports it
_SPACE = b" \t\r\n"


def first_byte(head: bytes) -> bytes:
    """The first byte of a file's content from its ``head``: after a UTF-8 byte-order mark and blanks
    (``b""`` when there is none): ``{``/``[`` JSON, ``<`` XML, anything else a text format."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(_SPACE)[:1]


def read_head(path: Path) -> bytes:
    """The first bytes of ``path`` (OSError when it cannot be read)."""
    with open(path, "rb") as handle:
        return handle.read(HEAD)


def stream_input(path: Path, *, name: str | None = None, default_resource: str,
                 xml_options: XmlOptions | None, max_bytes: int | None = None,
                 fields: Fields | None = None, text: Any = None,
                 skip: Skip | None = None) -> list[tuple[str, Iterator[dict]]]:
    """The record sets of one input file, as ``[(resource name, records), ...]``, each ``records``
    an iterator read from the file as it is consumed; ``fields``: resource name -> the top-level
    fields of its records to decode (``None``: all), for a streamed XML list; ``text``: the declared
    CSV / fixed-width format of the file, or its XML file format (``xmlfile.XmlFileFormat``); a
    ``.csv`` file without one is read as plain CSV; ``skip``: while on, a streamed XML list hands out
    its records as ``None``, undecoded (``xmlstream.Skip``; the other formats decode every record)."""
    path = Path(path)
    size = _check_file(path, max_bytes)
    try:
        first = first_byte(read_head(path))
    except OSError as exc:  # removed or made unreadable since it was checked
        raise whole.unreadable(path, exc) from None
    if text is not None and (first in (b"{", b"[") or (first == b"<" and isinstance(text, TextFormat))):
        text = None  # a JSON (or, for a CSV / fixed-width format, an XML) file given beside the source's files
    if text is None and path.suffix.lower() == ".csv":
        text = TextFormat("csv")  # a CSV named so, no format declared: header line, `,`, UTF-8
    if isinstance(text, TextFormat):  # CSV / fixed width: the file connector's own reader, line by line
        from engine.connectors.codecs.textread import text_records

        return [(name or default_resource, text_records(path, text, str(path), None))]
    if text is not None:  # an XML file declared element by element (xmlfile.XmlFileFormat)
        from itertools import chain

        from engine.connectors.codecs.xmlfile import read_xml

        return [(name or default_resource, chain.from_iterable(read_xml(path, text, str(path), None)))]
    limit = max_bytes if max_bytes is not None else whole.MAX_INPUT_BYTES
    if xml_options is not None:
        xml_options = replace(xml_options, max_bytes=limit)
    elif first == b"<":
        xml_options = XmlOptions(root=None, max_bytes=limit)

    def read_whole() -> list[tuple[str, list[dict]]]:
        return whole.read_input(path, name=name, default_resource=default_resource, xml_options=xml_options,
                                max_bytes=limit)

    rows: Iterator[dict] | None = None
    if first == b"<":
        try:
            found = stream_xml(path, xml_options or XmlOptions(root=None),
                               None if fields is None else lambda resource: fields(name or resource), skip)
        except XmlError as exc:
            raise _first_error(InputError(exc.message, path, exc.line, exc.col), read_whole, size) from None
        if found is not None:
            resource, rows = found[0], _located(path, found[1])
    elif first == b"[":
        resource, rows = default_resource, _array(path, name or default_resource)
    elif first == b"{" and _is_json_lines(path):
        resource, rows = default_resource, _json_lines(path)
    if rows is None:
        return [(resource, iter(records)) for resource, records in read_whole()]
    return [(name or resource, _exact(rows, read_whole, size))]


class _AsFound(InputError):
    """An error reported as the stream found it (not read whole again)."""


def _exact(rows: Iterator[dict], read_whole, size: int) -> Iterator[dict]:
    try:
        yield from rows
    except _AsFound as exc:
        raise InputError(exc.message, exc.file, exc.line, exc.col) from None
    except InputError as exc:
        raise _first_error(exc, read_whole, size) from None


def _first_error(exc: InputError, read_whole, size: int) -> InputError:
    """The error the whole-file reader gives (its message, line and column: the first problem in the
    file, which may lie before what the stream saw) when the file is small enough to read again."""
    if size <= EXACT_ERRORS_BYTES:
        try:
            read_whole()
        except InputError as first:
            return first
    return exc


def _check_file(path: Path, max_bytes: int | None) -> int:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise whole.unreadable(path, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", path)
    if not stat.S_ISREG(info.st_mode):
        whole._read_bytes(path, 1)  # raises the InputError naming what it is
    if max_bytes is not None and info.st_size > max_bytes:
        raise InputError(f"the file is {info.st_size} bytes, above the limit of {max_bytes} bytes "
                         "(--max-input-bytes)", path)
    return info.st_size


def _located(path: Path, records: Iterator[dict]) -> Iterator[dict]:
    try:
        yield from records
    except PrunedRecordError as exc:
        raise _AsFound(exc.message, path, exc.line, exc.col) from None
    except XmlError as exc:
        raise InputError(exc.message, path, exc.line, exc.col) from None


# ----------------------------------------------------------------------------------------------
# JSON Lines

def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-empty lines with their 1-based numbers (split on "\\n" only, as ``read_input``)."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError as exc:
                raise InputError(f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                 path, number, exc.start + 1) from None
            if line.strip():
                yield number, line


def _is_json_lines(path: Path) -> bool:
    """Whether the first non-empty line is a JSON object and another non-empty line follows."""
    try:
        lines = _lines(path)
        _, line = next(lines)
        if not isinstance(_loads(line), dict):
            return False
        next(lines)
    except (StopIteration, ValueError, RecursionError, InputError):
        return False  # read whole: it reports what is wrong as it always did
    return True


def _json_lines(path: Path) -> Iterator[dict]:
    for number, line in _lines(path):
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON Lines record: {exc.msg}", path, number, exc.colno) from None
        except (ValueError, RecursionError) as exc:
            raise InputError(f"invalid JSON Lines record: {_reason(exc)}", path, number) from None
        if not isinstance(value, dict):
            raise InputError(f"a JSON Lines record must be an object, found {_kind(value)}",
                             path, number, len(line) - len(line.lstrip()) + 1)
        yield value


# ----------------------------------------------------------------------------------------------
# A bare JSON array, value by value

_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=whole._refuse_constant,
                            object_pairs_hook=whole._object_pairs)


class _Text:
    """The file's text read in chunks; positions are kept as line and column for messages."""

    def __init__(self, handle) -> None:
        self.handle, self.buf, self.pos, self.eof = handle, "", 0, False
        self.line, self.col = 1, 1  # of buf[0]

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.drop()
        self.buf += chunk
        return True

    def drop(self) -> None:
        """Forget the text before ``pos``."""
        done = self.buf[:self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.col = len(done) - done.rfind("\n")
        else:
            self.col += len(done)
        self.buf, self.pos = self.buf[self.pos:], 0

    def where(self, pos: int) -> tuple[int, int]:
        newlines = self.buf.count("\n", 0, pos)
        if newlines:
            return self.line + newlines, pos - self.buf.rfind("\n", 0, pos)
        return self.line, self.col + pos

    def skip_space(self) -> str:
        """The next non-space character ('' at the end of the file), ``pos`` on it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""


def _array(path: Path, resource: str) -> Iterator[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield from _values(path, resource, _Text(handle))
    except UnicodeDecodeError as exc:
        raise InputError(f"the file is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})", path) from None


def _values(path: Path, resource: str, text: _Text) -> Iterator[dict]:
    def fail(message: str, pos: int | None = None) -> InputError:
        line, col = text.where(text.pos if pos is None else pos)
        return InputError(f"invalid JSON: {message}", path, line, col)

    text.skip_space()
    text.pos += 1  # the "[" seen by stream_input
    index = 0
    if text.skip_space() == "]":
        text.pos += 1
    else:
        while True:
            if not text.skip_space():
                raise fail("Expecting value")
            while True:
                try:
                    value, end = _DECODER.raw_decode(text.buf, text.pos)
                    break
                except json.JSONDecodeError as exc:
                    if not text.more():
                        raise fail(exc.msg, exc.pos) from None
                except (ValueError, RecursionError) as exc:
                    raise InputError(f"invalid JSON: {_reason(exc)}", path) from None
            if not isinstance(value, dict):
                raise InputError(f"{resource}[{index}]: a record must be an object, found {_kind(value)}", path)
            text.pos = end
            yield value
            index += 1
            sep = text.skip_space()
            if sep == "]":
                text.pos += 1
                break
            if sep != ",":
                raise fail("Expecting ',' delimiter")
            text.pos += 1
            text.drop()
    if text.skip_space():
        raise fail("Extra data")

