"""Reading source records from files (``passerelle dry-run --input [NAME=]FILE``, and the resources
of ``protocol: file`` connectors).

The format is detected from the content, never from the file name (a file connector's resource may
instead declare it, ``format: json | jsonl | xml``, and then a file of another format is an error):

* first non-space character ``<``  -> XML, read with :func:`engine.connectors.codecs.xmlcodec.xml_to_records`
  and the connector's XML options (no envelope when none are given);
* otherwise JSON; when the whole file is not one JSON value but has several non-empty lines and
  the first one is a JSON value, it is read as JSON Lines (one record per non-empty line).

JSON numbers with a fraction or exponent are read as :class:`decimal.Decimal`, never ``float``;
``NaN``/``Infinity`` and duplicate keys are refused. JSON shapes:

* ``{"orders": [...], "customers": [...]}`` (every value a list) -> one record set per key;
* ``{"order": {...}}`` (one key whose value is an object) -> resource ``order``, one record;
* any other non-empty object -> one record of ``default_resource`` (``{}`` is an error);
* a bare list -> ``default_resource``; ``[]`` (an empty list sent as a bare array) -> no records.

Resource names are returned as found (``order`` stays singular): the caller maps them through the
connector definition. With ``name`` (``--input orders=FILE``) every record of the file is returned
under that one name. Every record must be a JSON object / XML record; anything else is an
:class:`InputError` that names the file, and the line (and column) when known.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from engine.connectors.codecs.xmlcodec import XmlError, XmlOptions, xml_to_records

MAX_INPUT_BYTES = 200_000_000
_EXPECTED = {"json": "JSON", "jsonl": "JSON Lines", "xml": "XML"}
_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")


class InputError(Exception):
    """An input file that cannot be read as records; ``line``/``col`` are 1-based or ``None``."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None,
                 col: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = [p for p in (self.file, self.line, self.col) if p is not None]
        head = ":".join(str(p) for p in where)
        return f"{head}: {self.message}" if head else self.message


FORMATS = ("json", "jsonl", "xml")


def read_input(path: Path, *, name: str | None = None, default_resource: str,
               xml_options: XmlOptions | None, fmt: str | None = None,
               max_bytes: int | None = None) -> list[tuple[str, list[dict]]]:
    """The record sets of one input file, as ``[(resource name, records), ...]``. ``fmt`` (one of
    :data:`FORMATS`) forces the format instead of detecting it from the content; ``max_bytes``:
    a larger file is refused (default :data:`MAX_INPUT_BYTES`)."""
    path = Path(path)
    data = _read_bytes(path, MAX_INPUT_BYTES if max_bytes is None else max_bytes)
    start = _LEADING_SPACE.match(data, 3 if data.startswith(b"\xef\xbb\xbf") else 0).end()  # type: ignore[union-attr]
    if start >= len(data):
        if fmt == "jsonl":
            return [(name or default_resource, [])]  # an empty JSON Lines file holds no record
        raise InputError(f"the file is empty (expected {_EXPECTED.get(fmt or '', 'JSON, JSON Lines or XML')})", path)
    is_xml = data[start:start + 1] == b"<"
    if fmt is not None and is_xml != (fmt == "xml"):
        raise InputError(f"expected {_EXPECTED[fmt]} (format: {fmt}), found "
                         f"{'XML' if is_xml else 'text that is not XML'}", path)
    if is_xml:
        sets = [_read_xml(path, data, xml_options)]
    elif fmt == "jsonl":
        sets = [(default_resource, _try_json_lines(path, _decode(path, data), strict=True) or [])]
    else:
        sets = _read_json(path, data, default_resource, lines=fmt is None)
    if name is not None:
        merged: list[dict] = []
        for _, records in sets:
            merged.extend(records)
        return [(name, merged)]
    return sets


def _read_bytes(path: Path, limit: int) -> bytes:
    from engine.util.fileio import FileTooLarge, NotRegularFile, read_limited

    try:
        return read_limited(path, limit)
    except NotRegularFile as exc:
        raise InputError(f"is {exc.kind}, not a file", path) from None
    except FileTooLarge:
        raise InputError(f"the file is above the limit of {limit} bytes", path) from None
    except OSError as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: OSError) -> InputError:
    """The input error for a file the system would not open or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError("file not found", path)
    if isinstance(exc, PermissionError):
        return InputError("permission denied: cannot read the file", path)
    return InputError(f"cannot read the file: {exc.strerror or exc}", path)


def _read_xml(path: Path, data: bytes, options: XmlOptions | None) -> tuple[str, list[dict]]:
    try:
        resource, records, _ = xml_to_records(data, options or XmlOptions(root=None))
    except XmlError as exc:
        raise InputError(exc.message, path, exc.line, exc.col) from None
    return resource, records


# ----------------------------------------------------------------------------------------------
# JSON and JSON Lines

class _Refused(ValueError):
    """A JSON value that parses but is refused (NaN, duplicate keys)."""


def _refuse_constant(name: str) -> object:
    raise _Refused(f"{name} is not a valid number here")


def _object_pairs(pairs: list[tuple[str, object]]) -> dict:
    record: dict = {}
    for key, value in pairs:
        if key in record:
            raise _Refused(f"duplicate key {key!r} in an object")
        record[key] = value
    return record


def _loads(text: str) -> object:
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant,
                      object_pairs_hook=_object_pairs)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                         path, line, col) from None


def _read_json(path: Path, data: bytes, default_resource: str, lines: bool = True) -> list[tuple[str, list[dict]]]:
    """One JSON value; when ``lines``, a text that is not one value may be JSON Lines."""
    text = _decode(path, data)
    try:
        value = _loads(text)
    except json.JSONDecodeError as exc:
        records = _try_json_lines(path, text) if lines else None
        if records is None:
            raise InputError(f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
        return [(default_resource, records)]
    except (ValueError, RecursionError) as exc:  # refused values, over-long integers, ...
        records = _try_json_lines(path, text) if lines else None
        if records is None:
            raise InputError(f"invalid JSON: {_reason(exc)}", path) from None
        return [(default_resource, records)]
    return _shape(path, value, default_resource)


def _reason(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def _try_json_lines(path: Path, text: str, strict: bool = False) -> list[dict] | None:
    """Records of a JSON Lines file, or ``None`` when ``text`` does not look like one (``strict``:
    the file is declared JSON Lines, so every line must be a record)."""
    # Split on "\n" only (as the JSON parser counts lines): U+2028 may appear raw inside strings.
    lines = [(number, line.rstrip("\r")) for number, line in enumerate(text.split("\n"), start=1)
             if line.strip()]
    if len(lines) < 2 and not strict:
        return None
    records = []
    for position, (number, line) in enumerate(lines):
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            if position == 0 and not strict:
                return None  # not JSON Lines: report the whole-file JSON error instead
            raise InputError(f"invalid JSON Lines record: {exc.msg}", path, number,
                             exc.colno) from None
        except (ValueError, RecursionError) as exc:
            if position == 0 and not strict and not isinstance(exc, _Refused):
                return None
            raise InputError(f"invalid JSON Lines record: {_reason(exc)}", path, number) from None
        if not isinstance(value, dict):
            raise InputError(f"a JSON Lines record must be an object, found {_kind(value)}",
                             path, number, len(line) - len(line.lstrip()) + 1)
        records.append(value)
    return records


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", Decimal: "a number"}.get(type(value), type(value).__name__)


def _records(path: Path, resource: str, items: list) -> list[dict]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(
                f"{resource}[{index}]: a record must be an object, found {_kind(item)}", path)
    return items


def _shape(path: Path, value: object, default_resource: str) -> list[tuple[str, list[dict]]]:
    if isinstance(value, list):
        return [(default_resource, _records(path, default_resource, value))]
    if not isinstance(value, dict):
        raise InputError(f"expected records (an object or a list), found {_kind(value)}", path)
    if not value:
        raise InputError("the file holds an empty object; expected records", path)
    if value and all(isinstance(v, list) for v in value.values()):
        return [(key, _records(path, key, items)) for key, items in value.items()]
    if len(value) == 1:
        (key, inner), = value.items()
        if isinstance(inner, dict):
            return [(key, [inner])]
    return [(default_resource, [value])]
